"""Raw HTTP over a socket: requests no SDK would send, and clients that leave at any moment."""

from __future__ import annotations

import json
import logging
import socket
import struct
from typing import Any

import pytest

MESSAGES = {"model": "m", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
ROUTES = ("/v1/messages", "/v1/chat/completions", "/v1/responses")


def body_for(route: str, stream: bool = True, text: str = "hi") -> dict[str, Any]:
    """The smallest valid request body of the endpoint `route`."""
    if route.endswith("/responses"):
        return {"model": "m", "input": text, "stream": stream}
    if route.endswith("/chat/completions"):
        return {"model": "m", "messages": [{"role": "user", "content": text}], "stream": stream}
    return {**MESSAGES, "messages": [{"role": "user", "content": text}], "stream": stream}


def head(
    port: int, path: str, length: int, headers: dict[str, str] | None = None, method: str = "POST"
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    given = {
        "content-type": "application/json",
        "content-length": str(length),
        "connection": "close",
        **(headers or {}),
    }
    lines += [f"{name}: {value}" for name, value in given.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def request_bytes(
    port: int, path: str, body: bytes, headers: dict[str, str] | None = None
) -> bytes:
    return head(port, path, len(body), headers) + body


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def reset(sock: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def exchange(port: int, raw: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send `raw`, read one whole response (the server closes or says its length)."""
    with connect(port, timeout) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        header_block, _, rest = data.partition(b"\r\n\r\n")
        lines = header_block.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1]) if lines and lines[0] else 0
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "-1"))
        while length < 0 or len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, headers, rest


def post_json(port: int, path: str, body: bytes, headers: dict[str, str] | None = None):
    status, got_headers, raw = exchange(port, request_bytes(port, path, body, headers))
    return status, got_headers, json.loads(raw) if raw else None


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing logged with a traceback, nothing at WARNING or above from the servers."""
    bad = [
        r
        for r in caplog.records
        if r.exc_info
        or (r.levelno >= logging.WARNING and r.name.startswith(("aiohttp", "streamrig")))
    ]
    assert not bad, "\n".join(f"{r.name} {r.levelname}: {r.getMessage()}" for r in bad)


class Captured(logging.Handler):
    """Every log record of the process (all threads) while installed on the root logger."""

    def __init__(self) -> None:
        super().__init__(level=0)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> Captured:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        logging.getLogger().removeHandler(self)

    def tracebacks(self) -> list[str]:
        return [
            f"{r.name} {r.levelname}: {r.getMessage()}"
            for r in self.records
            if r.exc_info
            or (r.levelno >= logging.WARNING and r.name.startswith(("aiohttp", "streamrig")))
        ]
