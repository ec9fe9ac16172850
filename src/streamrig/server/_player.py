"""Plays a plan to the socket on an absolute clock, recording every write in the journal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from aiohttp import ClientConnectionResetError, web

from ._faults import Ending, Plan
from ._journal import JournalEntry, Outcome
from ._timeline import Frames, Hold, Step

__all__ = ["play"]

_CLIENT_GONE = (ConnectionResetError, ClientConnectionResetError, BrokenPipeError)
_MAX_COALESCED = 256  # frames in one write at most: the loop gets a turn between writes
_OUTCOMES = {
    Ending.COMPLETE: Outcome.COMPLETED,
    Ending.RESET: Outcome.RESET,
    Ending.TRUNCATE: Outcome.TRUNCATED,
    Ending.ERROR_EVENT: Outcome.ERROR_EVENT,
}


async def play(
    request: web.Request, response: web.StreamResponse, plan: Plan, entry: JournalEntry
) -> None:
    """Write each step at its due time (absolute from the start, so lateness never accumulates).

    A client that leaves is seen at once (the server cancels the handler when the
    connection drops) and recorded as `client_closed` (or `stalled` during a hold
    without end), never raised.
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    entry.started_at = time.time()
    entry.faults = list(plan.applied)
    progress = _Progress()
    try:
        if isinstance(plan.steps, Frames):
            await _play_frames(response, plan.steps, entry, start, progress)
        else:
            await _play_steps(response, plan.steps, entry, start, progress)
        await _end(request, response, plan.ending)
        entry.outcome = _OUTCOMES[plan.ending]
    except asyncio.CancelledError:
        _left(entry, progress.frame, loop.time() - start, progress.holding)
        raise
    except _CLIENT_GONE:
        _left(entry, progress.frame, loop.time() - start, progress.holding)


class _Progress:
    __slots__ = ("frame", "holding")

    def __init__(self) -> None:
        self.frame = 0  # frames written so far
        self.holding = False


async def _play_frames(
    response: web.StreamResponse,
    frames: Frames,
    entry: JournalEntry,
    start: float,
    progress: _Progress,
) -> None:
    """The fault-free stream: frames due at the same moment go out in one write."""
    loop = asyncio.get_running_loop()
    at_s = frames.at_s
    count = len(frames)
    log = entry.log
    index = 0
    while index < count:
        due = at_s[index]
        stop = index + 1
        while stop < count and at_s[stop] == due and stop - index < _MAX_COALESCED:
            stop += 1
        delay = start + due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        data = frames.data(index, stop)
        await response.write(data)
        log.add(at_s[index:stop], loop.time() - start, frames.sizes(index, stop))
        entry.bytes_sent += len(data)
        entry.sent += data
        index = progress.frame = stop


async def _play_steps(
    response: web.StreamResponse,
    steps: Iterable[Step],
    entry: JournalEntry,
    start: float,
    progress: _Progress,
) -> None:
    """Steps a fault or shape laid out: one write per frame, holds kept."""
    loop = asyncio.get_running_loop()
    for step in steps:
        delay = start + step.at_s - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if isinstance(step, Hold):
            if step.seconds is None:
                progress.holding = True
                await asyncio.Event().wait()  # until the client leaves
            continue
        await response.write(step.data)
        entry.log.add((step.at_s,), loop.time() - start, (len(step.data),))
        entry.bytes_sent += len(step.data)
        entry.sent += step.data
        progress.frame += 1


async def _end(request: web.Request, response: web.StreamResponse, ending: Ending) -> None:
    if ending is Ending.RESET:
        if request.transport is not None:
            request.transport.abort()  # no final chunk: the client sees an incomplete body
        return
    await response.write_eof()


def _left(entry: JournalEntry, frame: int, at_s: float, holding: bool) -> None:
    entry.outcome = Outcome.STALLED if holding else Outcome.CLIENT_CLOSED
    entry.closed_at_frame = frame
    entry.closed_at_s = at_s
