"""Running a command once per case against a server the battery starts; cases in parallel."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from ..scenario import Provider
from ..server import MockServer
from ._cases import Case
from ._judge import CaseResult, Run, judge
from ._report import BatteryReport

__all__ = ["case_env", "run_battery"]

API_KEY = "sk-streamrig-battery"  # the client's SDK wants a key; a real one never goes out


def run_battery(
    command: Sequence[str],
    cases: Sequence[Case],
    provider: Provider,
    *,
    timeout_s: float = 30.0,
    jobs: int = 2,
    seed: int = 0,
    on_result: Callable[[int, int, CaseResult], None] | None = None,
) -> BatteryReport:
    """Start a server with every case's scenario, run `command` once per case, judge each run.

    Cases run `jobs` at a time: each has its own scenario (its own URL prefix and
    journal entries), so runs never share state. `on_result(done, total, result)`
    is called as each case ends, from the thread that ran it.
    """
    results: dict[str, CaseResult] = {}
    done = 0
    lock = threading.Lock()
    with MockServer([case.scenario for case in cases], seed=seed) as server:

        def one(case: Case) -> None:
            nonlocal done
            run = run_command(command, case_env(server.url, case, provider), timeout_s)
            entries = [e for e in server.journal.settled(wait=2.0) if e.scenario == case.name]
            result = judge(case, run, entries, timeout_s)
            with lock:
                results[case.name] = result
                done += 1
                if on_result is not None:
                    on_result(done, len(cases), result)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for future in [pool.submit(one, case) for case in cases]:
                future.result()
    return BatteryReport(
        provider.value, tuple(command), tuple(results[case.name] for case in cases)
    )


def case_env(url: str, case: Case, provider: Provider) -> dict[str, str]:
    """The client's environment: the SDKs' base URLs (and the raw URL) point at this case."""
    base = f"{url}/s/{case.name}"
    return {
        **os.environ,
        "ANTHROPIC_BASE_URL": base,
        "OPENAI_BASE_URL": base + "/v1",
        "STREAMRIG_URL": base,
        "STREAMRIG_CASE": case.name,
        "STREAMRIG_PROVIDER": provider.value,
        "ANTHROPIC_API_KEY": API_KEY,
        "OPENAI_API_KEY": API_KEY,
    }


def run_command(command: Sequence[str], env: Mapping[str, str], timeout_s: float) -> Run:
    """Run to the end, or kill its whole process group at the timeout (exit_code None)."""
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own group: a timeout kills its children too
        )
    except OSError as error:
        return Run(127, "", f"cannot run {command[0]!r}: {error}", 0.0)
    try:
        out, err = process.communicate(timeout=timeout_s)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        _kill_group(process)
        out, err = process.communicate()
        code = None
    return Run(
        code,
        out.decode("utf-8", errors="replace"),
        err.decode("utf-8", errors="replace"),
        time.monotonic() - started,
    )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
