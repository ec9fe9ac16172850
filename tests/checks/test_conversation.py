"""checks.conversation outside pytest: each way a follow-up can misquote a turn, named.

The server is lenient here, so the broken follow-ups reach it and the check, not the
server's own refusal, has to say what is wrong.
"""

from __future__ import annotations

import anthropic
import openai
import pytest

from streamrig import CheckFailed, MockServer, UsageError, checks
from tests.conftest import KEY

PARALLEL = {
    "name": "parallel",
    "turns": [
        {
            "reply": [
                {"thinking": "Two cities."},
                {"tool_call": {"name": "get_weather", "input": {"city": "Paris"}}},
                {"tool_call": {"name": "get_weather", "input": {"city": "Rome"}}},
            ]
        },
        {"reply": [{"text": "Both sunny."}]},
        {"reply": [{"text": "Anything else?"}]},
    ],
}
QUESTION = {"role": "user", "content": "Weather in Paris and Rome?"}


@pytest.fixture(scope="module")
def server():
    with MockServer([PARALLEL], speed=0, lenient=True) as running:
        yield running


@pytest.fixture
def first(server):
    """Turn 1, asked without streaming: the assistant content a client must carry."""
    server.reset()
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client:
        message = client.messages.create(model="m", max_tokens=99, messages=[QUESTION])
        blocks = [block.model_dump(exclude_none=True) for block in message.content]
        yield client, blocks


def follow_up(client, assistant, results):
    client.messages.create(
        model="m",
        max_tokens=99,
        messages=[QUESTION, {"role": "assistant", "content": assistant}, *results],
    )


def result(block, text="sunny"):
    return {"type": "tool_result", "tool_use_id": block["id"], "content": text}


def problems(server):
    with pytest.raises(CheckFailed) as caught:
        checks.conversation(server)
    return str(caught.value)


def test_a_correct_follow_up_passes(server, first):
    client, blocks = first
    follow_up(client, blocks, [{"role": "user", "content": [result(blocks[1]), result(blocks[2])]}])
    assert checks.conversation(server).follow_ups == 1


def test_results_split_across_messages(server, first):
    client, blocks = first
    split = [
        {"role": "user", "content": [result(blocks[1])]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [result(blocks[2])]},
    ]
    follow_up(client, blocks, split)
    assert "it is answered in message 4: all results belong in the next message" in problems(server)


def test_text_before_the_results(server, first):
    client, blocks = first
    content = [{"type": "text", "text": "Here:"}, result(blocks[1]), result(blocks[2])]
    follow_up(client, blocks, [{"role": "user", "content": content}])
    assert "message 2: the tool_result for toolu_" in problems(server)
    assert "comes after text (block 0); all results go first" in problems(server)


def test_a_result_answered_twice(server, first):
    client, blocks = first
    twice = [result(blocks[1]), result(blocks[2]), result(blocks[2], "again")]
    follow_up(client, blocks, [{"role": "user", "content": twice}])
    assert f"message 2: {blocks[2]['id']} is answered twice" in problems(server)


def test_a_changed_tool_input(server, first):
    client, blocks = first
    changed = [blocks[0], {**blocks[1], "input": {"city": "Lyon"}}, blocks[2]]
    follow_up(
        client, changed, [{"role": "user", "content": [result(blocks[1]), result(blocks[2])]}]
    )
    text = problems(server)
    assert "message 1 (assistant): tool call 0 has another input than was streamed" in text
    assert 'expected: get_weather({"city": "Paris"})' in text
    assert 'got:      get_weather({"city": "Lyon"})' in text


def test_a_changed_signature(server, first):
    client, blocks = first
    forged = [{**blocks[0], "signature": "forged"}, *blocks[1:]]
    follow_up(client, forged, [{"role": "user", "content": [result(blocks[1]), result(blocks[2])]}])
    assert "the thinking block's signature is not the one streamed" in problems(server)


def test_a_turn_left_out(server, first):
    client, _ = first
    client.messages.create(
        model="m", max_tokens=99, messages=[QUESTION, {"role": "user", "content": "Well?"}]
    )
    assert "message 1: expected the assistant turn streamed to request #" in problems(server)
    assert "the turn was left out" in problems(server)


def test_partial_must_be_drop_keep_or_none(server):
    with pytest.raises(UsageError, match="partial='yes'; use 'drop', 'keep' or None"):
        checks.conversation(server, partial="yes")


def test_chat_and_responses_duplicates():
    scenario = {
        "name": "one_call",
        "turns": [
            {"reply": [{"tool_call": {"name": "get_weather", "input": {"city": "Paris"}}}]},
            {"reply": [{"text": "Sunny."}]},
        ],
    }
    with (
        MockServer([scenario], speed=0, lenient=True) as server,
        openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0) as client,
    ):
        ask = [{"role": "user", "content": "Weather?"}]
        completion = client.chat.completions.create(model="m", messages=ask)
        call = completion.choices[0].message.tool_calls[0]
        carried = completion.choices[0].message.model_dump(exclude_none=True)
        answer = {"role": "tool", "tool_call_id": call.id, "content": "sunny"}
        client.chat.completions.create(model="m", messages=[*ask, carried, answer, answer])
        assert f"message 3: {call.id} is answered twice" in problems(server)

        server.reset()
        response = client.responses.create(model="m", input="Weather?")
        items = [item.model_dump(exclude_none=True) for item in response.output]
        output = {"type": "function_call_output", "call_id": items[0]["call_id"], "output": "x"}
        question = {"role": "user", "content": "Weather?"}
        client.responses.create(model="m", input=[question, *items, output, output])
        assert f"input[3]: {output['call_id']} is answered twice (also input[2])" in problems(
            server
        )
