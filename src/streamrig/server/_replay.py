"""Answering with a recorded interaction: its status, its headers, its body or its timed events."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..scenario import Recording

__all__ = ["recorded_headers", "recorded_response", "wait_for_headers"]

# Recomputed by this server, or describing the recorded connection rather than the answer.
_DROP = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "content-encoding",
        "date",
        "server",
    }
)


def recorded_headers(recording: Recording) -> dict[str, str]:
    return {name: value for name, value in recording.headers.items() if name.lower() not in _DROP}


async def wait_for_headers(recording: Recording, speed: float) -> None:
    """The recorded time to the response headers, scaled by speed."""
    if speed > 0 and recording.headers_t > 0:
        await asyncio.sleep(recording.headers_t / speed)


def recorded_response(recording: Recording, extra: dict[str, str]) -> web.Response:
    """A whole recorded answer (an HTTP error, or a JSON body) exactly as it came."""
    return web.Response(
        status=recording.status,
        body=recording.body,
        headers={**recorded_headers(recording), **extra},
    )
