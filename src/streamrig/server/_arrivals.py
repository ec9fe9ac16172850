"""Arrivals take turns with the streams already playing.

A burst of requests arriving together would otherwise all be handled in one turn of
the event loop (each costs some 100-200 us before its first byte), holding every
frame that falls due meanwhile: 1,000 arrivals, 0.1-0.2 s late frames. The gate lets
at most `per_turn` arrivals through per loop turn; the frames due in between go
out first. Each waits its turn in arrival order.

Four per turn (bench_hotpath, 2026-11-23): 200 streams at 10 ms gaps, gap error p99
0.86x a plain aiohttp handler's (8 per turn: 1.35-1.49x; 2: 0.49x); the price is the
first event of the last arrivals of a burst: 1,000 at once, p99 1.3 s (8: 0.9 s; 2:
1.5 s), the running streams' frames taking their turns.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["PER_TURN", "ArrivalGate"]

PER_TURN = 4


class ArrivalGate:
    """At most `per_turn` arrivals pass per turn of the event loop, first come first served."""

    def __init__(self, per_turn: int = 4) -> None:
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
