"""Plays a plan to the socket on an absolute clock, recording every write in the journal."""

from __future__ import annotations

import asyncio
import time

from aiohttp import ClientConnectionResetError, web

from ._faults import Ending, Plan
from ._journal import FrameRecord, JournalEntry, Outcome
from ._timeline import Hold

__all__ = ["play"]

_CLIENT_GONE = (ConnectionResetError, ClientConnectionResetError, BrokenPipeError)
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
    frame = 0
    holding = False
    try:
        for step in plan.steps:
            delay = start + step.at_s - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if isinstance(step, Hold):
                if step.seconds is None:
                    holding = True
                    await asyncio.Event().wait()  # until the client leaves
                continue
            await response.write(step.data)
            entry.frames.append(FrameRecord(frame, step.at_s, loop.time() - start, len(step.data)))
            entry.bytes_sent += len(step.data)
            entry.sent += step.data
            frame += 1
        await _end(request, response, plan.ending)
        entry.outcome = _OUTCOMES[plan.ending]
    except asyncio.CancelledError:
        _left(entry, frame, loop.time() - start, holding)
        raise
    except _CLIENT_GONE:
        _left(entry, frame, loop.time() - start, holding)


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
