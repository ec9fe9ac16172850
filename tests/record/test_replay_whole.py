"""A recorded `stream: false` interaction replays its JSON body; a recorded stream answers
`stream: false` with its accumulated message. Both recorded through the proxy."""

from __future__ import annotations

import json
import time

import anthropic
import httpx2 as httpx
import openai
import pytest
import yaml

from streamrig import MockServer, Outcome
from streamrig.record import RecordingProxy
from streamrig.scenario import Provider, load_scenarios
from tests import sdk
from tests.plain_server import PlainServer
from tests.record.upstreams import TEXT, irregular, whole_message

BODY = {
    "model": "claude-test",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Tell me a story"}],
}


def record(tmp_path, handler, body):
    with PlainServer(handler) as upstream, RecordingProxy(upstream.url, tmp_path) as proxy:
        live = httpx.post(proxy.url + "/v1/messages", json=body, timeout=10)
        (path,) = proxy.wait_saved(1)
    assert live.status_code == 200, live.text
    return path, live


@pytest.fixture
def recorded_whole(tmp_path):
    return record(tmp_path, whole_message(seconds=0.3), {**BODY, "stream": False})


def test_the_cassette_knows_the_answer_was_not_a_stream(recorded_whole):
    path, _ = recorded_whole
    (scenario,) = load_scenarios([path]).scenarios
    assert scenario.recording is not None and not scenario.recording.streamed


def test_replay_stream_false_gives_the_recorded_json_body(recorded_whole):
    path, live = recorded_whole
    with (
        MockServer(path) as replay,
        anthropic.Anthropic(base_url=replay.url, api_key="k", max_retries=0) as client,
    ):
        raw = httpx.post(replay.url + "/v1/messages", json={**BODY, "stream": False})
        started = time.monotonic()
        message = client.messages.create(**BODY)
        took = time.monotonic() - started
        entry = replay.journal.last()
    assert raw.status_code == 200 and raw.content == live.content
    assert raw.headers["request-id"] == "req_upstream"
    assert message.content[0].text == TEXT and message.stop_reason == "end_turn"
    assert entry.outcome is Outcome.COMPLETED
    assert 0.25 <= took < 3  # as long as the upstream took to answer


def test_replay_at_speed_0_answers_at_once(recorded_whole):
    path, live = recorded_whole
    with MockServer(path, speed=0) as replay:
        started = time.monotonic()
        raw = httpx.post(replay.url + "/v1/messages", json={**BODY, "stream": False})
        took = time.monotonic() - started
    assert raw.content == live.content and took < 0.25


def test_recorded_stream_answers_stream_false_with_its_message(tmp_path):
    path, _ = record(tmp_path, irregular(), {**BODY, "stream": True})
    with (
        MockServer(path, speed=0) as replay,
        anthropic.Anthropic(base_url=replay.url, api_key="k", max_retries=0) as client,
    ):
        message = client.messages.create(**BODY)
        with client.messages.stream(**BODY) as stream:
            streamed = stream.get_final_message()
    assert message.content[0].text == TEXT
    assert message.model_dump() == streamed.model_dump()


REPLY = [
    {"text": "Let me look that up."},
    {"tool_call": {"name": "get_weather", "input": {"city": "Paris"}, "id": "call_recorded1"}},
]
VOLATILE = {"id", "created", "created_at", "system_fingerprint"}


def comparable(obj):
    """The SDK object without what a replay may renew: message and item ids, times."""

    def strip(data):
        if isinstance(data, dict):
            return {k: strip(v) for k, v in data.items() if k not in VOLATILE}
        if isinstance(data, list):
            return [strip(v) for v in data]
        return data

    return strip(sdk.normalise(obj))


# Gemini's whole answers replay in tests/record/test_gemini_record.py (its SDK has no
# stream accumulator to compare with here).
SSE_PROVIDERS = [p for p in Provider if p is not Provider.GEMINI]


@pytest.mark.parametrize("provider", SSE_PROVIDERS)
def test_a_recorded_json_answer_streams_the_same_message(tmp_path, provider):
    route, body = sdk.request_body(provider, stream=False)
    with (
        PlainServer(whole_message(provider=provider, reply=REPLY)) as upstream,
        RecordingProxy(upstream.url, tmp_path) as proxy,
    ):
        assert httpx.post(proxy.url + route, json=body, timeout=10).status_code == 200
        (path,) = proxy.wait_saved(1)
    with (
        MockServer(path, speed=0) as replay,
        anthropic.Anthropic(base_url=replay.url, api_key="k", max_retries=0) as a,
        openai.OpenAI(base_url=replay.openai_base_url, api_key="k", max_retries=0) as o,
    ):
        (scenario,) = load_scenarios([path]).scenarios
        whole = sdk.create_whole(provider, a, o, scenario.name)
        streamed = sdk.stream_final(provider, a, o, scenario.name)
        entry = replay.journal.last()
    assert entry.stream and entry.outcome is Outcome.COMPLETED
    assert comparable(streamed) == comparable(whole)
    assert "call_recorded1" in json.dumps(sdk.normalise(streamed))


def test_a_recording_streamed_as_asked_is_preferred(tmp_path):
    """One cassette holding the same request answered as JSON and as a stream: each kind
    of request gets the interaction of its own kind, whatever their order in the file; a
    cassette of one kind answers both (the documented fallback)."""
    whole_path, whole_live = record(tmp_path / "w", whole_message(), {**BODY, "stream": False})
    streamed_path, _ = record(tmp_path / "s", irregular(), {**BODY, "stream": True})
    whole, streamed = (
        yaml.safe_load(path.read_text())["interactions"] for path in (whole_path, streamed_path)
    )
    for name, interactions in (("ws", whole + streamed), ("sw", streamed + whole)):
        cassette = tmp_path / f"{name}.yaml"
        cassette.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))
        with MockServer(cassette, speed=0) as replay:
            raw = httpx.post(replay.url + "/v1/messages", json={**BODY, "stream": True})
            again = httpx.post(replay.url + "/v1/messages", json={**BODY, "stream": False})
        assert raw.headers["content-type"].startswith("text/event-stream"), name
        assert raw.content == streamed[0]["response"]["body"]["string"].encode(), name
        assert again.content == whole_live.content, name
    with MockServer(whole_path, speed=0) as replay:
        raw = httpx.post(replay.url + "/v1/messages", json={**BODY, "stream": True})
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert b"event: message_start" in raw.content
