"""Follow-up requests the real APIs reject, answered with their own 400 wording.

Only rules the real API is shown to enforce are here; each message is the API's own,
quoted with its source in docs/wire.md ("Conversations"). streamrig must never refuse
a request the real API accepts, so where the API's exact scope is unknown the rule is
drawn narrower, never wider. `serve --lenient` turns all of them off.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ..scenario import Provider
from ._base import RequestError

__all__ = ["HistoryRejected", "history_problem"]

_THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"


class HistoryRejected(RequestError):
    """A follow-up whose history the real API refuses; `param` and `code` as OpenAI gives them."""

    def __init__(self, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(400, message, "invalid_request_error")
        self.param, self.code = param, code


def history_problem(
    provider: Provider,
    body: Mapping[str, Any],
    pending_calls: Collection[str] | None = (),
    known_calls: Collection[str] = (),
) -> HistoryRejected | None:
    """The first rule this request breaks, or None. `pending_calls` are the calls of the
    answer the request continues on the server (Responses `previous_response_id`, an
    Anthropic thread's `previous_message_id`); `known_calls` every call of that
    conversation so far; None when the request continues an answer this server never
    gave (then what it answers cannot be checked)."""
    if provider is Provider.ANTHROPIC:
        messages = body.get("messages")
        if not isinstance(messages, list):
            return None
        if isinstance(body.get("thread"), Mapping) and body["thread"].get("type") == "continue":
            # The history before lives on the server; the first messages answer its calls.
            if pending_calls is None:
                return None  # a thread this server does not hold: nothing to check against
            return _anthropic(messages, None, first_answers=pending_calls)
        return _anthropic(messages, body.get("thinking"))
    if provider is Provider.OPENAI_CHAT:
        messages = body.get("messages")
        return _chat(messages) if isinstance(messages, list) else None
    if provider is Provider.GEMINI:
        # Gemini 3 refuses a current-turn functionCall without its thoughtSignature, but the
        # server cannot tell a dropped signature from one it never streamed: check.conversation
        # judges that (docs/wire.md "Gemini").
        return None
    if body.get("conversation") is not None:
        return None  # the history lives in a stored Conversation, unknown here
    given = body.get("input")
    return _responses(given if isinstance(given, list) else [], pending_calls or (), known_calls)


def _blocks(message: Any) -> list[Mapping[str, Any]]:
    content = message.get("content") if isinstance(message, Mapping) else None
    return [b for b in content if isinstance(b, Mapping)] if isinstance(content, list) else []


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, Mapping) else None


def _anthropic(
    messages: Sequence[Any], thinking: Any, first_answers: Collection[str] | None = None
) -> HistoryRejected | None:
    """The API merges consecutive messages of one role, so a run of user messages is read
    as one: results in any of them answer the assistant message before the run."""
    for index, message in enumerate(messages):
        if _role(message) == "user":
            start = index
            while start > 0 and _role(messages[start - 1]) == "user":
                start -= 1
            before = messages[start - 1] if start > 0 else None
            asked: set[Any] = {b.get("id") for b in _blocks(before) if b.get("type") == "tool_use"}
            if start == 0:
                asked = set(first_answers or ())
            for position, block in enumerate(_blocks(message)):
                if block.get("type") == "tool_result" and block.get("tool_use_id") not in asked:
                    return HistoryRejected(
                        f"messages.{index}.content.{position}: unexpected `tool_use_id` found in "
                        f"`tool_result` blocks: {block.get('tool_use_id')}. Each `tool_result` block "
                        "must have a corresponding `tool_use` block in the previous message."
                    )
        if _role(message) != "assistant" or index == len(messages) - 1:
            continue
        calls = [b.get("id") for b in _blocks(message) if b.get("type") == "tool_use"]
        answered = set()
        for following in messages[index + 1 :]:
            if _role(following) != "user":
                break
            answered |= {
                b.get("tool_use_id") for b in _blocks(following) if b.get("type") == "tool_result"
            }
        missing = [str(call) for call in calls if call not in answered]
        if missing:
            return HistoryRejected(
                f"messages.{index}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                "corresponding `tool_result` block in the next message."
            )
    return _anthropic_thinking(messages, thinking)


def _anthropic_thinking(messages: Sequence[Any], thinking: Any) -> HistoryRejected | None:
    """With thinking on, the assistant message of the tool loop in progress (the one whose
    tool_use the final user message answers) must open with its thinking block."""
    enabled = isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive")
    if not enabled or len(messages) < 2 or _role(messages[-1]) != "user":
        return None
    if not any(b.get("type") == "tool_result" for b in _blocks(messages[-1])):
        return None
    index = len(messages) - 2
    blocks = _blocks(messages[index])
    if _role(messages[index]) != "assistant" or not blocks:
        return None
    if not any(b.get("type") == "tool_use" for b in blocks):
        return None
    first = blocks[0].get("type")
    if first in ("thinking", "redacted_thinking"):
        return None
    return HistoryRejected(
        f"messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
        f"`{first}`. When `thinking` is enabled, a final `assistant` message must start with a "
        "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). "
        "We recommend you include thinking blocks from previous turns. To avoid this "
        f"requirement, disable `thinking`. Please consult our documentation at {_THINKING_DOCS}"
    )


def _chat(messages: Sequence[Any]) -> HistoryRejected | None:
    pending: list[str] = []  # calls of the last assistant message not yet answered
    asked: set[str] = set()
    for index, message in enumerate(messages):
        role = _role(message)
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not asked:
                return HistoryRejected(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    param=f"messages.[{index}].role",
                )
            if call_id not in asked:
                return HistoryRejected(
                    f"Invalid parameter: 'tool_call_id' of '{call_id}' not found in 'tool_calls' "
                    "of previous message."
                )
            pending = [p for p in pending if p != call_id]
            continue
        if pending:
            return _unanswered_chat(pending, index)
        calls = message.get("tool_calls") if role == "assistant" else None
        ids = [str(c.get("id")) for c in calls or [] if isinstance(c, Mapping)]
        pending, asked = list(ids), set(ids)
    return None


def _unanswered_chat(pending: list[str], index: int) -> HistoryRejected:
    return HistoryRejected(
        "An assistant message with 'tool_calls' must be followed by tool messages responding "
        "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
        + ", ".join(pending),
        param=f"messages.[{index}].role",
    )


def _responses(
    given: Sequence[Any], pending_calls: Collection[str], known_calls: Collection[str]
) -> HistoryRejected | None:
    items = [item for item in given if isinstance(item, Mapping)]
    calls = [str(i.get("call_id")) for i in items if i.get("type") == "function_call"]
    outputs = [str(i.get("call_id")) for i in items if i.get("type") == "function_call_output"]
    known = {*calls, *known_calls}
    for call_id in outputs:
        if call_id not in known:
            return HistoryRejected(
                f"No tool call found for function call output with call_id {call_id}.",
                param="input",
            )
    for call_id in [*pending_calls, *calls]:
        if call_id not in outputs:
            return HistoryRejected(
                f"No tool output found for function call {call_id}.", param="input"
            )
    return None
