"""A request's conversation history, read the same way on every provider.

What a request says about the conversation it continues: its turn (assistant turns
already in its history, plus one), the text a user last typed (tool results are not
user text), and the tool results its latest message carries. Read from the request
alone; the server adds what only it remembers (a Responses `previous_response_id`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..scenario import ToolResult

__all__ = [
    "RESPONSES_OUTPUT_TYPES",
    "History",
    "anthropic_history",
    "chat_history",
    "gemini_history",
    "is_responses_output",
    "responses_history",
    "text_of_content",
]

# Responses input items that are the model's own output (an assistant turn's items).
RESPONSES_OUTPUT_TYPES = frozenset(
    {
        "function_call",
        "reasoning",
        "web_search_call",
        "file_search_call",
        "computer_call",
        "code_interpreter_call",
        "image_generation_call",
        "local_shell_call",
        "custom_tool_call",
        "mcp_call",
        "mcp_list_tools",
        "mcp_approval_request",
    }
)


@dataclass(frozen=True, slots=True)
class History:
    """What a request's history says about its place in a conversation."""

    turn: int = 1  # assistant turns in the history, plus one
    last_user_text: str = ""  # the text a user last typed ('' if none)
    tool_results: tuple[ToolResult, ...] = ()  # results in the latest message(s)
    # The turn before lives on the server: Responses `previous_response_id`, Anthropic
    # `thread: {type: continue, previous_message_id}` (the message-threads beta).
    previous_id: str | None = None


def text_of_content(content: Any) -> str:
    """The text of a message's or tool result's content: a string, or blocks carrying `text`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(block.get("text", "")) for block in content if isinstance(block, Mapping)
        )
    return ""


def _groups(flags: Iterable[bool]) -> int:
    """How many runs of consecutive True values."""
    count, previous = 0, False
    for flag in flags:
        count += flag and not previous
        previous = flag
    return count


def _typed_text(content: Any, text_types: Sequence[str]) -> str | None:
    """A message's typed text, or None when it carries none (e.g. only tool results)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return None
    texts = [
        str(block.get("text", ""))
        for block in content
        if isinstance(block, Mapping) and block.get("type", "text") in text_types
    ]
    return "\n".join(texts) if texts else None


def _last_typed(messages: Iterable[Any], text_types: Sequence[str]) -> str:
    text = ""
    for message in messages:
        if isinstance(message, Mapping) and message.get("role", "user") == "user":
            typed = _typed_text(message.get("content"), text_types)
            if typed is not None:
                text = typed
    return text


def anthropic_history(messages: Sequence[Any], thread: Any = None) -> History:
    """Messages API: assistant messages are turns (a trailing one is a prefill, not a turn);
    with `thread` continuing a message, the server adds the turns behind it."""
    roles = [m.get("role") if isinstance(m, Mapping) else None for m in messages]
    done = roles[:-1] if roles and roles[-1] == "assistant" else roles
    names = {
        block.get("id"): block.get("name")
        for message in messages
        if isinstance(message, Mapping) and message.get("role") == "assistant"
        for block in _blocks(message)
        if block.get("type") == "tool_use"
    }
    results: tuple[ToolResult, ...] = ()
    last = messages[-1] if messages else None
    if isinstance(last, Mapping) and last.get("role") == "user":
        results = tuple(
            ToolResult(
                str(block.get("tool_use_id")),
                names.get(block.get("tool_use_id")),
                text_of_content(block.get("content")),
            )
            for block in _blocks(last)
            if block.get("type") == "tool_result"
        )
    previous = thread.get("previous_message_id") if isinstance(thread, Mapping) else None
    return History(
        turn=_groups(role == "assistant" for role in done) + 1,
        last_user_text=_last_typed(messages, ("text",)),
        tool_results=results,
        previous_id=previous if isinstance(previous, str) else None,
    )


def _blocks(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, Mapping)] if isinstance(content, list) else []


def chat_history(messages: Sequence[Any]) -> History:
    """Chat Completions: assistant messages are turns; `tool` messages answer their calls."""
    roles = [m.get("role") if isinstance(m, Mapping) else None for m in messages]
    names: dict[Any, Any] = {}
    for message in messages:
        if isinstance(message, Mapping) and message.get("role") == "assistant":
            for call in message.get("tool_calls") or []:
                if isinstance(call, Mapping):
                    names[call.get("id")] = (call.get("function") or {}).get("name")
    trailing: list[Mapping[str, Any]] = []
    for message in reversed(messages):
        if not (isinstance(message, Mapping) and message.get("role") in ("tool", "function")):
            break
        trailing.insert(0, message)
    results = tuple(
        ToolResult(
            str(m.get("tool_call_id") or m.get("name")),
            m.get("name") if m.get("role") == "function" else names.get(m.get("tool_call_id")),
            text_of_content(m.get("content")),
        )
        for m in trailing
    )
    return History(
        turn=_groups(role == "assistant" for role in roles) + 1,
        last_user_text=_last_typed(messages, ("text",)),
        tool_results=results,
    )


def is_responses_output(item: Any) -> bool:
    """Whether a Responses input item is the model's output (part of an assistant turn)."""
    if not isinstance(item, Mapping):
        return False
    return item.get("role") == "assistant" or item.get("type") in RESPONSES_OUTPUT_TYPES


def responses_history(given: str | Sequence[Any], previous_response_id: Any = None) -> History:
    """Responses: runs of output items in `input` are turns; the server adds the turns
    behind `previous_response_id`, and the names of calls it alone has seen."""
    previous = previous_response_id if isinstance(previous_response_id, str) else None
    if isinstance(given, str):
        return History(last_user_text=given, previous_id=previous)
    names = {
        item.get("call_id"): item.get("name")
        for item in given
        if isinstance(item, Mapping) and item.get("type") == "function_call"
    }
    trailing: list[Mapping[str, Any]] = []
    for item in reversed(given):
        if not (isinstance(item, Mapping) and item.get("type") == "function_call_output"):
            break
        trailing.insert(0, item)
    results = tuple(
        ToolResult(
            str(i.get("call_id")), names.get(i.get("call_id")), text_of_content(i.get("output"))
        )
        for i in trailing
    )
    typed = [
        item
        for item in given
        if isinstance(item, Mapping)
        and item.get("type", "message") == "message"
        and item.get("role", "user") == "user"
    ]
    return History(
        turn=_groups(is_responses_output(item) for item in given) + 1,
        last_user_text=_last_typed(typed, ("input_text", "text")),
        tool_results=results,
        previous_id=previous,
    )


def _parts(content: Any) -> list[Mapping[str, Any]]:
    parts = content.get("parts") if isinstance(content, Mapping) else None
    return [p for p in parts if isinstance(p, Mapping)] if isinstance(parts, list) else []


def gemini_history(contents: Sequence[Any]) -> History:
    """Gemini `contents`: runs of `model` contents are turns; `functionResponse` parts of
    the user contents after the last one answer its `functionCall`s (by id, else by name)."""
    roles = [c.get("role", "user") if isinstance(c, Mapping) else None for c in contents]
    trailing: list[Any] = []
    for content in reversed(contents):
        if not isinstance(content, Mapping) or content.get("role", "user") != "user":
            break
        trailing.insert(0, content)
    answers = [
        p["functionResponse"]
        for content in trailing
        for p in _parts(content)
        if isinstance(p.get("functionResponse"), Mapping)
    ]
    results = tuple(
        ToolResult(
            str(answer.get("id") or answer.get("name")),
            str(answer["name"]) if isinstance(answer.get("name"), str) else None,
            _response_text(answer.get("response")),
        )
        for answer in answers
    )
    text = ""
    for content in contents:
        if isinstance(content, Mapping) and content.get("role", "user") == "user":
            typed = [str(p["text"]) for p in _parts(content) if isinstance(p.get("text"), str)]
            if typed:
                text = "\n".join(typed)
    return History(
        turn=_groups(role == "model" for role in roles) + 1,
        last_user_text=text,
        tool_results=results,
    )


def _response_text(response: Any) -> str:
    """A functionResponse's `response` as text: its JSON (a lone string: the string)."""
    if isinstance(response, str):
        return response
    return json.dumps(response, ensure_ascii=False, sort_keys=True) if response else ""
