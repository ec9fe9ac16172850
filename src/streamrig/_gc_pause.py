"""Automatic cyclic collections held off while a large save builds and drops its objects.

A cassette save makes hundreds of thousands of short-lived containers (parsed events,
YAML nodes). Each one counts toward CPython's generation thresholds, so a save in a
process with a large heap (a pytest session, a recorder that has relayed for hours)
sets off full collections that walk the whole heap with the GIL held: 0.1-0.4 s in
which no other thread runs, such as the loop relaying another stream and timing its
events for its own cassette. What a save makes is acyclic and freed by reference
counting when the save ends, so nothing is lost by not collecting meanwhile.

The collector's switch is process-wide, so the pause is too: nested and concurrent
pauses share one count, and the collector is switched back on when the last ends, only
if it was on when the first began (a process that turned it off keeps it off).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collections_paused"]


class _Pause:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._resume = False

    def enter(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._holders += 1

    def leave(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._resume:
                gc.enable()


_PAUSE = _Pause()  # one per process, as the collector's switch is


@contextmanager
def collections_paused() -> Iterator[None]:
    """Run the block with automatic cyclic collections off (explicit `gc.collect()` still
    works); see the module's text for when that is right."""
    _PAUSE.enter()
    try:
        yield
    finally:
        _PAUSE.leave()
