"""Servers as processes for the benchmarks: start, wait for an answer, CPU used, stop."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STREAMRIG = str(Path(sys.executable).with_name("streamrig"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answered(port: int, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=0.5) as response:
            return bool(response.status < 500)
    except OSError:
        return False


class Server:
    """A server process on `port`; `ready` is the seconds from spawn to its first answer."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        port: int,
        probe: str = "/",
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name, self.port = name, port
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=None if env is None else {**os.environ, **env},
        )
        while not answered(port, probe):
            if self.proc.poll() is not None or time.perf_counter() - started > 30:
                raise RuntimeError(f"{name} did not start: {' '.join(argv)}")
            time.sleep(0.005)
        self.ready = time.perf_counter() - started

    def cpu_s(self) -> float:
        """User + system CPU seconds the process (and its children) used so far."""
        total = 0.0
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def read_streams(
    port: int, path: str, streams: int, body: dict[str, object], headers: Sequence[str] = ()
) -> list[tuple[float, list[float]]]:
    """Run the clock reader in its own process: `(sent, arrivals)` for each stream."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks._clock_reader",
            "127.0.0.1",
            str(port),
            path,
            str(streams),
            json.dumps(body),
            *headers,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [(sent, arrivals) for sent, arrivals in json.loads(out.stdout)]
