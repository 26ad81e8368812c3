"""The small vocabulary every benchmark module uses: plan, case, measurement, row."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """How hard to try: ``--quick`` trades precision for a run under half a minute."""

    quick: bool = False

    def runs(self, full: int, quick: int) -> int:
        return quick if self.quick else full


@dataclass(frozen=True)
class Measurement:
    """Seconds per run (lower is better) and a free-text note for the table."""

    samples: Sequence[float]
    note: str = ""


@dataclass(frozen=True)
class Case:
    name: str
    measure: Callable[[Plan], Measurement]
    #: Name of the case in the same benchmark that this one is divided by.
    baseline: str | None = None


@dataclass(frozen=True)
class Benchmark:
    name: str
    cases: Callable[[], Sequence[Case]]


@dataclass(frozen=True)
class Row:
    benchmark: str
    case: str
    runs: int
    median: float
    p95: float
    baseline: str | None
    ratio: float | None
    note: str = ""


def repeat(runs: int, call: Callable[[], object], *, warmup: int = 1) -> list[float]:
    """Time ``call`` ``runs`` times after ``warmup`` untimed calls (first-touch costs)."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def p95(samples: Sequence[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    # "inclusive" never extrapolates beyond the slowest run seen.
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def run(benchmark: Benchmark, plan: Plan) -> list[Row]:
    """Measure every case, then divide by baselines: ratios need the whole run."""
    measured: dict[str, Measurement] = {}
    cases = benchmark.cases()
    for case in cases:
        print(f"  {benchmark.name}: {case.name} …", end="", file=sys.stderr, flush=True)
        started = time.perf_counter()
        measured[case.name] = case.measure(plan)
        print(f" {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    rows = []
    for case in cases:
        result = measured[case.name]
        median = statistics.median(result.samples)
        base = measured.get(case.baseline) if case.baseline else None
        ratio = median / statistics.median(base.samples) if base else None
        rows.append(
            Row(
                benchmark=benchmark.name,
                case=case.name,
                runs=len(result.samples),
                median=median,
                p95=p95(result.samples),
                baseline=case.baseline,
                ratio=ratio,
                note=result.note,
            )
        )
    return rows
