"""Latency samples per operation and side, summarised as percentiles and ops/s."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LatencySummary", "Recorder", "percentile", "summarize"]


def percentile(samples: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation between closest ranks."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class LatencySummary:
    """Milliseconds; ``ops_per_second`` from the summed time of the samples."""

    count: int
    p50: float
    p95: float
    p99: float
    mean: float
    ops_per_second: float


def summarize(samples: Iterable[float]) -> LatencySummary:
    values = list(samples)
    total = sum(values)
    return LatencySummary(
        count=len(values),
        p50=percentile(values, 50),
        p95=percentile(values, 95),
        p99=percentile(values, 99),
        mean=total / len(values) if values else math.nan,
        ops_per_second=len(values) / (total / 1000) if total > 0 else math.nan,
    )


class Recorder:
    """Samples (ms) keyed by ``(side, operation)``."""

    def __init__(self) -> None:
        self.samples: dict[tuple[str, str], list[float]] = defaultdict(list)

    def add(self, side: str, operation: str, ms: float) -> None:
        self.samples[(side, operation)].append(ms)

    def summary(self) -> dict[str, dict[str, LatencySummary]]:
        """``{operation: {side: summary}}``."""
        out: dict[str, dict[str, LatencySummary]] = defaultdict(dict)
        for (side, op), values in sorted(self.samples.items()):
            out[op][side] = summarize(values)
        return dict(out)
