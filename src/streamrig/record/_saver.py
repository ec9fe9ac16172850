"""Saves off the event loop: one thread writes cassettes, in the order their answers ended."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["Saver"]

log = logging.getLogger("streamrig.record")


class Saver:
    """Runs each save on one worker thread (YAML for a 10 MB answer takes seconds: the
    relaying loop never waits for it). Saves run one at a time, oldest first; `drain()`
    and `drained()` wait for every save handed over so far."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="streamrig-save")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, save: Callable[[], None], what: str) -> Future[None]:
        """Queue `save`; a save that fails is logged (`what` names it), never raised."""

        def run() -> None:
            try:
                save()
            except Exception as error:  # a full disk must not end the recording session
                log.error("streamrig record: could not save %s: %s", what, error)

        future: Future[None] | None = None
        with self._lock:
            if not self._closed:
                future = self._pool.submit(run)
                self._pending.add(future)
        if future is None:  # a relay that ended after close(): saved at once, never dropped
            run()
            future = Future()
            future.set_result(None)
        future.add_done_callback(self._forget)  # outside the lock: it may run at once
        return future

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def pending(self) -> list[Future[None]]:
        with self._lock:
            return list(self._pending)

    def drain(self) -> None:
        """Block until every save handed over so far is written."""
        for future in self.pending():
            future.result()

    async def drained(self) -> None:
        """Wait, without blocking the loop, until every save handed over so far is written."""
        pending = self.pending()
        if pending:
            await asyncio.gather(*(asyncio.wrap_future(f) for f in pending))

    def close(self) -> None:
        """Let the saving thread end once the saves handed over are written; a save handed
        over later runs on the caller's thread."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=False)
