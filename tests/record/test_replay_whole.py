"""A recorded `stream: false` interaction replays its JSON body; a recorded stream answers
`stream: false` with its accumulated message. Both recorded through the proxy."""

from __future__ import annotations

import time

import anthropic
import httpx2 as httpx
import pytest

from streamrig import MockServer, Outcome
from streamrig.record import RecordingProxy
from streamrig.scenario import load_scenarios
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
