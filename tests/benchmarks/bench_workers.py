"""Many concurrent slow streams held at once, and how fast health answers meanwhile.

    .venv/bin/python -m tests.benchmarks.bench_workers [--streams 10000] [--workers 2]

Prints JSON. A holder process (tests/benchmarks/_holder.py) opens STREAMS slow
streams (one event a second, 60 s each), a batch at a time; once all are open, this
process asks `/_streamrig/health` (the plain server: `/`) every 50 ms on a new
connection for 10 s, and in turn an idle plain aiohttp server (the control: what this
machine's scheduling alone costs a health answer). Systems, one after the other:
`streamrig serve --workers N`, `streamrig serve` (one process), and a plain aiohttp
handler writing the same bytes.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from tests.benchmarks._procs import ROOT, STREAMRIG, Server, free_port
from tests.benchmarks.bench_hotpath import BODY, _streamrig_frames, text_of

DELTAS, GAP_MS = 60, 1000  # a minute each: all are still open while health is asked


def health_ms(
    targets: list[tuple[int, str]], seconds: float, until: threading.Event | None = None
) -> list[list[float]]:
    """Each target's answer times (ms), asked in turn every 50 ms on new connections, for
    `seconds` or until `until` is set."""
    samples: list[list[float]] = [[] for _ in targets]
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and not (until is not None and until.is_set()):
        for (port, path), times in zip(targets, samples):
            started = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
                answer.read()
            times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)
    return samples


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2),
        "max_ms": round(ordered[-1], 2),
    }


def held(
    server: Server, path: str, health: str, streams: int, batch: int, control: Server
) -> dict[str, object]:
    """Health of `server` while it holds `streams`, and of an idle `control` server asked
    in turn: when both are slow alike, the machine (CPU shared with the holder, the
    workers and whatever else runs) bounds the figure, not the server."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.benchmarks._holder",
            str(server.port),
            path,
            str(streams),
            str(batch),
            json.dumps(BODY),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    started = time.perf_counter()
    # Health is asked all along: while the streams open, while all are held (the
    # figure), and on until 2 s after the last one ends (their close, what follows it).
    opening = _sampled(lambda until: health_ms([(server.port, health)], 600, until)[0])
    line = holder.stdout.readline()
    opened_s = time.perf_counter() - started
    opening_samples = opening()
    if line.strip() != "ready":
        holder.kill()
        return {"error": f"holder did not get every stream going: {line!r}"}
    cpu_before = server.cpu_s()
    mine, idle = health_ms([(server.port, health), (control.port, "/")], 10.0)
    cpu = server.cpu_s() - cpu_before
    closing = _sampled(lambda until: health_ms([(server.port, health)], 600, until)[0])
    result = json.loads(holder.stdout.read() or "{}")
    holder.wait()
    time.sleep(2.0)  # and what the server does once they have: the collector's reclaim
    closing_samples = closing()
    own = _stats(mine)
    return {
        "streams_open_after_s": round(opened_s, 1),
        **{f"health_{k}": v for k, v in own.items()},
        "health_samples": len(mine),
        **{f"idle_control_{k}": v for k, v in _stats(idle).items()},
        "server_cpu_share_while_holding": round(cpu / 10.0, 2),
        **{f"health_while_opening_{k}": v for k, v in _stats(opening_samples).items()},
        **{f"health_until_all_ended_{k}": v for k, v in _stats(closing_samples).items()},
        **_collector_of(server.port, health),
        **result,
    }


def _sampled(sample: Callable[[threading.Event], list[float]]) -> Callable[[], list[float]]:
    """Run `sample(until)` on a thread; the call returned sets `until` and gives its samples."""
    until = threading.Event()
    samples: list[float] = []
    thread = threading.Thread(target=lambda: samples.extend(sample(until)))
    thread.start()

    def stop() -> list[float]:
        until.set()
        thread.join()
        return samples

    return stop


def _collector_of(port: int, health: str) -> dict[str, object]:
    """What streamrig's health says of its collector policy (the worker that answered)."""
    if not health.startswith("/_streamrig"):
        return {}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=10) as answer:
        return {"collector": json.loads(answer.read()).get("collector")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--systems", default="workers,single,plain", help="comma-separated: workers,single,plain"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario = {
            "name": "slow",
            "reply": [{"text": text_of(DELTAS)}],
            "timing": {"ttft_ms": 0, "gap_ms": GAP_MS},
        }
        (folder / "slow.yaml").write_text(json.dumps(scenario))
        frames = _streamrig_frames(folder / "slow.yaml", GAP_MS)
        (folder / "frames.json").write_text(json.dumps(frames))

        def serve(workers: int) -> Server:
            port = free_port()
            argv = [STREAMRIG, "serve", str(folder / "slow.yaml"), "--port", str(port)]
            return Server(
                "streamrig", [*argv, "--workers", str(workers)], port, "/_streamrig/health"
            )

        def plain() -> Server:
            port = free_port()
            argv = [
                sys.executable,
                "-m",
                "tests.benchmarks._plain_sse",
                str(port),
                str(folder / "frames.json"),
            ]
            return Server("aiohttp", argv, port, "/")

        systems: dict[str, tuple[Callable[[], Server], str, str]] = {
            f"streamrig_{args.workers}_workers": (
                lambda: serve(args.workers),
                "/v1/messages",
                "/_streamrig/health",
            ),
            "streamrig_1_process": (lambda: serve(1), "/v1/messages", "/_streamrig/health"),
            "aiohttp_1_process": (plain, "/", "/"),
        }
        report: dict[str, object] = {
            "benchmark": "workers",
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, Python {platform.python_version()}",
            "streams": args.streams,
            "stream": f"{DELTAS} events, one every {GAP_MS} ms",
        }
        keys = dict(zip(systems, ("workers", "single", "plain")))
        chosen = set(args.systems.split(","))
        systems = {name: system for name, system in systems.items() if keys[name] in chosen}
        control = plain()  # idle all along: how fast this machine answers anyway
        try:
            for name, (make, path, health) in systems.items():
                server = make()
                try:
                    report[name] = held(server, path, health, args.streams, args.batch, control)
                finally:
                    server.stop()
        finally:
            control.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
