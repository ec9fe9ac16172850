"""`serve --workers N`: N server processes sharing one port (SO_REUSEPORT), one admin API.

The kernel spreads connections over the workers. Each worker also listens on a
private loopback port, written into a folder the supervisor made; an admin call
that lands on one worker is repeated on every other (marked so it goes no
further), and `GET journal` answers with every worker's entries, each tagged
with its `worker`, oldest first.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from .server._guard import cross_origin
from .server._live_routes import EVENTS_PATH

__all__ = [
    "LOCAL_HEADER",
    "fan_out",
    "publish_port",
    "reserve_port",
    "supervise",
    "wait_for_workers",
    "workers_folder",
]

LOCAL_HEADER = "x-streamrig-worker-local"
_ADMIN = "/_streamrig/"
_PEERS_KEY = web.AppKey("streamrig_peers", Path)


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound (not listening) with SO_REUSEPORT: holds the port the workers share."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def supervise(
    worker_argv: Sequence[str], workers: int, folder: Path, started: Callable[[], None]
) -> int:
    """Run `workers` copies of `worker_argv` until SIGINT/SIGTERM (`started` is called once
    they run); the highest exit status."""
    children = [
        subprocess.Popen([*worker_argv, "--worker-dir", str(folder)]) for _ in range(workers)
    ]
    started()
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.1)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    return max((child.wait() for child in children), default=0)


def workers_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="streamrig-workers-"))


def wait_for_workers(folder: Path, workers: int, timeout: float = 60.0) -> bool:
    """Whether every worker published its private port within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("*.port"))) < workers:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def publish_port(folder: Path, port: int) -> None:
    """Tell the other workers where this one's private admin port is."""
    tmp = folder / f"{os.getpid()}.tmp"
    tmp.write_text(str(port))
    tmp.rename(folder / f"{os.getpid()}.port")


def fan_out(app: web.Application, folder: Path) -> None:
    """Make `app`'s admin API answer for every worker whose port is in `folder`."""
    app[_PEERS_KEY] = folder
    app.middlewares.append(_fan_out)


@web.middleware
async def _fan_out(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if (
        not request.path.startswith(_ADMIN)
        or request.path.endswith("/health")
        or LOCAL_HEADER in request.headers
    ):
        return await handler(request)
    if request.method == "GET" and request.path == EVENTS_PATH:
        return await _merged_events(request)
    if request.method == "GET" and _TIMELINE.fullmatch(request.path) and "worker" in request.query:
        return await _on_worker(request, handler)
    if request.method == "GET" and not request.path.endswith("/journal"):
        return await handler(request)  # every worker would answer the same
    body = await request.read()
    peers = _peers(request.app[_PEERS_KEY])
    answers = await asyncio.gather(*(_ask(request, pid, port, body) for pid, port in peers.items()))
    if request.method != "GET" or not request.path.endswith("/journal"):
        return await handler(request)
    # This worker's own page too, as JSON: the journal handler streams it from a thread.
    own = (request.app[_PEERS_KEY] / f"{os.getpid()}.port").read_text()
    answers.append(await _ask(request, os.getpid(), int(own), body))
    entries = [dict(e, worker=pid) for pid, answer in answers for e in answer.get("entries", [])]
    entries.sort(key=lambda entry: entry.get("time", 0))
    more = any(answer.get("more", False) for _, answer in answers)
    return web.json_response({"entries": entries, "more": more, "workers": 1 + len(peers)})


def _peers(folder: Path) -> dict[int, int]:
    """pid -> private port of every other worker."""
    found: dict[int, int] = {}
    for path in folder.glob("*.port"):
        pid = int(path.stem)
        if pid != os.getpid():
            found[pid] = int(path.read_text())
    return found


async def _ask(request: web.Request, pid: int, port: int, body: bytes) -> tuple[int, Any]:
    """Repeat the admin call on one peer; (its pid, its JSON answer or {})."""
    headers = {LOCAL_HEADER: "1"}
    if request.content_type:
        headers["content-type"] = request.content_type
    async with (
        ClientSession(timeout=ClientTimeout(total=10)) as session,
        session.request(
            request.method, f"http://127.0.0.1:{port}{request.path_qs}", data=body, headers=headers
        ) as answer,
    ):
        text = await answer.text()
    try:
        return pid, json.loads(text) if text else {}
    except json.JSONDecodeError:
        return pid, {}


_TIMELINE = re.compile(r"/_streamrig/journal/[^/]+/timeline")
_KEEPALIVE_S = 15.0


async def _merged_events(request: web.Request) -> web.StreamResponse:
    """Every worker's journal events as one stream, each entry tagged with its `worker`."""
    if cross_origin(request):
        return web.json_response(
            {"error": {"type": "cross_origin", "message": "not for other sites", "problems": []}},
            status=403,
        )
    folder = request.app[_PEERS_KEY]
    ports = {**_peers(folder), os.getpid(): int((folder / f"{os.getpid()}.port").read_text())}
    response = web.StreamResponse(
        headers={"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
    )
    await response.prepare(request)
    merged: asyncio.Queue[bytes] = asyncio.Queue()
    relays = [
        asyncio.create_task(_relay(request, pid, port, merged)) for pid, port in ports.items()
    ]
    try:
        await response.write(b"retry: 1000\n\n")
        while True:
            try:
                event = await asyncio.wait_for(merged.get(), _KEEPALIVE_S)
            except asyncio.TimeoutError:
                event = b": keep-alive\n\n"
            await response.write(event)
    except ConnectionResetError:  # the page went away
        return response
    finally:
        for relay in relays:
            relay.cancel()


async def _relay(request: web.Request, pid: int, port: int, merged: asyncio.Queue[bytes]) -> None:
    """One worker's events into `merged`, each one's data tagged with the worker's pid."""
    timeout = ClientTimeout(total=None, sock_connect=10)
    url = f"http://127.0.0.1:{port}{request.path_qs}"
    async with (
        ClientSession(timeout=timeout) as session,
        session.get(url, headers={LOCAL_HEADER: "1"}) as answer,
    ):
        fields: dict[str, str] = {}
        async for raw in answer.content:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            if "data" in fields and fields.get("event") in ("entry", "cleared"):
                data = json.loads(fields["data"])
                data["worker"] = pid
                text = json.dumps(data, separators=(",", ":"))
                named = f"event: {fields['event']}\n"
                if "id" in data:
                    named += f"id: {pid}:{data['id']}\n"
                merged.put_nowait(f"{named}data: {text}\n\n".encode())
            fields = {}


async def _on_worker(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A request's timeline, from the worker (`?worker=PID`) whose journal holds it."""
    given = request.query["worker"]
    if given == str(os.getpid()):
        return await handler(request)
    port = _peers(request.app[_PEERS_KEY]).get(int(given)) if given.isdigit() else None
    if port is None:
        message = f"no worker {given!r}: the journal's entries name their worker"
        return web.json_response(
            {"error": {"type": "not_found_error", "message": message, "problems": [message]}},
            status=404,
        )
    async with (
        ClientSession(timeout=ClientTimeout(total=60)) as session,
        session.get(
            f"http://127.0.0.1:{port}{request.path_qs}", headers={LOCAL_HEADER: "1"}
        ) as answer,
    ):
        body = await answer.read()
        kept = ("content-type", "content-security-policy")
        headers = {k: v for k, v in answer.headers.items() if k.lower() in kept}
    return web.Response(body=body, status=answer.status, headers=headers)
