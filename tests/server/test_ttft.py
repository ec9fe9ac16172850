"""TTFT means the first content token, on every provider (not the Chat role chunk)."""

from __future__ import annotations

import time

import anthropic
import httpx2 as httpx
import openai
import pytest

from streamrig import MockServer
from streamrig.scenario import Provider
from tests import gemini_sdk
from tests.conftest import KEY

TEXT = "alpha beta gamma delta"


def first_token_after(provider: Provider, server, scenario: str) -> tuple[str, float]:
    """The first piece of generated text a client sees, and when (seconds from the call)."""
    headers = {"x-streamrig-scenario": scenario}
    started = time.monotonic()
    if provider is Provider.ANTHROPIC:
        with (
            anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client,
            client.messages.stream(
                model="m",
                max_tokens=64,
                messages=[{"role": "user", "content": "x"}],
                extra_headers=headers,
            ) as stream,
        ):
            return next(iter(stream.text_stream)), time.monotonic() - started
    if provider is Provider.GEMINI:
        gemini = gemini_sdk.client(server.url + "/s/" + scenario)
        for chunk in gemini.models.generate_content_stream(model="m", contents="x"):
            if chunk.text:
                return chunk.text, time.monotonic() - started
        raise AssertionError("no content token came")
    with openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0) as client:
        if provider is Provider.OPENAI_CHAT:
            chunks = client.chat.completions.create(
                model="m",
                messages=[{"role": "user", "content": "x"}],
                stream=True,
                extra_headers=headers,
            )
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    return chunk.choices[0].delta.content, time.monotonic() - started
        else:
            for event in client.responses.create(
                model="m", input="x", stream=True, extra_headers=headers
            ):
                if event.type == "response.output_text.delta":
                    return event.delta, time.monotonic() - started
    raise AssertionError("no content token came")


ROUTES = {
    Provider.ANTHROPIC: ("/v1/messages", {"max_tokens": 9, "messages": []}),
    Provider.OPENAI_CHAT: ("/v1/chat/completions", {"messages": []}),
    Provider.OPENAI_RESPONSES: ("/v1/responses", {"input": "x"}),
    Provider.GEMINI: (
        "/v1beta/models/m:streamGenerateContent?alt=sse",
        {"contents": [{"role": "user", "parts": [{"text": "x"}]}]},
    ),
}


def journaled(scenario: dict, provider: Provider):
    """The journal entry of one whole stream, played at speed 100 (the schedule, not the wait)."""
    route, body = ROUTES[provider]
    with MockServer(scenario, speed=100) as server:
        httpx.post(server.url + route, json={"model": "m", "stream": True, **body}, timeout=10)
        return server.journal.last()


@pytest.mark.parametrize("provider", list(Provider))
def test_first_content_frame_is_due_at_ttft(provider):
    scenario = {"name": "t", "reply": [{"text": TEXT}], "timing": {"ttft_ms": 300, "gap_ms": 100}}
    entry = journaled(scenario, provider)
    assert due_of(entry, b"alpha") * 100 == pytest.approx(0.3)
    assert due_of(entry, b" beta") * 100 == pytest.approx(0.4)


def due_of(entry, text: bytes) -> float:
    """When the frame whose bytes carry `text` was due (from the journal's frames and bytes)."""
    offset = 0
    for frame in entry.frames:
        if text in entry.sent[offset : offset + frame.size]:
            return frame.scheduled_s
        offset += frame.size
    raise AssertionError(f"{text!r} was not sent")


@pytest.mark.parametrize("provider", list(Provider))
def test_client_sees_the_first_token_at_ttft_not_a_gap_later(provider):
    # A long gap makes the old mistake (first token one gap after the TTFT) unmistakable.
    scenario = {"name": "t", "reply": [{"text": TEXT}], "timing": {"ttft_ms": 300, "gap_ms": 500}}
    warm = {"name": "warm", "reply": [{"text": TEXT}]}
    with MockServer([scenario, warm]) as server:
        # The SDKs build their response models on first use (~0.4 s for a Response):
        # a first, untimed call keeps that out of the measurement.
        first_token_after(provider, server, "warm")
        token, took = first_token_after(provider, server, "t")
    assert token == "alpha"
    assert 0.28 <= took < 0.7, took


@pytest.mark.parametrize("provider", list(Provider))
def test_a_tool_call_first_fragment_is_due_at_ttft(provider):
    call = {"tool_call": {"name": "f", "input": {"city": "Paris"}}}
    scenario = {"name": "t", "reply": [call], "timing": {"ttft_ms": 300, "gap_ms": 100}}
    entry = journaled(scenario, provider)
    # The call's opener (and Anthropic's empty first fragment) go with it, not a gap before.
    # Gemini sends a call whole, as one JSON object.
    opener = b'"functionCall"' if provider is Provider.GEMINI else b'{\\"'
    assert due_of(entry, opener) * 100 == pytest.approx(0.3)
