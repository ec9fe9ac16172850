"""check.cancelled: did cancelling really close the connection, promptly?"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .._errors import CheckFailed, UsageError
from ..probe import Probe
from ..server import JournalEntry, Outcome
from ._accumulated import describe_entry
from ._sent import JournalSource, journal_of

__all__ = ["Cancellation", "cancelled"]


@dataclass(frozen=True, slots=True)
class Cancellation:
    """When the server saw the client go, measured from the client's cancel."""

    seen_after_ms: float
    frames_written: int


def cancelled(
    source: JournalSource,
    *,
    at: float | None = None,
    probe: Probe[object] | None = None,
    within_ms: float = 100.0,
    request: JournalEntry | None = None,
) -> Cancellation:
    """The server saw the client close before the stream's end, within `within_ms` of
    the cancel, and wrote no frame after that. `at` is the cancel time (`time.time()`);
    by default the time the probe saw its last item."""
    __tracebackhide__ = True
    cancel_at = at if at is not None else (probe.last_time if probe is not None else None)
    if cancel_at is None:
        raise UsageError(
            "check.cancelled: say when the client cancelled: at=time.time(), or probe="
        )
    entry = request or _last_stream_request(source)
    _wait_done(entry, cancel_at + within_ms / 1000 + 1.0)
    start = entry.started_at or entry.time
    late = [f for f in entry.frames if start + f.sent_s > cancel_at + within_ms / 1000]
    header = f"streamrig: the cancel did not reach the server as it should\n  ({describe_entry(entry)})\n  "
    if entry.outcome not in (Outcome.CLIENT_CLOSED, Outcome.STALLED):
        if late:
            last = (start + late[-1].sent_s - cancel_at) * 1000
            raise CheckFailed(
                header
                + f"the server kept writing: {len(late)} frame(s) went out after the cancel, the last "
                f"{last:.0f} ms after it, and the stream ended as {entry.outcome.value!r}: the client never "
                "closed the connection (close the response or the stream, do not just stop reading)"
            )
        raise CheckFailed(
            header
            + f"the stream had already ended ({entry.outcome.value}) before the cancel at {_clock(cancel_at)}: nothing was cancelled"
        )
    seen = (start + (entry.closed_at_s or 0.0) - cancel_at) * 1000
    if seen > within_ms:
        raise CheckFailed(
            header
            + f"the server saw the connection close {seen:.1f} ms after the cancel (budget {within_ms:g} ms): the client held the socket open"
        )
    if late:
        raise CheckFailed(
            header
            + f"{len(late)} frame(s) were written after the cancel (first at frame {late[0].index})"
        )
    return Cancellation(seen_after_ms=seen, frames_written=len(entry.frames))


def _last_stream_request(source: JournalSource) -> JournalEntry:
    for entry in reversed(journal_of(source)):
        if entry.stream and entry.status == 200:
            return entry
    raise UsageError("check.cancelled: the server answered no streaming request")


def _wait_done(entry: JournalEntry, deadline: float) -> None:
    """The server notices a close within milliseconds; give it that long, no more."""
    while not entry.done and time.time() < deadline:
        time.sleep(0.002)


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch)) + f".{int(epoch % 1 * 1000):03d}"
