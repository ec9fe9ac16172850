"""A plain aiohttp SSE handler, run as its own process: the limit of our own stack.

    python -m tests.benchmarks._plain_sse PORT FRAMES_JSON [SHORT_FRAMES_JSON] [--batched]

FRAMES_JSON holds `[[at_s, text], ...]`; every POST is answered with those frames
(a path starting /short: SHORT_FRAMES_JSON's),
each written at its due time from the request (absolute schedule), one write per
frame (or, with --batched, frames due together in one write). GET answers 200.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys

from aiohttp import web


def handler(frames: list[tuple[float, bytes]], batched: bool):
    groups = (
        [
            (at, b"".join(d for _, d in group))
            for at, group in itertools.groupby(frames, lambda f: f[0])
        ]
        if batched
        else frames
    )

    async def answer(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for at_s, data in groups:
            delay = start + at_s - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await response.write(data)
        await response.write_eof()
        return response

    return answer


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def _frames(path: str) -> list[tuple[float, bytes]]:
    with open(path) as file:
        return [(at, text.encode()) for at, text in json.load(file)]


def main() -> None:
    port, *paths = (arg for arg in sys.argv[1:] if not arg.startswith("--"))
    batched = "--batched" in sys.argv
    frames = [_frames(path) for path in paths]
    app = web.Application()
    app.router.add_get("/{tail:.*}", health)
    if len(frames) > 1:
        app.router.add_post("/short{tail:.*}", handler(frames[1], batched))
    app.router.add_post("/{tail:.*}", handler(frames[0], batched))
    # streamrig's own listen backlog: both take a burst of arrivals whole
    web.run_app(app, host="127.0.0.1", port=int(port), access_log=None, print=None, backlog=4096)


if __name__ == "__main__":
    main()
