"""Crash safety: a writer killed at any moment leaves a sound database and a whole case or none.

A forked child (tests/support/crash_child.py) creates cases in a loop — each one the case row,
its data key, its sealed payload, its statistics record, its assignment and its audit entry,
committed together by ``operations.create_case`` — while the test SIGKILLs it at random
moments, over and over. Two thirds of the kills fall uniformly over the child's work (start-up
included); one third is aimed at a COMMIT: a random instant after the child announced it.
Audit checkpoints are due every application minute and the child's clock runs fast, so
checkpoints (their row, their audit entry, the signer's state file) are killed in flight too.

Afterwards the database must pass its own integrity check (SQLite ``integrity_check``;
PostgreSQL ``amcheck`` on every table and b-tree index), have no dangling foreign key, hold
no data key without its case and no ciphertext without its data key, and every case must be
complete: data key, payload that opens, statistics record, assignment, exactly one creation
entry in an audit chain that verifies. Every case the child reported committed is there, the
reference numbers run without a gap, and the database takes the next case and checkpoint.

``SERVICESTELLE_TEST_CRASH_KILLS`` sets the number of kills (default 100), and
``SERVICESTELLE_TEST_CRASH_SEED`` repeats a run's plan of kills (the seed is printed; the moments
are real time, so a run repeats its plan, not its exact interleaving).
"""

from __future__ import annotations

import collections
import json
import os
import random
import secrets
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import DBAPIError

import audit
from servicestelle import audit_trail, create_app
from servicestelle.auth.models import User
from servicestelle.auth.operations import create_user
from servicestelle.cases import operations, vault
from servicestelle.cases import payload as payload_rules
from servicestelle.cases.access import OBJECT_TYPE
from servicestelle.cases.models import Case, CaseKey, CaseMember
from servicestelle.centres.operations import create_centre
from servicestelle.db import Base
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import store
from servicestelle.stats.models import StatsRecord
from tests.conftest import DEFAULT_PASSWORD, Backend, make_settings
from tests.support.cases import canary_payload
from tests.support.components import missing
from tests.support.crash_child import Committed, ScaledClock, Writer, fork_writer

KILLS = int(os.environ.get("SERVICESTELLE_TEST_CRASH_KILLS", "100"))
#: Application seconds per real second: with checkpoints due every minute, one is signed
#: every few cases. Reference numbers restart with the year: from 2026-03-02 that is 30
#: hours of running away.
CLOCK_SCALE = 240
#: Cases the first child commits before it is killed: they measure how long one takes.
CALIBRATION_CASES = 5
#: A child that has not reached the awaited point by then hangs (the test fails).
WAIT_SECONDS = 60.0
CREATE_ACTION = audit.AuditEvent.CASE_RECORD_CREATE.value


def _seed() -> int:
    given = os.environ.get("SERVICESTELLE_TEST_CRASH_SEED")
    return int(given) if given else secrets.randbits(32)


@dataclass
class Run:
    seed: int
    committed: list[Committed] = field(default_factory=list)
    phases: collections.Counter[str] = field(default_factory=collections.Counter)
    #: Seconds from fork to the first reported case, per case after it, COMMIT to report.
    first: float = 0.0
    per_case: float = 0.0
    commit: float = 0.0

    def __str__(self) -> str:
        return (
            f"seed {self.seed} (SERVICESTELLE_TEST_CRASH_SEED={self.seed} repeats the plan), "
            f"{KILLS} kills, {len(self.committed)} cases reported committed"
        )


@pytest.fixture
def crash_app(tmp_path: Path, backend: Backend) -> Iterator[Flask]:
    settings = make_settings(tmp_path, backend.url, audit_checkpoint_minutes=1)
    application = create_app(settings, clock=ScaledClock(CLOCK_SCALE))
    yield application
    with application.app_context():
        db.engine.dispose()


def _counsellor(app: Flask) -> int:
    with app.app_context():
        centre = create_centre("CRASH", "Servicestelle Absturztest")
        created = create_user(
            centre=centre,
            username="beraterin",
            display_name="Beraterin",
            password=DEFAULT_PASSWORD,
            roles=(Role.COUNSELLOR,),
        )
        return created.user.id


def _kill(writer: Writer, run: Run) -> None:
    run.phases[writer.phase] += 1
    status = writer.kill()
    error = writer.error()
    assert error is None, f"the writer failed on its own: {error} — {run}"
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
        f"the writer ended without being killed (status {status}) — {run}"
    )
    run.committed.extend(writer.committed())


def _calibrate(app: Flask, user_id: int, content: dict[str, object], run: Run) -> None:
    """The first kill: let the child commit a few cases, timing them, then kill it."""
    with fork_writer(app, user_id, content) as writer:
        reached = writer.wait_until(
            lambda w: w.count("D") >= CALIBRATION_CASES, time.monotonic() + WAIT_SECONDS
        )
        _kill(writer, run)
    assert reached, f"the writer did not commit {CALIBRATION_CASES} cases in time — {run}"
    done = [at for at, line in writer.timed if line.startswith("D ")]
    commits = [at for at, line in writer.timed if line == "C"]
    run.first = done[0] - writer.started
    run.per_case = (done[-1] - done[0]) / (len(done) - 1)
    run.commit = max(d - c for c, d in zip(commits, done, strict=False))


def _kill_repeatedly(app: Flask, user_id: int, content: dict[str, object], run: Run) -> None:
    plan = random.Random(run.seed)  # noqa: S311 - the moments of the kills, not a secret
    # Uniform over the start-up, the first case and one more: every phase of the work (a
    # child's later cases repeat its second one).
    span = run.first + run.per_case
    for _ in range(KILLS - 1):
        aimed = plan.random() < 1 / 3
        with fork_writer(app, user_id, content) as writer:
            if aimed:
                commits = plan.randint(1, 2)
                reached = writer.wait_until(
                    lambda w, n=commits: w.count("C") >= n, time.monotonic() + WAIT_SECONDS
                )
                if reached:
                    time.sleep(plan.uniform(0, run.commit))
            else:
                reached = True
                writer.wait_until(lambda _w: False, writer.started + plan.uniform(0, span))
            _kill(writer, run)  # first: it reports a writer that failed on its own
        assert reached, f"the writer sent no COMMIT in {WAIT_SECONDS:.0f} s — {run}"


def _crash(app: Flask, user_id: int, content: dict[str, object]) -> Run:
    run = Run(_seed())
    print(f"crash safety: {run}")
    # One case in the test process first: the mappers configured, the statements compiled,
    # the schemas built once, inherited by every child instead of redone in each.
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        case = operations.create_case(user, content)
        run.committed.append(Committed(case.id, case.year, case.number))
    _calibrate(app, user_id, content, run)
    _kill_repeatedly(app, user_id, content, run)
    print(
        f"crash safety: {run}; killed while {dict(run.phases)}; first case after "
        f"{run.first * 1000:.0f} ms, then one per {run.per_case * 1000:.0f} ms"
    )
    return run


# --- the checks -------------------------------------------------------------------------------


def _amcheck(backend: Backend) -> str | None:
    """PostgreSQL's own check of every table (heap, TOAST) and b-tree index of the schema;
    the reason it could not run, or None. As the superuser: amcheck is not a trusted
    extension, and the application role (rightly) may not create extensions."""
    engine = sa.create_engine(backend.superuser_url)
    try:
        with engine.begin() as connection:
            try:
                with connection.begin_nested():
                    connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS amcheck"))
            except DBAPIError as exc:
                return f"CREATE EXTENSION amcheck failed: {type(exc.orig).__name__}"
            tables = connection.scalars(
                sa.text(
                    "SELECT c.oid::regclass::text FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                )
            ).all()
            assert tables
            for table in tables:
                damage = connection.execute(
                    sa.text(
                        "SELECT blkno, offnum, msg FROM "
                        "verify_heapam(CAST(:t AS regclass), check_toast => true)"
                    ),
                    {"t": table},
                ).all()
                assert damage == [], f"{table}: {damage}"
            indexes = connection.scalars(
                sa.text(
                    "SELECT c.oid::regclass::text FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "JOIN pg_am am ON am.oid = c.relam "
                    "WHERE n.nspname = 'public' AND am.amname = 'btree'"
                )
            ).all()
            assert indexes
            for index in indexes:  # raises on a corrupt index; heapallindexed: every row in it
                connection.execute(
                    sa.text("SELECT bt_index_check(CAST(:i AS regclass), true)"), {"i": index}
                )
    finally:
        engine.dispose()
    return None


def _writers_gone(connection: sa.Connection) -> None:
    """PostgreSQL: wait until the server ended the sessions of the killed children. A COMMIT
    sent just before a kill may still be landing: checked earlier, one statement could see
    the case and the next its data key missing."""
    deadline = time.monotonic() + WAIT_SECONDS
    others = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    while connection.scalar(others):
        assert time.monotonic() < deadline, "the killed writers' sessions do not end"
        time.sleep(0.05)


def check_database(backend: Backend) -> str | None:
    """The database's integrity, every row of every table read, no dangling foreign key.
    Returns why amcheck could not run (PostgreSQL), or None."""
    engine = sa.create_engine(backend.superuser_url)
    try:
        with engine.connect() as connection:
            if backend.name == "postgresql":
                _writers_gone(connection)
            else:
                assert connection.exec_driver_sql("PRAGMA integrity_check").all() == [("ok",)]
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            schema = sa.MetaData()
            schema.reflect(connection)  # what the database holds, not what the models say
            assert {"cases", "case_keys", "audit_entry"} <= set(schema.tables)
            for table in schema.sorted_tables:
                for row in connection.execute(sa.select(table)):  # every value decoded
                    assert len(row) == len(table.columns)
                for foreign in table.foreign_key_constraints:
                    target = foreign.referred_table.alias("target")
                    here = [element.parent for element in foreign.elements]
                    matches = sa.and_(
                        *(
                            target.c[element.column.name] == element.parent
                            for element in foreign.elements
                        )
                    )
                    dangling = connection.scalar(
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(
                            sa.and_(*(column.is_not(None) for column in here)),
                            ~sa.exists().where(matches),
                        )
                    )
                    assert dangling == 0, f"{foreign.name}: {dangling} dangling rows"
    finally:
        engine.dispose()
    return _amcheck(backend) if backend.name == "postgresql" else None


def _case_tables() -> list[sa.Table]:
    """The tables with a sealed column that belong to a case (by its ``case_id``)."""
    return [
        table
        for table in Base.metadata.sorted_tables
        if "case_id" in table.c
        and any(column.info.get("classification") == "sealed" for column in table.c)
    ]


def _differ(what: str, found: collections.Counter[int], ids: set[int], run: Run) -> str:
    missing_ = sorted(ids - set(found))
    extra = sorted(set(found) - ids)
    several = sorted(case_id for case_id, n in found.items() if n > 1)
    return (
        f"{what}: missing for cases {missing_}, for cases that do not exist {extra}, "
        f"more than one for cases {several} — {run}"
    )


def _one_each(what: str, found: collections.Counter[int], ids: set[int], run: Run) -> None:
    assert found == collections.Counter(ids), _differ(what, found, ids, run)


def check_cases(app: Flask, user_id: int, expected: object, run: Run) -> int:
    """Every case whole, nothing of a case without it; returns the number of cases."""
    with app.app_context():
        session = db.session
        cases = {case.id: case for case in session.scalars(sa.select(Case))}
        ids = set(cases)
        keys = collections.Counter(session.scalars(sa.select(CaseKey.case_id)))
        _one_each("data key", keys, ids, run)
        # Ciphertext in a case's other tables (contacts, documents …): none without its key.
        sealed = _case_tables()
        assert {table.name for table in sealed} >= {"case_contacts", "case_documents"}
        for table in sealed:
            owners = set(session.scalars(sa.select(table.c.case_id).distinct()))
            assert owners <= ids, f"{table.name}: ciphertext of cases {owners - ids} — {run}"
        # Every payload opens under its case's key and is what the child sealed.
        for case_id, case in cases.items():
            assert case.payload is not None, f"case {case_id} has no payload — {run}"
            opened = vault.open_vault(case_id).open_json("cases", "payload", case_id, case.payload)
            assert opened == expected, f"case {case_id} holds another payload — {run}"
        pseudonyms = {store.pseudonym(case_id): case_id for case_id in ids}
        records = list(session.scalars(sa.select(StatsRecord.pseudonym)))
        # A record of no case counts as case 0 (its pseudonym names none).
        _one_each(
            "statistics record",
            collections.Counter(pseudonyms.get(record, 0) for record in records),
            ids,
            run,
        )
        members = session.execute(sa.select(CaseMember.case_id, CaseMember.user_id)).all()
        assert {user for _, user in members} <= {user_id}, f"another member — {run}"
        _one_each("assignment", collections.Counter(case for case, _ in members), ids, run)
        creations = session.scalars(
            sa.select(audit.audit_entry.c.object_id).where(
                audit.audit_entry.c.action == CREATE_ACTION,
                audit.audit_entry.c.object_type == OBJECT_TYPE,
            )
        )
        _one_each("creation audit entry", collections.Counter(map(int, creations)), ids, run)
        # One writer at a time: a killed creation leaves its number to the next one.
        numbers = sorted(case.number for case in cases.values())
        assert numbers == list(range(1, len(ids) + 1)), f"numbers {numbers} — {run}"
        for reported in run.committed:
            case = cases.get(reported.case_id)
            assert case is not None, f"{reported} was reported committed, is gone — {run}"
            assert (case.year, case.number) == (reported.year, reported.number), f"{run}"
        check_audit(run)
        session.rollback()
        return len(ids)


def check_audit(run: Run) -> None:
    """The chain and its checkpoints verify; every append that counted left its entry."""
    verdict = audit.verify(db.session, audit_trail.public_key())
    assert verdict.intact, f"{verdict.summary()} — {run}"
    assert verdict.checkpoints >= 1, f"no checkpoint was signed — {run}"
    appends = db.session.scalar(sa.select(audit.audit_append_lock.c.appends))
    assert appends == verdict.entries, f"{appends} appends, {verdict.entries} entries — {run}"


def check_still_works(app: Flask, user_id: int, content: dict[str, object], cases: int) -> None:
    """After the kills: the next case gets the next number, a checkpoint is signed (the
    signer's state file still agrees with the log), and the chain verifies."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        case = operations.create_case(user, content)
        assert case.number == cases + 1
        audit_trail.create_checkpoint(None)
        db.session.commit()
        verdict = audit.verify(db.session, audit_trail.public_key())
        assert verdict.intact, verdict.summary()


# --- the tests --------------------------------------------------------------------------------


@pytest.mark.slow
def test_killing_a_writer_at_any_moment_leaves_whole_cases_and_a_sound_database(
    backend: Backend, crash_app: Flask
) -> None:
    user_id = _counsellor(crash_app)
    content, _ = canary_payload()
    with crash_app.app_context():
        stored = payload_rules.to_storage(payload_rules.load_payload(content))
        expected = json.loads(json.dumps(stored))
    began = time.monotonic()
    run = _crash(crash_app, user_id, content)
    assert len(run.committed) > CALIBRATION_CASES, f"{run}"  # the calibration alone does
    killed = time.monotonic()
    why_not_amcheck = check_database(backend)
    cases = check_cases(crash_app, user_id, expected, run)
    assert cases >= len(run.committed)
    check_still_works(crash_app, user_id, content, cases)
    print(
        f"crash safety: {cases} cases; {KILLS} kills took {killed - began:.1f} s, "
        f"the checks {time.monotonic() - killed:.1f} s"
    )
    if why_not_amcheck is not None:
        missing("amcheck", why_not_amcheck)


def test_the_database_connection_keeps_every_commit(backend: Backend, crash_app: Flask) -> None:
    """The settings a commit's durability rests on, as the application's own connections
    have them (tests/test_audit_concurrency.py checks WAL and busy_timeout only on an engine
    it configures itself)."""
    with crash_app.app_context(), db.engine.connect() as connection:
        if backend.name == "sqlite":
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA synchronous").scalar() == 2  # FULL
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() >= 5000
            # Not durability but shredding: a deleted data key is overwritten, not left behind.
            assert pragma("PRAGMA secure_delete").scalar() == 1
            return
        # The one durability setting a client, its role or its database can lower. fsync and
        # full_page_writes are the server's own (only its configuration sets them): the
        # suite's private cluster runs without them for speed (tests/support/postgres.py).
        assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
