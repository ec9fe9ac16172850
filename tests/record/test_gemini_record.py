"""`streamrig record` in front of a Gemini upstream: cassettes that replay to google-genai
exactly as the live answers came, SSE and streamed JSON array alike, with no key on disk."""

from __future__ import annotations

import json

import httpx2 as httpx

from streamrig import MockServer
from streamrig.record import RecordingProxy
from tests import gemini_sdk as g

KEY = "AIzaSy-SECRET-streamrig-gemini-0123456789"
UPSTREAM = [
    {
        "name": "up",
        "reply": [
            {"thinking": "Short answer."},
            {"text": "Recorded words arrive unevenly."},
            {"tool_call": {"name": "f", "input": {"a": 1}}},
        ],
        "timing": {"tokens_per_s": 300, "jitter": 0.9},
    }
]


def live_and_replayed(tmp_path, talk):
    with (
        MockServer(UPSTREAM, seed=3) as upstream,
        RecordingProxy(upstream.url, tmp_path) as proxy,
    ):
        live = talk(proxy.url)
        proxy.wait_saved(2)
    with MockServer(tmp_path) as replay:
        again = talk(replay.url)
        frames = [len(e.frames) for e in replay.journal.settled()]
    return live, again, frames


def talk(url: str):
    gemini = g.client(url, api_key=KEY)  # a real-looking key: it must never reach disk
    chunks = g.stream(gemini, "Tell me a story")
    array = httpx.post(
        url + g.path(stream=True, sse=False),
        json=g.body("And another one"),
        headers={"x-goog-api-key": KEY},
        timeout=10,
    ).content
    return [g.normalise(c) for c in chunks], array


def test_gemini_sessions_record_and_replay_identically(tmp_path):
    live, again, frames = live_and_replayed(tmp_path, talk)
    assert again == live
    assert frames[1] == len(json.loads(live[1])) + 1  # the array replays element by element
    chunks, array = live
    assert len(chunks) > 5 and array.startswith(b"[{") and array.endswith(b"\n]")
    cassettes = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.yaml"))
    assert len(cassettes) == 2 and all(c.startswith("gemini/") for c in cassettes)
    assert any(c.startswith("gemini/tell-me-a-story-") for c in cassettes)
    for path in tmp_path.rglob("*.yaml"):
        assert KEY not in path.read_text()


def test_replayed_gemini_stream_is_byte_for_byte_the_recorded_one(tmp_path):
    def raw(url: str) -> bytes:
        return httpx.post(url + g.path(stream=True), json=g.body(), timeout=10).content

    with MockServer(UPSTREAM, seed=3) as upstream, RecordingProxy(upstream.url, tmp_path) as proxy:
        live = raw(proxy.url)
        proxy.wait_saved(1)
    with MockServer(tmp_path) as replay:
        assert raw(replay.url) == live
        entry = replay.journal.settled()[0]
    assert entry.provider == "gemini" and entry.scenario.startswith("gemini/")
    assert b"\r\n\r\n" in live


def test_a_gemini_recording_answers_the_other_kind_and_prefers_its_own(tmp_path):
    """`:generateContent` and `:streamGenerateContent` are one call asked two ways: a
    recording of one answers the other (as `stream` does elsewhere), and with both
    recorded each kind gets its own."""

    def ask(url: str, stream: bool) -> httpx.Response:
        return httpx.post(url + g.path(stream=stream), json=g.body(), timeout=10)

    with MockServer(UPSTREAM, seed=3) as upstream, RecordingProxy(upstream.url, tmp_path) as proxy:
        streamed = ask(proxy.url, True).content
        proxy.wait_saved(1)
    with MockServer(tmp_path, speed=0) as replay:
        whole = ask(replay.url, False)
    assert whole.status_code == 200, whole.text
    assert whole.json()["candidates"][0]["content"]["parts"][-1]["functionCall"]["name"] == "f"
    with MockServer(UPSTREAM, seed=3) as upstream, RecordingProxy(upstream.url, tmp_path) as proxy:
        recorded_whole = ask(proxy.url, False).content
        proxy.wait_saved(1)
    assert len(list(tmp_path.rglob("*.yaml"))) == 2
    with MockServer(tmp_path, speed=0) as replay:
        assert ask(replay.url, True).content == streamed
        assert ask(replay.url, False).content == recorded_whole
