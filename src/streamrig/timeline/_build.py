"""A timeline from a journal entry and, optionally, the probe of the client that read it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..checks import pair
from ..checks._sent import SentEvent, carried, framed_events
from ..probe import Probe
from ..server import JournalEntry
from ._model import Mark, Receipt, Row, Timeline

__all__ = ["PREVIEW_CHARS", "event_name", "is_content", "place_fault", "preview", "timeline"]

PREVIEW_CHARS = 40
_STEP = re.compile(r"\(step (\d+)\)$")
_AFTER_MS = re.compile(r"\bafter_ms=([0-9.]+)")


def timeline(entry: JournalEntry, probe: Probe[Any] | None = None) -> Timeline:
    """The timeline of one request: each frame's due and send time, size and what it
    carried, the faults where they struck, how it ended; with `probe`, when the client
    received each chunk, paired with the frames by content as `check.timing` pairs them.

    Raises `UsageError` when a probe's chunk matches nothing the server sent."""
    offset = (entry.started_at or entry.time) - entry.time
    framed = framed_events(entry)
    receipts = _receipts(entry, probe, framed) if probe is not None else ()
    rows = _rows(entry, framed, offset, receipts)
    faults = tuple(place_fault(label, rows, offset) for label in entry.faults)
    closed_s = None if entry.closed_at_s is None else offset + entry.closed_at_s
    last = rows[-1].at_s if rows else offset
    return Timeline(
        title=f"#{entry.id} {entry.method} {entry.path}",
        rows=tuple(rows),
        outcome=entry.outcome.value,
        request_id=entry.id,
        scenario=entry.scenario,
        provider=entry.provider,
        attempt=entry.attempt,
        status=entry.status,
        started_s=offset,
        ended_s=max([last, *(m.at_s for m in faults), *([closed_s] if closed_s else [])]),
        closed_at_frame=entry.closed_at_frame,
        closed_at_s=closed_s,
        faults=faults,
        receipts=receipts,
    )


def _rows(
    entry: JournalEntry,
    framed: Sequence[tuple[int, SentEvent]],
    offset: float,
    receipts: Sequence[Receipt],
) -> list[Row]:
    log = entry.log
    by_frame: dict[int, list[SentEvent]] = {}
    for index, event in framed:
        by_frame.setdefault(index, []).append(event)
    received: dict[int, float] = {}
    for receipt in receipts:
        if receipt.frame is not None:
            received.setdefault(receipt.frame, receipt.at_s)
    struck: dict[int, list[str]] = {}
    for label in entry.faults:
        struck.setdefault(_step(label, len(log)), []).append(label)
    rows = []
    for index, (due, sent, size) in enumerate(zip(log.scheduled_s, log.sent_s, log.sizes)):
        events = by_frame.get(index, [])
        rows.append(
            Row(
                index=index,
                due_s=offset + due,
                sent_s=offset + sent,
                size=size,
                event=" ".join(event_name(e.data, e.event) for e in events),
                preview=" ".join(preview(e.data) for e in events)[:PREVIEW_CHARS],
                content=any(is_content(e.data) for e in events),
                faults=tuple(struck.get(index, ())),
                received_s=received.get(index),
            )
        )
    return rows


def _receipts(
    entry: JournalEntry, probe: Probe[Any], framed: Sequence[tuple[int, SentEvent]]
) -> tuple[Receipt, ...]:
    """Each chunk the probe noted, paired with the frame that carried it (the same pairing
    `check.timing` uses, so both read a run alike). A probe that kept no items is not
    paired: its receipts are placed in time only."""
    paired = {}
    if probe.items:
        found = pair(probe, [event for _, event in framed])
        paired = {p.chunk: framed[p.event][0] for p in found}
    return tuple(
        Receipt(chunk, at - entry.time, paired.get(chunk)) for chunk, at in enumerate(probe.times)
    )


def place_fault(label: str, rows: Sequence[Row], offset: float) -> Mark:
    """Where a fault struck: before the frame its step names (the journal says `(step N)`)."""
    frame = _step(label, len(rows))
    after_ms = _AFTER_MS.search(label)
    if after_ms:
        at = offset + float(after_ms.group(1)) / 1000
    elif frame < len(rows):
        at = rows[frame].due_s
    else:
        at = rows[-1].at_s if rows else offset
    return Mark(_STEP.sub("", label).strip(), frame, at)


def _step(label: str, count: int) -> int:
    found = _STEP.search(label)
    return min(int(found.group(1)), count) if found else 0


def is_content(data: Any) -> bool:
    found = carried(data)
    return bool(found and found[1])


def event_name(data: Any, event: str | None) -> str:
    """An event's type: the SSE `event:` name, else its data's `type` or `object`."""
    if event:
        return event
    if isinstance(data, Mapping):
        name = data.get("type") or data.get("object")
        if isinstance(name, str):
            return name
        if "candidates" in data:
            return "candidates"
    return "data" if data is not None else "unparsed"


def preview(data: Any) -> str:
    """The text an event carries, else a short note of what it is."""
    found = carried(data)
    if found:
        return found[1]
    if isinstance(data, Mapping):
        for key in ("stop_reason", "finish_reason"):
            nested = data.get("delta")
            if isinstance(nested, Mapping) and nested.get(key):
                return f"{key}={nested[key]}"
        choices = data.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
            reason = choices[0].get("finish_reason")
            if reason:
                return f"finish_reason={reason}"
        error = data.get("error")
        if isinstance(error, Mapping):
            return str(error.get("message") or error.get("type") or "error")
    return ""
