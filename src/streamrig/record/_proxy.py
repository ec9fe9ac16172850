"""The pass-through: forward a request upstream, relay each chunk the moment it arrives, tee it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
from aiohttp import web

from ..scenario import Provider
from ._cassette import Interaction

__all__ = ["RecordingFailed", "forward"]

# Headers that belong to one hop, or that the relay recomputes.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
        "accept-encoding",
    }
)


class RecordingFailed(Exception):
    """The upstream could not be reached, or the client left: nothing worth keeping."""


async def forward(
    request: web.Request,
    upstream: str,
    done: Callable[[Interaction], None],
    path: str | None = None,
    ended: Callable[[], None] | None = None,
) -> web.StreamResponse:
    """Relay `request` to `upstream` + its path and stream the answer back chunk by chunk.

    `done(interaction)` gets the answer as it arrived (chunks timed from the moment
    the request went upstream) as soon as the upstream has finished. The relay runs
    shielded from the handler's cancellation: a client that hangs up once it has the
    last event (before the upstream's end of body) still leaves a whole recording,
    while one that leaves mid-stream makes the next write fail, and nothing is kept.
    An upstream that drops mid-stream gives a truncated interaction, and the client's
    connection is cut the same way. Raises RecordingFailed when the upstream cannot
    be reached, or when the client leaves before the end. `ended()` is called when the
    relay is over, whether or not its handler still waits for it.
    """
    relay = asyncio.ensure_future(_forward(request, upstream, done, path))
    relay.add_done_callback(_consume)
    if ended is not None:
        relay.add_done_callback(lambda _: ended())
    return await asyncio.shield(relay)


def _consume(task: asyncio.Future[web.StreamResponse]) -> None:
    """A relay that outlives its handler ends on its own; its outcome needs no one."""
    if not task.cancelled():
        task.exception()


async def _forward(
    request: web.Request,
    upstream: str,
    done: Callable[[Interaction], None],
    path: str | None,
) -> web.StreamResponse:
    body = await request.read()
    interaction = Interaction(
        method=request.method,
        uri=upstream.rstrip("/") + (path if path is not None else request.path_qs),
        request_headers={k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP},
        request_body=body,
        provider=Provider.for_path(request.path),
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=600)
    async with aiohttp.ClientSession(timeout=timeout, auto_decompress=True) as session:
        try:
            upstream_response = await session.request(
                request.method,
                interaction.uri,
                headers=interaction.request_headers,
                data=body,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, OSError) as error:
            raise RecordingFailed(f"cannot reach the upstream {upstream}: {error}") from error
        async with upstream_response:
            interaction.headers_t = loop.time() - started
            interaction.status, interaction.reason = (
                upstream_response.status,
                upstream_response.reason or "",
            )
            interaction.response_headers = {
                k.lower(): v
                for k, v in upstream_response.headers.items()
                if k.lower() not in HOP_BY_HOP
            }
            response = web.StreamResponse(
                status=interaction.status,
                reason=interaction.reason,
                headers=interaction.response_headers,
            )
            await response.prepare(request)
            await _relay(upstream_response, response, interaction, lambda: loop.time() - started)
            done(interaction)
            if interaction.truncated:
                if request.transport is not None:
                    request.transport.abort()  # the upstream dropped: cut the client too
            else:
                await response.write_eof()
    return response


async def _relay(
    upstream: aiohttp.ClientResponse,
    response: web.StreamResponse,
    interaction: Interaction,
    clock: Callable[[], float],
) -> None:
    # Reads and writes fail apart: an upstream that drops is a truncated answer worth
    # keeping; a client that hangs up is an interrupted recording, kept nowhere.
    chunks = upstream.content.iter_any()
    while True:
        try:
            chunk = await chunks.__anext__()
        except StopAsyncIteration:
            return
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError, asyncio.TimeoutError):
            interaction.truncated = True
            return
        interaction.chunks.append((clock(), chunk))
        try:
            await response.write(chunk)
        except (ConnectionResetError, aiohttp.ClientConnectionResetError) as error:
            raise RecordingFailed("the client left before the end of the answer") from error
