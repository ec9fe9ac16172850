"""The fault-free timeline: every frame of a stream with its due time. Pure, no I/O.

A stream's bytes come from a template encoded once per scenario and endpoint
(`_encoded.py`); a request only fills in its own ids and computes its due times.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..providers import WireEvent
from ..scenario import Timing

__all__ = ["Frame", "Frames", "Gaps", "Hold", "Step", "first_content", "schedule"]


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


class Frames:
    """A fault-free stream in compact form, one frame per SSE event.

    Frame i is `body[ends[i-1]:ends[i]]` with each marker of `fill` replaced by the
    request's own value (same length, so sizes hold), due `at_s[i]` seconds after the
    start. The player writes frames due at the same moment in one write; iterating
    gives `Frame`s, the form faults and shapes work on.
    """

    __slots__ = ("at_s", "body", "ends", "fill")

    def __init__(
        self,
        body: bytes,
        ends: Sequence[int],
        at_s: Sequence[float],
        fill: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        self.body, self.ends, self.at_s, self.fill = body, ends, at_s, fill

    def __len__(self) -> int:
        return len(self.ends)

    def data(self, start: int, stop: int) -> bytes:
        """The bytes of frames `start` to `stop - 1`, as the request sends them."""
        chunk = self.body[self.ends[start - 1] if start else 0 : self.ends[stop - 1]]
        for marker, value in self.fill:
            chunk = chunk.replace(marker, value)
        return chunk

    def sizes(self, start: int, stop: int) -> list[int]:
        ends = self.ends
        return [ends[i] - (ends[i - 1] if i else 0) for i in range(start, stop)]

    def __iter__(self) -> Iterator[Frame]:
        for index in range(len(self.ends)):
            yield Frame(self.at_s[index], self.data(index, index + 1), index)


def first_content(events: Sequence[WireEvent]) -> int:
    """Index of the event the time to first token is measured to (len(events) if none).

    Every event before it goes out with it, at the TTFT; each later content event
    one gap after the previous. The one place that decides what counts as content.
    """
    return next((i for i, event in enumerate(events) if event.content), len(events))


def schedule(
    content: Sequence[bool],
    first: int,
    waits: Sequence[float] | None,
    gaps: Gaps,
    speed: float,
) -> list[float]:
    """Each frame's due time: up to `first` at the TTFT, then one gap before each later
    content frame, plus any explicit wait before a frame; scaled by `speed` (0: no waits)."""
    if speed == 0:
        return [0.0] * len(content)
    at = gaps.ttft_s
    out: list[float] = []
    for index, is_content in enumerate(content):
        if waits is not None:
            at += waits[index]
        if index > first and is_content:
            at += gaps.next()
        out.append(at / speed)
    return out


class Gaps:
    """Gap after gap, with seeded jitter: the same seed gives the same gaps."""

    def __init__(self, timing: Timing, rng: random.Random) -> None:
        self.timing = timing
        self.ttft_s = timing.ttft_ms / 1000
        # Drawn now whatever the timing, so random faults see the same `rng` after it;
        # the generator itself is made only if a gap needs jitter (it costs ~7 us).
        self._seed = timing.seed if timing.seed is not None else rng.getrandbits(64)
        self._rng: random.Random | None = None

    @property
    def rng(self) -> random.Random:
        if self._rng is None:
            self._rng = random.Random(self._seed)
        return self._rng

    @property
    def repeatable(self) -> bool:
        """Whether every request gets the same gaps (no jitter, or seeded): a reusable schedule."""
        return self.timing.seed is not None or not (self.timing.jitter and self.timing.gap_s)

    def next(self) -> float:
        gap: float = self.timing.gap_s
        if self.timing.jitter and gap:
            gap *= 1 + self.rng.uniform(-self.timing.jitter, self.timing.jitter)
        return gap
