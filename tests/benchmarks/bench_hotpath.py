"""`streamrig serve` as users run it, next to a plain aiohttp SSE handler (and aimock).

    .venv/bin/python -m tests.benchmarks.bench_hotpath [--rounds N] [--quick] [--no-aimock]

Prints JSON, ratios first. Every server is its own process, the client too (a raw
socket reader, tests/benchmarks/_clock_reader.py); systems are measured
interleaved, round after round, and each figure is the median over rounds. The
scenario is provider-neutral (`reply:` text, word chunks) on /v1/messages; the
plain handler writes streamrig's own bytes for it, one write per frame, on the same
absolute schedule. aimock (`@copilotkit/aimock`, npm-installed into a temporary
folder) answers the same text with `--latency` between chunks; left out with a note
when npm is unreachable.

Figures: server CPU per event (streams at no wait), zero-wait events per second on
one stream, gap error (arrival minus schedule, from each stream's first event) with
many concurrent streams, start-up to the first answer (`serve` on the bundled library
against a bare aiohttp app; this checkout as it runs, and the same source byte-compiled
in a wheel's layout, as aiohttp's own is installed), and the pytest plugin's session start (one trivial test,
with the plugin and with `-p no:streamrig`).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from tests.benchmarks._procs import ROOT, STREAMRIG, Server, free_port, read_streams

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
]
PROMPT = "benchmark"
BODY = {
    "model": "claude-bench",
    "max_tokens": 64,
    "stream": True,
    "messages": [{"role": "user", "content": PROMPT}],
}


def text_of(deltas: int) -> str:
    rng = random.Random(deltas)
    return " ".join(rng.choice(WORDS) for _ in range(deltas))


class Setup:
    """One stream shape (deltas, gap) served by each system under test."""

    def __init__(self, folder: Path, deltas: int, gap_ms: float, aimock: Path | None) -> None:
        self.deltas, self.gap_ms = deltas, gap_ms
        self.folder = folder / f"d{deltas}-g{gap_ms:g}"
        self.folder.mkdir()
        text = text_of(deltas)
        scenario = {
            "name": "bench",
            "reply": [{"text": text}],
            "timing": {"ttft_ms": 0, "gap_ms": gap_ms},
        }
        (self.folder / "bench.yaml").write_text(json.dumps(scenario))
        self.frames = _streamrig_frames(self.folder / "bench.yaml", gap_ms)
        (self.folder / "frames.json").write_text(json.dumps(self.frames))
        self.schedule = [at for at, _ in self.frames]
        self.aimock = aimock
        # aimock: one chunk per word (chunk size = word + space, words alike in length)
        fixture = {"fixtures": [{"match": {"userMessage": PROMPT}, "response": {"content": text}}]}
        (self.folder / "aimock.json").write_text(json.dumps(fixture))

    def servers(self) -> dict[str, Callable[[], Server]]:
        speed = "0" if self.gap_ms == 0 else "1"
        out: dict[str, Callable[[], Server]] = {
            "streamrig": lambda: _serve([str(self.folder / "bench.yaml"), "--speed", speed]),
            "aiohttp": lambda: _plain(self.folder / "frames.json"),
        }
        if self.aimock is not None:
            out["aimock"] = lambda: _aimock(self.aimock, self.folder / "aimock.json", self.gap_ms)
        return out


def _streamrig_frames(path: Path, gap_ms: float) -> list[tuple[float, str]]:
    from streamrig.providers import EncodeContext, wire_format
    from streamrig.scenario import load_scenarios
    from streamrig.server import Frame, plan_stream

    (scenario,) = load_scenarios([path]).scenarios
    wire = wire_format("anthropic")
    ctx = EncodeContext("bench", "claude-bench", random.Random(1), 1_767_225_600)
    plan = plan_stream(scenario, wire, ctx, speed=0.0 if gap_ms == 0 else 1.0)
    return [(f.at_s, f.data.decode()) for f in plan.steps if isinstance(f, Frame)]


def _serve(args: list[str], env: dict[str, str] | None = None) -> Server:
    port = free_port()
    argv = [STREAMRIG, "serve", *args, "--port", str(port)]
    return Server("streamrig", argv, port, "/_streamrig/health", env)


def _plain(frames: Path, batched: bool = False) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "tests.benchmarks._plain_sse", str(port), str(frames)]
    return Server("aiohttp", argv + (["--batched"] if batched else []), port, "/")


def _aimock(folder: Path, fixture: Path, gap_ms: float) -> Server:
    port = free_port()
    cli = folder / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
    argv = ["node", str(cli), "-p", str(port), "-f", str(fixture), "-l", str(gap_ms), "-c", "6"]
    return Server("aimock", argv, port, "/health")


def install_aimock() -> tuple[Path | None, str]:
    if shutil.which("npm") is None or shutil.which("node") is None:
        return None, "npm or node not found: aimock column left out"
    folder = Path(tempfile.mkdtemp(prefix="streamrig-aimock-"))
    try:
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "@copilotkit/aimock"],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"npm install @copilotkit/aimock failed ({exc}): aimock column left out"
    version = json.loads((folder / "node_modules/@copilotkit/aimock/package.json").read_text())[
        "version"
    ]
    return folder, f"aimock {version}"


def path_of(name: str) -> str:
    return "/v1/chat/completions" if name == "aimock" else "/v1/messages"


def body_of(name: str) -> dict[str, object]:
    if name == "aimock":
        return {"model": "gpt-bench", "stream": True, "messages": BODY["messages"]}
    return BODY


def rounds_of(
    setup: Setup, rounds: int, measure: Callable[[str, Server], float]
) -> dict[str, list[float]]:
    """Each system's figure, measured interleaved: every round runs every system once."""
    makers = setup.servers()
    servers = {name: make() for name, make in makers.items()}
    try:
        samples: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(rounds):
            for name, server in servers.items():
                samples[name].append(measure(name, server))
        return samples
    finally:
        for server in servers.values():
            server.stop()


def cpu_per_event(setup: Setup, streams: int, rounds: int) -> dict[str, object]:
    def measure(name: str, server: Server) -> float:
        before = server.cpu_s()
        got = read_streams(server.port, path_of(name), streams, body_of(name))
        events = sum(len(arrivals) for _, arrivals in got)
        return (server.cpu_s() - before) / events * 1e6

    return _figure(rounds_of(setup, rounds, measure), "us", lower_is_better=True)


def throughput(setup: Setup, rounds: int) -> dict[str, object]:
    def measure(name: str, server: Server) -> float:
        ((sent, arrivals),) = read_streams(server.port, path_of(name), 1, body_of(name))
        return len(arrivals) / (arrivals[-1] - sent)

    return _figure(rounds_of(setup, rounds, measure), "events/s", lower_is_better=False)


def gap_error(setup: Setup, streams: int, rounds: int) -> dict[str, object]:
    """Each event's lateness from its stream's first event; beside it, the time to that
    first event from the request (p99: all streams ask at once, so this is what the
    burst of arrivals costs the last of them)."""
    p50s: dict[str, list[float]] = {}
    first_p99s: dict[str, list[float]] = {}

    def measure(name: str, server: Server) -> float:
        got = read_streams(server.port, path_of(name), streams, body_of(name))
        errors = sorted(
            abs((t - arrivals[0]) - _due(name, setup, i)) * 1000
            for _, arrivals in got
            for i, t in enumerate(arrivals)
        )
        firsts = sorted((arrivals[0] - sent) * 1000 for sent, arrivals in got)
        p50s.setdefault(name, []).append(statistics.median(errors))
        first_p99s.setdefault(name, []).append(firsts[int(len(firsts) * 0.99) - 1])
        return errors[int(len(errors) * 0.99) - 1]

    figure = _figure(rounds_of(setup, rounds, measure), "ms p99", lower_is_better=True)
    figure["p50_ms"] = {name: round(statistics.median(v), 2) for name, v in p50s.items()}
    figure["first_event_p99_ms"] = {
        name: round(statistics.median(v), 1) for name, v in first_p99s.items()
    }
    return figure


def _due(name: str, setup: Setup, index: int) -> float:
    """When event `index` is due, from the stream's first event."""
    if name == "aimock":  # a gap before every chunk after the first
        return index * setup.gap_ms / 1000
    schedule = setup.schedule
    return schedule[min(index, len(schedule) - 1)] - schedule[0]


def burst(folder: Path, arrivals: int, rounds: int) -> dict[str, object]:
    """How late one playing stream's frames get while `arrivals` requests (of a short
    stream) arrive together: its frame error p99 / max, from a separate reader."""
    setup = Setup(folder, 300, 10, None)
    short = Setup(folder, 20, 0, None)
    (setup.folder / "short.yaml").write_text(
        (short.folder / "bench.yaml").read_text().replace('"bench"', '"short"')
    )
    makers: dict[str, Callable[[], Server]] = {
        "streamrig": lambda: _serve(
            [str(setup.folder / "bench.yaml"), str(setup.folder / "short.yaml")]
        ),
        "aiohttp": lambda: _plain_many(setup.folder / "frames.json", short.folder / "frames.json"),
    }
    servers = {name: make() for name, make in makers.items()}
    samples: dict[str, list[float]] = {name: [] for name in servers}
    maxima: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for _ in range(rounds):
            for name, server in servers.items():
                long_path = "/s/bench/v1/messages" if name == "streamrig" else "/"
                short_path = "/s/short/v1/messages" if name == "streamrig" else "/short"
                playing = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "tests.benchmarks._clock_reader",
                        "127.0.0.1",
                        str(server.port),
                        long_path,
                        "1",
                        json.dumps(BODY),
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                )
                time.sleep(1.0)  # the stream is playing; now the burst
                read_streams(server.port, short_path, arrivals, BODY)
                out, _ = playing.communicate()
                ((_, arrivals_t),) = json.loads(out)
                errors = sorted(
                    abs((t - arrivals_t[0]) - _due(name, setup, i)) * 1000
                    for i, t in enumerate(arrivals_t)
                )
                samples[name].append(errors[int(len(errors) * 0.99) - 1])
                maxima[name].append(errors[-1])
    finally:
        for server in servers.values():
            server.stop()
    figure = _figure(samples, "ms p99 of the playing stream", lower_is_better=True)
    figure["max_ms"] = {name: round(statistics.median(v), 2) for name, v in maxima.items()}
    return figure


def _plain_many(*frames: Path) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "tests.benchmarks._plain_sse", str(port), *map(str, frames)]
    return Server("aiohttp", argv, port, "/")


def startup(rounds: int, aimock: Path | None, folder: Path) -> dict[str, object]:
    bare = folder / "bare.py"
    bare.write_text(
        "import sys\nfrom aiohttp import web\n"
        "app = web.Application()\n"
        "app.router.add_get('/', lambda r: web.Response(text='ok'))\n"
        "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
    )
    fixture = folder / "startup.json"
    fixture.write_text(
        json.dumps({"fixtures": [{"match": {"userMessage": "x"}, "response": {"content": "y"}}]})
    )
    installed = {"PYTHONPATH": str(_installed(folder / "installed"))}
    makers: dict[str, Callable[[], Server]] = {
        "streamrig": lambda: _serve([]),
        "streamrig_installed": lambda: _serve([], installed),
        "aiohttp": lambda: _bare(bare),
    }
    if aimock is not None:
        makers["aimock"] = lambda: _aimock(aimock, fixture, 0)
    samples: dict[str, list[float]] = {name: [] for name in makers}
    for _ in range(rounds):
        for name, make in makers.items():
            server = make()
            samples[name].append(server.ready * 1000)
            server.stop()
    figure = _figure(samples, "ms", lower_is_better=True)
    figure["note"] = (
        "streamrig: this checkout as it runs here (with PYTHONDONTWRITEBYTECODE set, every "
        "start compiles its source); streamrig_installed: the same source laid out as its "
        "wheel installs it and byte-compiled as pip does on install, as aiohttp's own is"
    )
    return figure


def _installed(site: Path) -> Path:
    """This checkout's package as its wheel installs it (the bundled library inside, in
    `streamrig/scenarios`), byte-compiled; `PYTHONPATH=site` serves from it."""
    package = site / "streamrig"
    shutil.copytree(
        ROOT / "src" / "streamrig", package, ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "scenarios", package / "scenarios")
    if not compileall.compile_dir(site, quiet=2):
        raise RuntimeError(f"cannot byte-compile {site}")
    found = subprocess.run(
        [sys.executable, "-c", "import streamrig.scenario as s; print(s.bundled_path())"],
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if Path(found) != package / "scenarios":  # the copy, not the checkout, is what serves
        raise RuntimeError(f"PYTHONPATH={site} still loads the checkout: {found}")
    return site


def plugin_start(rounds: int, folder: Path) -> dict[str, object]:
    """pytest with the plugin and one trivial test against `-p no:streamrig`: wall time of
    the whole run, interleaved; the figure is what the plugin adds (target < 150 ms)."""
    tests = folder / "plugin-start"
    tests.mkdir()
    (tests / "test_trivial.py").write_text("def test_trivial():\n    assert True\n")
    base = [sys.executable, "-W", "ignore", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    runs = {"streamrig": base, "aiohttp": [*base, "-p", "no:streamrig"]}
    samples: dict[str, list[float]] = {"streamrig": [], "aiohttp": []}
    for _ in range(rounds):
        for name, argv in runs.items():
            started = time.perf_counter()
            subprocess.run(argv, cwd=tests, check=True, capture_output=True)
            samples[name].append((time.perf_counter() - started) * 1000)
    figure = _figure(samples, "ms (aiohttp: pytest -p no:streamrig)", lower_is_better=True)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    figure["added_ms"] = round(medians["streamrig"] - medians["aiohttp"], 1)
    return figure


def _bare(script: Path) -> Server:
    port = free_port()
    return Server("aiohttp", [sys.executable, str(script), str(port)], port, "/")


def _figure(
    samples: dict[str, list[float]], unit: str, *, lower_is_better: bool
) -> dict[str, object]:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["aiohttp"]
    return {
        "ratio_to_aiohttp": {
            name: round(value / base, 3) for name, value in medians.items() if name != "aiohttp"
        },
        "unit": unit,
        "lower_is_better": lower_is_better,
        "median": {name: round(value, 2) for name, value in medians.items()},
        "rounds": {name: [round(v, 2) for v in values] for name, values in samples.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller streams, fewer of them")
    parser.add_argument("--no-aimock", action="store_true")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated figures: cpu,throughput,gap200,gap1000,burst,startup,plugin",
    )
    args = parser.parse_args()
    aimock, note = (None, "left out (--no-aimock)") if args.no_aimock else install_aimock()
    only = set(filter(None, args.only.split(",")))
    scale = 10 if args.quick else 1
    report: dict[str, object] = {
        "benchmark": "hotpath",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}",
        "method": f"servers and client in separate processes; systems interleaved, {args.rounds} rounds; medians",
        "aimock": note,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wanted = lambda name: not only or name in only  # noqa: E731
        if wanted("cpu"):
            setup = Setup(folder, 100, 0, aimock)
            report["cpu_per_event_1000_streams_no_wait"] = cpu_per_event(
                setup, 1000 // scale, args.rounds
            )
        if wanted("throughput"):
            setup = Setup(folder, 12_740 // scale, 0, aimock)
            report["zero_wait_one_stream"] = throughput(setup, args.rounds)
        if wanted("gap200"):
            setup = Setup(folder, 100, 10, aimock)
            report["gap_error_200_streams_10ms"] = gap_error(setup, 200 // scale, args.rounds)
        if wanted("gap1000"):
            setup = Setup(folder, 40, 50, aimock)
            report["gap_error_1000_streams_50ms"] = gap_error(setup, 1000 // scale, args.rounds)
        if wanted("burst"):
            report["burst_of_200_arrivals_one_stream_playing_10ms"] = burst(
                folder, 200 // scale, args.rounds
            )
        if wanted("startup"):
            report["startup_to_first_answer"] = startup(max(args.rounds, 5), aimock, folder)
        if wanted("plugin"):
            report["plugin_session_start"] = plugin_start(max(args.rounds, 5), folder)
    if aimock is not None:
        shutil.rmtree(aimock, ignore_errors=True)
    print(json.dumps(report, indent=2))


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"# took {time.perf_counter() - started:.0f} s", file=sys.stderr)
