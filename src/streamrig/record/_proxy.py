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
_ROUTES = {
    "/v1/messages": Provider.ANTHROPIC,
    "/chat/completions": Provider.OPENAI_CHAT,
    "/responses": Provider.OPENAI_RESPONSES,
}


class RecordingFailed(Exception):
    """The upstream could not be reached, or the client left: nothing worth keeping."""


async def forward(
    request: web.Request, upstream: str, path: str | None = None
) -> tuple[web.StreamResponse, Interaction]:
    """Relay `request` to `upstream` + its path and stream the answer back chunk by chunk.

    Returns the response sent and the interaction as it arrived (chunks timed from
    the moment the request went upstream). An upstream that drops mid-stream gives
    a truncated interaction and a client connection cut the same way. Raises
    RecordingFailed when the upstream cannot be reached (the client gets a 502) or
    the client leaves before the end.
    """
    body = await request.read()
    path = path if path is not None else request.path_qs
    interaction = Interaction(
        method=request.method,
        uri=upstream.rstrip("/") + path,
        request_headers={k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP},
        request_body=body,
        provider=next((p for suffix, p in _ROUTES.items() if request.path.endswith(suffix)), None),
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
            await _relay(
                upstream_response, response, interaction, lambda: loop.time() - started, request
            )
    return response, interaction


async def _relay(
    upstream: aiohttp.ClientResponse,
    response: web.StreamResponse,
    interaction: Interaction,
    clock: Callable[[], float],
    request: web.Request,
) -> None:
    try:
        async for chunk in upstream.content.iter_any():
            interaction.chunks.append((clock(), chunk))
            await response.write(chunk)
    except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError, asyncio.TimeoutError):
        interaction.truncated = True  # the upstream dropped: keep what came, cut the client too
        if request.transport is not None:
            request.transport.abort()
        return
    except (ConnectionResetError, aiohttp.ClientConnectionResetError) as error:
        raise RecordingFailed("the client left before the end of the answer") from error
    await response.write_eof()
