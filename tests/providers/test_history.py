"""A request's history read the same way on every provider: turn, user text, tool results;
and the follow-ups the real APIs refuse, with their own wording."""

from __future__ import annotations

import pytest

from streamrig.providers import HistoryRejected, history_problem, wire_format
from streamrig.scenario import Provider, ToolResult

QUESTION = "What is the weather in Paris?"

# One tool loop, at turn 2, as each provider's client sends it.
ANTHROPIC = [
    {"role": "user", "content": QUESTION},
    {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "call it", "signature": "Er1"},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
        ],
    },
    {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}],
    },
]
CHAT = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": QUESTION},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
]
RESPONSES = [
    {"role": "user", "content": [{"type": "input_text", "text": QUESTION}]},
    {"type": "reasoning", "id": "rs_1", "summary": []},
    {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
]


def parse(provider, history):
    key = "input" if provider is Provider.OPENAI_RESPONSES else "messages"
    return wire_format(provider).parse_request({"model": "m", key: history}).history


@pytest.mark.parametrize(
    ("provider", "history"),
    [
        (Provider.ANTHROPIC, ANTHROPIC),
        (Provider.OPENAI_CHAT, CHAT),
        (Provider.OPENAI_RESPONSES, RESPONSES),
    ],
)
def test_a_tool_result_turn_reads_alike_on_every_provider(provider, history):
    read = parse(provider, history)
    assert read.turn == 2
    # Tool results are not user text: the user last typed the question.
    assert read.last_user_text == QUESTION
    assert read.tool_results == (ToolResult(read.tool_results[0].id, "get_weather", "sunny"),)


def test_text_typed_after_the_results_is_the_user_text():
    history = [
        *ANTHROPIC[:2],
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [{"type": "text", "text": "sunny"}],
                },
                {"type": "text", "text": "And tomorrow?"},
            ],
        },
    ]
    read = parse(Provider.ANTHROPIC, history)
    assert (read.last_user_text, read.tool_results[0].content) == ("And tomorrow?", "sunny")


def test_a_trailing_assistant_message_is_a_prefill_not_a_turn():
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hel"}]
    assert parse(Provider.ANTHROPIC, history).turn == 1


def test_responses_turns_are_runs_of_output_items():
    history = [
        *RESPONSES,
        {"role": "assistant", "content": "It is sunny."},
        {"role": "user", "content": "Thanks"},
    ]
    read = parse(Provider.OPENAI_RESPONSES, history)
    assert (read.turn, read.last_user_text, read.tool_results) == (3, "Thanks", ())
    chained = wire_format(Provider.OPENAI_RESPONSES).parse_request(
        {"input": RESPONSES[3:], "previous_response_id": "resp_1"}
    )
    assert chained.history.previous_id == "resp_1"
    assert chained.history.tool_results[0].name is None  # only the server knows it


def test_correct_follow_ups_are_accepted():
    parallel = [
        {"role": "user", "content": "x"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "a", "name": "f", "input": {}},
                {"type": "tool_use", "id": "b", "name": "f", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "a"},
                {"type": "tool_result", "tool_use_id": "b"},
                {"type": "text", "text": "go on"},
            ],
        },
    ]
    prefill = [parallel[0], parallel[1]]  # a trailing assistant message is a prefill
    assert history_problem(Provider.ANTHROPIC, {"messages": parallel}) is None
    assert history_problem(Provider.ANTHROPIC, {"messages": prefill}) is None
    thinking = {"messages": ANTHROPIC, "thinking": {"type": "enabled", "budget_tokens": 1024}}
    assert history_problem(Provider.ANTHROPIC, thinking) is None
    assert history_problem(Provider.OPENAI_CHAT, {"messages": CHAT}) is None
    assert history_problem(Provider.OPENAI_RESPONSES, {"input": RESPONSES}) is None
    chained = {"input": RESPONSES[3:], "previous_response_id": "resp_1"}
    assert history_problem(Provider.OPENAI_RESPONSES, chained, ["call_1"], {"call_1"}) is None


def refusal(provider, body, *args):
    problem = history_problem(provider, body, *args)
    assert isinstance(problem, HistoryRejected)
    return problem


def test_anthropic_refusals_in_the_apis_words():
    answered_wrong = [
        *ANTHROPIC[:2],
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9"}]},
    ]
    assert refusal(Provider.ANTHROPIC, {"messages": answered_wrong}).message == (
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: "
        "toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    )
    orphan = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9"}]}]
    assert refusal(Provider.ANTHROPIC, {"messages": orphan}).message == (
        "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
    )
    no_thinking = [
        ANTHROPIC[0],
        {"role": "assistant", "content": ANTHROPIC[1]["content"][1:]},
        ANTHROPIC[2],
    ]
    body = {"messages": no_thinking, "thinking": {"type": "enabled", "budget_tokens": 1024}}
    assert refusal(Provider.ANTHROPIC, body).message.startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`."
    )
    assert history_problem(Provider.ANTHROPIC, {"messages": no_thinking}) is None  # thinking off


def test_chat_refusals_in_the_apis_words():
    unanswered = [*CHAT[:3], {"role": "user", "content": "well?"}]
    problem = refusal(Provider.OPENAI_CHAT, {"messages": unanswered})
    assert problem.message == (
        "An assistant message with 'tool_calls' must be followed by tool messages responding to "
        "each 'tool_call_id'. The following tool_call_ids did not have response messages: call_1"
    )
    assert problem.param == "messages.[3].role"
    stray = [CHAT[1], {"role": "tool", "tool_call_id": "call_1", "content": "x"}]
    assert refusal(Provider.OPENAI_CHAT, {"messages": stray}).message == (
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
        "with 'tool_calls'."
    )
    wrong = [*CHAT[:3], {"role": "tool", "tool_call_id": "call_9", "content": "x"}]
    assert refusal(Provider.OPENAI_CHAT, {"messages": wrong}).message == (
        "Invalid parameter: 'tool_call_id' of 'call_9' not found in 'tool_calls' of previous message."
    )


def test_responses_refusals_in_the_apis_words():
    unanswered = {"input": RESPONSES[:3]}
    assert refusal(Provider.OPENAI_RESPONSES, unanswered).message == (
        "No tool output found for function call call_1."
    )
    orphan = {"input": [RESPONSES[0], {**RESPONSES[3], "call_id": "call_9"}]}
    problem = refusal(Provider.OPENAI_RESPONSES, orphan)
    assert (problem.message, problem.param) == (
        "No tool call found for function call output with call_id call_9.",
        "input",
    )
    chained = {"input": "and now?", "previous_response_id": "resp_1"}
    assert refusal(Provider.OPENAI_RESPONSES, chained, ["call_1"], {"call_1"}).message == (
        "No tool output found for function call call_1."
    )


def test_what_the_api_accepts_and_a_narrow_rule_would_not():
    # The API merges consecutive user messages: results in the second still answer.
    merged = [
        *ANTHROPIC[:2],
        {"role": "user", "content": "Here are the results:"},
        ANTHROPIC[2],
    ]
    assert history_problem(Provider.ANTHROPIC, {"messages": merged}) is None
    # A thread (or Responses conversation) this server does not hold: nothing to check.
    thread = {
        "messages": [ANTHROPIC[2]],
        "thread": {"type": "continue", "previous_message_id": "msg_x"},
    }
    assert history_problem(Provider.ANTHROPIC, thread, None) is None
    assert history_problem(Provider.ANTHROPIC, thread, ["toolu_1"]) is None
    assert history_problem(Provider.ANTHROPIC, thread, ["toolu_2"]) is not None
    stored = {"input": RESPONSES[3:], "conversation": "conv_1"}
    assert history_problem(Provider.OPENAI_RESPONSES, stored) is None
