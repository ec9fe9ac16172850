"""check.usage: the usual mistakes get the same diagnosis on every provider."""

from __future__ import annotations

import anthropic
import openai
import pytest

from streamrig import CheckFailed, MockServer, checks
from streamrig.scenario import Provider
from tests.conftest import KEY

WORDS = "one two three four five six seven eight nine ten"
COUNTED = {
    "name": "counted",
    "reply": [{"text": WORDS}],
    "usage": {"input_tokens": 40, "output_tokens": 281},
}


def _event(name, **data):
    return {"event": name, "data": {"type": name, **data}}


# What the real API sends today: message_delta repeats the cumulative input count.
REPEATED_INPUT = {
    "name": "repeated_input",
    "provider": "anthropic",
    "events": [
        _event(
            "message_start",
            message={
                "id": "msg_01RepeatedInput000000000",
                "type": "message",
                "role": "assistant",
                "model": "claude-test",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 25, "output_tokens": 1},
            },
        ),
        _event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        _event("content_block_delta", index=0, delta={"type": "text_delta", "text": "Hi"}),
        _event("content_block_stop", index=0),
        _event(
            "message_delta",
            delta={"stop_reason": "end_turn", "stop_sequence": None},
            usage={"input_tokens": 25, "output_tokens": 12},
        ),
        _event("message_stop"),
    ],
}
REQUEST = {"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "x"}]}


@pytest.fixture(scope="module")
def rig():
    with (
        MockServer([COUNTED, REPEATED_INPUT], speed=0) as server,
        anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as a,
        openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0) as o,
    ):
        yield server, a, o


def _headers(name):
    return {"extra_headers": {"x-streamrig-scenario": name}}


def test_adding_message_start_input_to_message_delta_is_diagnosed(rig):
    server, a, _ = rig
    with a.messages.stream(**REQUEST, **_headers("repeated_input")) as s:
        message = s.get_final_message()
    assert checks.usage(server, message) == checks.Usage(25, 12, 37)

    input_tokens = 0
    for event in a.messages.create(stream=True, **REQUEST, **_headers("repeated_input")):
        if event.type == "message_start":
            input_tokens += event.message.usage.input_tokens
        elif event.type == "message_delta":
            input_tokens += event.usage.input_tokens or 0  # the classic mistake
    with pytest.raises(CheckFailed) as failed:
        checks.usage(server, input_tokens=input_tokens)
    assert (
        "input_tokens: expected 25, got 50 = message_start's 25 + message_delta's 25: each report "
        "counts the whole message so far; take the last, do not add"
    ) in str(failed.value)


def _stream(provider, a, o):
    """The events a client sees, and the usage it should read, on each provider."""
    if provider is Provider.ANTHROPIC:
        return list(a.messages.create(stream=True, **REQUEST, **_headers("counted")))
    if provider is Provider.OPENAI_CHAT:
        return list(
            o.chat.completions.create(
                model="m",
                messages=REQUEST["messages"],
                stream=True,
                stream_options={"include_usage": True},
                **_headers("counted"),
            )
        )
    return list(o.responses.create(model="m", input="x", stream=True, **_headers("counted")))


def _is_delta(event):
    if getattr(event, "object", None) == "chat.completion.chunk":
        return bool(event.choices and event.choices[0].delta.content)
    return event.type == "content_block_delta" or event.type.endswith(".delta")


PROVIDERS = [Provider.ANTHROPIC, Provider.OPENAI_CHAT, Provider.OPENAI_RESPONSES]


@pytest.mark.parametrize("provider", PROVIDERS, ids=[p.value for p in PROVIDERS])
def test_counting_deltas_is_diagnosed_alike_on_every_provider(rig, provider):
    server, a, o = rig
    events = _stream(provider, a, o)
    deltas = sum(1 for event in events if _is_delta(event))
    with pytest.raises(CheckFailed) as failed:
        checks.usage(server, output_tokens=deltas)
    assert (
        f"output_tokens: expected 281, got {deltas} = the number of content deltas sent: "
        "the client counted deltas; read the reported usage"
    ) in str(failed.value)


@pytest.mark.parametrize("provider", PROVIDERS, ids=[p.value for p in PROVIDERS])
def test_counting_events_is_diagnosed_alike_on_every_provider(rig, provider):
    server, a, o = rig
    events = _stream(provider, a, o)
    with pytest.raises(CheckFailed) as failed:
        checks.usage(server, output_tokens=len(events))
    assert (
        f"output_tokens: expected 281, got {len(events)} = the number of events sent (pings aside, as the SDKs skip them): "
        "the client counted events; read the reported usage"
    ) in str(failed.value)


@pytest.mark.parametrize("provider", PROVIDERS, ids=[p.value for p in PROVIDERS])
def test_a_correct_count_passes_on_every_provider(rig, provider):
    server, a, o = rig
    _stream(provider, a, o)
    assert checks.usage(server, input_tokens=40, output_tokens=281) == checks.Usage(40, 281, 321)


def test_no_usage_reported_says_so(rig):
    server, _, o = rig
    stream = o.chat.completions.create(
        model="m", messages=REQUEST["messages"], stream=True, **_headers("counted")
    )
    for _ in stream:
        pass
    with pytest.raises(CheckFailed) as failed:
        checks.usage(server, input_tokens=0)
    message = str(failed.value)
    assert (
        "input_tokens: expected None, got 0 (the server reported no usage in this answer)"
        in message
    )
    assert "stream_options={'include_usage': True}" in message


@pytest.mark.parametrize("provider", PROVIDERS, ids=[p.value for p in PROVIDERS])
def test_a_whole_reply_is_read_from_its_body(rig, provider):
    server, a, o = rig
    if provider is Provider.ANTHROPIC:
        reply = a.messages.create(**REQUEST, **_headers("counted"))
    elif provider is Provider.OPENAI_CHAT:
        reply = o.chat.completions.create(
            model="m", messages=REQUEST["messages"], **_headers("counted")
        )
    else:
        reply = o.responses.create(model="m", input="x", **_headers("counted"))
    assert checks.usage(server, reply) == checks.Usage(40, 281, 321)
    with pytest.raises(CheckFailed, match="output_tokens: expected 281, got 280\n"):
        checks.usage(server, output_tokens=280)
