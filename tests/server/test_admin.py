"""The admin API as a non-Python suite uses it: reset, play, add scenarios, clear the journal."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from streamrig import MockServer

BODY = {"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": "x"}]}


@pytest.fixture
def server():
    with MockServer(seed=1, speed=0) as running:
        yield running


def ask(server, headers=None):
    return httpx.post(server.url + "/v1/messages", json=BODY, headers=headers or {})


def admin(server, method, path, **kwargs):
    return httpx.request(method, f"{server.url}/_streamrig/{path}", **kwargs)


def test_reset_clears_journal_attempt_counts_runtime_scenarios_and_what_plays(server):
    retrying = {"x-streamrig-scenario": "overloaded_then_ok"}
    assert ask(server, retrying).status_code == 529
    assert ask(server, retrying).status_code == 200  # try 2
    admin(server, "POST", "scenarios", content="name: mine\nreply: [{text: mine}]\n")
    admin(server, "POST", "play", json={"scenario": "refusal"})
    assert admin(server, "POST", "reset").status_code == 204
    assert admin(server, "GET", "journal").json()["entries"] == []
    assert ask(server, retrying).status_code == 529  # the retry path runs again
    assert ask(server, {"x-streamrig-scenario": "mine"}).status_code == 404
    assert ask(server).json()["stop_reason"] == "end_turn"  # nothing plays


def test_deleting_the_journal_also_forgets_attempt_counts(server):
    retrying = {"x-streamrig-scenario": "overloaded_then_ok"}
    assert [ask(server, retrying).status_code for _ in range(2)] == [529, 200]
    assert admin(server, "DELETE", "journal").status_code == 204
    assert ask(server, retrying).status_code == 529
    assert [e["attempt"] for e in admin(server, "GET", "journal").json()["entries"]] == [1]


def test_play_a_name_with_overrides_then_stop(server):
    answer = admin(
        server,
        "POST",
        "play",
        json={"scenario": "short_text", "overrides": {"stop": "max_tokens"}},
    )
    assert answer.status_code == 200 and answer.json()["playing"]["name"] == "short_text"
    assert ask(server).json()["stop_reason"] == "max_tokens"
    # the named scenario is untouched
    named = ask(server, {"x-streamrig-scenario": "short_text"})
    assert named.json()["stop_reason"] == "end_turn"
    assert admin(server, "POST", "play", json={"scenario": None}).json() == {"playing": None}
    assert ask(server).headers["x-streamrig-scenario"] == "default"


def test_play_a_scenario_body_given_as_yaml(server):
    body = "scenario:\n  reply: [{text: from the body}]\noverrides: {usage: {output_tokens: 9}}\n"
    answer = admin(server, "POST", "play", content=body)
    assert answer.status_code == 200, answer.text
    reply = ask(server).json()
    assert reply["content"][0]["text"] == "from the body" and reply["usage"]["output_tokens"] == 9
    assert server.journal.last().scenario == "played"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"scenario": "no_such_thing"}, 404, "No scenario named 'no_such_thing'"),
        ({"scenario": "short_text", "overrides": {"faults": [{"drop": "boom"}]}}, 400, "boom"),
        ({"scenario": "short_text", "overrides": {"name": "x"}}, 400, "cannot override name"),
        ({"scenario": {"reply": 5}}, 400, "reply: expected list"),
        ({"name": "short_text"}, 400, '{"scenario": NAME'),
    ],
)
def test_play_refuses_what_cannot_play(server, body, status, words):
    answer = admin(server, "POST", "play", json=body)
    assert answer.status_code == status, answer.text
    assert words in (answer.json()["error"]["message"])
    if status == 400:
        assert answer.json()["error"]["problems"]


def test_a_posted_scenario_needs_a_name(server):
    unnamed = admin(server, "POST", "scenarios", json={"reply": [{"text": "hi"}]})
    assert unnamed.status_code == 400
    problems = unnamed.json()["error"]["problems"]
    assert problems == [
        "<POST /_streamrig/scenarios>: name: a scenario added at run time needs a name: "
        "a `name` key, or ?name=NAME"
    ]
    assert [s["name"] for s in admin(server, "GET", "scenarios").json()["scenarios"]].count(
        "posted"
    ) == 0
    named = admin(server, "POST", "scenarios?name=mine", json={"reply": [{"text": "hi"}]})
    assert named.status_code == 201 and named.json()["name"] == "mine"
