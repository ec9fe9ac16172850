"""The admin API reads any body it is sent: a scenario, or a 400 with `problems`."""

from __future__ import annotations

import json

import pytest

from streamrig import MockServer

from .test_scenario_files import BOMB
from .wire import Captured, exchange

GOOD = "name: posted-ok\nreply: [{text: hi}]\n"

BAD = {
    "latin-1 bytes": ("application/x-yaml", "reply: [{text: caf\xe9}]\n".encode("latin-1")),
    "UTF-16": ("application/x-yaml", GOOD.encode("utf-16")),
    "unknown charset": ("text/yaml; charset=klingon", GOOD.encode()),
    "UTF-16 charset": ("application/json; charset=utf-16", GOOD.encode("utf-16")),
    "deep nesting": ("application/x-yaml", b"reply: " + b"[" * 2000 + b"]" * 2000),
    "recursive alias": ("application/x-yaml", b"reply: &a [*a]\n"),
    "alias bomb": ("application/x-yaml", BOMB.encode()),
    "huge integer": (
        "application/x-yaml",
        b"reply: [{text: hi}]\nusage: {input_tokens: " + b"9" * 5000 + b"}\n",
    ),
    "float chunking": ("application/x-yaml", b"reply: [{text: hi}]\nchunking: 1.0e+9\n"),
    "JSON with NaN": ("application/json", b'{"reply": [{"text": "hi"}], "speed": NaN}'),
}


@pytest.fixture(scope="module")
def server():
    with MockServer(speed=0) as running:
        yield running


def _post(server, content_type: str, body: bytes):
    head = (
        f"POST /_streamrig/scenarios HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"content-type: {content_type}\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return exchange(server.port, head.encode() + body)


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_admin_body_is_a_400_with_problems(server, name):
    with Captured() as logs:
        status, _, body = _post(server, *BAD[name])
    assert status == 400, body[:300]
    error = json.loads(body)["error"]
    assert error["problems"] and all(isinstance(p, str) for p in error["problems"])
    assert logs.tracebacks() == []


def test_a_good_admin_body_is_added(server):
    status, _, _ = _post(server, "application/x-yaml; charset=utf-8", GOOD.encode())
    assert status == 201 and server.state.registry.has("posted-ok")
