"""Per-test cost of the `streamrig` fixture and the session server's start-up.

    .venv/bin/python -m tests.benchmarks.bench_fixture

Prints JSON. Start-up: `MockServer()` on the bundled library, started and
stopped, next to a plain aiohttp app on its own thread (tests/plain_server.py).
Per-test cost: `Rig.reset()` plus `play(name)` as the fixture does them, and the
same measured end to end by pytest: N empty tests that use the fixture against N
that do not, in one run each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from streamrig import MockServer, Rig
from tests.benchmarks._stats import summary
from tests.plain_server import PlainServer


def timed(action, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def start_stop_streamrig() -> None:
    with MockServer():
        pass


def start_stop_plain() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    with PlainServer(handler):
        pass


def per_test_in_pytest(tests: int) -> dict[str, float]:
    body = "def test_{n}({fixture}):\n    pass\n"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "test_with.py").write_text(
            "".join(body.format(n=n, fixture="streamrig") for n in range(tests))
        )
        (root / "test_without.py").write_text(
            "".join(body.format(n=n, fixture="") for n in range(tests))
        )

        def run(name: str) -> float:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
                cwd=root,
                check=True,
                capture_output=True,
            )
            return time.perf_counter() - started

        with_s = min(run("test_with.py") for _ in range(3))
        without_s = min(run("test_without.py") for _ in range(3))
    return {
        "tests": tests,
        "with_fixture_s": round(with_s, 3),
        "without_s": round(without_s, 3),
        "per_test_ms": round((with_s - without_s) / tests * 1000, 3),
    }


def main() -> None:
    startup = summary(timed(start_stop_streamrig, 20))
    baseline = summary(timed(start_stop_plain, 20))
    with MockServer() as server:
        rig = Rig(server)

        def reset_and_play() -> None:
            rig.reset()
            rig.play("tool_after_text")

        fixture = summary(timed(reset_and_play, 2000))
    pytest_level = per_test_in_pytest(300)
    report = {
        "benchmark": "fixture",
        "server_start_stop": startup,
        "plain_aiohttp_start_stop": baseline,
        "reset_and_play": fixture,
        "pytest_per_test": pytest_level,
        "targets": {"per_test_ms": 5, "server_start_ms": 200},
        "met": {
            "per_test": fixture["p95_ms"] < 5 and pytest_level["per_test_ms"] < 5,
            "server_start": startup["p95_ms"] < 200,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
