"""Keep the cyclic garbage collector's full collections off the streams a server holds.

Each held stream keeps about 80 objects the collector tracks (aiohttp's request,
protocol, transport and task; the journal entry, plan and context). Python runs a
full collection whenever the old generation grows by a quarter, so while thousands of
streams open, each collection walks every held stream again (10,000 streams: 800,000
objects, 0.2-1.6 s with the loop stopped) and finds nothing to free: held streams are
alive. A process streamrig owns (`serve`, each of its workers, the pytest plugin's
server process) runs this policy instead:

- While at least `floor` requests are being answered, what is alive is frozen
  (`gc.freeze()`, constant time) once per `period_s`: collections then walk only what
  is newer.
- Cycles that die while frozen (about 7 objects per finished connection, from asyncio's
  own transport) wait for one full collection when the server goes quiet (answering
  fewer than `floor / 2`), or, if it never does, once more streams have finished since
  the last one than `reclaim_ratio` times the most answered at once meanwhile: a full
  collection per that many finished streams, where Python's own rule pays one per
  quarter of growth.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._state import ServerState

__all__ = ["CollectorPolicy", "hold_streams_out_of_collections", "start_collector_policy"]

FLOOR = 500  # requests answered at once before held streams are frozen
PERIOD_S = 0.5
RECLAIM_RATIO = 4


@dataclass
class CollectorPolicy:
    """The policy's state; `tick()` is one look at the server (see the module's text)."""

    answering: Callable[[], int]  # requests being answered now
    finished: Callable[[], int]  # requests answered so far (monotonic)
    floor: int = FLOOR
    reclaim_ratio: int = RECLAIM_RATIO
    freezes: int = 0
    reclaims: int = 0
    full_collections: int = 0
    longest_full_collection_ms: float = 0.0
    _frozen_since_reclaim: bool = False
    _finished_at_reclaim: int = 0
    _peak: int = 0  # most requests answered at once since the last reclaim
    _collection_started: float = 0.0

    def tick(self) -> None:
        answering = self.answering()
        finished = self.finished()
        self._peak = max(self._peak, answering)
        if self._frozen_since_reclaim and (
            answering < self.floor // 2
            or finished - self._finished_at_reclaim > self.reclaim_ratio * self._peak
        ):
            self.reclaim(finished)
        elif answering >= self.floor:
            gc.freeze()
            self.freezes += 1
            if not self._frozen_since_reclaim:
                self._frozen_since_reclaim = True
                self._finished_at_reclaim = finished

    def reclaim(self, finished: int) -> None:
        """Free the cycles that died while frozen, then freeze what is left alive."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.reclaims += 1
        self._frozen_since_reclaim = False
        self._finished_at_reclaim = finished
        self._peak = 0

    def observe(self, phase: str, info: dict[str, Any]) -> None:
        """A `gc.callbacks` hook: times the full collections."""
        if info["generation"] != 2:
            return
        if phase == "start":
            self._collection_started = time.perf_counter()
            return
        self.full_collections += 1
        took = (time.perf_counter() - self._collection_started) * 1000
        self.longest_full_collection_ms = max(self.longest_full_collection_ms, took)

    def to_dict(self) -> dict[str, Any]:
        """What `/_streamrig/health` reports of it."""
        return {  # not gc.get_freeze_count(): it walks every frozen object
            "freezes": self.freezes,
            "reclaims": self.reclaims,
            "full_collections": self.full_collections,
            "longest_full_collection_ms": round(self.longest_full_collection_ms, 1),
        }


def start_collector_policy(
    policy: CollectorPolicy, period_s: float = PERIOD_S
) -> Callable[[], None]:
    """Run `policy` on a daemon thread every `period_s`; returns the call that stops it.

    A thread, not a task: a loop that is late is when the policy matters most."""
    stop = threading.Event()
    gc.callbacks.append(policy.observe)

    def run() -> None:
        while not stop.wait(period_s):
            policy.tick()

    thread = threading.Thread(target=run, name="streamrig-collector", daemon=True)
    thread.start()

    def stop_policy() -> None:
        stop.set()
        thread.join()
        gc.callbacks.remove(policy.observe)

    return stop_policy


def hold_streams_out_of_collections(state: ServerState) -> Callable[[], None]:
    """Run the policy for the server of `state` (reported by its health); returns the stop.

    For processes streamrig owns only: it freezes the whole process's objects."""
    journal = state.journal
    policy = CollectorPolicy(answering=lambda: journal.answering, finished=lambda: journal.finished)
    state.collector = policy
    stop = start_collector_policy(policy)

    def stop_policy() -> None:
        stop()
        state.collector = None

    return stop_policy
