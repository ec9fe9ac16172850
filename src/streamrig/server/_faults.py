"""Faults laid over a timeline: where each strikes, and what it does to the frames. Pure."""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ..providers import EncodeContext, WireFormat
from ..scenario import Fault, FaultKind, Provider
from ._timeline import Frame, Hold, Step

__all__ = ["Ending", "Plan", "apply_faults"]


class Ending(str, enum.Enum):
    """How the body ends once the steps are played."""

    COMPLETE = "completed"
    RESET = "reset"
    TRUNCATE = "truncated"
    ERROR_EVENT = "error_event"


@dataclass(slots=True)
class Plan:
    """What the player does: steps in order, then the ending; `applied` names the faults that struck.

    Without faults `steps` is the lazy timeline itself; faults need the whole list.
    """

    steps: Iterable[Step]
    ending: Ending = Ending.COMPLETE
    applied: list[str] = field(default_factory=list)


# A data line cut off inside its JSON, as each SDK would try to parse it.
MALFORMED = {
    Provider.ANTHROPIC: b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_del\n\n',
    Provider.OPENAI_CHAT: b'data: {"id":"chatcmpl-malformed","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"cut\n\n',
    Provider.OPENAI_RESPONSES: b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"cut\n\n',
    Provider.GEMINI: b'data: {"candidates": [{"content": {"parts": [{"text": "cut\r\n\r\n',
}
PING = {
    Provider.ANTHROPIC: b'event: ping\ndata: {"type": "ping"}\n\n',
    Provider.OPENAI_CHAT: b": ping\n\n",
    Provider.OPENAI_RESPONSES: b": ping\n\n",
    Provider.GEMINI: b": ping\r\n\r\n",
}


def apply_faults(
    frames: Iterable[Frame], faults: tuple[Fault, ...], wire: WireFormat, ctx: EncodeContext
) -> Plan:
    """Apply each fault in order; a fault whose place never comes (e.g. after the end) does nothing."""
    if not faults:
        return Plan(steps=frames)
    steps: list[Step] = list(frames)
    plan = Plan(steps=steps)
    for fault in faults:
        place = _place(fault, steps, ctx.chaos)
        if place is None:
            continue
        index, at_s = place
        _strike(plan, steps, fault, index, at_s, wire, ctx)
        plan.applied.append(fault.describe() + f" (step {index})")
    return plan


def _place(fault: Fault, steps: list[Step], rng: random.Random) -> tuple[int, float] | None:
    """Where a fault strikes: (index to insert before, time); None if it never does."""
    if fault.after_events is not None:
        return _after_events(steps, fault.after_events)
    if fault.at_byte is not None:
        return _at_byte(steps, fault.at_byte)
    if fault.after_ms is not None:
        at_s = fault.after_ms / 1000
        index = next((i for i, s in enumerate(steps) if s.at_s >= at_s), len(steps))
        return index, at_s
    if fault.probability is not None:
        roll = (
            random.Random(fault.seed)
            if fault.seed is not None
            else random.Random(rng.getrandbits(64))
        )
        events = [i for i, s in enumerate(steps) if isinstance(s, Frame) and s.event >= 0]
        for index in events[1:]:
            if roll.random() < fault.probability:
                return index, steps[index].at_s
        return None
    return 0, 0.0


def _after_events(steps: list[Step], count: int) -> tuple[int, float]:
    seen: set[int] = set()
    for index, step in enumerate(steps):
        if isinstance(step, Frame) and step.event >= 0 and step.event not in seen:
            if len(seen) == count:
                return index, step.at_s
            seen.add(step.event)
    return len(steps), steps[-1].at_s if steps else 0.0


def _at_byte(steps: list[Step], offset: int) -> tuple[int, float] | None:
    start = 0
    for index, step in enumerate(steps):
        if not isinstance(step, Frame):
            continue
        end = start + len(step.data)
        if offset == start:
            return index, step.at_s
        if start < offset < end:
            cut = offset - start
            steps[index : index + 1] = [
                replace(step, data=step.data[:cut]),
                replace(step, data=step.data[cut:]),
            ]
            return index + 1, step.at_s
        start = end
    return (len(steps), steps[-1].at_s) if offset == start and steps else None


def _strike(
    plan: Plan,
    steps: list[Step],
    fault: Fault,
    index: int,
    at_s: float,
    wire: WireFormat,
    ctx: EncodeContext,
) -> None:
    kind = fault.kind
    if kind in (FaultKind.RESET, FaultKind.TRUNCATE):
        del steps[index:]
        steps.append(Hold(at_s, 0.0))  # the drop happens at its time, not at the last frame's
        plan.ending = Ending.RESET if kind is FaultKind.RESET else Ending.TRUNCATE
    elif kind is FaultKind.ERROR:
        del steps[index:]
        sent = [step.data for step in steps[:index] if isinstance(step, Frame)]
        event = wire.error_event(fault.error_type or "api_error", fault.message, ctx, sent)
        steps.append(Frame(at_s, ctx.framing.frame(event, not sent) + ctx.framing.close()))
        plan.ending = Ending.ERROR_EVENT
    elif kind is FaultKind.MALFORMED:
        steps.insert(index, Frame(at_s, fault.raw or MALFORMED[wire.provider]))
    elif kind is FaultKind.STALL:
        seconds = fault.stall_ms / 1000 if fault.stall_ms is not None else None
        steps[index:] = [Hold(at_s, seconds), *_shifted(steps[index:], seconds or 0.0)]
    elif kind is FaultKind.PING:
        steps[index:] = _with_pings(steps[index:], at_s, fault, PING[wire.provider])
    elif kind is FaultKind.SPLIT:
        steps[index:] = _split(steps, index, fault)
    elif kind is FaultKind.DRIP:
        assert fault.bytes_per_s is not None
        steps[index:] = _drip(steps[index:], fault.bytes_per_s)


def _shifted(steps: list[Step], seconds: float) -> list[Step]:
    return [replace(step, at_s=step.at_s + seconds) for step in steps] if seconds else steps


def _with_pings(steps: list[Step], start_s: float, fault: Fault, ping: bytes) -> list[Step]:
    if fault.every_ms is None:
        return [*(Frame(start_s, ping) for _ in range(fault.count)), *steps]
    every = fault.every_ms / 1000
    out: list[Step] = []
    quiet_since = start_s
    for step in steps:
        while step.at_s - quiet_since > every:
            quiet_since += every
            out.append(Frame(quiet_since, ping))
        out.append(step)
        quiet_since = max(quiet_since, step.at_s)
    return out


def _split(steps: list[Step], index: int, fault: Fault) -> list[Step]:
    offset = sum(len(s.data) for s in steps[:index] if isinstance(s, Frame))
    gap = fault.gap_ms / 1000
    shift = 0.0
    out: list[Step] = []
    for step in steps[index:]:
        if not isinstance(step, Frame):
            out.append(replace(step, at_s=step.at_s + shift))
            continue
        cuts = _cuts(offset, len(step.data), fault)
        pieces = [step.data[a:b] for a, b in zip([0, *cuts], [*cuts, len(step.data)], strict=True)]
        for number, piece in enumerate(pieces):
            out.append(Frame(step.at_s + shift + number * gap, piece, step.event))
        shift += gap * (len(pieces) - 1)
        offset += len(step.data)
    return out


def _cuts(offset: int, size: int, fault: Fault) -> list[int]:
    """Cut points inside a frame of `size` bytes that starts at body offset `offset`."""
    if fault.split_every:
        first = fault.split_every - offset % fault.split_every
        return list(range(first, size, fault.split_every))
    return sorted({at - offset for at in fault.split_at if offset < at < offset + size})


def _drip(steps: list[Step], bytes_per_s: float) -> list[Step]:
    size = max(1, int(bytes_per_s / 50))  # about 50 writes a second
    out: list[Step] = []
    free_at = 0.0
    for step in steps:
        if not isinstance(step, Frame):
            out.append(replace(step, at_s=max(step.at_s, free_at)))
            continue
        for start in range(0, len(step.data), size):
            piece = step.data[start : start + size]
            due = max(step.at_s, free_at)
            out.append(Frame(due, piece, step.event))
            free_at = due + len(piece) / bytes_per_s
    return out
