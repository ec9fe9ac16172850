"""Writes a stream's frames to the socket on an absolute clock and records each write."""

from __future__ import annotations

import asyncio

from aiohttp import ClientConnectionResetError, web

from ._journal import FrameRecord, JournalEntry, Outcome
from ._schedule import Frame

__all__ = ["play"]

_CLIENT_GONE = (ConnectionResetError, ClientConnectionResetError, BrokenPipeError)


async def play(response: web.StreamResponse, frames: list[Frame], entry: JournalEntry) -> None:
    """Write every frame at its due time (measured from the first), then end the body.

    Each frame's due time is absolute from the stream's start, so sleeping late
    once never delays the frames after it. A client that goes away ends the
    stream as `client_closed`, never as an exception.
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index, frame in enumerate(frames):
        delay = start + frame.at_s - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            await response.write(frame.data)
        except _CLIENT_GONE:
            _closed(entry, index, loop.time() - start)
            return
        entry.frames.append(FrameRecord(index, frame.at_s, loop.time() - start, len(frame.data)))
        entry.bytes_sent += len(frame.data)
    try:
        await response.write_eof()
    except _CLIENT_GONE:
        _closed(entry, len(frames), loop.time() - start)
        return
    entry.outcome = Outcome.COMPLETED


def _closed(entry: JournalEntry, index: int, at_s: float) -> None:
    entry.outcome = Outcome.CLIENT_CLOSED
    entry.closed_at_frame = index
    entry.closed_at_s = at_s
