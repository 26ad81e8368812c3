"""Drafting a year release for a store of a real centre's size: where the attacker's LPs,
not the counting, decide the time.

A counselling centre documents a few hundred cases a year. Most cells of the catalogue tables
are then small, so many are suppressed and each suppressed cell costs two HiGHS LPs (more
while complementary cells are sought). Measured on SQLite, for 150, 500 and 2,000 records of
one year (bench/stats_seed.py's spread), in turns:

- the baseline: counting alone, ``aggregate.StoreCounts(centre, dims).figures(keys, [year])``
  for every key of every catalogue table;
- the full draft: ``stats.operations.draft_release(supervisor, year, every table)`` —
  counting, primary and complementary suppression, the attacker audit, the frozen content,
  the release row and its audit entry, the commit.

A supervisor waits for the draft in the browser (the form says it takes a few seconds), so
this is the figure that decides whether drafting needs a background job with progress.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from flask import Flask

from bench import instances, stats_seed
from bench.core import Case, Measurement, Plan
from bench.instances import SQLITE, TickingClock
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.stats import aggregate, operations, tables
from servicestelle.stats.keys import Key, layout
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release

SIZES = (150, 500, 2_000)
RUNS_FULL, RUNS_QUICK = 3, 1
YEAR = 2025
#: "Today" for the application: after the year, so the year can be drafted.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

COUNTING = "counting StoreCounts.figures"
DRAFT = "draft_release, all tables"


@contextmanager
def _store(folder: Path, records: int) -> Iterator[tuple[Flask, stats_seed.Staff]]:
    with instances.database(SQLITE, folder) as database:
        app = instances.app(folder, database, TickingClock(START))
        try:
            with app.app_context():
                staff = stats_seed.create_staff()
            with instances.owner_engine(app, database) as engine:
                rng = random.Random(YEAR * records)
                stats_seed.seed(engine, staff.centre_id, count=records, year=YEAR, rng=rng)
            yield app, staff
        finally:
            instances.dispose(app)


def _keys(centre_id: int) -> tuple[list[Key], tables.Dimensions]:
    dims = tables.Dimensions.of_centre(operations.districts_of(centre_id))
    layouts = [layout(table, dims) for table in tables.TABLES]
    return list(dict.fromkeys(key for lay in layouts for key in lay.all_keys())), dims


@cache
def measured(records: int, plan: Plan) -> dict[str, Measurement]:
    """Seed a new SQLite store of ``records``, then time counting and drafting in turns."""
    samples: dict[str, list[float]] = {COUNTING: [], DRAFT: []}
    with (
        tempfile.TemporaryDirectory(prefix="servicestelle-bench-centre-") as scratch,
        _store(Path(scratch), records) as (app, staff),
        app.app_context(),
    ):
        period = Period.parse(str(YEAR))
        keys, dims = _keys(staff.centre_id)
        table_ids = [table.id for table in tables.TABLES]
        counts = aggregate.StoreCounts(staff.centre_id, dims)
        counts.figures(keys, [period])  # warm-up: first-touch costs
        db.session.rollback()
        release_id = 0
        for _ in range(plan.runs(full=RUNS_FULL, quick=RUNS_QUICK)):
            started = time.perf_counter()
            counts.figures(keys, [period])
            samples[COUNTING].append(time.perf_counter() - started)
            db.session.rollback()
            actor = db.session.get_one(User, staff.supervisor_id)
            started = time.perf_counter()
            release_id = operations.draft_release(actor, period, table_ids).id
            samples[DRAFT].append(time.perf_counter() - started)
            db.session.rollback()
        audit = json.loads(db.session.get_one(Release, release_id).audit)
    primary, complementary = len(audit["primary"]), len(audit["complementary"])
    verdict = "passed" if audit["passed"] else "FAILED"
    return {
        COUNTING: Measurement(samples[COUNTING], f"{records:,} records, {len(keys)} keys"),
        DRAFT: Measurement(
            samples[DRAFT],
            f"{primary} primary + {complementary} complementary suppressed, audit {verdict}",
        ),
    }


def _pick(records: int, kind: str) -> Callable[[Plan], Measurement]:
    return lambda plan: measured(records, plan)[kind]


def cases() -> list[Case]:
    result = []
    for records in SIZES:
        base = f"{records:,} records: {COUNTING}"
        result += [
            Case(base, _pick(records, COUNTING)),
            Case(f"{records:,} records: {DRAFT}", _pick(records, DRAFT), baseline=base),
        ]
    return result
