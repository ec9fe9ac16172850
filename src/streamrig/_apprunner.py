"""An aiohttp app on its own thread and event loop: the engine of MockServer and RecordingProxy."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from aiohttp import web

from ._errors import UsageError

__all__ = ["LISTEN_BACKLOG", "AppThread", "ServesOnThread"]

# Connections the kernel queues before the server accepts them (capped by
# net.core.somaxconn). aiohttp's 128 drops the SYNs of a larger burst of arrivals, and
# each dropped one costs its client a second (TCP's first retransmission).
LISTEN_BACKLOG = 4096


class AppThread:
    """Serves `make_runner()` on 127.0.0.1 from a background thread until `stop()`.

    `start()` returns once the port is bound (errors while binding are raised there).
    """

    def __init__(
        self,
        make_runner: Callable[[], web.AppRunner],
        host: str,
        port: int,
        sock: socket.socket | None = None,
    ) -> None:
        self._make_runner = make_runner
        self.host = host
        self._requested_port = port
        self._sock = sock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = int(sock.getsockname()[1]) if sock is not None else None

    def start(self) -> None:
        if self._thread is not None:
            raise UsageError("the server is already running")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="streamrig-server", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._thread, self._loop = None, None
        if self._sock is None:
            self.port = None

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._startup())
        except BaseException as error:  # handed to start(), raised there
            failure.append(error)
            ready.set()
            return
        ready.set()
        self._loop.run_forever()

    async def _startup(self) -> None:
        self._runner = self._make_runner()
        await self._runner.setup()
        site: web.BaseSite
        if self._sock is not None:
            site = web.SockSite(self._runner, self._sock, backlog=LISTEN_BACKLOG)
        else:
            site = web.TCPSite(
                self._runner, self.host, self._requested_port, backlog=LISTEN_BACKLOG
            )
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


S = TypeVar("S", bound="ServesOnThread")


class ServesOnThread:
    """start/stop and `with` for a class that serves through `self._app` (an AppThread)."""

    _app: AppThread

    def start(self: S) -> S:
        """Start listening on a background thread; returns when the port is bound."""
        self._app.start()
        return self

    def stop(self) -> None:
        """Stop serving and end the thread; open connections are cut."""
        self._app.stop()

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
