"""A request must arrive in time: slow headers are cut, a slow body gets a 408."""

from __future__ import annotations

import json
import socket
import time

import pytest

from streamrig import MockServer

from .wire import Captured, body_for, connect, head


@pytest.fixture(scope="module")
def server():
    running = MockServer(speed=0)
    running.state.read_timeout = 1.0
    with running:
        yield running


def _closed_after(sock: socket.socket, limit: float) -> float:
    started = time.monotonic()
    sock.settimeout(limit)
    while sock.recv(65536):
        pass
    return time.monotonic() - started


def test_headers_that_trickle_in_are_cut_off(server):
    sockets = [connect(server.port) for _ in range(20)]
    for sock in sockets:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.5)
    for sock in sockets:
        sock.sendall(b"x-slow: 1\r\n")  # still coming, byte by byte
    try:
        assert max(_closed_after(sock, 10) for sock in sockets) < 5
    finally:
        for sock in sockets:
            sock.close()


def test_a_body_that_does_not_arrive_gets_a_408(server):
    body = json.dumps(body_for("/v1/messages", stream=False)).encode()
    with Captured() as logs, connect(server.port) as sock:
        sock.sendall(head(server.port, "/v1/messages", len(body)) + body[:5])
        sock.settimeout(10)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408")
    assert server.journal.last().status == 408
    assert logs.tracebacks() == []
