"""Time to first byte through the recording proxy, next to the same upstream called directly.

    .venv/bin/python -m tests.benchmarks.bench_record [--requests N]

Prints JSON. The upstream is a plain aiohttp handler that sends its first event
50 ms after the request, then nine more; the client reads raw bytes and notes when
the first body byte arrives. The proxy forwards each chunk as it comes, so the
difference is what recording costs a client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time

import httpx2 as httpx
from aiohttp import web

from streamrig.record import RecordingProxy
from tests.benchmarks._stats import summary
from tests.plain_server import PlainServer

FIRST_EVENT_S = 0.050


async def upstream(request: web.Request) -> web.StreamResponse:
    await request.read()
    response = web.StreamResponse(headers={"content-type": "text/event-stream; charset=utf-8"})
    await response.prepare(request)
    await asyncio.sleep(FIRST_EVENT_S)
    for index in range(10):
        await response.write(f'event: tick\ndata: {{"index":{index}}}\n\n'.encode())
        await asyncio.sleep(0.002)
    await response.write_eof()
    return response


def ttfb_ms(url: str, count: int) -> list[float]:
    body = {
        "model": "m",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
    }
    samples = []
    with httpx.Client() as client:
        for _ in range(count):
            started = time.perf_counter()
            with client.stream("POST", url + "/v1/messages", json=body) as response:
                first = None
                for _chunk in response.iter_raw():
                    first = first or (time.perf_counter() - started) * 1000
                samples.append(first)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with PlainServer(upstream) as server, tempfile.TemporaryDirectory() as out:
        direct = summary(ttfb_ms(server.url, args.requests))
        with RecordingProxy(server.url, out) as proxy:
            proxied = summary(ttfb_ms(proxy.url, args.requests))
    report = {
        "benchmark": "record_proxy_ttfb",
        "upstream_first_event_ms": FIRST_EVENT_S * 1000,
        "direct": direct,
        "through_proxy": proxied,
        "added_median_ms": round(proxied["median_ms"] - direct["median_ms"], 3),
        "added_p95_ms": round(proxied["p95_ms"] - direct["p95_ms"], 3),
        "target": "within a few ms of direct",
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
