"""Record through the proxy from a local upstream, then replay: bytes, gaps, SDK results, secrets."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import anthropic
import httpx2 as httpx
import openai
import pytest
import yaml

from streamrig import MockServer, Outcome, Rig
from streamrig.record import RecordingProxy
from streamrig.scenario import load_scenarios
from tests.plain_server import PlainServer
from tests.record.upstreams import GAPS_MS, anthropic_events, irregular, rate_limited, slow_to_end

KEY = "sk-ant-api03-SECRET-streamrig-test-0123456789"
BODY = {
    "model": "claude-test",
    "max_tokens": 64,
    "stream": True,
    "messages": [{"role": "user", "content": "Tell me a story"}],
}


def timed_read(url: str, body: dict, headers: dict | None = None) -> tuple[bytes, list[float]]:
    """The raw body and, for each event, when its end arrived (seconds from the request)."""
    started = time.perf_counter()
    data, arrivals = b"", []
    with httpx.stream("POST", url, json=body, headers=headers or {}, timeout=10) as response:
        for chunk in response.iter_raw():
            data += chunk
            arrivals.extend([time.perf_counter() - started] * (data.count(b"\n\n") - len(arrivals)))
    return data, arrivals


@pytest.fixture
def recorded(tmp_path):
    """A cassette recorded through the proxy from the irregular upstream, with the live bytes."""
    with PlainServer(irregular()) as upstream, RecordingProxy(upstream.url, tmp_path) as proxy:
        live, _ = timed_read(proxy.url + "/v1/messages", BODY, {"x-api-key": KEY})
        (path,) = proxy.wait_saved(1)
    return path, live


def test_replay_sends_identical_bytes(recorded):
    path, live = recorded
    assert live == b"".join(anthropic_events())
    with MockServer(path) as replay:
        again, _ = timed_read(replay.url + "/v1/messages", BODY)
    assert again == live


def test_replay_plays_the_recorded_gaps(recorded):
    """The server plans each event at its recorded time (exactly), and a client sees the
    recorded gaps: within 5 ms typically, and never off by a whole gap even on a loaded
    machine (the client shares the GIL with the server here, so one late read is not the
    server's doing)."""
    path, _ = recorded
    (scenario,) = load_scenarios([path]).scenarios
    recorded_t = [event.t for event in scenario.recording.events]
    assert len(recorded_t) == len(anthropic_events())
    with MockServer(path) as replay:
        _, arrivals = timed_read(replay.url + "/v1/messages", BODY)
        frames = replay.journal.last().frames
    recorded_gaps = [b - a for a, b in itertools.pairwise(recorded_t)]
    planned_gaps = [b.scheduled_s - a.scheduled_s for a, b in itertools.pairwise(frames)]
    assert len(planned_gaps) == len(recorded_gaps)
    plan_errors_ms = [abs(r - p) * 1000 for r, p in zip(recorded_gaps, planned_gaps)]
    assert max(plan_errors_ms) < 0.5, f"planned gap errors (ms): {plan_errors_ms}"
    replay_gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    errors_ms = sorted(abs(r - p) * 1000 for r, p in zip(recorded_gaps, replay_gaps))
    shown = f"gap errors at the client (ms): {[round(e, 2) for e in errors_ms]}"
    assert errors_ms[len(errors_ms) // 2] < 5, shown
    assert errors_ms[-1] < 50, shown
    # and the recording kept the upstream's irregular pace
    assert max(recorded_gaps) > 0.09 and min(recorded_gaps) < 0.01


def test_speed_scales_the_recorded_pace(recorded):
    path, _ = recorded
    with MockServer(path, speed=0) as fast:
        started = time.perf_counter()
        data, _ = timed_read(fast.url + "/v1/messages", BODY)
        took = time.perf_counter() - started
    assert data == b"".join(anthropic_events())
    assert took < sum(GAPS_MS) / 1000 / 2


def test_the_key_is_absent_from_every_cassette(tmp_path):
    with (
        PlainServer(irregular()) as upstream,
        RecordingProxy(upstream.url, tmp_path, redact_patterns=[r"Tell me a \w+"]) as proxy,
    ):
        with anthropic.Anthropic(base_url=proxy.url, api_key=KEY, max_retries=0) as client:
            with client.messages.stream(**{k: v for k, v in BODY.items() if k != "stream"}) as s:
                s.until_done()
        proxy.wait_saved(1)
        openai_key = "sk-proj-OPENAI-SECRET-0123456789abcdef"
        with openai.OpenAI(base_url=proxy.url + "/v1", api_key=openai_key, max_retries=0) as client:
            stream = client.with_options(
                default_headers={"x-custom-token": "tok-CUSTOM-SECRET-9876"}
            ).chat.completions.create(
                model="gpt-test",
                messages=[{"role": "user", "content": "hi"}],
                stream=True,
                extra_query={"api_key": "QUERY-SECRET-5555"},
                extra_body={"metadata": {"api_key": "BODY-SECRET-4444"}},
            )
            for _ in stream:  # read to the end: an answer cut by the client is not kept
                pass
        proxy.wait_saved(2)
    files = sorted(tmp_path.rglob("*.yaml"))
    assert len(files) == 2
    for path in files:
        text = path.read_text()
        for secret in (KEY, openai_key, "QUERY-SECRET-5555", "BODY-SECRET-4444", "Tell me a story"):
            assert secret not in text, f"{secret} leaked into {path.name}"
        yaml.safe_load(text)  # still valid YAML after redaction
    assert "[redacted]" in files[0].read_text()


def test_upstream_drop_gives_a_truncated_cassette_with_what_arrived(tmp_path):
    with (
        PlainServer(irregular(drop_after=6)) as upstream,
        RecordingProxy(upstream.url, tmp_path) as proxy,
    ):
        with anthropic.Anthropic(base_url=proxy.url, api_key=KEY, max_retries=0) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                with client.messages.stream(
                    **{k: v for k, v in BODY.items() if k != "stream"}
                ) as s:
                    s.until_done()
        (path,) = proxy.wait_saved(1)
    (scenario,) = load_scenarios([path]).scenarios
    assert scenario.recording.truncated
    assert scenario.recording.body == b"".join(anthropic_events()[:6])
    assert "(truncated)" in scenario.description


def test_upstream_http_errors_are_recorded_and_replayed_as_they_came(tmp_path):
    count: list[int] = []
    with (
        PlainServer(rate_limited(count)) as upstream,
        RecordingProxy(upstream.url, tmp_path) as proxy,
    ):
        response = httpx.post(proxy.url + "/v1/messages", json=BODY)
        (path,) = proxy.wait_saved(1)
    assert response.status_code == 429 and count == [1]
    with MockServer(path) as replay:
        again = httpx.post(replay.url + "/v1/messages", json=BODY)
        assert replay.journal.last().outcome is Outcome.HTTP_ERROR
    assert again.status_code == 429
    assert again.headers["retry-after"] == "7"
    assert again.json() == response.json()


def test_cassette_names_are_predictable_and_collision_free(tmp_path):
    with (
        PlainServer(irregular(anthropic_events()[:3])) as upstream,
        RecordingProxy(upstream.url, tmp_path) as proxy,
    ):
        for body in (
            BODY,
            {**BODY, "model": "claude-other"},
            {**BODY, "messages": [{"role": "user", "content": "Another"}]},
            BODY,
        ):
            httpx.post(proxy.url + "/v1/messages", json=body)
        saved = [p.relative_to(tmp_path).as_posix() for p in proxy.wait_saved(4)]
    assert len(set(saved)) == 3 and saved[0] == saved[3]
    assert saved[0].startswith("anthropic/tell-me-a-story-") and saved[2].startswith(
        "anthropic/another-"
    )


def test_request_matching_lists_the_closest_cassettes(recorded):
    path, _ = recorded
    with MockServer(path) as replay:
        wrong = httpx.post(replay.url + "/v1/messages", json={**BODY, "model": "claude-else"})
    assert wrong.status_code == 404
    message = wrong.json()["error"]["message"]
    assert "No recorded interaction matches POST /v1/messages" in message
    assert f'{path.stem}: model: "claude-else" != recorded "claude-test"' in message


def test_volatile_fields_do_not_matter_and_matching_is_configurable(recorded):
    path, _ = recorded
    with MockServer(path) as replay:
        ok = httpx.post(
            replay.url + "/v1/messages",
            json={**BODY, "max_tokens": 5, "temperature": 0.3, "metadata": {"user_id": "u"}},
        )
        assert ok.status_code == 200
        replay.state.registry.match_on = ("method", "path")
        anything = httpx.post(
            replay.url + "/v1/messages",
            json={**BODY, "messages": [{"role": "user", "content": "other"}]},
        )
        assert anything.status_code == 200


def test_sdks_accumulate_the_same_live_and_on_replay(tmp_path):
    scenarios = [
        {
            "name": "up",
            "reply": [
                {"text": "Recorded words arrive unevenly."},
                {"tool_call": {"name": "f", "input": {"a": 1}}},
            ],
            "timing": {"tokens_per_s": 200, "jitter": 0.9},
        }
    ]
    with MockServer(scenarios, seed=2) as upstream, RecordingProxy(upstream.url, tmp_path) as proxy:
        live = sdk_results(proxy.url)
        proxy.wait_saved(3)
    with MockServer(tmp_path) as replay:
        again = sdk_results(replay.url)
    assert again == live
    assert len(list(tmp_path.rglob("*.yaml"))) == 3


def sdk_results(url: str) -> list[dict]:
    messages = [{"role": "user", "content": "hi"}]
    with (
        anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0) as a,
        openai.OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0) as o,
    ):
        with a.messages.stream(model="m", max_tokens=64, messages=messages) as s:
            first = s.get_final_message().model_dump()
        with o.chat.completions.stream(model="m", messages=messages) as s:
            second = s.get_final_completion().model_dump()
        with o.responses.stream(model="m", input="hi") as s:
            third = s.get_final_response().model_dump()
    return [first, second, third]


@pytest.mark.parametrize("n", [1, 4, 7])
def test_replay_with_a_reset_at_event_n_gives_the_drop_error_after_exactly_n_events(recorded, n):
    path, _ = recorded
    (scenario,) = load_scenarios([path]).scenarios
    with MockServer(path) as replay:
        replay.play(
            replay.state.registry.get(scenario.name).__class__(
                **{**_fields(scenario), "faults": _reset_after(n)}
            )
        )
        seen = []
        with anthropic.Anthropic(base_url=replay.url, api_key=KEY, max_retries=0) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                with client.messages.create(**BODY) as stream:
                    for event in stream:
                        seen.append(event.type)
    # the SDK skips pings: count what the server wrote instead, and what the client saw
    events_written = [e for e in anthropic_events()[:n]]
    assert len(seen) == sum(1 for e in events_written if not e.startswith(b"event: ping"))


def _fields(scenario):
    return {name: getattr(scenario, name) for name in scenario.__dataclass_fields__}


def _reset_after(n):
    from streamrig.scenario import Fault, FaultKind

    return (Fault(FaultKind.RESET, after_events=n),)


def test_serve_cli_replays_a_cassette_with_a_fault(recorded):
    import re
    import signal
    import subprocess
    import sys

    path, _ = recorded
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamrig",
            "serve",
            "--port",
            "0",
            "--speed",
            "4",
            "--fault",
            "{after_events: 7, drop: reset}",
            str(path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = None
        while url is None:
            line = process.stdout.readline()
            assert line
            found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        with anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                with client.messages.stream(
                    **{k: v for k, v in BODY.items() if k != "stream"}
                ) as s:
                    s.until_done()
        journal = httpx.get(url + "/_streamrig/journal").json()["entries"]
        assert journal[-1]["outcome"] == "reset" and len(journal[-1]["frames"]) == 7
        assert journal[-1]["faults"] == ["reset after_events=7 (step 7)"]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


def test_cassette_loads_in_vcrpy_and_replays_there(recorded):
    import vcr

    path, _live = recorded
    (scenario,) = load_scenarios([path]).scenarios
    upstream_url = scenario.request.uri.rsplit("/v1/", 1)[0]
    with vcr.use_cassette(str(path), record_mode="none"):
        with anthropic.Anthropic(base_url=upstream_url, api_key=KEY, max_retries=0) as client:
            with client.messages.stream(**{k: v for k, v in BODY.items() if k != "stream"}) as s:
                message = s.get_final_message()
    assert message.content[0].text.startswith("An irregular upstream")
    assert Path(path).read_text().count("- t: ") == len(anthropic_events())


def test_a_client_hanging_up_after_the_last_event_still_leaves_a_whole_recording(tmp_path):
    with PlainServer(slow_to_end()) as upstream, RecordingProxy(upstream.url, tmp_path) as proxy:
        with httpx.stream("POST", proxy.url + "/v1/messages", json=BODY) as response:
            received = b""
            for chunk in response.iter_raw():
                received += chunk
                if b"message_stop" in received:
                    break  # an SDK stops here, before the upstream's end of body
        (path,) = proxy.wait_saved(1)
    (scenario,) = load_scenarios([path]).scenarios
    assert not scenario.recording.truncated
    assert scenario.recording.body == b"".join(anthropic_events())


def test_a_rig_cassette_closed_right_after_the_last_event_keeps_the_interaction(tmp_path):
    """The client has every event before the upstream ends its body (an SDK stops at the
    last event); the cassette written when the block ends still holds that interaction."""
    cassette = tmp_path / "story.yaml"
    with PlainServer(slow_to_end(0.5)) as upstream, MockServer(speed=0) as server:
        with Rig(server).cassette(cassette, mode="once", upstream=upstream.url):
            with httpx.stream("POST", server.url + "/v1/messages", json=BODY) as response:
                received = b""
                for chunk in response.iter_raw():
                    received += chunk
                    if b"message_stop" in received:
                        break
    (interaction,) = yaml.safe_load(cassette.read_text())["interactions"]
    assert interaction["response"]["status"]["code"] == 200
