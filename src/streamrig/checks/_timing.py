"""check.timing: time to first token, gaps, throughput and the client's own overhead, against budgets."""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import CheckFailed, UsageError
from ..probe import Probe
from ..server import JournalEntry
from ._accumulated import describe_entry
from ._pairing import pair
from ._sent import JournalSource, last_stream, sent_events

__all__ = ["Timing", "timing"]


@dataclass(frozen=True, slots=True)
class Timing:
    """What the probe measured (ms, and chunks per second). The overheads are NaN for a
    probe that kept no items (`keep_items=False`): there is nothing to pair."""

    ttft_ms: float
    max_gap_ms: float
    tokens_per_s: float
    overhead_p50_ms: float
    overhead_p95_ms: float
    chunks: int

    def table(self) -> str:
        overhead = (
            "overhead not measured (keep_items=False)"
            if math.isnan(self.overhead_p95_ms)
            else f"overhead per chunk p50 {self.overhead_p50_ms:.2f} ms / p95 {self.overhead_p95_ms:.2f} ms"
        )
        return (
            f"time to first chunk {self.ttft_ms:.1f} ms, largest gap {self.max_gap_ms:.1f} ms, "
            f"{self.tokens_per_s:.1f} chunks/s, {overhead}, {self.chunks} chunks"
        )


def timing(
    source: JournalSource,
    probe: Probe[Any],
    *,
    ttft_ms: float | None = None,
    max_gap_ms: float | None = None,
    min_tokens_per_s: float | None = None,
    overhead_ms: float | None = None,
    request: JournalEntry | None = None,
) -> Timing:
    """Judge a probed client run. TTFT is from the request's arrival at the server to the
    client's first chunk; overhead is each chunk's arrival at the client minus the moment
    the server finished writing the event that chunk carries, paired by content (its p95
    is held to `overhead_ms`). `UsageError` when a chunk matches nothing the server sent."""
    __tracebackhide__ = True
    if not probe.times:
        raise UsageError(
            "check.timing: the probe saw no chunk; iterate the probe, not the original stream"
        )
    entry = request or last_stream(source)
    # Overhead is measured from each frame's actual send: only these two see lateness.
    _server_on_time(entry, {"time to first chunk": ttft_ms, "largest gap": max_gap_ms})
    measured = _measure(entry, probe, overhead_ms is not None)
    budgets = [
        ("time to first chunk", measured.ttft_ms, ttft_ms, "ms", False),
        ("largest gap between chunks", measured.max_gap_ms, max_gap_ms, "ms", False),
        ("chunks per second", measured.tokens_per_s, min_tokens_per_s, "/s", True),
        ("client overhead per chunk (p95)", measured.overhead_p95_ms, overhead_ms, "ms", False),
    ]
    problems = [
        f"{name}: {value:.2f}{unit}, budget {'at least' if floor else 'at most'} {budget:g}{unit}"
        for name, value, budget, unit, floor in budgets
        if budget is not None and (value < budget if floor else value > budget)
    ]
    if problems:
        raise CheckFailed(
            f"streamrig: the client missed its timing budget\n  ({describe_entry(entry)})\n  "
            + "\n  ".join(problems)
            + f"\n  measured: {measured.table()}"
        )
    return measured


def _server_on_time(entry: JournalEntry, budgets_ms: Mapping[str, float | None]) -> None:
    """Refuse to judge a run in which the server's own frames went out later than the
    tightest time budget checked: the figures would measure the server, not the client."""
    given = {name: budget for name, budget in budgets_ms.items() if budget is not None}
    frames = entry.frames
    if not given or not frames:
        return
    worst = max(frames, key=lambda frame: frame.sent_s - frame.scheduled_s)
    late_ms = (worst.sent_s - worst.scheduled_s) * 1000
    name, budget = min(given.items(), key=lambda item: item[1])
    if late_ms > budget:
        raise UsageError(
            f"streamrig: check.timing cannot judge this run: the server itself wrote frame "
            f"{worst.index} {late_ms:.1f} ms after its schedule, more than the {name} budget "
            f"({budget:g} ms).\n  The server shares the CPU (in the test's own process, the GIL) "
            "with the code under test; run it in its own process (--streamrig-server=process) "
            "or keep the test's process idle while the client streams."
        )


def _measure(entry: JournalEntry, probe: Probe[Any], need_overhead: bool) -> Timing:
    times = probe.times
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
    span = times[-1] - times[0]
    if need_overhead or len(probe.items) == len(times):
        overheads = [p.overhead_ms for p in pair(probe, sent_events(entry))]
        p50, p95 = statistics.median(overheads), _p95(overheads)
    else:
        p50 = p95 = math.nan  # no items kept: nothing to pair, and no budget asks for it
    return Timing(
        ttft_ms=(times[0] - entry.time) * 1000,
        max_gap_ms=max(gaps, default=0.0),
        tokens_per_s=(len(times) - 1) / span if span > 0 else float("inf"),
        overhead_p50_ms=p50,
        overhead_p95_ms=p95,
        chunks=len(times),
    )


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
