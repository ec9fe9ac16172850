"""A burst of connections while the server is busy waits in the kernel's queue.

With aiohttp's default listen backlog (128) the kernel drops the SYN of every
connection past it, and each such client waits a second for TCP to try again: a
burst of a few hundred arrivals took seconds to get going (bench_workers opened
10,000 streams in 20-37 s)."""

from __future__ import annotations

import selectors
import socket
import threading
import time
import urllib.request

from streamrig import MockServer

BURST = 300


def _connected_within(port: int, count: int, seconds: float) -> int:
    """How many of `count` non-blocking connects complete their handshake in `seconds`."""
    selector = selectors.DefaultSelector()
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            selector.register(sock, selectors.EVENT_WRITE)
            socks.append(sock)
        connected = 0
        deadline = time.monotonic() + seconds
        while connected < count and (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(left):
                selector.unregister(key.fileobj)
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                connected += sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        return connected
    finally:
        selector.close()
        for sock in socks:
            sock.close()


def test_a_burst_of_connections_is_queued_while_the_server_is_busy():
    with MockServer(speed=0) as server:
        loop = server._app._loop
        assert loop is not None
        busy, free = threading.Event(), threading.Event()

        def hold_the_loop() -> None:  # a server busy with other work: it accepts nothing
            busy.set()
            time.sleep(1.5)
            free.set()

        loop.call_soon_threadsafe(hold_the_loop)
        assert busy.wait(5)
        # Within half a second (before TCP's first SYN retry at 1 s): all queued.
        assert _connected_within(server.port, BURST, 0.5) == BURST
        assert free.wait(5)
        # The server takes the queued (and by now closed) connections before it stops.
        with urllib.request.urlopen(f"{server.url}/_streamrig/health", timeout=10) as answer:
            assert answer.status == 200
