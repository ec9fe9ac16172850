"""check.timing: time to first token, gaps, throughput and the client's own overhead, against budgets."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import CheckFailed, UsageError
from ..probe import Probe
from ..scenario import Provider
from ..server import JournalEntry
from ._accumulated import describe_entry
from ._sent import JournalSource, SentEvent, last_stream, sent_events

__all__ = ["Timing", "timing"]


@dataclass(frozen=True, slots=True)
class Timing:
    """What the probe measured (ms, and chunks per second)."""

    ttft_ms: float
    max_gap_ms: float
    tokens_per_s: float
    overhead_p50_ms: float
    overhead_p95_ms: float
    chunks: int

    def table(self) -> str:
        return (
            f"time to first chunk {self.ttft_ms:.1f} ms, largest gap {self.max_gap_ms:.1f} ms, "
            f"{self.tokens_per_s:.1f} chunks/s, overhead per chunk p50 {self.overhead_p50_ms:.2f} ms / "
            f"p95 {self.overhead_p95_ms:.2f} ms, {self.chunks} chunks"
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
    the server finished writing it (its p95 is held to `overhead_ms`)."""
    __tracebackhide__ = True
    if not probe.times:
        raise UsageError(
            "check.timing: the probe saw no chunk; iterate the probe, not the original stream"
        )
    entry = request or last_stream(source)
    # Overhead is measured from each frame's actual send: only these two see lateness.
    _server_on_time(entry, {"time to first chunk": ttft_ms, "largest gap": max_gap_ms})
    measured = _measure(entry, probe)
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


def _measure(entry: JournalEntry, probe: Probe[Any]) -> Timing:
    times = probe.times
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
    span = times[-1] - times[0]
    overheads = [(t - sent) * 1000 for t, sent in zip(times, _send_times(entry, len(times)))]
    return Timing(
        ttft_ms=(times[0] - entry.time) * 1000,
        max_gap_ms=max(gaps, default=0.0),
        tokens_per_s=(len(times) - 1) / span if span > 0 else float("inf"),
        overhead_p50_ms=statistics.median(overheads) if overheads else 0.0,
        overhead_p95_ms=_p95(overheads),
        chunks=len(times),
    )


def _send_times(entry: JournalEntry, chunks: int) -> list[float]:
    """The server's send time for each chunk: content events if the client yields one per
    content delta, else every event (a client that yields raw events)."""
    events = sent_events(entry)
    content = [e.sent_at for e in events if _is_content(e, entry.provider)]
    if len(content) >= chunks or len(events) < chunks:
        return content
    return [e.sent_at for e in events]


def _is_content(event: SentEvent, provider: str | None) -> bool:
    data = event.data
    if not isinstance(data, Mapping):
        return False
    if provider == Provider.OPENAI_CHAT.value:
        return any(_has_delta(c.get("delta") or {}) for c in data.get("choices") or [])
    kind = str(data.get("type", ""))
    return kind == "content_block_delta" or (
        kind.startswith("response.") and kind.endswith(".delta")
    )


def _has_delta(delta: Mapping[str, Any]) -> bool:
    return bool(delta.get("content") or delta.get("refusal") or delta.get("tool_calls"))


def _p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
