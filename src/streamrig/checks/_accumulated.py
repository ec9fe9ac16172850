"""check.accumulated: did the client put the reply back together as the server sent it?"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._errors import CheckFailed, UsageError
from ..scenario import Provider
from ..server import JournalEntry
from ._diff import text_difference, tool_call_difference
from ._neutral import (
    Accumulated,
    ToolCall,
    neutral,
    parse_arguments,
    provider_of,
    same_stop,
    to_mapping,
)
from ._sent import JournalSource, last_stream, sent_message

__all__ = ["UNSET", "accumulated", "describe_entry", "tool_calls_of"]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

Adapter = Callable[[Any], Mapping[str, Any]]
FIELDS = ("text", "tool_calls", "thinking", "refusal", "stop_reason")


def accumulated(
    source: JournalSource,
    produced: Any = None,
    *,
    text: Any = UNSET,
    tool_calls: Any = UNSET,
    thinking: Any = UNSET,
    refusal: Any = UNSET,
    stop_reason: Any = UNSET,
    adapter: Adapter | None = None,
    request: JournalEntry | None = None,
) -> Accumulated:
    """Compare what the client accumulated with what the server sent in the last answer.

    `produced` is an SDK final object (Anthropic `Message`, OpenAI `ChatCompletion`,
    `Response`), or your own object with `adapter(obj) -> {"text": ..., "tool_calls": ...}`.
    Keywords give fields directly; only fields given are compared. Returns what the
    server sent, in neutral form.
    """
    __tracebackhide__ = True
    entry = request or last_stream(source)
    provider = Provider(entry.provider) if entry.provider else None
    expected = neutral(sent_message(entry), provider)
    got = _produced_fields(produced, adapter, provider)
    explicit = {
        "text": text,
        "tool_calls": tool_calls,
        "thinking": thinking,
        "refusal": refusal,
        "stop_reason": stop_reason,
    }
    got.update({k: v for k, v in explicit.items() if v is not UNSET})
    if not got:
        raise UsageError(
            "check.accumulated: give the client's result (an SDK object) or at least one of text=, tool_calls=, thinking=, refusal=, stop_reason="
        )
    problems = list(_problems(expected, got))
    if problems:
        raise CheckFailed(
            f"streamrig: the client's accumulated reply differs from what the server sent\n"
            f"  ({describe_entry(entry)})\n  " + "\n  ".join(problems)
        )
    return expected


def _produced_fields(
    produced: Any, adapter: Adapter | None, provider: Provider | None
) -> dict[str, Any]:
    if produced is None:
        return {}
    if adapter is not None:
        return _adapted(adapter(produced))
    mapping = to_mapping(produced)
    kind = provider_of(mapping) if mapping is not None else None
    if mapping is None or kind is None:
        raise UsageError(
            f"check.accumulated: cannot read a {type(produced).__name__}; pass an SDK final object, "
            "keywords (text=..., tool_calls=...), or adapter=lambda obj: {'text': ..., 'tool_calls': ...}"
        )
    if provider is not None and kind is not provider:
        raise UsageError(
            f"check.accumulated: got a {kind.label} result, but the last request went to {provider.label}"
        )
    fields = neutral(mapping, kind)
    return {name: getattr(fields, name) for name in FIELDS}


def _adapted(fields: Any) -> dict[str, Any]:
    """What an adapter returned: only fields this check compares, at least one of them."""
    if not isinstance(fields, Mapping):
        raise UsageError(
            f"check.accumulated: the adapter returned a {type(fields).__name__}; return a dict "
            f"with some of {', '.join(FIELDS)}"
        )
    unknown = [repr(name) for name in fields if name not in FIELDS]
    if unknown or not fields:
        returned = (
            f"{', '.join(unknown)}, which this check does not compare (a typo?)"
            if unknown
            else "no field, so nothing would be compared"
        )
        raise UsageError(
            f"check.accumulated: the adapter returned {returned}; return a dict with some of "
            f"{', '.join(FIELDS)}"
        )
    return dict(fields)


def _problems(expected: Accumulated, got: Mapping[str, Any]) -> Iterable[str]:
    for name in ("text", "thinking", "refusal"):
        if name in got:
            difference = text_difference(getattr(expected, name), str(got[name] or ""))
            if difference:
                yield f"{name}: {difference}"
    if "tool_calls" in got:
        difference = tool_call_difference(expected.tool_calls, tool_calls_of(got["tool_calls"]))
        if difference:
            yield f"tool calls: {difference}"
    if "stop_reason" in got and not same_stop(expected.stop_reason, got["stop_reason"]):
        yield f"stop reason: expected {expected.stop_reason!r}, got {got['stop_reason']!r}"


def tool_calls_of(calls: Any) -> tuple[ToolCall, ...]:
    """Tool calls in any reasonable shape: ToolCall, (name, input), dicts, SDK blocks."""
    return tuple(_tool_call(call) for call in calls or ())


def _tool_call(call: Any) -> ToolCall:
    if isinstance(call, ToolCall):
        return call
    if isinstance(call, tuple) and len(call) == 2:
        return ToolCall(str(call[0]), parse_arguments(call[1]))
    mapping = to_mapping(call) or (vars(call) if hasattr(call, "__dict__") else {})
    function = mapping.get("function")
    if isinstance(function, Mapping):
        return ToolCall(str(function.get("name")), parse_arguments(function.get("arguments")))
    raw = mapping["input"] if "input" in mapping else mapping.get("arguments")
    return ToolCall(str(mapping.get("name")), parse_arguments(raw))


def describe_entry(entry: JournalEntry) -> str:
    """`scenario 'x' on Anthropic Messages, request #3 (attempt 1), outcome completed`."""
    where = Provider(entry.provider).label if entry.provider else entry.path
    return (
        f"scenario {entry.scenario!r} on {where}, request #{entry.id} (attempt {entry.attempt}), "
        f"{len(entry.frames)} frame(s), outcome {entry.outcome.value}"
    )
