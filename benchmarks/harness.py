"""Timing helpers shared by the scenarios: percentiles and the printed table."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    unit: str  # "ms" (p50/p95 of one operation) or "rows/s"
    p50: float
    p95: float | None = None
    floor_p50: float | None = None
    floor_p95: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor_p50 in (None, 0):
            return None
        if self.unit == "rows/s":
            return self.floor_p50 / self.p50
        return self.p50 / self.floor_p50


def time_ms(fn: Callable[[], object], *, repeat: int, warmup: int = 3) -> tuple[float, float]:
    """p50 and p95 in milliseconds of `repeat` calls after `warmup` unmeasured ones."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def rate(fn: Callable[[], int]) -> float:
    """Rows per second of one call of `fn`, which returns the number of rows it handled."""
    start = time.perf_counter()
    rows = fn()
    return rows / (time.perf_counter() - start)


def print_table(vendor: str, figures: list[Figure]) -> None:
    print(f"\n== {vendor} ==")
    print(f"{'scenario':<48} {'p50':>10} {'p95':>10} {'floor p50':>10} {'floor p95':>10} {'ratio':>7}  unit")
    for f in figures:

        def fmt(v):
            return f"{v:10.2f}" if isinstance(v, float) else f"{'—':>10}"

        ratio = f"{f.ratio:7.2f}" if f.ratio is not None else f"{'—':>7}"
        print(
            f"{f.name:<48} {fmt(f.p50)} {fmt(f.p95)} {fmt(f.floor_p50)} {fmt(f.floor_p95)} {ratio}  {f.unit}"
            + (f"  ({f.note})" if f.note else "")
        )


def analyze() -> None:
    """Refresh planner statistics after bulk loading, as autovacuum would on a live database."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
