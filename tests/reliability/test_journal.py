"""The journal is always readable as strict JSON, capped by bytes, and paged."""

from __future__ import annotations

import json

import pytest

from streamrig import MockServer
from streamrig.server import Journal
from streamrig.server._journal_json import journal_json

from .wire import body_for, exchange, post_json


@pytest.fixture
def server():
    with MockServer(seed=1, speed=0) as running:
        yield running


def _get(port: int, target: str):
    raw = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nconnection: close\r\n\r\n"
    status, _, body = exchange(port, raw.encode())
    return status, json.loads(body, parse_constant=lambda name: pytest.fail(f"JSON has {name}"))


def _post_big(port: int, size: int) -> None:
    body = body_for("/v1/messages", stream=False, text="x" * size)
    status, _, _ = post_json(port, "/v1/messages", json.dumps(body).encode())
    assert status == 200


def test_the_journal_is_capped_by_bytes_oldest_first(server):
    server.journal.max_bytes = 100_000
    for _ in range(30):
        _post_big(server.port, 20_000)
    entries = server.journal.entries()
    assert 3 <= len(entries) <= 5  # about 20 KB each, and what was sent
    assert entries[-1].id == 30  # the newest stays
    assert [e.id for e in entries] == list(range(entries[0].id, 31))


def test_one_entry_larger_than_the_cap_is_still_kept(server):
    server.journal.max_bytes = 1_000
    _post_big(server.port, 5_000)
    _post_big(server.port, 5_000)
    assert [e.id for e in server.journal.entries()] == [2]


def test_the_journal_pages_with_since_and_limit(server):
    for _ in range(7):
        _post_big(server.port, 10)
    status, first = _get(server.port, "/_streamrig/journal?limit=3")
    assert status == 200
    assert [e["id"] for e in first["entries"]] == [1, 2, 3] and first["more"] is True
    _, second = _get(server.port, "/_streamrig/journal?since=3&limit=3")
    assert [e["id"] for e in second["entries"]] == [4, 5, 6] and second["more"] is True
    _, last = _get(server.port, "/_streamrig/journal?since=6&limit=3")
    assert [e["id"] for e in last["entries"]] == [7] and last["more"] is False
    _, whole = _get(server.port, "/_streamrig/journal")
    assert [e["id"] for e in whole["entries"]] == list(range(1, 8)) and whole["more"] is False


@pytest.mark.parametrize("query", ["since=-1", "limit=0", "limit=x", "since=1.5"])
def test_a_bad_page_query_is_a_400_with_problems(server, query):
    status, body = _get(server.port, f"/_streamrig/journal?{query}")
    assert status == 400
    assert body["error"]["type"] == "bad_query" and "problems" in body["error"]


def test_journal_json_is_strict_whatever_an_entry_holds():
    journal = Journal()
    entry = journal.open(
        time=0.0, method="POST", path="/v1/messages", headers={"x": "\udcff"}, body=None
    )
    entry.body = {"a": float("nan"), "b": [float("inf"), -float("inf")], "c": "\ud800"}
    text = b"".join(journal_json(journal.entries(), more=False)).decode("ascii")
    data = json.loads(text, parse_constant=lambda name: pytest.fail(f"JSON has {name}"))
    assert data["entries"][0]["body"] == {"a": "nan", "b": ["inf", "-inf"], "c": "\ud800"}


def test_a_capped_journal_measures_few_entries_per_arrival_with_many_streams_live(monkeypatch):
    # Each arrival re-measured every live stream (and rebuilt its frame records):
    # 2,000 streams playing made 2,000 arrivals cost two million measurements.
    from streamrig.server import _journal

    measured = []
    real = _journal.entry_size
    monkeypatch.setattr(_journal, "entry_size", lambda e: measured.append(e.id) or real(e))
    journal = Journal(max_bytes=10**12)
    for _ in range(2_000):
        entry = journal.open(time=0.0, method="POST", path="/v1/messages", headers={}, body=None)
        entry.log.add([0.0] * 50, 0.0, [10] * 50)
    assert len(measured) < 40 * 2_000
    journal.open(time=0.0, method="POST", path="/v1/messages", headers={}, body=None)
    assert len(journal) == 2_001
