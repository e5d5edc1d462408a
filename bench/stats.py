"""Percentiles and throughput, the same way for Tsunagi and the baseline."""

from __future__ import annotations

import math


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict[str, float | int | None]:
    ms = [s * 1000 for s in seconds]

    def r(v: float | None) -> float | None:
        return round(v, 1) if v is not None else None

    return {
        "count": len(ms),
        "p50_ms": r(percentile(ms, 50)),
        "p95_ms": r(percentile(ms, 95)),
        "p99_ms": r(percentile(ms, 99)),
        "max_ms": r(max(ms) if ms else None),
        "mean_ms": r(sum(ms) / len(ms) if ms else None),
    }


def per_second(count: int, start: float, end: float | None) -> float | None:
    if not count or end is None or end <= start:
        return None
    return round(count / (end - start), 1)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None
