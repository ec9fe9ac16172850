"""A client that hangs up, at any point, leaves a finished journal entry and no traceback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from streamrig import MockServer

from .wire import ROUTES, body_for, connect, head, no_tracebacks, request_bytes, reset

CASSETTE = Path(__file__).parents[2] / "cassettes/anthropic/tell-me-about-streaming-1f175cca1a.yaml"


@pytest.fixture(scope="module")
def slow_server():
    """A reply that takes seconds to stream."""
    slow_reply = {
        "name": "slow",
        "reply": [{"text": "one two three four five six seven eight nine ten " * 4}],
        "timing": {"ttft_ms": 50, "tokens_per_s": 20},
    }
    with MockServer(slow_reply, seed=3) as running:
        yield running


@pytest.fixture
def slow(slow_server):
    slow_server.reset()
    return slow_server


def _entries(server, count: int, wait: float = 5.0):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        entries = server.journal.entries()
        if len(entries) >= count and all(e.done for e in entries):
            return entries
        time.sleep(0.01)
    return server.journal.entries()


def _close(sock, how: str) -> None:
    if how == "rst":
        reset(sock)
    else:
        sock.close()


@pytest.mark.parametrize("how", ["fin", "rst"])
@pytest.mark.parametrize("route", ROUTES)
def test_hangup_while_the_body_is_read(slow, route, how, caplog):
    body = json.dumps(body_for(route)).encode()
    sock = connect(slow.port)
    sock.sendall(head(slow.port, route, len(body)) + body[:10])
    time.sleep(0.1)
    _close(sock, how)
    [entry] = _entries(slow, 1)
    assert entry.outcome.value == "client_closed"
    assert entry.closed_during == "request"
    no_tracebacks(caplog)


@pytest.mark.parametrize("how", ["fin", "rst"])
def test_hangup_before_the_response_headers(tmp_path, how, caplog):
    # A recording whose headers came after 2 s: the client leaves while they are awaited.
    data = yaml.safe_load(CASSETTE.read_text("utf-8"))
    data["interactions"][0]["streamrig"]["headers_t"] = 2.0
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    body = data["interactions"][0]["request"]["body"].encode()
    with MockServer(path) as server:
        sock = connect(server.port)
        sock.sendall(request_bytes(server.port, "/v1/messages", body))
        time.sleep(0.3)
        _close(sock, how)
        [entry] = _entries(server, 1)
    assert entry.outcome.value == "client_closed"
    assert entry.closed_during == "headers"
    assert entry.status == 0
    no_tracebacks(caplog)


@pytest.mark.parametrize("how", ["fin", "rst"])
@pytest.mark.parametrize("route", ROUTES)
def test_hangup_mid_stream(slow, route, how, caplog):
    body = json.dumps(body_for(route)).encode()
    sock = connect(slow.port)
    sock.sendall(request_bytes(slow.port, route, body))
    assert sock.recv(100).startswith(b"HTTP/1.1 200")
    _close(sock, how)
    [entry] = _entries(slow, 1)
    assert entry.outcome.value == "client_closed"
    assert entry.closed_during == "stream"
    assert entry.closed_at_frame is not None
    no_tracebacks(caplog)


@pytest.mark.parametrize("how", ["fin", "rst"])
def test_hangup_right_after_sending(slow, how, caplog):
    """Leaving the moment the request is sent lands anywhere from the body to the headers:
    every entry is finished, says where, and nothing is logged as a failure."""
    count = 60
    for index in range(count):
        route = ROUTES[index % 3]
        sock = connect(slow.port)
        sock.sendall(request_bytes(slow.port, route, json.dumps(body_for(route)).encode()))
        _close(sock, how)
    entries = _entries(slow, count)
    assert len(entries) == count
    assert [e for e in entries if not e.done] == []
    assert {e.closed_during for e in entries} <= {"request", "headers", "stream"}
    no_tracebacks(caplog)
