"""Drafting a full statistics release over a million store records, on both backends.

One centre's statistics store holds 1,000,000 records (50,000 with ``--quick``) opened in one
year, seeded in bulk by bench/stats_seed.py (the spread is described there). Measured, in
turns, run by run:

- the baseline: the bare GROUP BYs of the year's tables. ``aggregate.case_counts`` runs one
  SELECT month, columns…, count(*) … GROUP BY … per query of ``aggregate.query_plan``: per
  distinct (basis, dimensions) of the figures it is asked for, unless one of the same basis
  grouping by more columns answers it (a table's margins and total come from its cells'
  query). These statements are captured from an untimed run of ``case_counts`` (an engine
  listener: SQL text and parameters exactly as sent) and replayed on the DBAPI cursor,
  executed and fetched, nothing else. The benchmark fails if their number differs from the
  plan's, so it notices when the aggregation changes its queries;
- the aggregation step alone: ``aggregate.StoreCounts(centre, dims).figures(keys, [year])``
  for every key of every catalogue table: the same GROUP BYs, splitting the stored code
  strings into codes, summing quarters, and the repeated-respondent counts (two more
  statements: the distinct stored life areas, then one GROUP BY per token and life area
  with HAVING; its share is in the note);
- the full draft: ``stats.operations.draft_release(supervisor, year, every table)``: counting,
  primary and complementary suppression, the attacker audit (two HiGHS LPs per suppressed
  cell, more while complementary cells are sought), the frozen content and its hash, the
  release row and its audit entry, the commit. Every run adds a draft; drafts are never
  "earlier releases" of the next one, so every run does the same work.

SQLite is a file with the application's pragmas, without ``ANALYZE``; PostgreSQL is a
throwaway cluster (bench/instances.py) where the owner seeds and runs ``ANALYZE`` and the
application connects as the restricted role. Without a PostgreSQL server the SQLite rows are
printed alone and the baseline's note says why. Issue 7 sets the target "a full release draft
over 1,000,000 statistics records under 10 s": the table prints the figure, nothing asserts it.
"""

from __future__ import annotations

import functools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from bench import instances, stats_seed
from bench.core import Case, Measurement, Plan
from bench.instances import POSTGRESQL, SQLITE, Database, TickingClock
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.stats import aggregate, attacker, operations, tables
from servicestelle.stats.keys import Key, layout
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release

RECORDS_FULL, RECORDS_QUICK = 1_000_000, 50_000
#: A full run at another size (``BENCH_RELEASE_RECORDS=200000``), to compare changes sooner.
RECORDS_FULL = int(os.environ.get("BENCH_RELEASE_RECORDS", RECORDS_FULL))
RUNS_FULL, RUNS_QUICK = 3, 2
YEAR = 2025
#: "Today" for the application: after the year, so every figure of it is final.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: Issue 7: a full release draft over a million records in under 10 s.
TARGET_SECONDS, TARGET_RECORDS = 10.0, 1_000_000

BARE = "bare SQL GROUP BYs (same statements)"
AGGREGATION = "aggregation StoreCounts.figures"
DRAFT = "draft_release, all tables"
KINDS = (BARE, AGGREGATION, DRAFT)


@dataclass(frozen=True)
class Store:
    """A seeded instance: the application, its centre and supervisor, what seeding took."""

    app: Flask
    database: Database
    staff: stats_seed.Staff
    records: int
    seed_seconds: float


@contextmanager
def seeded_store(backend: str, folder: Path, records: int) -> Iterator[Store]:
    """A new database of ``backend`` with ``records`` store records of one centre."""
    with instances.database(backend, folder) as database:
        app = instances.app(folder, database, TickingClock(START))
        try:
            with app.app_context():
                staff = stats_seed.create_staff()
            with instances.owner_engine(app, database) as engine:
                rng = random.Random(20250101)
                seeded = stats_seed.seed(engine, staff.centre_id, count=records, year=YEAR, rng=rng)
                instances.analyse(engine)
            yield Store(app, database, staff, records, seeded.seconds)
        finally:
            instances.dispose(app)


@contextmanager
def spied(owner: Any, name: str) -> Iterator[list[float]]:
    """Seconds of every call of ``owner.name`` while inside (a module's function or a class's
    method, looked up at call time by its callers); restored afterwards."""
    original = getattr(owner, name)
    spent: list[float] = []

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    setattr(owner, name, timed)
    try:
        yield spent
    finally:
        setattr(owner, name, original)


def catalogue_keys(centre_id: int) -> tuple[list[Key], tables.Dimensions]:
    """Every key of every catalogue table, as ``draft_release`` lays them out."""
    dims = tables.Dimensions.of_centre(operations.districts_of(centre_id))
    layouts = [layout(table, dims) for table in tables.TABLES]
    return list(dict.fromkeys(key for lay in layouts for key in lay.all_keys())), dims


def captured_group_bys(
    centre_id: int, keys: list[Key], dims: tables.Dimensions, period: Period
) -> list[tuple[str, Any]]:
    """Run the aggregation once and keep its GROUP BY statements as the driver got them."""
    seen: list[tuple[str, Any]] = []

    def listener(*args: Any) -> None:
        # (connection, cursor, statement, parameters, context, executemany)
        if "GROUP BY" in args[2]:
            seen.append((args[2], args[3]))

    engine = db.engine
    per_quarter = [key for key in keys if key.basis.per_quarter]
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        # As StoreCounts.figures calls it; the repeated-respondent count groups too, apart.
        aggregate.case_counts(centre_id, per_quarter, period.quarters, dims)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
        db.session.rollback()
    groups = {(key.basis, key.dimensions) for key in keys if key.basis.per_quarter}
    queries = set(aggregate.query_plan(groups, dims).values())
    if len(seen) != len(queries):
        raise RuntimeError(
            f"the aggregation ran {len(seen)} GROUP BYs for {len(queries)} queries: "
            "bench/stats_release.py's baseline no longer matches aggregate.case_counts"
        )
    return seen


class Rounds:
    """The three kinds of work on one seeded store, timed in turns."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.period = Period.parse(str(YEAR))
        self.centre_id = store.staff.centre_id
        self.keys, self.dims = catalogue_keys(self.centre_id)
        self.table_ids = [table.id for table in tables.TABLES]
        self.group_bys = captured_group_bys(self.centre_id, self.keys, self.dims, self.period)
        self.rows_fetched = 0
        self.repeated: list[float] = []
        self.inner_aggregation: list[float] = []
        self.lps: list[float] = []
        self.drafts: list[int] = []

    def bare(self) -> None:
        cursor = db.session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        fetched = 0
        try:
            for statement, parameters in self.group_bys:
                cursor.execute(statement, parameters)
                fetched += len(cursor.fetchall())
        finally:
            cursor.close()
        self.rows_fetched = fetched

    def aggregation(self) -> None:
        with spied(aggregate, "repeated_counts") as spent:
            aggregate.StoreCounts(self.centre_id, self.dims).figures(self.keys, [self.period])
        self.repeated += spent

    def draft(self, actor: User) -> None:
        with (
            spied(aggregate.StoreCounts, "figures") as counting,
            spied(attacker, "linprog") as solving,
        ):
            release = operations.draft_release(actor, self.period, self.table_ids)
        self.inner_aggregation += counting
        self.lps += solving
        self.drafts.append(release.id)

    def last_audit(self) -> dict[str, Any]:
        """The stored audit of the last draft: suppressions and their verdict."""
        release = db.session.get_one(Release, self.drafts[-1])
        audit: dict[str, Any] = json.loads(release.audit)
        return audit

    def run(self, kind: str) -> float:
        """Seconds of one run of ``kind``; the session is ended after it, untimed."""
        actor = db.session.get_one(User, self.store.staff.supervisor_id)
        started = time.perf_counter()
        if kind == BARE:
            self.bare()
        elif kind == AGGREGATION:
            self.aggregation()
        else:
            self.draft(actor)
        elapsed = time.perf_counter() - started
        db.session.rollback()
        return elapsed


def _seconds(samples: list[float]) -> str:
    return f"{statistics.median(samples):.2f} s" if samples else "—"


def _notes(rounds: Rounds, samples: dict[str, list[float]]) -> dict[str, str]:
    store = rounds.store
    records = store.records
    audit = rounds.last_audit()
    primary, complementary = len(audit.get("primary", ())), len(audit.get("complementary", ()))
    passed = "passed" if audit.get("passed") else "FAILED"
    draft = statistics.median(samples[DRAFT])
    target = (
        f"issue-7 target < {TARGET_SECONDS:.0f} s: {'met' if draft < TARGET_SECONDS else 'missed'}"
        if records == TARGET_RECORDS
        else f"the < {TARGET_SECONDS:.0f} s target is for {TARGET_RECORDS:,} records"
    )
    lp_count = len(rounds.lps) // len(rounds.drafts)
    lp_seconds = sum(rounds.lps) / len(rounds.drafts)
    return {
        BARE: f"{records:,} records, {len(rounds.group_bys)} GROUP BYs as case_counts runs them, "
        f"{rounds.rows_fetched:,} rows; {store.database.role}; seeded in "
        f"{store.seed_seconds:.0f} s ({records / store.seed_seconds:,.0f} records/s)",
        AGGREGATION: f"{len(rounds.keys)} keys of {len(tables.TABLES)} tables, year {YEAR}; "
        f"repeated respondents {_seconds(rounds.repeated)} of it",
        DRAFT: f"{primary} primary + {complementary} complementary suppressed, audit {passed}; "
        f"{lp_count} LPs ({lp_seconds:.1f} s); counting {_seconds(rounds.inner_aggregation)}; "
        f"{target}",
    }


def _measure_on(store: Store, plan: Plan) -> dict[str, Measurement]:
    samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with store.app.app_context():
        rounds = Rounds(store)  # its capture run is the warm-up
        for number in range(plan.runs(full=RUNS_FULL, quick=RUNS_QUICK)):
            # A new order each run: whatever the machine does meanwhile hits all three.
            order = KINDS[number % 3 :] + KINDS[: number % 3]
            for kind in order:
                samples[kind].append(rounds.run(kind))
        notes = _notes(rounds, samples)
    return {kind: Measurement(samples[kind], notes[kind]) for kind in KINDS}


@cache
def measured(backend: str, plan: Plan) -> dict[str, Measurement]:
    """Seed a new database of ``backend``, then time the three kinds of work in turns."""
    records = plan.runs(full=RECORDS_FULL, quick=RECORDS_QUICK)
    with tempfile.TemporaryDirectory(prefix="servicestelle-bench-stats-") as scratch:
        try:
            with seeded_store(backend, Path(scratch), records) as store:
                return _measure_on(store, plan)
        finally:
            if backend == POSTGRESQL:
                instances.stop_postgres()


def _without_postgresql(reason: str) -> Callable[[Plan], Measurement]:
    def measure(plan: Plan) -> Measurement:
        base = measured(SQLITE, plan)[BARE]
        short = " ".join(reason.split())[:120]
        return Measurement(base.samples, f"{base.note}; PostgreSQL not run: {short}")

    return measure


def _cases_of(backend: str, baseline_measure: Callable[[Plan], Measurement] | None) -> list[Case]:
    def pick(kind: str) -> Callable[[Plan], Measurement]:
        return lambda plan: measured(backend, plan)[kind]

    base = f"{backend}: {BARE}"
    return [
        Case(base, baseline_measure or pick(BARE)),
        Case(f"{backend}: {AGGREGATION}", pick(AGGREGATION), baseline=base),
        Case(f"{backend}: {DRAFT}", pick(DRAFT), baseline=base),
    ]


def cases() -> list[Case]:
    server = instances.postgres_server()
    if isinstance(server, str):
        print(f"  stats-release: PostgreSQL not run: {server}", file=sys.stderr)
        return _cases_of(SQLITE, _without_postgresql(server))
    return [*_cases_of(SQLITE, None), *_cases_of(POSTGRESQL, None)]
