"""`streamrig serve` options the other CLI tests leave alone, each shown to take effect:
`--host`, `--match-on`, `--journal-max-mb`, `--read-timeout`."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import httpx2 as httpx

from tests.conftest import KEY
from tests.readme import README
from tests.test_cli import start_serve, stop

ROOT = README.parent

HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}


def ask(url: str, words: str) -> httpx.Response:
    body = {
        "model": "claude-test",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": words}],
    }
    return httpx.post(url + "/v1/messages", json=body, headers=HEADERS, timeout=10)


def test_match_on_decides_what_a_recording_must_share():
    cassettes = str(ROOT / "cassettes" / "anthropic" / "tell-me-about-streaming-1f175cca1a.yaml")
    for match_on, status in (("method,path,model,messages", 404), ("method,path", 200)):
        process, url = start_serve("--host", "127.0.0.1", "--port", "0", "--speed", "0",
                                   "--match-on", match_on, cassettes)  # fmt: skip
        try:
            answer = ask(url, "a question no cassette holds")
        finally:
            stop(process)
        assert answer.status_code == status, (match_on, answer.text)


def test_journal_max_mb_keeps_the_newest_entries_within_the_cap():
    process, url = start_serve("--port", "0", "--speed", "0", "--journal-max-mb", "0.01")
    try:
        for n in range(6):
            assert ask(url, f"{n} " + "x" * 4000).status_code == 200
        kept = httpx.get(url + "/_streamrig/journal", timeout=10).json()
    finally:
        stop(process)
    entries = kept["entries"] if isinstance(kept, dict) else kept
    assert 1 <= len(entries) < 6
    assert "5 xxx" in str(entries[-1])  # the newest stays


def test_read_timeout_cuts_a_request_whose_headers_do_not_arrive():
    process, url = start_serve("--port", "0", "--read-timeout", "1")
    try:
        address = urlsplit(url)
        with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
            sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            started = time.monotonic()
            while sock.recv(65536):
                pass
            took = time.monotonic() - started
    finally:
        stop(process)
    assert 0.5 < took < 5
