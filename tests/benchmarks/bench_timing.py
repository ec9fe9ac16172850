"""Timing fidelity and zero-wait throughput, streamrig next to a plain aiohttp handler.

    .venv/bin/python -m tests.benchmarks.bench_timing [--events N] [--streams N]

Prints JSON. Fidelity: events every 20 ms (50 events/s); a reader in a separate
process timestamps each event; the error is its arrival (from the stream's first
event) minus its schedule. Throughput: one stream of N events with no waits,
events/s at the reader. The baseline is a plain aiohttp handler writing the same
bytes on the same schedule, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time

from aiohttp import web

from streamrig import MockServer
from tests.plain_server import PlainServer

GAP_S = 0.020


def event_bytes(index: int) -> bytes:
    return f'event: tick\ndata: {{"type":"tick","index":{index},"pad":"{"x" * 40}"}}\n\n'.encode()


def scenario(events: int, gap_ms: float | None) -> dict:
    steps = [
        {"event": "tick", "data": {"type": "tick", "index": i, "pad": "x" * 40}}
        for i in range(events)
    ]
    return {
        "name": "ticks",
        "provider": "anthropic",
        "events": steps,
        **({"timing": {"gap_ms": gap_ms}} if gap_ms else {}),
    }


def baseline_handler(events: int, gap_s: float):
    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index in range(events):
            delay = start + index * gap_s - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await response.write(event_bytes(index))
        await response.write_eof()
        return response

    return handler


def read(port: int, path: str, streams: int) -> list[list[float]]:
    body = json.dumps(
        {
            "model": "m",
            "max_tokens": 1,
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
        }
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks._reader",
            "127.0.0.1",
            str(port),
            path,
            str(streams),
            body,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def errors_ms(arrivals: list[list[float]], gap_s: float) -> dict[str, float]:
    errors = sorted(abs(t - i * gap_s) * 1000 for stream in arrivals for i, t in enumerate(stream))
    return {
        "events": len(errors),
        "p50_ms": round(statistics.median(errors), 3),
        "p99_ms": round(errors[int(len(errors) * 0.99) - 1], 3),
        "max_ms": round(errors[-1], 3),
    }


def fidelity(streams: int, events: int) -> dict[str, object]:
    with MockServer(scenario(events, GAP_S * 1000)) as server:
        ours = read(server.port, "/v1/messages", streams)
    with PlainServer(baseline_handler(events, GAP_S)) as plain:
        base = read(plain.port, "/", streams)
    assert all(len(s) == events for s in ours + base), "a stream lost events"
    return {
        "streams": streams,
        "events_per_s": 1 / GAP_S,
        "streamrig": errors_ms(ours, GAP_S),
        "aiohttp_baseline": errors_ms(base, GAP_S),
    }


def throughput(events: int) -> dict[str, object]:
    def rate(port: int, path: str) -> float:
        started = time.perf_counter()
        (stream,) = read(port, path, 1)
        assert len(stream) == events
        return events / (time.perf_counter() - started)

    with MockServer(scenario(events, None), speed=0) as server:
        ours = max(rate(server.port, "/v1/messages") for _ in range(3))
    with PlainServer(baseline_handler(events, 0.0)) as plain:
        base = max(rate(plain.port, "/") for _ in range(3))
    return {
        "events": events,
        "streamrig_events_per_s": round(ours),
        "aiohttp_events_per_s": round(base),
        "ratio": round(ours / base, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, default=150, help="events per stream for fidelity (default 150: 3 s)"
    )
    parser.add_argument("--streams", type=int, default=200, help="concurrent streams (default 200)")
    parser.add_argument("--throughput-events", type=int, default=50000)
    args = parser.parse_args()
    one, many = fidelity(1, args.events), fidelity(args.streams, args.events)
    report = {
        "benchmark": "timing",
        "fidelity_1_stream": one,
        f"fidelity_{args.streams}_streams": many,
        "zero_wait_throughput": throughput(args.throughput_events),
        "targets": {
            "p99_1_stream_ms": 2,
            f"p99_{args.streams}_streams_ms": 5,
            "throughput_ratio": 0.5,
        },
    }
    report["met"] = {
        "p99_1_stream": one["streamrig"]["p99_ms"] <= 2,
        f"p99_{args.streams}_streams": many["streamrig"]["p99_ms"] <= 5,
        "throughput": report["zero_wait_throughput"]["ratio"] >= 0.5,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
