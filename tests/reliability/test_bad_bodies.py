"""Bad request bodies get the provider's own 400; malformed HTTP is no traceback."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from streamrig import MockServer

from .wire import (
    ROUTES,
    Captured,
    body_for,
    exchange,
    no_tracebacks,
    post_json,
    request_bytes,
)


@pytest.fixture(scope="module")
def server():
    with MockServer(seed=5, speed=0) as running:
        yield running


def _valid(route: str) -> bytes:
    return json.dumps(body_for(route, stream=False)).encode()


def _with_field(route: str, raw_value: bytes) -> bytes:
    return _valid(route)[:-1] + b',"extra":' + raw_value + b"}"


BAD_BODIES = {
    "nested 975 levels": lambda route: _with_field(route, b"[" * 975 + b"]" * 975),
    "nested 200 levels": lambda route: _with_field(route, b"[" * 200 + b"]" * 200),
    "integer of 5,000 digits": lambda route: _with_field(route, b"9" * 5000),
    "escaped lone surrogate": lambda route: _with_field(route, b'"a\\ud800b"'),
    "escaped lone surrogate as a key": lambda route: _valid(route)[:-1] + b',"\\udfff":1}',
    "raw lone surrogate": lambda route: _with_field(route, b'"a\xed\xa0\x80b"'),
    "NaN": lambda route: _with_field(route, b"NaN"),
    "-Infinity": lambda route: _with_field(route, b"-Infinity"),
    "UTF-16": lambda route: json.dumps(body_for(route, stream=False)).encode("utf-16"),
    "not JSON": lambda route: b"{nope",
}


def assert_provider_400(route: str, status: int, body) -> None:
    assert status == 400, body
    if route == "/v1/messages":
        assert body["type"] == "error"
        assert body["error"]["type"] == "invalid_request_error"
    else:
        assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"]


@pytest.mark.parametrize("name", list(BAD_BODIES))
@pytest.mark.parametrize("route", ROUTES)
def test_bad_body_gets_the_providers_400(server, route, name, caplog):
    status, _, body = post_json(server.port, route, BAD_BODIES[name](route))
    assert_provider_400(route, status, body)
    no_tracebacks(caplog)


@pytest.mark.parametrize("route", ROUTES)
def test_corrupt_gzip_gets_the_providers_400(server, route, caplog):
    raw = request_bytes(server.port, route, b"\x1f\x8b\x08garbage", {"content-encoding": "gzip"})
    status, _, body = exchange(server.port, raw)
    assert_provider_400(route, status, json.loads(body))
    assert "gzip" in json.loads(body)["error"]["message"]
    no_tracebacks(caplog)


def test_a_gzipped_body_is_read(server):
    raw = request_bytes(
        server.port,
        "/v1/messages",
        gzip.compress(_valid("/v1/messages")),
        {"content-encoding": "gzip"},
    )
    status, _, _ = exchange(server.port, raw)
    assert status == 200


MALFORMED_HTTP = {
    "bad content-length": b"POST /v1/messages HTTP/1.1\r\nHost: h\r\ncontent-length: abc\r\n\r\n{}",
    "chunked garbage": b"POST /v1/messages HTTP/1.1\r\nHost: h\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nxx\r\n",
    "huge header": b"POST /v1/messages HTTP/1.1\r\nHost: h\r\nx-a: " + b"a" * 100_000 + b"\r\n\r\n",
    "not HTTP": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n",
}


@pytest.mark.parametrize("name", list(MALFORMED_HTTP))
def test_malformed_http_logs_no_traceback(server, name, caplog):
    status, _, _ = exchange(server.port, MALFORMED_HTTP[name])
    assert status in (0, 400)
    no_tracebacks(caplog)


def test_the_journal_stays_readable_after_bad_bodies(server):
    server.reset()
    for make in BAD_BODIES.values():
        post_json(server.port, "/v1/messages", make("/v1/messages"))
    raw = f"GET /_streamrig/journal HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nconnection: close\r\n\r\n"
    status, _, body = exchange(server.port, raw.encode())
    assert status == 200
    entries = json.loads(body, parse_constant=lambda name: pytest.fail(f"journal holds {name}"))
    assert len(entries["entries"]) == len(BAD_BODIES)


# A fuzz of request bodies: JSON of every shape in every field, raw bytes, deep nesting,
# lone surrogates. Whatever comes, the answer is a 2xx or the provider's own 4xx.
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=2)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _bodies(draw):
    route = draw(st.sampled_from(ROUTES))
    kind = draw(st.sampled_from(["field", "replace", "bytes", "deep", "bigint"]))
    base = body_for(route, stream=False)
    if kind == "field":
        key = draw(st.sampled_from([*base, "tools", "system", "temperature"]))
        base[key] = draw(_VALUES)
        return route, json.dumps(base).encode("utf-8", errors="surrogatepass")
    if kind == "replace":
        return route, json.dumps(draw(_VALUES)).encode("utf-8", errors="surrogatepass")
    if kind == "bytes":
        return route, draw(st.binary(max_size=64))
    if kind == "deep":
        depth = draw(st.integers(1, 1500))
        return route, _with_field(route, b"[" * depth + b"]" * depth)
    digits = draw(st.integers(4000, 6000))
    return route, _with_field(route, b"1" * digits)


@seed(20261123)
@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(case=_bodies())
def test_fuzzed_bodies_never_get_a_500(server, case):
    route, raw = case
    with Captured() as logs:
        status, _, answer = exchange(server.port, request_bytes(server.port, route, raw))
    assert status < 500, answer[:300]
    if status == 400:
        assert_provider_400(route, status, json.loads(answer))
    assert logs.tracebacks() == []
