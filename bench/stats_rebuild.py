"""``servicestelle stats rebuild`` over 100,000 cases: records per second, on both backends.

The database holds 100,000 sealed cases of one centre (2,000 with ``--quick``), seeded in
bulk by bench/case_seed.py as for the case-page benchmark, 30 % of them with one to three
sealed interventions (the rebuild opens those too: they decide "went to court" and the
intervention groups), and a statistics record for every case with stale values (the
pseudonym of the case under the statistics key, every code "keine_angabe"), so the rebuild
overwrites a full store as it does after a change of the code lists.

Measured in one run of ``cases.statistics.rebuild()`` (every centre, as the CLI command
calls it, with its default batch size of 500; 100 with ``--quick``), batch by batch through
its progress callback, and interleaved with it:

- the rebuild, per case of each batch: the cases as ORM objects locked for update, their
  interventions, per case its data key (one SELECT each) unwrapped, payload and
  interventions decrypted and read back by shape (``payload.from_storage``), the figures
  derived and checked, pseudonym and respondent token computed (HMACs), one upsert of the
  batch, the second look at the cases' versions, the commit;
- the baseline, reading, per case of the same batch, right after the rebuild committed it
  (on a connection of its own): one SELECT of the batch's ids, sealed payloads and wrapped
  data keys, one of its sealed interventions; per case the data key unwrapped, the payload
  and the interventions decrypted and JSON-decoded. No ORM objects, no validation, no
  writing: what any rebuild must do at the least.

So the ratio is what the rebuild costs beyond reading the content it derives from; neither
the seeding rate (sealing, not opening) nor a bare SELECT (no decryption) would say that.
Taking turns batch by batch puts both under the same load on a shared machine, and one pass
gives a sample per batch (200 at 100,000 cases), since a full pass takes minutes. The
rebuild's closing prune of stale records is in its records/s (note), not in the per-batch
samples; the CLI's one audit entry and its progress output are left out.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Connection, Engine

from bench import case_seed, instances
from bench.core import Case, Measurement, Plan
from bench.instances import POSTGRESQL, SQLITE, Database, TickingClock
from crypto.envelope import unwrap_key
from servicestelle import clock, services
from servicestelle.cases import statistics as case_statistics
from servicestelle.cases import vault
from servicestelle.cases.models import Case as CaseRow
from servicestelle.cases.models import CaseIntervention, CaseKey
from servicestelle.extensions import db
from servicestelle.stats import store as stats_store
from servicestelle.stats.models import StatsRecord
from tests.support import stats as stats_defaults

CASES_FULL, CASES_QUICK = 100_000, 2_000
#: A full run at another size (``BENCH_REBUILD_CASES=10000``), to compare changes in minutes.
CASES_FULL = int(os.environ.get("BENCH_REBUILD_CASES", CASES_FULL))
#: Cases per transaction: the CLI's default; smaller with --quick, for a sample per batch.
BATCH_FULL, BATCH_QUICK = case_statistics.BATCH_SIZE, 100
#: Share of the cases with one to three interventions.
INTERVENTION_SHARE = 0.3
COLLEAGUES = 4
#: A Monday morning in working hours, as in the case-page benchmark.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

READING = "reading: unwrap, decrypt, JSON; per case"
REBUILD = "cases.statistics.rebuild(), per case"
KINDS = (READING, REBUILD)


@dataclass(frozen=True)
class Cases:
    app: Flask
    database: Database
    seeded: case_seed.Seeded
    interventions: int


def _stale_records(engine: Engine) -> None:
    """A record for every case, with the pseudonym the rebuild will compute and stale codes
    (tests/support/stats.py's defaults); needs an app context (the statistics key)."""
    with engine.connect() as connection:
        cases = connection.execute(sa.select(CaseRow.id, CaseRow.centre_id)).all()
    key = services.keyring().named_key(stats_store.KEY_NAME)
    insert = sa.insert(StatsRecord)
    for first in range(0, len(cases), case_seed.BATCH):
        rows = [
            {
                **stats_defaults.DEFAULTS,
                "pseudonym": stats_store.pseudonym(case_id, key=key),
                "centre_id": centre_id,
            }
            for case_id, centre_id in cases[first : first + case_seed.BATCH]
        ]
        with engine.begin() as connection:
            connection.execute(insert, rows)


@contextmanager
def seeded_cases(backend: str, folder: Path, count: int) -> Iterator[Cases]:
    """A new database of ``backend`` with ``count`` sealed cases and a stale store."""
    with instances.database(backend, folder) as database:
        app = instances.app(folder, database, TickingClock(START))
        try:
            with instances.owner_engine(app, database) as engine, app.app_context():
                staff = case_seed.create_staff(COLLEAGUES)
                seeded = case_seed.seed(
                    engine,
                    staff,
                    count=count,
                    assigned=0,
                    today=clock.today(),
                    rng=random.Random(20260302),
                    interventions=INTERVENTION_SHARE,
                )
                case_seed.advance_sequences(engine)
                _stale_records(engine)
                instances.analyse(engine)
            with app.app_context():
                parts = db.session.scalar(sa.select(sa.func.count()).select_from(CaseIntervention))
            yield Cases(app, database, seeded, int(parts or 0))
        finally:
            instances.dispose(app)


class Reader:
    """Opens the cases batch by batch in the rebuild's order, on a connection of its own."""

    def __init__(self, connection: Connection, batch_size: int) -> None:
        self.connection, self.batch_size = connection, batch_size
        self.keyring = services.keyring()
        self.after = 0

    def next_batch(self) -> int:
        """Read the next batch in one transaction; returns how many cases it held."""
        with self.connection.begin():
            rows = self.connection.execute(
                sa.select(CaseRow.id, CaseRow.payload, CaseKey.kek_id, CaseKey.wrapped_key)
                .join(CaseKey, CaseKey.case_id == CaseRow.id)
                .where(CaseRow.id > self.after)
                .order_by(CaseRow.id)
                .limit(self.batch_size)
            ).all()
            if not rows:
                return 0
            self.after = rows[-1].id
            parts: dict[int, list[tuple[int, bytes]]] = defaultdict(list)
            for part_id, case_id, content in self.connection.execute(
                sa.select(CaseIntervention.id, CaseIntervention.case_id, CaseIntervention.content)
                .where(CaseIntervention.case_id.in_([row.id for row in rows]))
                .order_by(CaseIntervention.id)
            ):
                parts[case_id].append((part_id, content))
        for case_id, payload, kek_id, wrapped in rows:
            assert payload is not None  # every seeded case has its content
            data_key = unwrap_key(self.keyring.key(kek_id), wrapped, vault.key_binding(case_id))
            opened = vault.CaseVault(case_id, data_key)
            opened.open_json("cases", "payload", case_id, payload)
            for part_id, content in parts[case_id]:
                opened.open_json("case_interventions", "content", part_id, content)
        return len(rows)


class Interleaved:
    """The rebuild's progress callback: after each batch it committed, the same batch is
    read by the ``Reader``; both are timed apart, in seconds per case."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.rebuilding: list[float] = []
        self.reading: list[float] = []
        self.reading_seconds = 0.0
        self.mark = time.perf_counter()

    def __call__(self, size: int) -> None:
        started = time.perf_counter()
        self.rebuilding.append((started - self.mark) / size)
        read = self.reader.next_batch()
        elapsed = time.perf_counter() - started
        if read != size:
            raise RuntimeError(f"the rebuild's batch held {size} cases, the reader's {read}")
        self.reading.append(elapsed / read)
        self.reading_seconds += elapsed
        self.mark = time.perf_counter()


def _measure_on(cases: Cases, plan: Plan) -> dict[str, Measurement]:
    count = cases.seeded.cases
    batch_size = plan.runs(full=BATCH_FULL, quick=BATCH_QUICK)
    with cases.app.app_context(), db.engine.connect() as connection:
        turns = Interleaved(Reader(connection, batch_size))
        started = time.perf_counter()
        result = case_statistics.rebuild(batch_size=batch_size, progress=turns)
        rebuild_seconds = time.perf_counter() - started - turns.reading_seconds
        records = stats_store.count()
    # Correctness checks on what was timed, not timing assertions.
    if result.derived != count or result.unreadable or result.removed or records != count:
        raise RuntimeError(f"rebuild: {result}; {records} records for {count} cases")
    seeded = cases.seeded
    notes = {
        READING: f"{count / turns.reading_seconds:,.0f} cases/s; {count:,} cases, "
        f"{cases.interventions:,} interventions, batches of {batch_size}; "
        f"{cases.database.role}; seeded in {seeded.seconds:.0f} s "
        f"({count / seeded.seconds:,.0f} cases/s)",
        REBUILD: f"{count / rebuild_seconds:,.0f} records/s: {count:,} overwritten in "
        f"{rebuild_seconds:.0f} s, prune included",
    }
    samples = {READING: turns.reading, REBUILD: turns.rebuilding}
    return {kind: Measurement(samples[kind], notes[kind]) for kind in KINDS}


@cache
def measured(backend: str, plan: Plan) -> dict[str, Measurement]:
    """Seed a new database of ``backend``, then rebuild and read batch by batch in turns."""
    count = plan.runs(full=CASES_FULL, quick=CASES_QUICK)
    with tempfile.TemporaryDirectory(prefix="servicestelle-bench-rebuild-") as scratch:
        try:
            with seeded_cases(backend, Path(scratch), count) as cases:
                return _measure_on(cases, plan)
        finally:
            if backend == POSTGRESQL:
                instances.stop_postgres()


def _without_postgresql(reason: str) -> Callable[[Plan], Measurement]:
    def measure(plan: Plan) -> Measurement:
        base = measured(SQLITE, plan)[READING]
        short = " ".join(reason.split())[:120]
        return Measurement(base.samples, f"{base.note}; PostgreSQL not run: {short}")

    return measure


def _cases_of(backend: str, baseline_measure: Callable[[Plan], Measurement] | None) -> list[Case]:
    def pick(kind: str) -> Callable[[Plan], Measurement]:
        return lambda plan: measured(backend, plan)[kind]

    base = f"{backend}: {READING}"
    return [
        Case(base, baseline_measure or pick(READING)),
        Case(f"{backend}: {REBUILD}", pick(REBUILD), baseline=base),
    ]


def cases() -> list[Case]:
    server = instances.postgres_server()
    if isinstance(server, str):
        print(f"  stats-rebuild: PostgreSQL not run: {server}", file=sys.stderr)
        return _cases_of(SQLITE, _without_postgresql(server))
    return [*_cases_of(SQLITE, None), *_cases_of(POSTGRESQL, None)]
