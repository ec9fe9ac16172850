"""Every bundled scenario Gemini can carry, judged by google-genai (sync, async, chat).

For each scenario the chunks google-genai yields, streamrig's accumulator over the
raw bytes of the same stream (SSE and the streamed JSON array alike) and the
`generateContent` body must agree, and all must carry what the scenario says.
"""

from __future__ import annotations

import json

import httpx2 as httpx
import pytest
from google.genai import errors

from streamrig.jsonstream import decode_stream
from streamrig.scenario import Provider, TextPart, ThinkingPart, ToolCallPart
from tests import gemini_sdk as g
from tests.providers.test_sdk_parity import BUNDLED, supported

CASES = [
    pytest.param(scenario, id=scenario.name)
    for scenario in BUNDLED
    if Provider.GEMINI in supported(scenario)
]
UNSUPPORTED = [
    pytest.param(scenario, id=scenario.name)
    for scenario in BUNDLED
    if Provider.GEMINI in scenario.providers and Provider.GEMINI not in supported(scenario)
]


def raw_events(server, scenario: str, sse: bool = True):
    response = httpx.post(
        server.url + g.path(stream=True, sse=sse),
        json=g.body(),
        headers={"x-streamrig-scenario": scenario},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return [json.loads(event.data) for event in decode_stream(response.content)]


def test_gemini_carries_most_of_the_library():
    assert len(CASES) >= 14
    assert {s.name for s in (p.values[0] for p in UNSUPPORTED)} >= {"refusal", "citations"}


@pytest.mark.parametrize("scenario", CASES)
def test_sdk_chunks_equal_our_accumulator_and_generate_content(scenario, fresh):
    gemini_for = g.client(fresh.url + f"/s/{scenario.name}")
    chunks = g.stream(gemini_for)
    fresh.reset()
    accumulated = g.ours(raw_events(fresh, scenario.name))
    fresh.reset()
    body = g.whole(gemini_for)

    assert g.normalise(body) == g.normalise(accumulated)
    assert g.joined(chunks) == g.joined([accumulated])
    assert_carries_reply(g.joined(chunks), scenario)
    assert {c.model_version for c in chunks} == {g.MODEL}
    assert len({c.response_id for c in chunks}) == 1


@pytest.mark.parametrize("scenario", CASES)
def test_json_array_stream_accumulates_like_sse(scenario, fresh):
    sse = raw_events(fresh, scenario.name)
    fresh.reset()
    array = raw_events(fresh, scenario.name, sse=False)
    assert array == sse
    assert (
        fresh.journal.entries()[-1].response_headers["content-type"].startswith("application/json")
    )


@pytest.mark.parametrize("scenario", CASES)
async def test_async_sdk_and_chat_session_agree(scenario, fresh):
    gemini_for = g.client(fresh.url + f"/s/{scenario.name}")
    chunks = await g.stream_async(gemini_for)
    fresh.reset()
    chat = gemini_for.aio.chats.create(model=g.MODEL)
    async for _ in await chat.send_message_stream(g.USER):
        pass
    history = chat.get_history()
    await gemini_for.aio.aclose()
    model_turns = [c for c in history if c.role == "model"]
    as_chunks = [
        g.types.GenerateContentResponse(candidates=[g.types.Candidate(content=c)])
        for c in model_turns
    ]
    got, from_chat = g.joined(chunks), g.joined(as_chunks)
    assert (from_chat["text"], from_chat["thinking"], from_chat["calls"]) == (
        got["text"],
        got["thinking"],
        got["calls"],
    )
    assert_carries_reply(got, scenario)


def test_sync_chat_session_keeps_signatures_for_the_next_turn(fresh):
    gemini = g.client(fresh.url + "/s/thinking")  # kept: a collected Client closes its pool
    chat = gemini.chats.create(model=g.MODEL)
    for _ in chat.send_message_stream(g.USER):
        pass
    signed = [p for c in chat.get_history() for p in c.parts or [] if p.thought_signature]
    assert len(signed) == 1
    chat.send_message("and now?")  # the signature goes back in the history, base64 again
    sent = fresh.journal.entries()[-1].body["contents"]
    back = [p for c in sent for p in c["parts"] if "thoughtSignature" in p]
    assert len(back) == 1 and back[0]["thoughtSignature"]


@pytest.mark.parametrize("scenario", UNSUPPORTED)
def test_unsupported_scenarios_get_a_400_in_googles_shape(scenario, fresh):
    with pytest.raises(errors.ClientError) as raised:
        g.stream(g.client(fresh.url + f"/s/{scenario.name}"))
    assert raised.value.code == 400 and raised.value.status == "INVALID_ARGUMENT"
    assert scenario.name in raised.value.message and "Google Gemini" in raised.value.message


def assert_carries_reply(got, scenario) -> None:
    """The joined chunks say what the scenario's reply says."""
    if scenario.reply is None:
        return
    parts = scenario.reply.parts
    assert got["text"] == "".join(p.text for p in parts if isinstance(p, TextPart))
    assert got["thinking"] == "".join(p.thinking for p in parts if isinstance(p, ThinkingPart))
    assert got["calls"] == [(p.name, dict(p.input)) for p in parts if isinstance(p, ToolCallPart)]
    thinking = [p for p in parts if isinstance(p, ThinkingPart)]
    assert len(got["signatures"]) == len(thinking)
