"""Wire fidelity found wanting by real clients: usage, tool-JSON chunking, incomplete items.

Each test drives the official SDKs (or raw HTTP where the bytes matter) against a
real server on 127.0.0.1.
"""

from __future__ import annotations

import json

import anthropic
import httpx2 as httpx
import openai
import pytest

from streamrig import MockServer
from streamrig.scenario import Provider
from streamrig.sse import SSEDecoder
from tests import sdk
from tests.conftest import KEY, VECTORS

CITY = {"city": "New York City"}
TWO_CALLS = {
    "name": "two_calls",
    "reply": [
        {"tool_call": {"name": "get_weather", "input": {"city": "Paris", "units": "celsius"}}},
        {"tool_call": {"name": "get_time", "input": {"timezone": "Europe/Paris"}}},
    ],
}


def events(server, provider: Provider, scenario: str, **extra):
    """The decoded JSON events of one raw streamed request."""
    route, body = sdk.request_body(provider, stream=True)
    response = httpx.post(
        server.url + route, json={**body, **extra}, headers=sdk.headers(scenario), timeout=10
    )
    assert response.status_code == 200, response.text
    decoder = SSEDecoder()
    decoded = [*decoder.decode(response.content), *decoder.flush()]
    return [json.loads(e.data) for e in decoded if e.data != "[DONE]"]


def argument_deltas(provider: Provider, stream: list[dict]) -> list[list[str]]:
    """Per tool call, the argument fragments in the order they came (empty ones left out)."""
    calls: dict[int, list[str]] = {}
    for data in stream:
        if provider is Provider.ANTHROPIC:
            delta = data.get("delta") or {}
            if delta.get("type") == "input_json_delta" and delta["partial_json"]:
                calls.setdefault(data["index"], []).append(delta["partial_json"])
        elif provider is Provider.OPENAI_CHAT:
            for choice in data.get("choices", []):
                for call in choice["delta"].get("tool_calls") or []:
                    piece = call["function"].get("arguments")
                    if piece:
                        calls.setdefault(call["index"], []).append(piece)
        elif data["type"] == "response.function_call_arguments.delta":
            calls.setdefault(data["output_index"], []).append(data["delta"])
    return [calls[index] for index in sorted(calls)]


# -- 1. Anthropic message_delta usage is cumulative and complete ---------------------------


def test_anthropic_message_delta_carries_every_cumulative_count():
    scenario = {
        "name": "u",
        "reply": [{"text": "Hello there, friend."}],
        "usage": {
            "input_tokens": 412,
            "output_tokens": 57,
            "cache_creation_input_tokens": 9,
            "cache_read_input_tokens": 100,
        },
    }
    with (
        MockServer(scenario, speed=0) as server,
        anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client,
    ):
        stream = client.messages.create(
            model="claude-test",
            max_tokens=64,
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
        )
        final = [event for event in stream if event.type == "message_delta"][-1]
        whole = client.messages.create(
            model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        )
    assert final.usage.input_tokens == 412
    assert final.usage.cache_creation_input_tokens == 9
    assert final.usage.cache_read_input_tokens == 100
    assert final.usage.output_tokens == 57
    assert final.usage.server_tool_use is None  # no server tools ran
    assert whole.usage.input_tokens == 412 and whole.usage.output_tokens == 57


def test_anthropic_estimated_input_repeats_message_start(server):
    stream = events(server, Provider.ANTHROPIC, "short_text")
    start = next(e for e in stream if e["type"] == "message_start")["message"]["usage"]
    delta = next(e for e in stream if e["type"] == "message_delta")["usage"]
    assert delta["input_tokens"] == start["input_tokens"] > 0
    for key in ("cache_creation_input_tokens", "cache_read_input_tokens"):
        assert delta[key] == start[key]
    assert delta["output_tokens"] > 1


# -- 2. Tool-call JSON comes in token-sized fragments --------------------------------------


def recorded_fragments(name: str) -> list[str]:
    path = VECTORS / "openai-chat" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    decoder = SSEDecoder()
    stream = [
        json.loads(e.data)
        for e in [*decoder.decode(path.read_bytes()), *decoder.flush()]
        if e.data != "[DONE]"
    ]
    return argument_deltas(Provider.OPENAI_CHAT, stream)[0]


@pytest.mark.parametrize("vector", ["tool_call.sse", "tool_call_b.sse"])
def test_chat_tool_json_is_cut_like_the_recorded_stream(vector):
    recorded = recorded_fragments(vector)
    arguments = json.loads("".join(recorded))
    scenario = {"name": "t", "reply": [{"tool_call": {"name": "f", "input": arguments}}]}
    with MockServer(scenario, speed=0) as server:
        ours = argument_deltas(Provider.OPENAI_CHAT, events(server, Provider.OPENAI_CHAT, "t"))
    assert ours == [recorded]  # e.g. {"city":"New York City"} in the same 7 fragments


# Gemini sends a call whole, in one part: no fragments to judge.
@pytest.mark.parametrize("provider", [p for p in Provider if p is not Provider.GEMINI])
def test_every_provider_streams_tool_json_in_token_sized_fragments(provider):
    scenario = {"name": "t", "reply": [{"tool_call": {"name": "f", "input": CITY}}]}
    with MockServer([scenario, {**TWO_CALLS}], speed=0) as server:
        one = argument_deltas(provider, events(server, provider, "t"))
        two = argument_deltas(provider, events(server, provider, "two_calls"))
    assert len(one) == 1 and len(one[0]) == 7, one
    assert json.loads("".join(one[0])) == CITY
    assert len(two) == 2 and all(len(fragments) >= 5 for fragments in two), two
    assert all(len(piece) <= 10 for call in one + two for piece in call)


@pytest.mark.parametrize("provider", [p for p in Provider if p is not Provider.GEMINI])
def test_explicit_chunking_applies_to_text_and_tool_json(provider):
    scenarios = [
        {
            "name": "whole",
            "chunking": "whole",
            "reply": [{"text": "one two three"}, {"tool_call": {"name": "f", "input": CITY}}],
        },
        {
            "name": "default",
            "reply": [{"text": "one two three"}, {"tool_call": {"name": "f", "input": CITY}}],
        },
    ]
    with MockServer(scenarios, speed=0) as server:
        whole = events(server, provider, "whole")
        default = events(server, provider, "default")
    assert [len(call) for call in argument_deltas(provider, whole)] == [1]
    assert text_deltas(provider, whole) == ["one two three"]
    assert text_deltas(provider, default) == ["one", " two", " three"]


def text_deltas(provider: Provider, stream: list[dict]) -> list[str]:
    if provider is Provider.ANTHROPIC:
        return [
            e["delta"]["text"]
            for e in stream
            if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"
        ]
    if provider is Provider.OPENAI_CHAT:
        return [
            c["delta"]["content"] for e in stream for c in e["choices"] if c["delta"].get("content")
        ]
    return [e["delta"] for e in stream if e["type"] == "response.output_text.delta"]


# -- 3. Responses cut by max_output_tokens leave the message incomplete --------------------


def test_responses_max_tokens_marks_the_message_item_incomplete(server, openai_sync):
    with openai_sync.responses.stream(
        model="gpt-test", input="hi", extra_headers=sdk.headers("max_tokens")
    ) as stream:
        seen = list(stream)
    done = [e.item for e in seen if e.type == "response.output_item.done"]
    final = next(e.response for e in seen if e.type == "response.incomplete")
    assert [item.status for item in done] == ["incomplete"]
    assert final.status == "incomplete"
    assert final.incomplete_details.reason == "max_output_tokens"
    assert [item.status for item in final.output] == ["incomplete"]
    whole = openai_sync.responses.create(
        model="gpt-test", input="hi", extra_headers=sdk.headers("max_tokens")
    )
    assert [item.status for item in whole.output] == ["incomplete"]


def test_responses_completed_items_stay_completed(server, openai_sync):
    final = openai_sync.responses.create(
        model="gpt-test", input="hi", extra_headers=sdk.headers("short_text")
    )
    assert final.status == "completed" and [i.status for i in final.output] == ["completed"]


# -- 4. Default usage counts every generated token, the same on every provider -------------


def output_tokens(provider: Provider, anthropic_client, openai_client, scenario: str) -> int:
    final = sdk.stream_final(provider, anthropic_client, openai_client, scenario)
    if provider is Provider.OPENAI_CHAT:
        return int(final.usage.completion_tokens)
    return int(final.usage.output_tokens)


@pytest.mark.parametrize(
    ("scenario", "providers"),
    [
        (TWO_CALLS, list(Provider)),
        (
            {"name": "refuse", "reply": [{"refusal": "I can't help with that request."}]},
            list(Provider),
        ),
        (
            {"name": "think", "reply": [{"thinking": "Two and two make four."}, {"text": "4"}]},
            [Provider.ANTHROPIC, Provider.OPENAI_RESPONSES],
        ),
    ],
    ids=["tool_calls", "refusal", "thinking"],
)
def test_estimated_output_usage_counts_every_generated_token(scenario, providers):
    with (
        MockServer(scenario, speed=0) as server,
        anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as a,
        openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0) as o,
    ):
        counts = {p: output_tokens(p, a, o, scenario["name"]) for p in providers}
    assert len(set(counts.values())) == 1, counts
    # Several words of generated text or JSON each: far more than the 1 a lone "4" would give.
    assert next(iter(counts.values())) >= 5, counts
