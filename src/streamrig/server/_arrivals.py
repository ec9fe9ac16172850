"""Arrivals take turns with the streams already playing.

A burst of requests arriving together would otherwise all be handled in one turn of
the event loop (each costs some 100-200 us before its first byte), holding every
frame that falls due meanwhile: 1,000 arrivals, 0.1-0.2 s late frames. The gate lets
at most `per_turn` arrivals through per loop turn; the frames due in between go
out first. Each waits its turn in arrival order.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["ArrivalGate"]


class ArrivalGate:
    """At most `per_turn` arrivals pass per turn of the event loop, first come first served."""

    def __init__(self, per_turn: int = 8) -> None:
        self.per_turn = per_turn
        self._passed = 0  # arrivals through in this turn
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._next_turn_set = False

    async def turn(self) -> None:
        """Return when this arrival may go on (at once while the turn has room)."""
        if not self._waiting and self._passed < self.per_turn:
            self._passed += 1
            self._at_next_turn()
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._at_next_turn()
        await waiter

    def _at_next_turn(self) -> None:
        if not self._next_turn_set:
            self._next_turn_set = True
            asyncio.get_running_loop().call_soon(self._new_turn)

    def _new_turn(self) -> None:
        self._next_turn_set = False
        self._passed = 0
        while self._waiting and self._passed < self.per_turn:
            waiter = self._waiting.popleft()
            if not waiter.done():  # a client gone while waiting: its handler was cancelled
                waiter.set_result(None)
                self._passed += 1
        if self._waiting or self._passed:
            self._at_next_turn()
