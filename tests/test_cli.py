from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import anthropic
import httpx2 as httpx
import pytest

from tests.conftest import KEY, VECTORS


def start_serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    """`streamrig serve ARGS` in a child process; returns it and its base URL once listening."""
    process = subprocess.Popen(
        [sys.executable, "-m", "streamrig", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return process, found.group(1)
    process.kill()
    raise AssertionError("serve did not start:\n" + "".join(lines))


def serve_banner(*args: str) -> str:
    """Everything `streamrig serve ARGS` prints up to its `Ctrl+C stops.` line, then stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "streamrig", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    banner = ""
    try:
        while "Ctrl+C" not in banner:
            line = process.stdout.readline()
            assert line, banner
            banner += line
    finally:
        stop(process)
    return banner


def stop(process: subprocess.Popen[str]) -> tuple[float, str]:
    """Ctrl+C; returns seconds until exit and the rest of the output."""
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=10)
    return time.monotonic() - started, out


def test_serve_port_0_prints_urls_and_snippets_that_work():
    process, url = start_serve("--port", "0")
    try:
        rest = ""
        with anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0) as client:
            with client.messages.stream(
                model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Hello"}]
            ) as stream:
                text = "".join(stream.text_stream)
        assert "streamrig" in text
        curl = httpx.post(
            url + "/v1/messages",
            json={
                "model": "m",
                "max_tokens": 5,
                "stream": True,
                "messages": [{"role": "user", "content": "x"}],
            },
        )
        assert curl.text.startswith("event: message_start\n")
    finally:
        seconds, rest = stop(process)
    assert process.returncode == 0
    assert seconds < 3, f"Ctrl+C took {seconds:.2f}s"
    assert "Traceback" not in rest


def test_serve_banner_has_base_urls_curl_and_sdk_snippet():
    banner = serve_banner("--port", "0")
    port = re.search(r"127\.0\.0\.1:(\d+)", banner).group(1)
    assert f'base_url="http://127.0.0.1:{port}"' in banner
    assert f'base_url="http://127.0.0.1:{port}/v1"' in banner
    assert f"curl -N http://127.0.0.1:{port}/v1/messages" in banner
    assert "anthropic.Anthropic(" in banner


def test_serve_with_no_arguments_listens_on_8765():
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8765)) == 0:
            pytest.skip("port 8765 is in use on this machine")
    process, url = start_serve()
    try:
        assert url == "http://127.0.0.1:8765"
        assert httpx.get(url + "/_streamrig/health").json()["scenarios"] >= 15
    finally:
        stop(process)


def test_serve_paths_replace_the_bundled_library_and_one_scenario_is_the_default(tmp_path):
    (tmp_path / "mine.yaml").write_text("reply: [{text: mine}]\n")
    process, url = start_serve("--port", "0", str(tmp_path / "mine.yaml"))
    try:
        reply = httpx.post(
            url + "/v1/messages",
            json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
        )
        assert reply.json()["content"][0]["text"] == "mine"
        assert [
            s["name"] for s in httpx.get(url + "/_streamrig/scenarios").json()["scenarios"]
        ] == ["mine"]
    finally:
        stop(process)


@pytest.mark.skipif(not (VECTORS / "anthropic").is_dir(), reason="no wire vectors")
def test_serve_a_raw_sse_file():
    path = VECTORS / "anthropic" / "basic_response.sse"
    process, url = start_serve("--port", "0", str(path))
    try:
        body = httpx.post(
            url + "/v1/messages",
            json={
                "model": "m",
                "max_tokens": 5,
                "stream": True,
                "messages": [{"role": "user", "content": "x"}],
            },
        )
        assert body.content == path.read_bytes()
    finally:
        stop(process)


def test_serve_default_flag_picks_the_scenario(tmp_path):
    (tmp_path / "a.yaml").write_text("reply: [{text: a}]\n")
    (tmp_path / "b.yaml").write_text("reply: [{text: b}]\n")
    process, url = start_serve("--port", "0", "--default", "b", str(tmp_path))
    try:
        reply = httpx.post(
            url + "/v1/messages",
            json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
        )
        assert reply.json()["content"][0]["text"] == "b"
    finally:
        stop(process)


def test_serve_reports_a_broken_file_and_starts_with_the_good_ones(tmp_path):
    (tmp_path / "good.yaml").write_text("reply: [{text: good}]\n")
    (tmp_path / "bad.yaml").write_text("reply: [{text: hi}]\nstopp: 1\n")
    seen = serve_banner("--port", "0", str(tmp_path))
    assert f"{tmp_path / 'bad.yaml'}:2: stopp: unknown key" in seen
    assert "1 scenario(s)" in seen


def test_serve_strict_refuses_to_start_on_a_broken_file(tmp_path):
    (tmp_path / "bad.yaml").write_text("reply: 5\n")
    result = subprocess.run(
        [sys.executable, "-m", "streamrig", "serve", "--strict", "--port", "0", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 1
    assert f"{tmp_path / 'bad.yaml'}:1: reply: expected list" in result.stderr


def test_serve_unknown_default_is_a_usage_error(tmp_path):
    (tmp_path / "a.yaml").write_text("reply: []\n")
    result = subprocess.run(
        [sys.executable, "-m", "streamrig", "serve", "--default", "zzz", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2 and "'zzz' is not a loaded scenario" in result.stderr


def run_validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamrig", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=20,
    )


def test_validate_good_files_exit_0():
    bundled = Path(__file__).resolve().parents[1] / "scenarios"
    result = run_validate(bundled)
    assert result.returncode == 0, result.stdout
    assert re.search(r"\d+ scenario\(s\) valid", result.stdout)


def test_validate_broken_files_exit_1_with_file_line_key(tmp_path):
    (tmp_path / "one.yaml").write_text("reply:\n  - tool_call: {input: {}}\n")
    (tmp_path / "two.yaml").write_text("reply: [ {text: x}\n")
    result = run_validate(tmp_path / "one.yaml", tmp_path / "two.yaml", tmp_path / "missing.yaml")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{tmp_path / 'one.yaml'}:2: reply[0].tool_call: 'name' is required"
    assert lines[1].startswith(f"{tmp_path / 'two.yaml'}:2: not valid YAML")
    assert lines[2] == f"{tmp_path / 'missing.yaml'}: no such file or folder"


def test_show_prints_the_timeline_with_holds_faults_and_attempts(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "reply: [{text: one two three four}]\n"
        "timing: {ttft_ms: 300, tokens_per_s: 20}\n"
        "faults:\n  - {after_events: 5, drop: stall, stall_ms: 1000}\n  - {at_byte: 900, drop: reset}\n"
        "attempts: {fail: 1, status: 529, headers: {retry-after-ms: 5}}\n"
    )
    second = subprocess.run(
        [sys.executable, "-m", "streamrig", "show", str(path), "--attempt", "2"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert second.returncode == 0, second.stderr
    lines = second.stdout.splitlines()
    assert lines[0] == "# s on Anthropic Messages, attempt 2"
    assert lines[1].split()[:6] == ["300.0", "ms", "frame", "0", "337", "B"]
    assert "400.0 ms  hold 1000.0 ms" in second.stdout
    assert (
        lines[-1]
        == "ends: reset; faults: stall after_events=5 (step 5), reset at_byte=900 (step 8)"
    )
    first = subprocess.run(
        [sys.executable, "-m", "streamrig", "show", str(path)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert "HTTP 529 {'retry-after-ms': '5'} (no stream)" in first.stdout


def test_show_names_a_provider_that_cannot_carry_the_scenario():
    bundled = Path(__file__).resolve().parents[1] / "scenarios" / "thinking.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "streamrig", "show", str(bundled), "--provider", "openai-chat"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 1
    assert (
        "'thinking' uses a thinking part" in result.stderr
        and "OpenAI Chat Completions" in result.stderr
    )


def test_show_prints_a_cassettes_recorded_timeline():
    cassettes = Path(__file__).resolve().parents[1] / "cassettes"
    (story,) = (cassettes / "anthropic").glob("tell-me-about-streaming-*.yaml")
    (limited,) = (cassettes / "anthropic").glob("am-i-rate-limited-*.yaml")
    shown = subprocess.run(
        [sys.executable, "-m", "streamrig", "show", str(story)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    lines = shown.stdout.splitlines()
    assert lines[1].split()[2:4] == ["frame", "0"] and float(lines[1].split()[0]) > 400
    assert lines[-1] == "ends: completed"
    error = subprocess.run(
        [sys.executable, "-m", "streamrig", "show", str(limited)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert "HTTP 429 (recorded, no stream)" in error.stdout
