"""What the server sent for a request, read back from the journal."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import UsageError
from ..jsonstream import StreamDecoder
from ..providers import wire_format
from ..scenario import Provider
from ..server import Journal, JournalEntry, MockServer, Outcome, settle

__all__ = [
    "Channel",
    "JournalSource",
    "SentEvent",
    "carried",
    "ended_early",
    "framed_events",
    "journal_of",
    "last_stream",
    "sent_events",
    "sent_message",
]

JournalSource = Journal | MockServer | Iterable[JournalEntry]
Channel = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class SentEvent:
    """One event the server wrote: its data, and when its last byte left (epoch seconds)."""

    data: Any
    event: str | None
    sent_at: float


def journal_of(source: JournalSource) -> list[JournalEntry]:
    if isinstance(source, MockServer):
        return source.journal.entries()
    if isinstance(source, Journal):
        return source.entries()
    return list(source)


def last_stream(source: JournalSource, *, include_errors: bool = False) -> JournalEntry:
    """The most recent request answered with a body (a stream or a whole message)."""
    entries = journal_of(source)
    for entry in reversed(entries):
        if entry.provider and (include_errors or entry.status == 200):
            settle([entry])
            return entry
    seen = (
        f"{len(entries)} request(s), none answered with a 200" if entries else "no request at all"
    )
    raise UsageError(f"streamrig: the server saw {seen}; did the client call the server's URL?")


def sent_events(entry: JournalEntry) -> list[SentEvent]:
    """The events of a streamed answer, each with the time its last byte was written."""
    return [event for _, event in framed_events(entry)]


def framed_events(entry: JournalEntry) -> list[tuple[int, SentEvent]]:
    """`sent_events`, each with the index of the frame that completed it."""
    decoder = StreamDecoder()  # SSE, or a streamed JSON array (Gemini without alt=sse)
    events: list[tuple[int, SentEvent]] = []
    offset = 0
    data = bytes(entry.sent)
    log = entry.log
    start = entry.started_at or entry.time
    for index, (size, sent_s) in enumerate(zip(log.sizes, log.sent_s, strict=True)):
        chunk = data[offset : offset + size]
        offset += size
        at = start + sent_s
        events.extend(
            (index, SentEvent(_parsed(e.data), e.event, at)) for e in decoder.decode(chunk)
        )
    return events


def sent_message(entry: JournalEntry) -> Mapping[str, Any]:
    """The final message the client was given: the whole body, or the stream accumulated."""
    provider = Provider(entry.provider) if entry.provider else None
    if provider is None:
        raise UsageError("streamrig: that request was not for a provider endpoint")
    if not entry.stream:
        loaded: Mapping[str, Any] = json.loads(bytes(entry.sent))
        return loaded
    return wire_format(provider).accumulate(e.data for e in sent_events(entry))


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def ended_early(entry: JournalEntry) -> bool:
    """Whether the server cut this stream short on purpose (a fault)."""
    return entry.outcome in (Outcome.RESET, Outcome.TRUNCATED, Outcome.ERROR_EVENT, Outcome.STALLED)


def carried(data: Any) -> tuple[Channel, str] | None:
    """The text an event carries, and the channel it belongs to (a block, a tool call)."""
    if not isinstance(data, Mapping):
        return None
    if "choices" in data:
        for choice in data.get("choices") or []:
            delta = choice.get("delta") or {}
            where = choice.get("index")
            for name in ("content", "refusal"):
                if delta.get(name):
                    return (name, where), str(delta[name])
            for call in delta.get("tool_calls") or []:
                arguments = (call.get("function") or {}).get("arguments")
                if arguments:
                    return ("tool", where, call.get("index")), str(arguments)
        return None
    if "candidates" in data:  # Gemini: a chunk's text or thought parts
        for candidate in data.get("candidates") or []:
            for part in (candidate.get("content") or {}).get("parts") or []:
                if isinstance(part, Mapping) and part.get("text"):
                    name = "thought" if part.get("thought") else "text"
                    return (name, candidate.get("index")), str(part["text"])
        return None
    kind = data.get("type")
    if kind == "content_block_delta":
        delta = data.get("delta") or {}
        for name in ("text", "thinking", "partial_json"):
            if isinstance(delta.get(name), str):
                return (name, data.get("index")), delta[name]
        return None
    if isinstance(kind, str) and kind.endswith(".delta") and isinstance(data.get("delta"), str):
        where = (data.get("output_index"), data.get("content_index"), data.get("summary_index"))
        return (kind, *where), data["delta"]
    return None
