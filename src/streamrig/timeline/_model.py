"""What a timeline holds: one row per frame, the marks laid over them, the ending.

Every time is in seconds from the request's arrival at the server (the journal
entry's `time`), so the server's sends and the client's receipts share one axis.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

from ._html import page
from ._svg import render_svg
from ._text import render_text

__all__ = ["Gap", "Mark", "Receipt", "Row", "Timeline"]


@dataclass(frozen=True, slots=True)
class Row:
    """One frame: when it was due and went, its size, what it carried, what struck it.

    `sent_s` is None in a planned timeline (nothing was sent); `received_s` is the
    first client receipt paired with this frame (None: not probed, or not seen).
    """

    index: int
    due_s: float
    sent_s: float | None
    size: int
    event: str  # the event type(s) completed by this frame; "" for none (a split)
    preview: str  # a short text preview of what it carried
    content: bool  # carries generated tokens (text, thinking, tool arguments, refusal)
    faults: tuple[str, ...] = ()
    received_s: float | None = None

    @property
    def late_s(self) -> float | None:
        """How long after its due time the frame went out."""
        return None if self.sent_s is None else self.sent_s - self.due_s

    @property
    def at_s(self) -> float:
        """When the frame went (or, planned, when it is due)."""
        return self.due_s if self.sent_s is None else self.sent_s


@dataclass(frozen=True, slots=True)
class Receipt:
    """One chunk the client received, and the frame it was paired with (None: unpaired)."""

    chunk: int
    at_s: float
    frame: int | None


@dataclass(frozen=True, slots=True)
class Mark:
    """A fault that struck, placed before frame `frame` at `at_s`."""

    label: str
    frame: int
    at_s: float


@dataclass(frozen=True, slots=True)
class Gap:
    """The silence between two content frames (`after` and `before`), on one lane."""

    lane: str  # "server" or "client"
    start_s: float
    end_s: float
    after: int
    before: int

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class Timeline:
    """One request as it played (or, `planned`, as its scenario plans it).

    Build it with `streamrig.timeline(entry, probe)`; render it with `text()`,
    `html()` (one self-contained page) or `svg()` (a fragment to embed).
    """

    title: str
    rows: tuple[Row, ...]
    outcome: str
    planned: bool = False
    request_id: int | None = None
    scenario: str | None = None
    provider: str | None = None
    attempt: int = 1
    status: int = 0
    started_s: float = 0.0  # the stream's start (its clock's zero), after arrival
    ended_s: float | None = None  # when the server finished (the last frame, a drop, a stall's end)
    closed_at_frame: int | None = None  # the client left before this frame was written
    closed_at_s: float | None = None
    faults: tuple[Mark, ...] = ()
    receipts: tuple[Receipt, ...] = ()
    probe_note: str | None = None  # why a probe was not paired, if it was not
    body_bytes: int | None = None  # bytes of the body written (None: the frames' sizes)

    @property
    def bytes_sent(self) -> int:
        """Body bytes written: the frames', or a whole (not streamed) answer's."""
        return sum(row.size for row in self.rows) if self.body_bytes is None else self.body_bytes

    @property
    def first_content(self) -> Row | None:
        """The frame the time to first token is measured to (as the server's schedule does)."""
        return next((row for row in self.rows if row.content), None)

    @property
    def ttft_s(self) -> float | None:
        """Time to first token at the server: arrival to the first content frame's send."""
        first = self.first_content
        return None if first is None else first.at_s

    @property
    def client_ttft_s(self) -> float | None:
        """Time to first token at the client: arrival to the receipt of the first content frame."""
        first = self.first_content
        if first is None or not self.receipts:
            return None
        return next(
            (r.at_s for r in self.receipts if r.frame is not None and r.frame >= first.index), None
        )

    def gaps(self, lane: str = "server") -> list[Gap]:
        """The silences between consecutive content frames on a lane, in order."""
        if lane == "server":
            points = [(row.at_s, row.index) for row in self.rows if row.content]
        else:
            content = {row.index for row in self.rows if row.content}
            points = [(r.at_s, r.frame) for r in self.receipts if r.frame in content]
        return [
            Gap(lane, a, b, i, j)
            for (a, i), (b, j) in itertools.pairwise(points)
            if j is not None and i is not None and j != i
        ]

    def largest_gap(self, lane: str = "server") -> Gap | None:
        return max(self.gaps(lane), key=lambda gap: gap.seconds, default=None)

    @property
    def end_s(self) -> float:
        """The right edge of the picture: the last thing that happened."""
        times = [self.ended_s or 0.0, self.closed_at_s or 0.0]
        times += [row.at_s for row in self.rows[-1:]]
        times += [r.at_s for r in self.receipts[-1:]]
        times += [mark.at_s for mark in self.faults]
        return max(times)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every field, the rows as dicts, plus the measures."""
        data = asdict(self)
        data["rows"] = [dict(asdict(row), late_s=row.late_s) for row in self.rows]
        largest = self.largest_gap()
        data.update(
            ttft_s=self.ttft_s,
            client_ttft_s=self.client_ttft_s,
            largest_gap_s=None if largest is None else largest.seconds,
            bytes_sent=self.bytes_sent,
        )
        return data

    def text(self) -> str:
        """A table for terminals: one line per frame, then the measures and the ending."""
        return render_text(self)

    def svg(self) -> str:
        """The picture alone: an inline `<svg>` (with its own styles) to embed in a page."""
        return render_svg(self)

    def html(self) -> str:
        """One self-contained HTML page: the picture, the measures and the frame table."""
        return page([self], title=f"streamrig timeline {self.title}")
