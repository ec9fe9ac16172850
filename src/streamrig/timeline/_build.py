"""A timeline from a journal entry and, optionally, the probe of the client that read it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .._errors import UsageError
from ..checks import pair
from ..checks._sent import SentEvent, carried, framed_events
from ..probe import Probe
from ..server import JournalEntry
from ._model import Mark, Receipt, Row, Timeline

__all__ = [
    "PREVIEW_CHARS",
    "describe",
    "event_name",
    "place_fault",
    "timeline",
    "timelines",
]

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
        body_bytes=entry.bytes_sent,
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
        struck.setdefault(_step(label, len(log)), []).append(_STEP.sub("", label).strip())
    rows = []
    body = bytes(entry.sent)
    start = 0
    for index, (due, sent, size) in enumerate(zip(log.scheduled_s, log.sent_s, log.sizes)):
        raw, start = body[start : start + size], start + size
        name, text, content = describe([(e.data, e.event) for e in by_frame.get(index, ())], raw)
        rows.append(
            Row(
                index=index,
                due_s=offset + due,
                sent_s=offset + sent,
                size=size,
                event=name,
                preview=text,
                content=content,
                faults=tuple(struck.get(index, ())),
                received_s=received.get(index),
            )
        )
    return rows


def describe(events: Sequence[tuple[Any, str | None]], raw: bytes) -> tuple[str, str, bool]:
    """A frame's event type(s), text preview, and whether it carries generated tokens (the
    content the TTFT is measured to); a frame with nothing readable previews its first line."""
    names, texts, content = [], [], False
    for data, event in events:
        names.append(event_name(data, event))
        found = carried(data)
        if found and found[1]:
            content = True
        text = found[1] if found else _note(data)
        if text:
            texts.append(text)
    preview = " ".join(texts)
    if not preview and (not events or any(data is None for data, _ in events)):
        preview = raw.strip().split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return " ".join(names), preview[:PREVIEW_CHARS], content


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
    return "data"


def _note(data: Any) -> str:
    """For an event carrying no text: why it ended, or its error's message."""
    if not isinstance(data, Mapping):
        return ""
    delta = data.get("delta")
    if isinstance(delta, Mapping) and delta.get("stop_reason"):
        return f"stop_reason={delta['stop_reason']}"
    choices = data.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        reason = choices[0].get("finish_reason")
        if reason:
            return f"finish_reason={reason}"
    error = data.get("error")
    if isinstance(error, Mapping):
        return str(error.get("message") or error.get("type") or "error")
    return ""


def timelines(entries: Sequence[JournalEntry], probes: Sequence[Probe[Any]] = ()) -> list[Timeline]:
    """A timeline per entry, each with the probe that read it, if one of `probes` did: a
    probe belongs to the last request that arrived before its first chunk. A probe that
    cannot be paired with that request's frames is left out, and the timeline says why."""
    chosen: dict[int, Probe[Any]] = {}
    for given in probes:
        if given.times:
            before = [e for e in entries if e.time <= given.times[0]]
            if before:
                chosen[before[-1].id] = given
    return [_with_probe(entry, chosen.get(entry.id)) for entry in entries]


def _with_probe(entry: JournalEntry, probe: Probe[Any] | None) -> Timeline:
    if probe is None:
        return timeline(entry)
    try:
        return timeline(entry, probe)
    except UsageError as error:
        return dataclasses.replace(timeline(entry), probe_note=str(error))
