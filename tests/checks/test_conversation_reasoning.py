"""Responses reasoning items: a loop that calls a function must send the turn's reasoning
item back (with its encrypted_content when it asked for one); check.conversation says so.
Driven by the openai SDK, sync and async, against the real server."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from streamrig import MockServer, checks
from tests.checks.test_conversation import problems
from tests.conftest import KEY

AGENT = {
    "name": "agent",
    "turns": [
        {
            "reply": [
                {"thinking": "The user wants the weather: call the tool."},
                {"tool_call": {"name": "get_weather", "input": {"city": "Paris"}}},
            ]
        },
        {"reply": [{"text": "Sunny in Paris."}]},
    ],
}
QUESTION = {"role": "user", "content": "Weather in Paris?"}


@pytest.fixture(scope="module")
def server():
    with MockServer([AGENT], speed=0, lenient=True) as running:
        yield running


@pytest.fixture
def client(server):
    server.reset()
    with openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0) as opened:
        yield opened


def _stream(client: Any, given: list[Any], **options: Any) -> Any:
    with client.responses.stream(model="m", input=given, **options) as stream:
        return stream.get_final_response()


def run_loop(client: Any, broken: str | None = None, stateless: bool = True) -> str:
    """Stream a turn, keep its output items in the history, answer the calls, repeat."""
    options: dict[str, Any] = {"store": False} if stateless else {}
    given: list[Any] = [QUESTION]
    for _ in range(4):
        response = _stream(client, given, **options)
        items = [item.model_dump(exclude_none=True) for item in response.output]
        if broken == "drop_reasoning":
            items = [item for item in items if item["type"] != "reasoning"]
        if broken == "drop_encrypted":
            items = [{k: v for k, v in i.items() if k != "encrypted_content"} for i in items]
        given += items
        calls = [item for item in items if item["type"] == "function_call"]
        if not calls:
            return response.output_text
        given += [
            {"type": "function_call_output", "call_id": c["call_id"], "output": "sunny"}
            for c in calls
        ]
    raise AssertionError("the loop did not stop")


def test_the_reasoning_item_carries_encrypted_content_once_done(server, client):
    with client.responses.stream(model="m", input=[QUESTION]) as stream:
        events = list(stream)
    added, done = (
        e.item
        for e in events
        if e.type.startswith("response.output_item.") and e.item.type == "reasoning"
    )
    assert added.encrypted_content is None
    assert done.encrypted_content and done.encrypted_content.startswith("gAAAAA")
    assert stream.get_final_response().output[0].encrypted_content == done.encrypted_content


@pytest.mark.parametrize("stateless", [True, False])
def test_a_correct_loop_passes(server, client, stateless):
    assert run_loop(client, stateless=stateless) == "Sunny in Paris."
    assert checks.conversation(server).follow_ups == 1


async def test_a_correct_async_chained_loop_passes(server):
    server.reset()
    client = openai.AsyncOpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0)
    first = await client.responses.create(model="m", input=[QUESTION], stream=False)
    call = next(item for item in first.output if item.type == "function_call")
    answer = {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}
    stream = await client.responses.create(
        model="m", input=[answer], previous_response_id=first.id, stream=True
    )
    async for _ in stream:
        pass
    await client.close()
    assert checks.conversation(server).follow_ups == 1


def test_a_loop_that_drops_the_reasoning_item_fails(server, client):
    run_loop(client, broken="drop_reasoning")
    text = problems(server)
    assert "input[1] (assistant): the reasoning item rs_" in text
    assert (
        "is missing; the turn called a function, so the API needs its reasoning item back "
        "before the function_call"
    ) in text


def test_a_loop_that_drops_the_encrypted_content_fails(server, client):
    run_loop(client, broken="drop_encrypted")
    text = problems(server)
    assert "lost its encrypted_content; a stateless loop (store: false) must send it back" in text
    assert "expected: encrypted_content 'gAAAAA" in text
    assert "got:      none" in text
