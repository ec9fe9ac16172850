"""What every benchmark reports of a list of samples (ms)."""

from __future__ import annotations

import statistics


def summary(samples: list[float]) -> dict[str, float]:
    """Median and 95th percentile, rounded to microseconds."""
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
    }
