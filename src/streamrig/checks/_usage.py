"""check.usage: did the client read token usage where the provider puts it?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import CheckFailed, UsageError
from ..scenario import Provider
from ..server import JournalEntry
from ._accumulated import UNSET, describe_entry
from ._neutral import to_mapping
from ._sent import JournalSource, SentEvent, last_stream, sent_events, sent_message

__all__ = ["Usage", "usage"]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as the provider reported them (None: not reported)."""

    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None


def usage(
    source: JournalSource,
    produced: Any = None,
    *,
    input_tokens: Any = UNSET,
    output_tokens: Any = UNSET,
    total_tokens: Any = UNSET,
    request: JournalEntry | None = None,
) -> Usage:
    """Compare the client's usage with the provider's report: Anthropic input in
    `message_start` and output (cumulative) in the last `message_delta`; OpenAI in the
    last chunk (Chat, with `include_usage`) or `response.completed` (Responses)."""
    __tracebackhide__ = True
    entry = request or last_stream(source)
    provider = Provider(entry.provider) if entry.provider else Provider.ANTHROPIC
    events = sent_events(entry) if entry.stream else []
    expected = _reported(entry, provider, events)
    got = _produced(produced) if produced is not None else {}
    given = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": total_tokens,
    }
    got.update({k: v for k, v in given.items() if v is not UNSET})
    if not got:
        raise UsageError(
            "check.usage: give the client's usage (an SDK object) or input_tokens=, output_tokens=, total_tokens="
        )
    problems = []
    for name, value in got.items():
        want = getattr(expected, name)
        if value != want:
            problems.append(
                f"{name}: expected {want}, got {value}{_diagnosis(name, value, provider, events, expected)}"
            )
    if problems:
        raise CheckFailed(
            f"streamrig: the client's usage differs from what the provider reported\n"
            f"  ({describe_entry(entry)})\n  " + "\n  ".join(problems) + f"\n  {_WHERE[provider]}"
        )
    return expected


_WHERE = {
    Provider.ANTHROPIC: "Anthropic reports input_tokens in message_start and the cumulative output_tokens in each message_delta: take the last, do not add.",
    Provider.OPENAI_CHAT: "Chat Completions reports usage once, in the last chunk before [DONE] (choices: []), only when the request sets stream_options={'include_usage': True}.",
    Provider.OPENAI_RESPONSES: "Responses reports usage in response.completed (or response.incomplete).",
    Provider.GEMINI: "Gemini repeats usageMetadata in every chunk, counts so far: take the last chunk's; output is candidatesTokenCount + thoughtsTokenCount.",
}


def _reported(entry: JournalEntry, provider: Provider, events: list[SentEvent]) -> Usage:
    if not entry.stream or provider is not Provider.ANTHROPIC:
        message = sent_message(entry)
        if provider is Provider.GEMINI:
            return Usage(**_gemini_counts(message.get("usageMetadata") or {}))
        found = message.get("usage") or {}
        if provider is Provider.OPENAI_CHAT:
            return Usage(
                found.get("prompt_tokens"),
                found.get("completion_tokens"),
                found.get("total_tokens"),
            )
        total = found.get("total_tokens")
        inp, out = found.get("input_tokens"), found.get("output_tokens")
        if total is None and inp is not None and out is not None:
            total = inp + out
        return Usage(inp, out, total)
    start = next((e.data for e in events if _type(e) == "message_start"), None) or {}
    inp = ((start.get("message") or {}).get("usage") or {}).get("input_tokens")
    deltas = [e.data for e in events if _type(e) == "message_delta"]
    out = (deltas[-1].get("usage") or {}).get("output_tokens") if deltas else None
    return Usage(inp, out, inp + out if inp is not None and out is not None else None)


def _produced(produced: Any) -> dict[str, Any]:
    mapping = to_mapping(produced)
    if mapping is None:
        raise UsageError(
            f"check.usage: cannot read usage from a {type(produced).__name__}; pass an SDK object or keywords"
        )
    found: Mapping[str, Any] = mapping.get("usage") or mapping.get("usageMetadata") or mapping
    if "promptTokenCount" in found:
        return dict(_gemini_counts(found))
    if "prompt_tokens" in found:
        return {
            "input_tokens": found["prompt_tokens"],
            "output_tokens": found["completion_tokens"],
            "total_tokens": found.get("total_tokens"),
        }
    got = {"input_tokens": found.get("input_tokens"), "output_tokens": found.get("output_tokens")}
    if "total_tokens" in found:
        got["total_tokens"] = found["total_tokens"]
    return got


def _gemini_counts(found: Mapping[str, Any]) -> dict[str, Any]:
    """Gemini's counts in neutral terms: thinking is output too (billed as such)."""
    prompt, total = found.get("promptTokenCount"), found.get("totalTokenCount")
    output = (found.get("candidatesTokenCount") or 0) + (found.get("thoughtsTokenCount") or 0)
    return {"input_tokens": prompt, "output_tokens": output, "total_tokens": total}


def _type(event: SentEvent) -> Any:
    return event.data.get("type") if isinstance(event.data, Mapping) else None


def _diagnosis(
    name: str, value: Any, provider: Provider, events: list[SentEvent], expected: Usage
) -> str:
    if provider is Provider.ANTHROPIC and name == "output_tokens" and isinstance(value, int):
        start: Mapping[str, Any] = (
            next((e.data for e in events if _type(e) == "message_start"), {}) or {}
        )
        start_out = ((start.get("message") or {}).get("usage") or {}).get("output_tokens")
        deltas = [
            (e.data.get("usage") or {}).get("output_tokens") or 0
            for e in events
            if _type(e) == "message_delta"
        ]
        content = sum(1 for e in events if _type(e) == "content_block_delta")
        if (
            start_out is not None
            and expected.output_tokens is not None
            and value == start_out + expected.output_tokens
        ):
            return f" = message_start's {start_out} + message_delta's {expected.output_tokens}: the delta's count is cumulative, not an increment"
        if len(deltas) > 1 and value == sum(deltas):
            return " = the sum of every message_delta's count; each is cumulative, take the last"
        if value == start_out:
            return " = message_start's placeholder; the real count comes in message_delta"
        if value == content:
            return " = the number of content deltas; use the reported usage, do not count events"
    if provider is Provider.GEMINI and name == "output_tokens" and events:
        last = events[-1].data if isinstance(events[-1].data, Mapping) else {}
        counts = last.get("usageMetadata") or {}
        if counts.get("thoughtsTokenCount") and value == counts.get("candidatesTokenCount"):
            return " = candidatesTokenCount alone; Gemini counts thinking apart, in thoughtsTokenCount: add it"
        chunks = [e.data.get("usageMetadata") or {} for e in events if isinstance(e.data, Mapping)]
        if len(chunks) > 1 and value == sum(c.get("candidatesTokenCount") or 0 for c in chunks):
            return " = the sum over chunks; each chunk's counts are totals so far, take the last"
    if provider is Provider.OPENAI_CHAT and expected.input_tokens is None:
        return " (the server sent no usage chunk: the request did not ask for include_usage)"
    return ""
