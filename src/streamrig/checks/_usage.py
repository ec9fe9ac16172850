"""check.usage: did the client read token usage where the provider puts it?

Every provider reports usage in one or more places (Anthropic: `message_start` and
each `message_delta`; Chat: the last chunk; Responses: `response.completed`; a whole
reply: its body). Each report is a count of the whole message so far. The expected
count is the last report's; a wrong count is diagnosed by one set of rules for every
provider: it equals the reports added up, an early report, or the number of content
deltas or events the client counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._errors import CheckFailed, UsageError
from ..scenario import Provider
from ..server import JournalEntry
from ._accumulated import UNSET, describe_entry
from ._neutral import to_mapping
from ._sent import JournalSource, carried, last_stream, sent_events, sent_message

__all__ = ["Usage", "usage"]

NAMES = ("input_tokens", "output_tokens", "total_tokens")
_SYNONYMS = {"prompt_tokens": "input_tokens", "completion_tokens": "output_tokens"}


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as the provider reported them (None: not reported)."""

    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None


@dataclass(frozen=True, slots=True)
class _Report:
    """One place the server reported usage, in neutral names."""

    where: str
    counts: Mapping[str, Any]


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
    `message_start` (and repeated in `message_delta`) and output (cumulative) in the last
    `message_delta`; OpenAI in the last chunk (Chat, with `include_usage`) or
    `response.completed` (Responses)."""
    __tracebackhide__ = True
    entry = request or last_stream(source)
    provider = Provider(entry.provider) if entry.provider else Provider.ANTHROPIC
    events = [e.data for e in sent_events(entry)] if entry.stream else []
    reports = list(_reports(entry, events))
    expected = _expected(reports)
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
    problems = [
        f"{name}: expected {getattr(expected, name)}, got {value}"
        + _diagnosis(name, value, getattr(expected, name), reports, events)
        for name, value in got.items()
        if value != getattr(expected, name)
    ]
    if problems:
        raise CheckFailed(
            f"streamrig: the client's usage differs from what the provider reported\n"
            f"  ({describe_entry(entry)})\n  " + "\n  ".join(problems) + f"\n  {_WHERE[provider]}"
        )
    return expected


_WHERE = {
    Provider.ANTHROPIC: "Anthropic reports input_tokens in message_start and every count, cumulative, in each message_delta: take the last, do not add.",
    Provider.OPENAI_CHAT: "Chat Completions reports usage once, in the last chunk before [DONE] (choices: []), only when the request sets stream_options={'include_usage': True}.",
    Provider.OPENAI_RESPONSES: "Responses reports usage in response.completed (or response.incomplete).",
    Provider.GEMINI: "Gemini repeats usageMetadata in every chunk, counts so far: take the last chunk's; output is candidatesTokenCount + thoughtsTokenCount.",
}
_HOLDERS = ("usage", "usageMetadata")  # Gemini names its usage `usageMetadata`


def _reports(entry: JournalEntry, events: Sequence[Any]) -> Iterator[_Report]:
    """Every usage object the server sent, wherever the provider puts it."""
    if not entry.stream:
        message = sent_message(entry)
        found = next((message[k] for k in _HOLDERS if isinstance(message.get(k), Mapping)), None)
        if found is not None:
            yield _Report("the response body", _neutral_counts(found))
        return
    for number, data in enumerate(events):
        if not isinstance(data, Mapping):
            continue
        for holder in (data, data.get("message"), data.get("response")):
            if not isinstance(holder, Mapping):
                continue
            found = next((holder[k] for k in _HOLDERS if isinstance(holder.get(k), Mapping)), None)
            if found is not None:
                where = data.get("type") or (
                    "the usage chunk" if "usage" in holder else f"chunk {number}"
                )
                yield _Report(str(where), _neutral_counts(found))
                break


def _neutral_counts(found: Mapping[str, Any]) -> dict[str, Any]:
    if "promptTokenCount" in found:
        return _gemini_counts(found)
    counts = {_SYNONYMS.get(name, name): value for name, value in found.items()}
    return {name: counts[name] for name in NAMES if counts.get(name) is not None}


def _gemini_counts(found: Mapping[str, Any]) -> dict[str, Any]:
    """Gemini's counts in neutral terms: its thinking (`thoughtsTokenCount`, kept apart from
    `candidatesTokenCount`) is output, as the other providers count it and as it is billed."""
    thoughts = found.get("thoughtsTokenCount") or 0
    counts = {
        "input_tokens": found.get("promptTokenCount"),
        "output_tokens": (found.get("candidatesTokenCount") or 0) + thoughts,
        "total_tokens": found.get("totalTokenCount"),
        "reasoning_tokens": thoughts,
    }
    return {name: value for name, value in counts.items() if value is not None}


def _expected(reports: Sequence[_Report]) -> Usage:
    """Each count from the last report that gives it; the total, if none, their sum."""
    last = {name: r.counts[name] for r in reports for name in NAMES if name in r.counts}
    inp, out, total = (last.get(name) for name in NAMES)
    if total is None and inp is not None and out is not None:
        total = inp + out
    return Usage(inp, out, total)


def _produced(produced: Any) -> dict[str, Any]:
    mapping = to_mapping(produced)
    if mapping is None:
        raise UsageError(
            f"check.usage: cannot read usage from a {type(produced).__name__}; pass an SDK object or keywords"
        )
    found: Mapping[str, Any] = mapping.get("usage") or mapping.get("usageMetadata") or mapping
    if "promptTokenCount" in found:
        found = _gemini_counts(found)
    counts = {_SYNONYMS.get(name, name): value for name, value in found.items()}
    got = {name: counts.get(name) for name in NAMES[:2]}
    if "total_tokens" in counts:
        got["total_tokens"] = counts["total_tokens"]
    return got


def _diagnosis(
    name: str, value: Any, expected: Any, reports: Sequence[_Report], events: Sequence[Any]
) -> str:
    """Which usual mistake gives the client's value; the same rules on every provider."""
    if expected is None:
        return " (the server reported no usage in this answer)"
    for count, why in _mistakes(name, reports, events):
        if value == count != expected:
            return f" = {why}"
    return ""


def _mistakes(
    name: str, reports: Sequence[_Report], events: Sequence[Any]
) -> Iterator[tuple[int, str]]:
    counted = [(r.where, r.counts[name]) for r in reports if name in r.counts]
    if len(counted) > 1:
        added = " + ".join(f"{where}'s {count}" for where, count in counted)
        yield (
            sum(count for _, count in counted),
            f"{added}: each report counts the whole message so far; take the last, do not add",
        )
        where, count = counted[0]
        yield (
            count,
            f"{where}'s {count}, an early report; the final count comes in {counted[-1][0]}",
        )
    reasoning = reports[-1].counts.get("reasoning_tokens") if reports else None
    if name == "output_tokens" and reasoning and name in reports[-1].counts:
        yield (
            reports[-1].counts[name] - reasoning,
            "the output without its thinking (Gemini: candidatesTokenCount alone); thinking "
            "is output too: add thoughtsTokenCount",
        )
    content = sum(1 for data in events if carried(data))
    yield (
        content,
        "the number of content deltas sent: the client counted deltas; read the reported usage",
    )
    sent = sum(1 for data in events if isinstance(data, Mapping) and data.get("type") != "ping")
    yield (
        sent,
        "the number of events sent (pings aside, as the SDKs skip them): the client counted events; read the reported usage",
    )
