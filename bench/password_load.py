"""Password checks under load: is the semaphore's memory claim real, and what does it buy?

``Settings.max_concurrent_password_checks`` lets floor(budget / memory cost) checks run at
once. Here that many run in threads (argon2-cffi releases the GIL) while the process's
resident memory is sampled, so the table shows peak ≈ n × memory cost, not just the formula.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from multiprocessing import get_context
from pathlib import Path

from bench import machine, rss
from bench.core import Case, Measurement, Plan
from bench.passwords import CHOSEN, FLOOR, PASSWORD
from servicestelle.auth.passwords import PasswordService
from servicestelle.config import PasswordHashParameters, Settings

#: Memory budget whose concurrency is measured (production default: Settings' own).
BUDGET_MIB = 1024
DEFAULT_BUDGET_MIB = Settings.password_hash_memory_budget_mib


def capacity(parameters: PasswordHashParameters, budget_mib: int) -> int:
    """The semaphore size the app would use; asks Settings so the formula is not copied."""
    settings = Settings(
        profile="test",
        instance_path=Path(),
        database_url="sqlite://",
        secret_key=bytes(32),
        password_hash=parameters,
        password_hash_memory_budget_mib=budget_mib,
    )
    return settings.max_concurrent_password_checks


@dataclass(frozen=True)
class BatchReport:
    walls: list[float]
    idle_kib: int
    peaks_kib: list[int]
    after_kib: int


def run_batches(parameters: PasswordHashParameters, concurrent: int, runs: int) -> BatchReport:
    """In a fresh process: ``runs`` batches of ``concurrent`` simultaneous verifications.

    A fresh process, because the allocator may keep freed hashing memory of earlier cases
    resident, which would hide part of the growth we want to see.
    """
    checker = PasswordService(parameters, max_concurrent=concurrent)
    stored = checker.hash(PASSWORD)
    idle = rss.current_kib() or 0
    walls, peaks = [], []
    for _ in range(runs):
        start_line = threading.Barrier(concurrent + 1)
        failures: list[object] = []

        def check(barrier: threading.Barrier = start_line, failed: list[object] = failures) -> None:
            barrier.wait()
            if not checker.verify(stored, PASSWORD).ok:
                failed.append(None)

        threads = [threading.Thread(target=check) for _ in range(concurrent)]
        for thread in threads:
            thread.start()
        with rss.PeakSampler() as sampler:
            start_line.wait()  # every thread is parked at the line: the batch starts together
            started = time.perf_counter()
            for thread in threads:
                thread.join()
            walls.append(time.perf_counter() - started)
        if failures:
            raise RuntimeError("a correct password failed to verify under load")
        peaks.append(sampler.peak_kib)
    return BatchReport(walls, idle, peaks, rss.current_kib() or 0)


def batch_case(
    parameters: PasswordHashParameters, concurrent: int
) -> Callable[[Plan], Measurement]:
    def measure(plan: Plan) -> Measurement:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            report = pool.submit(
                run_batches, parameters, concurrent, plan.runs(full=6, quick=2)
            ).result()
        claimed_mib = concurrent * parameters.memory_cost_kib / 1024
        growth_mib = (max(report.peaks_kib) - report.idle_kib) / 1024
        kept_mib = (report.after_kib - report.idle_kib) / 1024
        per_check = statistics.median(report.walls) / concurrent
        note = (
            f"peak RSS +{growth_mib:,.0f} MiB vs claim {concurrent} × "
            f"{parameters.memory_cost_kib / 1024:g} = {claimed_mib:,.0f} MiB; "
            f"+{kept_mib:,.0f} MiB still resident after; {per_check * 1e3:.0f} ms/check"
        )
        return Measurement(report.walls, note)

    return measure


@cache
def throughput(plan: Plan, clients: int, capacities: tuple[int, ...]) -> dict[int, Measurement]:
    """Seconds per check while ``clients`` logins compete for the hashing slots.

    The capacities take turns run by run, so that load from elsewhere hits each alike.
    """
    checkers = {slots: PasswordService(CHOSEN, max_concurrent=slots) for slots in capacities}
    stored = checkers[capacities[0]].hash(PASSWORD)
    checks = plan.runs(full=24, quick=12)
    samples: dict[int, list[float]] = {slots: [] for slots in capacities}
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for _ in range(plan.runs(full=4, quick=2)):
            for slots, checker in checkers.items():
                started = time.perf_counter()
                outcomes = list(
                    pool.map(lambda _, c=checker: c.verify(stored, PASSWORD), range(checks))
                )
                samples[slots].append((time.perf_counter() - started) / checks)
                if not all(outcome.ok for outcome in outcomes):
                    raise RuntimeError("a correct password failed to verify under load")
    return {
        slots: Measurement(
            runs,
            f"{1 / statistics.median(runs):.1f} checks/s; {checks} checks, {clients} clients",
        )
        for slots, runs in samples.items()
    }


def cases() -> list[Case]:
    chosen_n, floor_n = capacity(CHOSEN, BUDGET_MIB), capacity(FLOOR, BUDGET_MIB)
    floor_batch = f"{floor_n} at once in {BUDGET_MIB} MiB, OWASP floor"
    default_slots = capacity(CHOSEN, DEFAULT_BUDGET_MIB)
    # One slot per core: argon2 is CPU- and memory-bound, so more slots may not add throughput.
    cores = machine.cpu_count()
    capacities = tuple(dict.fromkeys((1, cores, default_slots)))
    # The same offered load for all: twice the default slots, so the semaphore has to queue.
    clients = 2 * default_slots

    def label(slots: int) -> str:
        if slots == 1:
            return "throughput, 1 slot, chosen"
        why = f"{DEFAULT_BUDGET_MIB} MiB default" if slots == default_slots else "1 per core"
        return f"throughput, {slots} slots ({why}), chosen"

    def throughput_case(slots: int) -> Case:
        return Case(
            label(slots),
            lambda plan: throughput(plan, clients, capacities)[slots],
            baseline=None if slots == 1 else label(1),
        )

    return [
        Case(floor_batch, batch_case(FLOOR, floor_n)),
        Case(
            f"{chosen_n} at once in {BUDGET_MIB} MiB, chosen",
            batch_case(CHOSEN, chosen_n),
            baseline=floor_batch,
        ),
        *(throughput_case(slots) for slots in capacities),
    ]
