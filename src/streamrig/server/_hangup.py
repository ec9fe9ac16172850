"""A client that hangs up, at any point, leaves a finished journal entry saying where."""

from __future__ import annotations

import time

from aiohttp import ClientConnectionResetError

from ._journal import JournalEntry, Outcome

__all__ = ["CLIENT_GONE", "client_left"]

# What writing to a connection the client has dropped raises.
CLIENT_GONE = (ConnectionResetError, ClientConnectionResetError, BrokenPipeError)


def client_left(entry: JournalEntry) -> None:
    """Finish `entry` for a client that left (or say where, if the player already has).

    An entry the server had already finished (answered, faulted) is left as it is.
    """
    if entry.outcome in (Outcome.CLIENT_CLOSED, Outcome.STALLED):
        if entry.closed_during is None:
            entry.closed_during = "stream"
        return
    if entry.outcome is not Outcome.PENDING:
        return
    entry.outcome = Outcome.CLIENT_CLOSED
    if entry.body is None and entry.status == 0:
        entry.closed_during = "request"
    elif entry.status == 0:
        entry.closed_during = "headers"
    else:
        entry.closed_during = "stream"
        entry.closed_at_frame = len(entry.frames)
        if entry.started_at is not None:
            entry.closed_at_s = time.time() - entry.started_at
