"""Each fault through the official SDKs, sync and async: the error WIRE.md gives, and the journal."""

from __future__ import annotations

import json
import logging
from itertools import pairwise

import anthropic
import httpx2 as httpx
import openai
import pytest

from streamrig import MockServer, Outcome
from streamrig.scenario import Provider
from tests.conftest import KEY

TEXT = "one two three four five six seven eight nine ten"
REPLY = {"reply": [{"text": TEXT}]}
FAULTS = {
    "reset": {"after_events": 5, "drop": "reset"},
    "truncate": {"after_events": 5, "drop": "truncate"},
    "error": {"after_events": 5, "error": "overloaded_error"},
    "malformed": {"after_events": 5, "malformed": True},
    "stall": {"after_events": 5, "drop": "stall"},
}
# The malformed stream goes on slowly after the bad line, so the client surely hangs up first.
PACE = {"malformed": {"timing": {"gap_ms": 50}}}
SCENARIOS = [
    {"name": name, **REPLY, "faults": [fault], **PACE.get(name, {})}
    for name, fault in FAULTS.items()
]
READ_TIMEOUT = httpx.Timeout(10, read=0.4)


@pytest.fixture(scope="module")
def faulty():
    with MockServer(SCENARIOS, seed=1) as running:
        yield running


def clients(server, is_async: bool):
    if is_async:
        return (
            anthropic.AsyncAnthropic(
                base_url=server.url, api_key=KEY, max_retries=0, timeout=READ_TIMEOUT
            ),
            openai.AsyncOpenAI(
                base_url=server.openai_base_url, api_key=KEY, max_retries=0, timeout=READ_TIMEOUT
            ),
        )
    return (
        anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0, timeout=READ_TIMEOUT),
        openai.OpenAI(
            base_url=server.openai_base_url, api_key=KEY, max_retries=0, timeout=READ_TIMEOUT
        ),
    )


def stream_sync(provider, a, o, scenario):
    h = {"x-streamrig-scenario": scenario}
    msgs = [{"role": "user", "content": "hi"}]
    if provider is Provider.ANTHROPIC:
        with a.messages.stream(model="m", max_tokens=50, messages=msgs, extra_headers=h) as s:
            return s.get_final_message()
    if provider is Provider.OPENAI_CHAT:
        with o.chat.completions.stream(model="m", messages=msgs, extra_headers=h) as s:
            return s.get_final_completion()
    with o.responses.stream(model="m", input="hi", extra_headers=h) as s:
        return s.get_final_response()


async def stream_async(provider, a, o, scenario):
    h = {"x-streamrig-scenario": scenario}
    msgs = [{"role": "user", "content": "hi"}]
    if provider is Provider.ANTHROPIC:
        async with a.messages.stream(model="m", max_tokens=50, messages=msgs, extra_headers=h) as s:
            return await s.get_final_message()
    if provider is Provider.OPENAI_CHAT:
        async with o.chat.completions.stream(model="m", messages=msgs, extra_headers=h) as s:
            return await s.get_final_completion()
    async with o.responses.stream(model="m", input="hi", extra_headers=h) as s:
        return await s.get_final_response()


# (fault, provider) -> (exception class, words in its message); None: no exception.
EXPECTED = {
    ("reset", Provider.ANTHROPIC): (
        httpx.RemoteProtocolError,
        "peer closed connection without sending complete message body",
    ),
    ("reset", Provider.OPENAI_CHAT): (openai.APIConnectionError, "Connection error"),
    ("reset", Provider.OPENAI_RESPONSES): (openai.APIConnectionError, "Connection error"),
    ("truncate", Provider.ANTHROPIC): None,
    ("truncate", Provider.OPENAI_CHAT): None,
    ("truncate", Provider.OPENAI_RESPONSES): (
        RuntimeError,
        "Didn't receive a `response.completed` event",
    ),
    ("error", Provider.ANTHROPIC): (anthropic.APIStatusError, "overloaded_error"),
    ("error", Provider.OPENAI_CHAT): (openai.APIError, "The server is overloaded"),
    ("error", Provider.OPENAI_RESPONSES): (
        RuntimeError,
        "Didn't receive a `response.completed` event",
    ),
    ("malformed", Provider.ANTHROPIC): (json.JSONDecodeError, "Unterminated string"),
    ("malformed", Provider.OPENAI_CHAT): (json.JSONDecodeError, "Unterminated string"),
    ("malformed", Provider.OPENAI_RESPONSES): (json.JSONDecodeError, "Unterminated string"),
    ("stall", Provider.ANTHROPIC): (httpx.ReadTimeout, ""),  # "timed out" sync, "" async
    ("stall", Provider.OPENAI_CHAT): (openai.APITimeoutError, "Request timed out"),
    ("stall", Provider.OPENAI_RESPONSES): (openai.APITimeoutError, "Request timed out"),
}
OUTCOMES = {
    "reset": Outcome.RESET,
    "truncate": Outcome.TRUNCATED,
    "error": Outcome.ERROR_EVENT,
    "malformed": Outcome.CLIENT_CLOSED,  # the SDK raised on it and hung up
    "stall": Outcome.STALLED,
}
CASES = [pytest.param(f, p, id=f"{f}-{p.value}") for (f, p) in EXPECTED]


def check_result(fault, provider, outcome, faulty):
    expected = EXPECTED[(fault, provider)]
    if expected is None:
        final = outcome
        assert not isinstance(final, BaseException), final
        if provider is Provider.ANTHROPIC:
            assert final.stop_reason is None  # the body ended early: no message_delta
            assert final.content[0].text == "one two"  # message_start, block start, ping, 2 deltas
        else:
            assert final.choices[0].finish_reason is None
            assert final.choices[0].message.content == "one two three four"
    else:
        kind, words = expected
        assert isinstance(outcome, kind), repr(outcome)
        assert words in str(outcome)
        if (fault, provider) == ("error", Provider.ANTHROPIC):
            assert outcome.status_code == 200 and outcome.type == "overloaded_error"
    entry = wait_for_outcome(faulty)
    assert entry.outcome is OUTCOMES[fault]
    assert entry.faults and entry.faults[0].startswith(FAULTS_LABEL[fault])
    if fault == "stall":
        assert entry.closed_at_frame == 5


FAULTS_LABEL = {
    "reset": "reset",
    "truncate": "truncate",
    "error": "error overloaded_error",
    "malformed": "malformed",
    "stall": "stall",
}


def wait_for_outcome(server):
    import time

    deadline = time.monotonic() + 3
    while server.journal.last().outcome is Outcome.PENDING and time.monotonic() < deadline:
        time.sleep(0.01)
    return server.journal.last()


@pytest.mark.parametrize(("fault", "provider"), CASES)
def test_fault_sync(fault, provider, faulty, caplog):
    faulty.reset()
    a, o = clients(faulty, is_async=False)
    with a, o:
        try:
            outcome = stream_sync(provider, a, o, fault)
        except Exception as error:
            outcome = error
    check_result(fault, provider, outcome, faulty)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], (
        "the server logged an error"
    )


@pytest.mark.parametrize(("fault", "provider"), CASES)
async def test_fault_async(fault, provider, faulty, caplog):
    faulty.reset()
    a, o = clients(faulty, is_async=True)
    try:
        try:
            outcome = await stream_async(provider, a, o, fault)
        except Exception as error:
            outcome = error
    finally:
        await a.close()
        await o.close()
    check_result(fault, provider, outcome, faulty)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], (
        "the server logged an error"
    )


def raw_body(server, scenario, route="/v1/messages"):
    body = {
        "model": "m",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
        "input": "x",
    }
    with httpx.stream(
        "POST", server.url + route, json=body, headers={"x-streamrig-scenario": scenario}
    ) as response:
        return b"".join(response.iter_raw())


def test_error_event_is_the_providers_own_then_the_end():
    with MockServer(
        {
            "name": "e",
            **REPLY,
            "faults": [{"after_events": 3, "error": "api_error", "message": "boom"}],
        }
    ) as server:
        anthropic_body = raw_body(server, "e")
        chat_body = raw_body(server, "e", "/v1/chat/completions")
        responses_body = raw_body(server, "e", "/v1/responses")
    assert anthropic_body.endswith(
        b'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"boom"}}\n\n'
    )
    assert anthropic_body.count(b"event: ") == 4
    assert chat_body.endswith(
        b'data: {"error":{"message":"boom","type":"server_error","param":null,"code":"server_error"}}\n\n'
    )
    assert b"[DONE]" not in chat_body
    last = responses_body.rstrip(b"\n").rsplit(b"\n\n", 1)[-1]
    assert last.startswith(b"event: response.failed\ndata: ")
    failed = json.loads(last.split(b"data: ", 1)[1])
    created = json.loads(responses_body.split(b"data: ", 1)[1].split(b"\n", 1)[0])
    assert failed["response"]["id"] == created["response"]["id"]
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {"code": "server_error", "message": "boom"}
    assert failed["sequence_number"] == 3


def test_at_byte_cuts_inside_an_event():
    with MockServer(
        {"name": "t", **REPLY, "faults": [{"at_byte": 100, "drop": "truncate"}]}
    ) as server:
        body = raw_body(server, "t")
        full = MockServer({"name": "t", **REPLY})
    with full:
        whole = raw_body(full, "t")
    assert len(body) == 100
    assert whole.startswith(body[:20])


def test_after_ms_strikes_at_that_time():
    scenario = {
        "name": "t",
        **REPLY,
        "timing": {"gap_ms": 20},
        "faults": [{"after_ms": 70, "drop": "truncate"}],
    }
    with MockServer(scenario) as server:
        raw_body(server, "t")
        entry = server.journal.last()
    assert entry.outcome is Outcome.TRUNCATED
    assert all(frame.scheduled_s < 0.07 for frame in entry.frames)
    assert max(f.scheduled_s for f in entry.frames) >= 0.05


def test_probability_faults_are_seeded():
    scenario = {
        "name": "p",
        **REPLY,
        "faults": [{"probability": 0.3, "seed": 4, "drop": "truncate"}],
    }
    with MockServer(scenario) as server:
        first, second = raw_body(server, "p"), raw_body(server, "p")
        entries = server.journal.entries()
    assert entries[0].faults == entries[1].faults
    assert entries[0].faults[0].startswith("truncate probability=0.3 (step ")
    assert len(first) == len(second) < len(raw_body_of_full())


def raw_body_of_full():
    with MockServer({"name": "p", **REPLY}) as server:
        return raw_body(server, "p")


def test_stall_with_a_duration_resumes():
    scenario = {
        "name": "s",
        **REPLY,
        "faults": [{"after_events": 3, "drop": "stall", "stall_ms": 150}],
    }
    with MockServer(scenario) as server:
        with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client:
            with client.messages.stream(
                model="m",
                max_tokens=5,
                messages=[{"role": "user", "content": "x"}],
                extra_headers={"x-streamrig-scenario": "s"},
            ) as s:
                final = s.get_final_message()
        entry = server.journal.last()
    assert final.content[0].text == TEXT
    assert entry.outcome is Outcome.COMPLETED
    gaps = [b.sent_s - a.sent_s for a, b in pairwise(entry.frames)]
    assert max(gaps) >= 0.14
