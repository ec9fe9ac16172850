"""The bundled cassettes (cassettes/, made by cassettes/record_bundled.py) replay as recorded."""

from __future__ import annotations

from pathlib import Path

import anthropic
import openai
import pytest

from streamrig import MockServer
from streamrig.scenario import load_scenarios

ROOT = Path(__file__).resolve().parents[2] / "cassettes"
ASK = [{"role": "user", "content": "Tell me about streaming"}]


@pytest.fixture(scope="module")
def replay():
    with MockServer(ROOT) as server:
        yield server


def test_every_bundled_cassette_loads_without_secrets():
    files = sorted(ROOT.rglob("*.yaml"))
    report = load_scenarios(files)
    assert report.errors == [] and len(report.scenarios) == len(files) >= 5
    for path in files:
        assert "sk-" not in path.read_text(), path


def test_anthropic_story_replays_at_the_recorded_pace(replay):
    replay.reset()
    with anthropic.Anthropic(base_url=replay.url, api_key="k", max_retries=0) as client:
        with client.messages.stream(
            model="claude-streamrig-demo", max_tokens=256, messages=ASK
        ) as stream:
            message = stream.get_final_message()
    assert message.content[0].text.startswith("Streaming replies arrive")
    assert message.usage.output_tokens == 19
    entry = replay.journal.last()
    recording = replay.state.registry.get(entry.scenario).recording
    assert [round(f.scheduled_s, 6) for f in entry.frames] == [
        round(e.t - recording.headers_t, 6) for e in recording.events
    ]
    gaps = [b.t - a.t for a, b in zip(recording.events, recording.events[1:])]
    assert max(gaps) > 0.15 and min(gaps) < 0.01  # the irregular pace, pause included


def test_tool_call_chat_and_responses_cassettes_replay_through_the_sdks(replay):
    replay.reset()
    with anthropic.Anthropic(base_url=replay.url, api_key="k", max_retries=0) as client:
        with client.messages.stream(
            model="claude-streamrig-demo",
            max_tokens=256,
            messages=[{"role": "user", "content": "What's the weather in Paris?"}],
        ) as stream:
            tool = stream.get_final_message()
    assert tool.stop_reason == "tool_use" and tool.content[1].input == {
        "city": "Paris",
        "unit": "celsius",
    }
    with openai.OpenAI(base_url=replay.openai_base_url, api_key="k", max_retries=0) as client:
        chunks = list(
            client.chat.completions.create(
                model="gpt-streamrig-demo",
                messages=ASK,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        with client.responses.stream(
            model="gpt-streamrig-demo", input="Tell me about streaming"
        ) as stream:
            response = stream.get_final_response()
    assert chunks[-1].usage.total_tokens == 33
    assert response.output_text.startswith("Streaming replies arrive")


def test_rate_limited_cassette_replays_the_429(replay):
    with anthropic.Anthropic(base_url=replay.url, api_key="k", max_retries=0) as client:
        with pytest.raises(anthropic.RateLimitError) as caught:
            client.messages.create(
                model="claude-streamrig-demo",
                max_tokens=256,
                messages=[{"role": "user", "content": "Am I rate limited?"}],
            )
    assert caught.value.response.headers["retry-after"] == "2"
