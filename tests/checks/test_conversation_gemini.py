"""A Gemini agent loop (google-genai, sync and async) plays `turns:` and is judged by
check.conversation: a correct loop passes, one that drops the functionResponse or the
thoughtSignature fails saying which content lost what."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import types

from streamrig import MockServer, checks
from tests import gemini_sdk
from tests.checks.test_conversation import problems

WEATHER = {
    "name": "weather",
    "match": {"contains": "weather"},
    "turns": [
        {
            "reply": [
                {"thinking": "Two cities: call the tool twice."},
                {"tool_call": {"name": "get_weather", "input": {"city": "Paris"}}},
                {"tool_call": {"name": "get_weather", "input": {"city": "Rome"}}},
            ]
        },
        {"reply": [{"text": "Sunny in both."}]},
    ],
}
# One scenario per step, selected by the tool result the request carries.
ANSWER = {
    "name": "answer",
    "match": {"tool_result": {"name": "get_clock", "contains": "noon"}},
    "reply": [{"text": "It is noon, as the tool says."}],
}
ASK = {
    "name": "ask",
    "match": {"contains": "time", "turn": 1},
    "reply": [{"tool_call": {"name": "get_clock", "input": {}}}],
}
TOOLS = {"get_weather": lambda args: {"weather": f"sunny in {args['city']}"}}
TOOLS["get_clock"] = lambda args: {"time": "noon"}


@pytest.fixture(scope="module")
def server():
    with MockServer([WEATHER, ASK, ANSWER], speed=0) as running:
        yield running


@pytest.fixture
def gemini(server):
    server.reset()
    return gemini_sdk.client(server.url)


def _model_turn(parts: list[types.Part], broken: str | None) -> types.Content:
    if broken == "drop_signature":
        parts = [part.model_copy(update={"thought_signature": None}) for part in parts]
    return types.Content(role="model", parts=parts)


def _results(calls: list[types.FunctionCall], broken: str | None) -> types.Content:
    answers = [TOOLS[str(call.name)](call.args or {}) for call in calls]
    if broken == "drop_response":  # tells the results as text, not as functionResponse parts
        return types.Content(role="user", parts=[types.Part(text=str(answers))])
    return types.Content(
        role="user",
        parts=[
            types.Part.from_function_response(name=str(call.name), response=answer)
            for call, answer in zip(calls, answers)
        ],
    )


def _parts(chunks: list[types.GenerateContentResponse]) -> list[types.Part]:
    return [
        part
        for chunk in chunks
        for candidate in chunk.candidates or []
        if candidate.content
        for part in candidate.content.parts or []
    ]


def _step(contents: list[types.Content], parts: list[types.Part], broken: str | None) -> str | None:
    """Keep a streamed turn (thoughtSignatures included) and answer its calls; the final
    text once the model calls nothing."""
    contents.append(_model_turn(parts, broken))
    calls = [part.function_call for part in parts if part.function_call]
    if not calls:
        return "".join(p.text or "" for p in parts if not p.thought)
    contents.append(_results(calls, broken))
    return None


def run_loop(gemini: Any, question: str, broken: str | None = None) -> str:
    contents = [types.Content(role="user", parts=[types.Part(text=question)])]
    for _ in range(4):
        stream = gemini.models.generate_content_stream(model=gemini_sdk.MODEL, contents=contents)
        if (answer := _step(contents, _parts(list(stream)), broken)) is not None:
            return answer
    raise AssertionError("the loop did not stop")


async def run_loop_async(gemini: Any, question: str) -> str:
    contents = [types.Content(role="user", parts=[types.Part(text=question)])]
    for _ in range(4):
        stream = await gemini.aio.models.generate_content_stream(
            model=gemini_sdk.MODEL, contents=contents
        )
        if (answer := _step(contents, _parts([c async for c in stream]), None)) is not None:
            return answer
    raise AssertionError("the loop did not stop")


def test_a_correct_loop_plays_every_turn_and_passes(server, gemini):
    assert run_loop(gemini, "Weather in Paris and Rome?") == "Sunny in both."
    assert [entry.turn for entry in server.journal.entries()] == [1, 2]
    assert checks.conversation(server).follow_ups == 1


async def test_a_correct_async_loop_passes(server):
    server.reset()
    gemini = gemini_sdk.client(server.url)
    assert await run_loop_async(gemini, "Weather in Paris and Rome?") == "Sunny in both."
    assert checks.conversation(server).follow_ups == 1


def test_a_chat_session_passes(server, gemini):
    chat = gemini.chats.create(model=gemini_sdk.MODEL)
    parts = _parts(list(chat.send_message_stream("Weather in Paris and Rome?")))
    calls = [part.function_call for part in parts if part.function_call]
    chunks = list(chat.send_message_stream(_results(calls, None).parts))
    assert "".join(chunk.text or "" for chunk in chunks) == "Sunny in both."
    assert checks.conversation(server).follow_ups == 1


def test_match_tool_result_reads_the_function_response(server, gemini):
    assert run_loop(gemini, "What time is it?") == "It is noon, as the tool says."
    assert [entry.scenario for entry in server.journal.entries()] == ["ask", "answer"]
    checks.conversation(server)


def test_a_loop_that_drops_the_function_response_fails(server, gemini):
    run_loop(gemini, "Weather in Paris and Rome?", broken="drop_response")
    text = problems(server)
    assert "(turn 2, POST /v1/models/gemini-test:streamGenerateContent) continues" in text
    assert (
        "contents[2]: expected a user content with a functionResponse part for each "
        'functionCall (get_weather({"city": "Paris"}), get_weather({"city": "Rome"})), '
        "got a user content without one: the tool results were left out"
    ) in text


def test_a_loop_that_drops_the_thought_signature_fails(server, gemini):
    run_loop(gemini, "Weather in Paris and Rome?", broken="drop_signature")
    text = problems(server)
    assert (
        "contents[1] (model): the thoughtSignature streamed on the functionCall get_weather "
        "is missing; the turn called a function, so the API needs every signature back"
    ) in text
    assert "got:      functionCall get_weather without a thoughtSignature" in text
