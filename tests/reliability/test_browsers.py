"""Browsers: front ends may call the provider endpoints; other sites may not drive the admin API."""

from __future__ import annotations

import json

import pytest

from streamrig import MockServer
from streamrig.server._guard import HostPolicy

from .wire import body_for, exchange

SCENARIO = b"name: planted\nreply: [{text: planted by another site}]\n"


@pytest.fixture
def server():
    with MockServer(seed=2, speed=0) as running:
        yield running


def _send(server, method: str, path: str, body: bytes = b"", headers=None, host=None):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{server.port}'}"]
    given = {"content-length": str(len(body)), "connection": "close", **(headers or {})}
    lines += [f"{k}: {v}" for k, v in given.items()]
    return exchange(server.port, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example", "content-type": "text/plain"},
        {"origin": "null", "content-type": "text/plain"},
        {"sec-fetch-site": "cross-site", "content-type": "text/plain"},
    ],
    ids=["foreign-origin", "null-origin", "sec-fetch-site"],
)
def test_a_cross_origin_simple_post_cannot_add_a_scenario(server, headers):
    status, _, body = _send(server, "POST", "/_streamrig/scenarios", SCENARIO, headers)
    assert status == 403
    assert json.loads(body)["error"]["type"] == "cross_origin"
    assert not server.state.registry.has("planted")
    status, _, _ = _send(server, "DELETE", "/_streamrig/journal", headers=headers)
    assert status == 403


@pytest.mark.parametrize(
    "headers",
    [{}, {"content-type": "application/x-yaml"}, {"sec-fetch-site": "same-origin"}, "same"],
    ids=["tool", "tool-yaml", "same-origin-fetch", "same-origin"],
)
def test_tools_and_the_same_origin_may_add_a_scenario(server, headers):
    if headers == "same":
        headers = {"origin": f"http://127.0.0.1:{server.port}"}
    status, _, _ = _send(server, "POST", "/_streamrig/scenarios", SCENARIO, headers)
    assert status == 201
    assert server.state.registry.has("planted")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "attacker.test:80"])
def test_a_host_that_is_not_this_server_is_refused(server, host):
    status, _, body = _send(
        server, "GET", "/_streamrig/journal", host=host.format(port=server.port)
    )
    assert status == 421
    assert "--allow-host" in json.loads(body)["error"]["message"]
    raw = json.dumps(body_for("/v1/messages", stream=False)).encode()
    status, _, _ = _send(server, "POST", "/v1/messages", raw, host=host.format(port=server.port))
    assert status == 421


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "10.0.0.7:{port}", "app.localhost"],
)
def test_addresses_and_localhost_are_served(server, host):
    status, _, _ = _send(server, "GET", "/_streamrig/journal", host=host.format(port=server.port))
    assert status == 200


def test_allowed_host_names_are_configurable():
    policy = HostPolicy(["mock"])
    assert policy.allows("mock:8765") and policy.allows("MOCK")
    assert not policy.allows("mock.evil.example")
    assert HostPolicy(["*"]).allows("anything.example")


@pytest.mark.parametrize("route", ["/v1/messages", "/v1/chat/completions", "/v1/responses"])
def test_a_browser_front_end_can_call_the_provider_endpoints(server, route):
    asked = "content-type, x-api-key, anthropic-version, anthropic-dangerous-direct-browser-access"
    status, headers, _ = _send(
        server,
        "OPTIONS",
        route,
        headers={
            "origin": "http://localhost:5173",
            "access-control-request-method": "POST",
            "access-control-request-headers": asked,
        },
    )
    assert status == 204
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == asked
    for stream in (True, False):
        raw = json.dumps(body_for(route, stream=stream)).encode()
        status, headers, _ = _send(
            server,
            "POST",
            route,
            raw,
            {"origin": "http://localhost:5173", "content-type": "application/json"},
        )
        assert status == 200
        assert headers["access-control-allow-origin"] == "*"
        assert "request-id" in headers["access-control-expose-headers"]


def test_the_admin_api_grants_no_cross_origin_reads(server):
    status, headers, _ = _send(
        server, "GET", "/_streamrig/journal", headers={"origin": "http://evil.example"}
    )
    assert status == 200 and "access-control-allow-origin" not in headers
