"""What an open live page costs the server: streams with and without a page listening.

    .venv/bin/python -m tests.benchmarks.bench_live [--rounds N] [--quick]

Prints JSON, ratios first. Three servers, each its own process: a plain aiohttp SSE
handler (the limit of our stack), `streamrig serve` with no page open, and `streamrig
serve` with a page open (a curl process reading `GET /_streamrig/journal/events`
throughout, as the page's EventSource does). Interleaved, round after round; each
figure is the median over rounds. Figures: server CPU per event with 1000 streams at
no wait (every request opens and finishes an entry the page hears of), and the gap
error p99 of 200 concurrent streams with 10 ms gaps (the page hears their progress
every half second meanwhile).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from tests.benchmarks._procs import Server, read_streams
from tests.benchmarks.bench_hotpath import BODY, Setup, _due, _figure, _plain, _serve

PATH = "/v1/messages"


class Watched:
    """`streamrig serve` with a page's event stream open on it for as long as it runs."""

    def __init__(self, args: list[str]) -> None:
        self.server = _serve(args)
        self.port = self.server.port
        url = f"http://127.0.0.1:{self.port}/_streamrig/journal/events"
        self.page = subprocess.Popen(["curl", "-sN", url], stdout=subprocess.DEVNULL)

    def cpu_s(self) -> float:
        return self.server.cpu_s()

    def stop(self) -> None:
        self.page.terminate()
        self.page.wait(10)
        self.server.stop()


def makers(setup: Setup) -> dict[str, Callable[[], Server | Watched]]:
    speed = "0" if setup.gap_ms == 0 else "1"
    args = [str(setup.folder / "bench.yaml"), "--speed", speed]
    return {
        "aiohttp": lambda: _plain(setup.folder / "frames.json"),
        "streamrig": lambda: _serve(args),
        "streamrig_page_open": lambda: Watched(args),
    }


def rounds_of(
    setup: Setup, rounds: int, measure: Callable[[Server | Watched], float]
) -> dict[str, list[float]]:
    servers = {name: make() for name, make in makers(setup).items()}
    try:
        samples: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(rounds):
            for name, server in servers.items():
                samples[name].append(measure(server))
        return samples
    finally:
        for server in servers.values():
            server.stop()


def cpu_per_event(setup: Setup, streams: int, rounds: int) -> dict[str, object]:
    def measure(server: Server | Watched) -> float:
        before = server.cpu_s()
        got = read_streams(server.port, PATH, streams, BODY)
        return (server.cpu_s() - before) / sum(len(a) for _, a in got) * 1e6

    return _figure(rounds_of(setup, rounds, measure), "us", lower_is_better=True)


def gap_error(setup: Setup, streams: int, rounds: int) -> dict[str, object]:
    def measure(server: Server | Watched) -> float:
        got = read_streams(server.port, PATH, streams, BODY)
        errors = sorted(
            abs((t - arrivals[0]) - _due("streamrig", setup, i)) * 1000
            for _, arrivals in got
            for i, t in enumerate(arrivals)
        )
        return errors[int(len(errors) * 0.99) - 1]

    return _figure(rounds_of(setup, rounds, measure), "ms p99", lower_is_better=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer streams")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    report: dict[str, object] = {
        "benchmark": "live",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "method": f"servers, client and page in separate processes; interleaved, {args.rounds} rounds; medians",
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        report["cpu_per_event_1000_streams_no_wait"] = cpu_per_event(
            Setup(folder, 100, 0, None), 1000 // scale, args.rounds
        )
        report["gap_error_200_streams_10ms"] = gap_error(
            Setup(folder, 100, 10, None), 200 // scale, args.rounds
        )
    for figure in report.values():
        if isinstance(figure, dict) and "median" in figure:
            medians = figure["median"]
            figure["page_open_vs_closed"] = round(
                medians["streamrig_page_open"] / medians["streamrig"], 3
            )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"# took {time.perf_counter() - started:.0f} s", file=sys.stderr)
