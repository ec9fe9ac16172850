"""The agent loop, on every provider, judged by check.conversation."""

from __future__ import annotations

import re
import threading

import anthropic
import openai
import pytest

from streamrig import CheckFailed
from tests.examples.agent_loop import AgentLoop, StreamFailed

TOOLS = {
    "get_weather": lambda args: f"sunny in {args['city']}",
    "get_time": lambda args: f"15:00 in {args['city']}",
}
ANSWER = "It is sunny in Paris, and 15:00 there."
PROVIDERS = ["anthropic", "chat", "responses", "responses-chained"]


@pytest.fixture
def loop_for(anthropic_client, openai_client):
    def make(provider, **options):
        chained = provider == "responses-chained"
        provider = "responses" if chained else provider
        client = anthropic_client if provider == "anthropic" else openai_client
        return AgentLoop(client, provider, TOOLS, previous_response_id=chained, **options)

    return make


@pytest.fixture
def lenient(streamrig):
    """The server accepts what the real API would refuse, so the check sees the bug."""
    streamrig.server.state.lenient = True
    yield
    streamrig.server.state.lenient = False


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.streamrig("weather_agent")
def test_three_turn_loop_passes_check_conversation(streamrig, loop_for, provider):
    loop = loop_for(provider)
    assert loop.ask("What is the weather in Paris, and the time?") == ANSWER
    assert loop.ran == [("get_weather", {"city": "Paris"}), ("get_time", {"city": "Paris"})]
    seen = streamrig.check.conversation()
    assert (seen.requests, seen.follow_ups) == (3, 2)
    assert [(e.turn, e.status) for e in streamrig.journal] == [(1, 200), (2, 200), (3, 200)]


@pytest.mark.parametrize("provider", ["anthropic", "responses"])
@pytest.mark.streamrig("weather_agent_thinking")
def test_thinking_loop_passes(streamrig, loop_for, provider):
    loop = loop_for(provider, thinking=True)
    assert loop.ask("Weather and time in Paris?") == ANSWER
    streamrig.check.conversation()


@pytest.mark.streamrig("weather_agent_thinking")
def test_dropped_thinking_block_is_refused_as_the_api_does(streamrig, loop_for):
    loop = loop_for("anthropic", thinking=True, broken="drop_thinking")
    with pytest.raises(anthropic.BadRequestError) as caught:
        loop.ask("Weather and time in Paris?")
    assert caught.value.body["error"]["message"].startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`."
    )


@pytest.mark.streamrig("weather_agent_thinking")
def test_dropped_thinking_block_fails_the_check(streamrig, loop_for, lenient):
    loop_for("anthropic", thinking=True, broken="drop_thinking").ask("Weather?")
    with pytest.raises(CheckFailed) as caught:
        streamrig.check.conversation()
    text = str(caught.value)
    assert re.search(
        r"request #\d+ \(turn 2, POST /v1/messages\) continues request #\d+ \(turn 1\)", text
    )
    assert "message 1 (assistant): the thinking block is missing; the turn called a tool" in text
    assert "expected: thinking 'The user wants the weather in Paris; call the tool.'" in text


@pytest.mark.parametrize(
    ("provider", "refusal"),
    [
        ("anthropic", "messages.1: `tool_use` ids were found without `tool_result` blocks"),
        ("chat", "Invalid parameter: 'tool_call_id' of 'call_"),
        ("responses", "No tool call found for function call output with call_id"),
    ],
)
@pytest.mark.streamrig("weather_agent")
def test_wrong_tool_result_id_is_refused_as_the_api_does(streamrig, loop_for, provider, refusal):
    loop = loop_for(provider, broken="wrong_id")
    errors = (anthropic.BadRequestError, openai.BadRequestError)
    with pytest.raises(errors) as caught:
        loop.ask("Weather?")
    assert refusal in str(caught.value)
    assert streamrig.journal[-1].status == 400


@pytest.mark.parametrize(
    ("provider", "problem"),
    [
        ("anthropic", "message 2: block 0 answers toolu_"),
        ("chat", "message 2: a tool message for call_"),
        ("responses", "no function_call_output for get_weather"),
    ],
)
@pytest.mark.streamrig("weather_agent")
def test_wrong_tool_result_id_fails_the_check(streamrig, loop_for, lenient, provider, problem):
    loop_for(provider, broken="wrong_id").ask("Weather?")
    with pytest.raises(CheckFailed) as caught:
        streamrig.check.conversation()
    assert problem in str(caught.value)


@pytest.mark.parametrize("provider", ["anthropic", "chat", "responses"])
@pytest.mark.streamrig("chat_then_cancel")
def test_cancelled_partial_reply(streamrig, loop_for, provider):
    correct = loop_for(provider)
    correct.cancel_after = 3
    correct.ask("Tell me about the weather in Paris.")
    correct.ask("Shorter, please.")
    assert streamrig.journal[0].outcome.value == "client_closed"
    streamrig.check.conversation(partial="drop")
    with pytest.raises(CheckFailed, match="partial='keep' wants the part that came kept"):
        streamrig.check.conversation(partial="keep")


@pytest.mark.parametrize("provider", ["anthropic", "chat", "responses"])
@pytest.mark.streamrig("chat_then_cancel")
def test_kept_partial_reply_fails_partial_drop(streamrig, loop_for, provider):
    broken = loop_for(provider, broken="keep_partial")
    broken.cancel_after = 3
    broken.ask("Tell me about the weather in Paris.")
    broken.ask("Shorter, please.")
    streamrig.check.conversation()  # not judged by default
    streamrig.check.conversation(partial="keep")
    with pytest.raises(CheckFailed) as caught:
        streamrig.check.conversation(partial="drop")
    text = str(caught.value)
    assert re.search(r"request #\d+ was abandoned \(client_closed after \d+ frame\(s\)\)", text)
    assert (
        "partial='drop' wants the partial reply left out of the history, but the client kept it: 'Paris has"
        in text
    )


@pytest.mark.parametrize("provider", ["anthropic", "chat", "responses", "responses-chained"])
@pytest.mark.streamrig("weather_agent_flaky")
def test_fault_on_turn_two_is_retried_without_rerunning_turn_one(streamrig, loop_for, provider):
    loop = loop_for(provider)
    assert loop.ask("Weather and time?") == ANSWER
    assert [name for name, _ in loop.ran] == ["get_weather", "get_time"]  # each ran once
    journal = streamrig.journal
    assert [(e.turn, e.attempt, e.outcome.value) for e in journal] == [
        (1, 1, "completed"),
        (2, 1, "error_event"),
        (2, 2, "completed"),
        (3, 1, "completed"),
    ]
    assert journal[1].body == journal[2].body  # the retry carried the same history
    streamrig.check.conversation()


@pytest.mark.streamrig("weather_agent_flaky")
def test_retry_that_reruns_turn_one_tools_fails_the_check(streamrig, loop_for):
    loop = loop_for("anthropic", broken="rerun_tools")
    with pytest.raises(StreamFailed):  # a changed body is a new request: the fault strikes again
        loop.ask("Weather and time?")
    assert [name for name, _ in loop.ran].count("get_weather") == 3
    with pytest.raises(CheckFailed, match=r"message 2: toolu_\w+ is answered twice"):
        streamrig.check.conversation()


@pytest.mark.streamrig("weather_agent")
def test_concurrent_conversations_on_one_server_do_not_cross(streamrig, loop_for):
    loops = [loop_for(p) for p in ("anthropic", "chat", "responses") for _ in range(2)]
    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda lp=lp: answers.append(lp.ask("Weather and time?")))
        for lp in loops
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [ANSWER] * 6
    assert sorted(e.turn for e in streamrig.journal) == [1] * 6 + [2] * 6 + [3] * 6
    streamrig.check.conversation()


@pytest.mark.streamrig("weather_agent")
def test_past_the_last_turn_is_a_loud_400(streamrig, anthropic_client):
    loop = AgentLoop(anthropic_client, "anthropic", TOOLS)
    loop.ask("Weather?")
    loop.history.append({"role": "user", "content": "And again?"})
    with pytest.raises(anthropic.BadRequestError) as caught:
        loop.ask("And tomorrow?")
    assert "scenario 'weather_agent' scripts 3 turn(s), and this request is turn 4" in str(
        caught.value
    )
