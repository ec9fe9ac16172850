"""Every bundled scenario on every endpoint it supports: the official SDKs are the judges.

For each pair the SDK's stream helper, our accumulator (over the raw bytes of the
same stream) and the `stream: false` body must agree, and all must carry what the
scenario says.
"""

from __future__ import annotations

import json
import random

import httpx2 as httpx
import pytest

from streamrig import UnsupportedFeature
from streamrig.providers import EncodeContext, wire_format
from streamrig.scenario import (
    FaultKind,
    Provider,
    RefusalPart,
    Scenario,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    bundled_path,
    collect_scenarios,
)
from streamrig.sse import SSEDecoder
from tests import sdk

# Scenarios whose stream is whole (faults that only re-cut or pace writes are fine).
BUNDLED = [
    s
    for s in collect_scenarios(bundled_path())
    if not s.attempts
    and all(f.kind in (FaultKind.SPLIT, FaultKind.DRIP, FaultKind.PING) for f in s.faults)
]


def supported(scenario: Scenario) -> list[Provider]:
    found = []
    for provider in scenario.providers:
        if scenario.reply is None:
            found.append(provider)
            continue
        ctx = EncodeContext(scenario=scenario.name, model="m", rng=random.Random(0), created=0)
        try:
            wire_format(provider).encode(scenario.reply, ctx)
        except UnsupportedFeature:
            continue
        found.append(provider)
    return found


# Gemini has its own judge (google-genai): tests/providers/test_gemini_sdk.py.
JUDGED_HERE = [p for p in Provider if p is not Provider.GEMINI]
CASES = [
    pytest.param(scenario, provider, id=f"{scenario.name}-{provider.value}")
    for scenario in BUNDLED
    for provider in supported(scenario)
    if provider in JUDGED_HERE
]
UNSUPPORTED = [
    pytest.param(scenario, provider, id=f"{scenario.name}-{provider.value}")
    for scenario in BUNDLED
    for provider in JUDGED_HERE
    if provider not in supported(scenario)
]


def raw_accumulated(server, provider: Provider, scenario: str):
    route, body = sdk.request_body(provider, stream=True)
    response = httpx.post(server.url + route, json=body, headers=sdk.headers(scenario), timeout=10)
    assert response.status_code == 200, response.text
    decoder = SSEDecoder()
    events = [*decoder.decode(response.content), *decoder.flush()]
    data = [json.loads(e.data) for e in events if e.data != "[DONE]"]
    return wire_format(provider).accumulate(data)


def test_bundled_library_is_large_enough():
    assert len(collect_scenarios(bundled_path())) >= 15
    assert len(BUNDLED) >= 15
    assert len(CASES) >= 35


@pytest.mark.parametrize(("scenario", "provider"), CASES)
def test_sdk_stream_equals_our_accumulator_and_stream_false(
    scenario, provider, fresh, anthropic_sync, openai_sync
):
    streamed = sdk.stream_final(provider, anthropic_sync, openai_sync, scenario.name)
    fresh.reset()
    ours = raw_accumulated(fresh, provider, scenario.name)
    fresh.reset()
    whole = sdk.create_whole(provider, anthropic_sync, openai_sync, scenario.name)

    assert sdk.normalise(streamed) == sdk.normalise(type(streamed).model_validate(ours))
    assert sdk.normalise(whole) == sdk.normalise(streamed)
    assert_carries_reply(streamed, provider, scenario)


@pytest.mark.parametrize(("scenario", "provider"), CASES)
async def test_async_sdk_stream_equals_our_accumulator(
    scenario, provider, fresh, anthropic_async, openai_async
):
    streamed = await sdk.stream_final_async(provider, anthropic_async, openai_async, scenario.name)
    fresh.reset()
    ours = raw_accumulated(fresh, provider, scenario.name)
    assert sdk.normalise(streamed) == sdk.normalise(type(streamed).model_validate(ours))


@pytest.mark.parametrize(("scenario", "provider"), UNSUPPORTED)
def test_unsupported_pairs_get_a_400_naming_scenario_and_provider(scenario, provider, server):
    route, body = sdk.request_body(provider, stream=True)
    response = httpx.post(server.url + route, json=body, headers=sdk.headers(scenario.name))
    assert response.status_code == 400
    message = json.dumps(response.json())
    assert scenario.name in message
    assert provider.label in message or (
        scenario.provider is not None and scenario.provider.label in message
    )


def assert_carries_reply(final, provider: Provider, scenario: Scenario) -> None:
    """The final message says what the scenario's reply says, in this provider's terms."""
    if scenario.reply is None:
        return
    parts = scenario.reply.parts
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    calls = [(p.name, dict(p.input)) for p in parts if isinstance(p, ToolCallPart)]
    thinking = "".join(p.thinking for p in parts if isinstance(p, ThinkingPart))
    refusal = "".join(p.refusal for p in parts if isinstance(p, RefusalPart))
    got_text, got_calls, got_thinking, got_refusal = neutral(final, provider)
    assert (got_text, got_calls, got_thinking) == (text, calls, thinking)
    if provider is Provider.ANTHROPIC:
        got_refusal = final.stop_details.explanation if final.stop_details else ""
    assert got_refusal == refusal


def neutral(final, provider: Provider):
    if provider is Provider.ANTHROPIC:
        text = "".join(b.text for b in final.content if b.type == "text")
        calls = [(b.name, b.input) for b in final.content if b.type == "tool_use"]
        thinking = "".join(b.thinking for b in final.content if b.type == "thinking")
        return text, calls, thinking, ""
    if provider is Provider.OPENAI_CHAT:
        message = final.choices[0].message
        calls = [
            (c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls or []
        ]
        return message.content or "", calls, "", message.refusal or ""
    text, calls, thinking, refusal = "", [], "", ""
    for item in final.output:
        if item.type == "message":
            text += "".join(c.text for c in item.content if c.type == "output_text")
            refusal += "".join(c.refusal for c in item.content if c.type == "refusal")
        elif item.type == "function_call":
            calls.append((item.name, json.loads(item.arguments)))
        elif item.type == "reasoning":
            thinking += "".join(s.text for s in item.summary)
    return text, calls, thinking, refusal
