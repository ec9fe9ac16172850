"""The fault-free timeline: every frame of a stream with its due time. Pure, no I/O."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..providers import EncodeContext, WireEvent, WireFormat
from ..scenario import ErrorEventStep, EventStep, RawStep, Scenario, Timing, WaitStep

__all__ = ["Frame", "Hold", "Step", "timeline"]


@dataclass(frozen=True, slots=True)
class Frame:
    """Bytes for one write, due `at_s` seconds after the stream starts.

    `event` is the index of the SSE event the bytes belong to; -1 for bytes a
    fault inserted (a ping, a malformed line, an error event).
    """

    at_s: float
    data: bytes
    event: int = -1


@dataclass(frozen=True, slots=True)
class Hold:
    """Stay silent from `at_s`: for `seconds`, or (None) until the client leaves."""

    at_s: float
    seconds: float | None


Step = Frame | Hold


def timeline(
    scenario: Scenario, wire: WireFormat, ctx: EncodeContext, timing: Timing, speed: float
) -> Iterator[Frame]:
    """Every frame of the stream, in order, timed by `timing` and scaled by `speed` (0: no waits).

    Lazy: each frame's bytes are encoded when the player asks for it, so a burst of
    requests never holds up the streams already playing.
    """
    gaps = _Gaps(timing, ctx.chaos)
    if scenario.recording is not None:
        # As recorded: each event when it arrived, counted from the response headers.
        start = scenario.recording.headers_t
        return (
            Frame(_scaled(max(0.0, event.t - start), speed), event.data, index)
            for index, event in enumerate(scenario.recording.events)
        )
    framing = ctx.framing
    if scenario.body is not None:
        return _timed(((piece, True, 0.0) for piece in framing.body(scenario.body)), 0, gaps, speed)
    if scenario.steps is not None:
        return _timed(_closed(_step_pieces(scenario, wire, ctx), ctx), 0, gaps, speed)
    assert scenario.reply is not None
    events = wire.encode(scenario.reply, ctx)
    ending = scenario.line_endings.encode()
    first = next((i for i, event in enumerate(events) if event.content), len(events))
    pieces = (
        (_with_endings(framing.frame(e, i == 0), ending), e.content, 0.0)
        for i, e in enumerate(events)
    )
    return _timed(_closed(pieces, ctx), first, gaps, speed)


def _closed(
    pieces: Iterable[tuple[bytes, bool, float]], ctx: EncodeContext
) -> Iterator[tuple[bytes, bool, float]]:
    """The pieces, then the framing's closing bytes (a JSON array's `]`), if it has any."""
    yield from pieces
    close = ctx.framing.close()
    if close:
        yield close, False, 0.0


def _step_pieces(
    scenario: Scenario, wire: WireFormat, ctx: EncodeContext
) -> Iterator[tuple[bytes, bool, float]]:
    """(bytes, is content, explicit wait before it in seconds) for each low-level step."""
    ending = scenario.line_endings.encode()
    wait = 0.0
    first = True
    for step in scenario.steps or ():
        if isinstance(step, WaitStep):
            wait += step.ms / 1000
            continue
        if isinstance(step, RawStep):
            data = step.raw
        else:
            if isinstance(step, ErrorEventStep):
                event = wire.error_event(step.error_type, step.message, ctx)
            else:
                assert isinstance(step, EventStep)
                event = WireEvent(step.data, step.event)
            data = _with_endings(ctx.framing.frame(event, first), ending)
            first = False
        yield data, True, wait
        wait = 0.0


def _timed(
    pieces: Iterable[tuple[bytes, bool, float]], first: int, gaps: _Gaps, speed: float
) -> Iterator[Frame]:
    # Everything up to the first content event (index `first`: the first that carries
    # generated tokens, see WireEvent) goes out at the time to first token; each later
    # content event one gap after the previous; other events with it.
    at = gaps.ttft_s
    for index, (data, content, wait) in enumerate(pieces):
        at += wait
        if index > first and content:
            at += gaps.next()
        yield Frame(_scaled(at, speed), data, index)


def _scaled(at_s: float, speed: float) -> float:
    return 0.0 if speed == 0 else at_s / speed


def _with_endings(data: bytes, ending: bytes) -> bytes:
    # "\n" (the default) keeps the provider's own endings (Gemini's are CRLF).
    return data if ending == b"\n" else data.replace(b"\r\n", b"\n").replace(b"\n", ending)


class _Gaps:
    """Gap after gap, with seeded jitter: the same seed gives the same gaps."""

    def __init__(self, timing: Timing, rng: random.Random) -> None:
        self.timing = timing
        self.ttft_s = timing.ttft_ms / 1000
        self.rng = (
            random.Random(timing.seed)
            if timing.seed is not None
            else random.Random(rng.getrandbits(64))
        )

    def next(self) -> float:
        gap: float = self.timing.gap_s
        if self.timing.jitter and gap:
            gap *= 1 + self.rng.uniform(-self.timing.jitter, self.timing.jitter)
        return gap
