"""Rig and MockServer.play: one signature, and a played copy never replaces the original."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from streamrig import Journal, MockServer, Rig

BODY = {"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": "x"}]}


@pytest.fixture
def rig():
    with MockServer(seed=1, speed=0) as server:
        yield Rig(server)


def stop_reason(url: str, headers: dict[str, str] | None = None) -> str:
    response = httpx.post(url + "/v1/messages", json=BODY, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()["stop_reason"]


def test_play_with_overrides_keeps_the_named_scenario_as_loaded(rig):
    played = rig.play("short_text", stop="max_tokens")
    assert played.expected.stop_reason == "max_tokens"
    assert stop_reason(rig.url) == "max_tokens"  # requests naming no scenario get the copy
    # A request naming the scenario gets it as loaded, while the copy plays
    assert stop_reason(rig.url, {"x-streamrig-scenario": "short_text"}) == "end_turn"
    assert stop_reason(rig.url + "/s/short_text") == "end_turn"
    # and a later plain play(name) gets the original, before any reset
    again = rig.play("short_text")
    assert again.expected.stop_reason == "end_turn"
    assert stop_reason(rig.url) == "end_turn"


def test_a_played_scenario_that_is_not_loaded_can_still_be_named(rig):
    rig.play({"name": "inline", "reply": [{"text": "inline"}], "stop": "max_tokens"})
    assert stop_reason(rig.url, {"x-streamrig-scenario": "inline"}) == "max_tokens"


def test_mock_server_play_takes_overrides_like_rig_play(rig):
    server = rig.server
    played = server.play("short_text", faults=[{"after_events": 2, "drop": "truncate"}])
    assert [f.kind.value for f in played.faults] == ["truncate"]
    httpx.post(server.url + "/v1/messages", json={**BODY, "stream": True})
    assert server.journal.last().outcome.value == "truncated"
    assert server.state.registry.get("short_text").faults == ()


def test_the_fixture_journal_is_the_servers_journal_and_reads_as_a_list(rig):
    for _ in range(2):
        httpx.post(rig.url + "/v1/messages", json=BODY)
    journal = rig.journal
    assert isinstance(journal, Journal) and journal is rig.server.journal
    assert journal.last() is journal[-1] is list(journal)[1] is journal.entries()[1]
    assert len(journal) == 2 and journal[:1] == [journal.entries()[0]]
    rig.reset()
    assert rig.journal == [] and not rig.journal
