"""`streamrig record` as a process, atomic cassettes, and vcrpy cassettes imported."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import time

import anthropic
import httpx2 as httpx
import pytest

from streamrig import MockServer
from streamrig.record import Interaction, Redactor, write_cassette
from streamrig.scenario import load_scenarios
from tests.plain_server import PlainServer
from tests.record.upstreams import anthropic_events, irregular

KEY = "sk-ant-api03-KILLTEST-0123456789"
BODY = {
    "model": "claude-test",
    "max_tokens": 64,
    "stream": True,
    "messages": [{"role": "user", "content": "Tell me a story"}],
}


def start_recorder(upstream: str, out, *extra: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamrig",
            "record",
            "--upstream",
            upstream,
            "--port",
            "0",
            "--out",
            str(out),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    while True:
        line = process.stdout.readline()
        assert line, "the recorder did not start"
        found = re.search(r"recording on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return process, found.group(1)


def read_saved_line(process) -> str:
    """The next `saved ...` line (the banner's other lines are skipped)."""
    while True:
        line = process.stdout.readline()
        assert line, "the recorder exited"
        if line.startswith("saved "):
            return line


def test_record_command_saves_a_cassette_and_prints_it(tmp_path):
    with PlainServer(irregular()) as upstream:
        process, url = start_recorder(
            upstream.url,
            tmp_path,
            *("--host", "127.0.0.1", "--redact-header", "x-trace", "--redact", "une+ven"),
        )
        try:
            with anthropic.Anthropic(
                base_url=url, api_key=KEY, max_retries=0, default_headers={"x-trace": "tr-4711"}
            ) as client:
                with client.messages.stream(
                    **{k: v for k, v in BODY.items() if k != "stream"}
                ) as s:
                    text = s.get_final_message().content[0].text
            line = read_saved_line(process)
        finally:
            process.send_signal(signal.SIGINT)
            rest, _ = process.communicate(timeout=10)
    assert text.startswith("An irregular upstream")
    assert re.match(
        r"saved .*anthropic/tell-me-a-story-[0-9a-f]{10}\.yaml \(200, \d+ event\(s\), [\d.]+ s\)",
        line,
    )
    (path,) = tmp_path.rglob("*.yaml")
    saved = path.read_text()
    assert KEY not in saved
    assert "uneven" in text and "uneven" not in saved  # --redact REGEX
    assert "x-trace" in saved and "tr-4711" not in saved  # --redact-header NAME
    assert "Traceback" not in rest


def test_killing_the_recorder_mid_stream_leaves_the_earlier_cassette_intact(tmp_path):
    with PlainServer(irregular()) as upstream:
        process, url = start_recorder(upstream.url, tmp_path)
        try:
            httpx.post(url + "/v1/messages", json=BODY, headers={"x-api-key": KEY})
            read_saved_line(process)
        except BaseException:
            process.kill()
            process.communicate()
            raise
        (path,) = tmp_path.rglob("*.yaml")
        before = path.read_bytes()
        # The same request again, killed while the answer is still arriving.
        with httpx.stream(
            "POST", url + "/v1/messages", json=BODY, headers={"x-api-key": KEY}
        ) as response:
            iterator = response.iter_raw()
            next(iterator)
            process.kill()
            process.communicate(timeout=10)
            with pytest.raises(httpx.HTTPError):
                for _ in iterator:
                    pass
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no half-written file beside it
    (scenario,) = load_scenarios([path]).scenarios
    assert scenario.recording.body == b"".join(anthropic_events())


def test_a_failed_write_leaves_the_earlier_cassette_intact(tmp_path, monkeypatch):
    path = tmp_path / "c.yaml"
    first = Interaction(
        "POST",
        "http://up/v1/messages",
        {},
        b"{}",
        200,
        "OK",
        {"content-type": "text/event-stream"},
        0.0,
        [(0.1, b"data: 1\n\n")],
    )
    write_cassette(path, [first], Redactor())
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_cassette(path, [first, first], Redactor())
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_a_vcrpy_cassette_recorded_through_the_sdk_imports_and_replays(tmp_path):
    import vcr

    vcr_path = tmp_path / "vcr" / "story.yaml"
    scenario = {"name": "up", "reply": [{"text": "Recorded by vcrpy, replayed by streamrig."}]}
    with MockServer(scenario, seed=4) as upstream:
        with vcr.use_cassette(
            str(vcr_path), record_mode="once", filter_headers=["x-api-key", "authorization"]
        ):
            with anthropic.Anthropic(base_url=upstream.url, api_key=KEY, max_retries=0) as client:
                with client.messages.stream(
                    **{k: v for k, v in BODY.items() if k != "stream"}
                ) as s:
                    live = s.get_final_message()
    assert vcr_path.exists()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streamrig",
            "import-vcr",
            str(vcr_path),
            "--out",
            str(tmp_path / "out"),
            "--ttft-ms",
            "50",
            "--tokens-per-s",
            "200",
            "--jitter",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    imported = tmp_path / "out" / "story.yaml"
    assert result.stdout.strip() == f"wrote {imported}"
    (replayed,) = load_scenarios([imported]).scenarios
    times = [event.t for event in replayed.recording.events]
    assert times[0] == pytest.approx(0.05 + 0.05)
    # --jitter 0: every gap is 1/200 s
    assert [b - a for a, b in itertools.pairwise(times)] == pytest.approx(
        [0.005] * (len(times) - 1)
    )
    with MockServer(imported) as replay:
        with anthropic.Anthropic(base_url=replay.url, api_key=KEY, max_retries=0) as client:
            with client.messages.stream(**{k: v for k, v in BODY.items() if k != "stream"}) as s:
                again = s.get_final_message()
    assert again.model_dump() == live.model_dump()
    assert KEY not in imported.read_text()


def test_import_vcr_rejects_what_is_not_a_vcrpy_cassette(tmp_path):
    bogus = tmp_path / "bogus.yaml"
    bogus.write_text("just: text\n")
    result = subprocess.run(
        [sys.executable, "-m", "streamrig", "import-vcr", str(bogus), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert f"{bogus}: not a vcrpy cassette" in result.stderr


def test_record_command_refuses_a_busy_port(tmp_path):
    with MockServer() as busy:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "streamrig",
                "record",
                "--upstream",
                "http://127.0.0.1:9",
                "--port",
                str(busy.port),
                "--out",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1 and "cannot listen on 127.0.0.1" in result.stderr
    time.sleep(0)
