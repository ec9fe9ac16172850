"""Conversations on the server: turns from the request alone, match by turn and tool result,
the end of a script, ids under a seed, and the real APIs' refusals (off with lenient)."""

from __future__ import annotations

from contextlib import contextmanager

import anthropic
import httpx2 as httpx
import openai
import pytest

from streamrig import MockServer
from tests.conftest import KEY
from tests.examples.agent_loop import AgentLoop

TOOLS = {"get_weather": lambda a: "sunny", "get_time": lambda a: "15:00"}

# Three scenarios picked by match rules alone: the first turn asks for a tool, the
# tool-result turn is answered by another scenario, anything else by the default.
MATCHED = [
    {
        "name": "ask_tool",
        "match": {"contains": "weather", "turn": 1},
        "reply": [{"tool_call": {"name": "get_weather", "input": {"city": "Paris"}}}],
    },
    {
        "name": "after_tool",
        "match": {"tool_result": {"name": "get_weather", "contains": "SUNNY"}},
        "reply": [{"text": "Sunny, as the tool says."}],
    },
    {"name": "default", "reply": [{"text": "default reply"}]},
]


@pytest.fixture(scope="module")
def matched():
    with MockServer(MATCHED, speed=0) as server:
        yield server


@contextmanager
def client_for(server, provider):
    """The SDK client of `provider` ("anthropic", or an OpenAI API), closed after: one
    left to the garbage collector may be warned about as an unclosed socket, in any test."""
    if provider == "anthropic":
        with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client:
            yield client
    else:
        with openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0) as client:
            yield client


@pytest.mark.parametrize("provider", ["anthropic", "chat", "responses", "responses-chained"])
def test_match_by_turn_and_tool_result_scripts_a_loop_statelessly(matched, provider):
    matched.reset()
    chained = provider == "responses-chained"
    kind = "responses" if chained else provider
    with client_for(matched, kind) as client:
        loop = AgentLoop(client, kind, TOOLS, previous_response_id=chained)
        assert loop.ask("What is the weather in Paris?") == "Sunny, as the tool says."
    picked = [(e.scenario, e.turn) for e in matched.journal]
    assert picked == [("ask_tool", 1), ("after_tool", 2)]


def test_a_tool_result_turn_no_longer_falls_through_to_the_default(matched):
    # Before: on Anthropic the tool-result turn read as "" (no user text) and got the
    # default reply; on OpenAI it read as the first question and matched turn 1 again.
    matched.reset()
    with client_for(matched, "chat") as client:
        AgentLoop(client, "chat", TOOLS).ask("weather in Paris?")
    assert [e.scenario for e in matched.journal] != ["ask_tool", "ask_tool"]
    assert "default" not in [e.scenario for e in matched.journal]


CONVERSATION = {
    "name": "two_turns",
    "turns": [
        {"reply": [{"tool_call": {"name": "get_weather", "input": {"city": "Paris"}}}]},
        {"reply": [{"text": "Sunny."}]},
    ],
}


@pytest.mark.parametrize("provider", ["anthropic", "chat", "responses"])
def test_past_the_last_turn_is_a_provider_shaped_400(provider):
    with MockServer([CONVERSATION], speed=0) as server, client_for(server, provider) as client:
        loop = AgentLoop(client, provider, TOOLS)
        loop.ask("weather?")
        with pytest.raises((anthropic.BadRequestError, openai.BadRequestError)) as caught:
            loop.ask("and again?")
    body = caught.value.response.json()
    if provider == "anthropic":
        assert set(body) == {"type", "error", "request_id"} and body["type"] == "error"
    else:
        assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "invalid_request_error"
    assert (
        "scenario 'two_turns' scripts 2 turn(s), and this request is turn 3"
        in body["error"]["message"]
    )


def run_loop(seed, provider):
    with (
        MockServer([CONVERSATION], speed=0, seed=seed) as server,
        client_for(server, provider) as client,
    ):
        AgentLoop(client, provider, TOOLS).ask("weather?")
        return [bytes(entry.sent) for entry in server.journal.settled()]


@pytest.mark.parametrize("provider", ["anthropic", "chat", "responses"])
def test_ids_of_a_conversation_repeat_under_a_seed(provider):
    first, again = run_loop(11, provider), run_loop(11, provider)
    assert len(first) == 2 and first == again  # every id, byte for byte, on every turn
    assert run_loop(None, provider) != run_loop(None, provider)


def test_unknown_previous_response_id_is_refused_and_lenient_lets_it_through():
    with MockServer([CONVERSATION], speed=0) as server, client_for(server, "openai") as client:
        with pytest.raises(openai.BadRequestError) as caught:
            client.responses.create(model="m", input="hi", previous_response_id="resp_gone")
        assert caught.value.body == {
            "message": "Previous response with id 'resp_gone' not found.",
            "type": "invalid_request_error",
            "param": "previous_response_id",
            "code": "previous_response_not_found",
        }
        server.state.lenient = True
        response = client.responses.create(model="m", input="hi", previous_response_id="resp_gone")
        assert response.output[0].type == "function_call"


def test_lenient_server_answers_a_history_the_api_would_refuse():
    broken = [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}],
        },
        {"role": "user", "content": "never mind the tool"},
    ]
    with (
        MockServer([CONVERSATION], speed=0) as strict,
        MockServer([CONVERSATION], speed=0, lenient=True) as lenient,
        client_for(strict, "anthropic") as refused,
        client_for(lenient, "anthropic") as accepted,
    ):
        with pytest.raises(anthropic.BadRequestError, match="`tool_use` ids were found without"):
            refused.messages.create(model="m", max_tokens=9, messages=broken)
        message = accepted.messages.create(model="m", max_tokens=9, messages=broken)
    assert message.content[0].text == "Sunny."  # turn 2 of the script


def test_admin_lists_a_conversation_and_its_match_rules():
    matcher = {
        "name": "answer",
        "match": {"turn": 2, "tool_result": {"name": "get_weather", "contains": "sunny"}},
        "reply": [],
    }
    with MockServer([CONVERSATION, matcher]) as server:
        listed = {
            s["name"]: s
            for s in httpx.get(server.url + "/_streamrig/scenarios").json()["scenarios"]
        }
    assert (listed["two_turns"]["kind"], listed["two_turns"]["turns"]) == ("turns", 2)
    assert listed["answer"]["match"] == {
        "turn": 2,
        "tool_result": {"name": "get_weather", "contains": "sunny"},
    }
