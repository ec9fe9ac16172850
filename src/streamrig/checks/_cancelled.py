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

_CLOSED = (Outcome.CLIENT_CLOSED, Outcome.STALLED)


@dataclass(frozen=True, slots=True)
class Cancellation:
    """How the client left: when the server saw it close (seconds into the stream), how many
    frames it had written, and (given a cancel time) how long after the cancel that was."""

    closed_at_s: float
    frames_written: int
    seen_after_ms: float | None = None


def cancelled(
    source: JournalSource,
    *,
    at: float | None = None,
    probe: Probe[object] | None = None,
    within_ms: float = 100.0,
    request: JournalEntry | None = None,
) -> Cancellation:
    """The server saw the client close the last stream before its end, and wrote nothing
    after. Given when the client cancelled (`at=time.time()`, or `probe=`: the time it saw
    its last chunk), the close also came within `within_ms` of it, and no frame went out
    later than that."""
    __tracebackhide__ = True
    cancel_at = _cancel_time(at, probe)
    entry = request or _last_stream_request(source)
    _wait_done(entry, (cancel_at or time.time()) + within_ms / 1000 + 1.0)
    problem = _problem(entry, cancel_at, within_ms)
    if problem:
        raise CheckFailed(
            "streamrig: the cancel did not reach the server as it should\n"
            f"  ({describe_entry(entry)})\n  {problem}"
        )
    closed_at = _start(entry) + (entry.closed_at_s or 0.0)
    seen = None if cancel_at is None else (closed_at - cancel_at) * 1000
    return Cancellation(entry.closed_at_s or 0.0, len(entry.frames), seen)


def _cancel_time(at: float | None, probe: Probe[object] | None) -> float | None:
    if at is not None or probe is None:
        return at
    if probe.last_time is None:
        raise UsageError(
            "check.cancelled: the probe saw no chunk, so it cannot say when the client cancelled; "
            "pass at=time.time() taken at the cancel, or no time at all"
        )
    return probe.last_time


def _problem(entry: JournalEntry, cancel_at: float | None, within_ms: float) -> str | None:
    start = _start(entry)
    late = [] if cancel_at is None else _late(entry, cancel_at + within_ms / 1000)
    if entry.outcome is Outcome.PENDING:
        return (
            f"the stream is still open ({len(entry.frames)} frame(s) written so far{_holding(entry)}): "
            f"{_late_text(late, cancel_at)}the server never saw the client close the connection "
            "(close the response or the stream, do not just stop reading)"
        )
    if entry.outcome not in _CLOSED:
        return _ran_on(entry, cancel_at, late)
    if cancel_at is None:
        return None
    seen = (start + (entry.closed_at_s or 0.0) - cancel_at) * 1000
    if seen > within_ms:
        return f"the server saw the connection close {seen:.1f} ms after the cancel (budget {within_ms:g} ms): the client held the socket open"
    if late:
        return f"{len(late)} frame(s) were written after the cancel (first at frame {late[0][0]})"
    return None


def _ran_on(entry: JournalEntry, cancel_at: float | None, late: list[tuple[int, float]]) -> str:
    """The server ended the stream itself: to its end, or by a fault."""
    ended = f"the stream ended as {entry.outcome.value!r}"
    if late:
        return f"the server kept writing: {_late_text(late, cancel_at)}and {ended}: the client never closed the connection (close the response or the stream, do not just stop reading)"
    if entry.outcome is not Outcome.COMPLETED:
        return f"{ended} (a fault) before the client closed: there was nothing left to cancel"
    if cancel_at is None:
        return f"{ended}, all {len(entry.frames)} frame(s) written: the server never saw the client close it early"
    last = _start(entry) + entry.frames[-1].sent_s if entry.frames else _start(entry)
    return f"the stream had already ended (completed), its last frame {(cancel_at - last) * 1000:.0f} ms before the cancel at {_clock(cancel_at)}: nothing was cancelled"


def _late(entry: JournalEntry, after: float) -> list[tuple[int, float]]:
    """The frames that went out after `after` (epoch seconds): index and send time."""
    start = _start(entry)
    return [(f.index, start + f.sent_s) for f in entry.frames if start + f.sent_s > after]


def _late_text(late: list[tuple[int, float]], cancel_at: float | None) -> str:
    if not late or cancel_at is None:
        return ""
    return f"{len(late)} frame(s) went out after the cancel, the last {(late[-1][1] - cancel_at) * 1000:.0f} ms after it, "


def _holding(entry: JournalEntry) -> str:
    return (
        ", and a stall holds it silent" if any(f.startswith("stall") for f in entry.faults) else ""
    )


def _start(entry: JournalEntry) -> float:
    return entry.started_at or entry.time


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
