"""Soak: abrupt disconnects and many slow streams; fds, RSS, tracebacks, stuck entries,
health latency before/during/after; journal GET latency while streams play; the memory
plateau of many 200 KB answers under the journal's byte cap. Prints JSON.

Run: python -m tests.benchmarks.bench_soak [--disconnects N] [--streams N]
     [--plateau N] [--journal-max-mb MB]
A plain aiohttp handler is measured in the same run as the baseline for health latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import struct
import sys
import time
from collections import Counter

import aiohttp
from aiohttp import web

from streamrig import MockServer
from tests.reliability.wire import Captured, body_for, request_bytes

from ._stats import summary

SLOW = {
    "name": "slow",
    "reply": [{"text": "one two three four five six seven eight nine ten " * 3}],
    "timing": {"ttft_ms": 50, "tokens_per_s": 4},  # ~8 s a stream
}


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def _health(url: str, count: int = 20) -> list[float]:
    samples = []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            started = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
            samples.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.01)
    return samples


def _disconnects(port: int, count: int) -> None:
    body = json.dumps(body_for("/v1/messages")).encode()
    raw = request_bytes(port, "/s/slow/v1/messages", body)
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        # mid-head, mid-body, after the whole request
        cut = (10, len(raw) - len(body) // 2, len(raw))[index % 3]
        sock.sendall(raw[:cut])
        if index % 2:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


async def _hold_streams(port: int, count: int) -> asyncio.subprocess.Process:
    """`count` slow streams held by a process of their own (the client's reading is not
    this process's work); returns once every stream has its first event."""
    body = json.dumps(body_for("/v1/messages"))
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.benchmarks._holder",
        str(port),
        "/s/slow/v1/messages",
        str(count),
        "200",
        body,
        stdout=asyncio.subprocess.PIPE,
    )
    assert holder.stdout is not None
    assert (await holder.stdout.readline()).strip() == b"ready"
    return holder


async def _journal_latency(url: str, count: int = 5) -> list[float]:
    samples = []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            started = time.perf_counter()
            async with session.get(url + "/_streamrig/journal") as response:
                await response.read()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


BIG = {"name": "big", "reply": [{"text": "x" * 200_000}]}


def _rss_now_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _plateau(requests: int, max_mb: float) -> dict[str, object]:
    """RSS while `requests` 200 KB answers pile into a journal capped at `max_mb`."""
    body = body_for("/v1/messages", stream=False)
    with MockServer(BIG, speed=0) as server:
        server.journal.limit, server.journal.max_bytes = 10_000, int(max_mb * 1_000_000)
        url = server.url + "/s/big/v1/messages"
        series = [(0, _rss_now_mb())]

        async def run() -> None:
            async with aiohttp.ClientSession() as session:
                for index in range(1, requests + 1):
                    async with session.post(url, json=body) as response:
                        await response.read()
                    if index % max(1, requests // 10) == 0:
                        series.append((index, _rss_now_mb()))

        asyncio.run(run())
        kept = len(server.journal.entries())
    return {
        "answers": requests,
        "answer_kb": 200,
        "journal_max_mb": max_mb,
        "entries_kept": kept,
        "rss_mb_by_requests": series,
    }


def _baseline_health() -> list[float]:
    async def run() -> list[float]:
        app = web.Application()
        app.router.add_get("/h", lambda request: web.json_response({"status": "ok"}))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            return await _health(f"http://127.0.0.1:{port}/h")
        finally:
            await runner.cleanup()

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--disconnects", type=int, default=10_000)
    parser.add_argument("--streams", type=int, default=2_000)
    parser.add_argument("--plateau", type=int, default=3_000, help="200 KB answers")
    parser.add_argument("--journal-max-mb", type=float, default=256.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.streams + 1024)), hard)
    )
    baseline = _baseline_health()
    with Captured() as logs, MockServer(SLOW) as server:
        health = server.url + "/_streamrig/health"
        fds_before, before = _fds(), asyncio.run(_health(health))
        _disconnects(server.port, args.disconnects)

        async def during() -> tuple[list[float], list[float], dict[str, int]]:
            holder = await _hold_streams(server.port, args.streams)
            sampled = await _health(health)
            journal = await _journal_latency(server.url)
            out, _ = await holder.communicate()
            return sampled, journal, json.loads(out)

        during_health, journal, held = asyncio.run(during())
        time.sleep(1.0)
        after = asyncio.run(_health(health))
        entries = server.journal.entries()
        stuck = sum(1 for e in entries if not e.done)
        fds_after = _fds()
    report = {
        "disconnects": args.disconnects,
        "slow_streams": args.streams,
        "slow_streams_held": held,
        "journal_entries": len(entries),
        "stuck_entries": stuck,
        "outcomes": dict(
            Counter(f"{e.outcome.value}/{e.closed_during or '-'}" for e in entries).most_common()
        ),
        "tracebacks": len(logs.tracebacks()),
        "fds_before": fds_before,
        "fds_after": fds_after,
        "max_rss_mb": _rss_mb(),
        "health_before": summary(before),
        "health_during": summary(during_health),
        "health_during_samples_ms": [round(x, 1) for x in during_health],
        "health_after": summary(after),
        "journal_get_during": summary(journal),
        "plain_aiohttp_health": summary(baseline),
        "health_during_vs_plain": round(
            summary(during_health)["median_ms"] / summary(baseline)["median_ms"], 2
        ),
    }
    report["plateau"] = _plateau(args.plateau, args.journal_max_mb)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
