"""Audit log appends: ``audit.record`` against plain inserts of the same rows, one commit each.

Every audit entry belongs to the transaction of the operation it records, so in practice each
append is its own commit. On SQLite in WAL mode with ``synchronous=FULL`` (the application's
settings) that commit ends in an fsync of the write-ahead log; what ``record`` adds on top is
the append lock (an UPDATE), reading the head, hashing, and building its statements.

The baseline writes the very rows ``record`` writes (computed beforehand, hashes included)
into the same ``audit_entry`` table of a separate database, each row in its own transaction,
with a statement built once. A third case builds the INSERT per row the way ``record`` does
(``insert(...).values(row)``), which separates the cost of building statements from the cost
of the chain logic.
"""

from __future__ import annotations

import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

import audit
from audit.chain import LEAF_PREFIX, Entry, canonical_encoding, encode_details
from bench.core import Case, Measurement, Plan

#: Appends per run of each case.
ENTRIES_FULL, ENTRIES_QUICK = 2_000, 500
#: Untimed appends per case before the first run (statement caches, first-touch costs).
WARMUP_ENTRIES = 100
BASE_TIME = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

INSERT = sa.insert(audit.audit_entry)


def open_database(path: Path, *, synchronous: str = "FULL") -> Engine:
    """A SQLite file database with the application's pragmas, set on every connection."""
    engine = sa.create_engine(f"sqlite:///{path}")

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    return engine


def create_audit_tables(engine: Engine) -> None:
    """The tables and the append-lock row the migration creates (its triggers only fire on
    UPDATE and DELETE of entries, so appends do not need them)."""
    audit.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.insert(audit.audit_append_lock).values(id=1, appends=0))


@dataclass(frozen=True)
class Activity:
    """One kind of append in the mix: what its entries share (the entry number varies the rest)."""

    event: audit.AuditEvent
    details: dict[str, object]
    object_type: str | None = None
    first_object_id: int = 0
    purpose: audit.Purpose | None = None


#: A login, two reads of case content with their purpose, a change of roles; over and over.
ACTIVITIES = (
    Activity(audit.AuditEvent.AUTH_LOGIN_SUCCESS, {"second_factor": "totp"}),
    Activity(
        audit.AuditEvent.CASE_CONTENT_READ,
        {"fields": ["notes", "status"]},
        "case",
        50_000,
        audit.Purpose.COUNSELLING,
    ),
    Activity(
        audit.AuditEvent.CASE_CONTENT_READ,
        {"fields": ["appointments"]},
        "case",
        50_000,
        audit.Purpose.SUPERVISION,
    ),
    Activity(audit.AuditEvent.USER_ROLES_CHANGE, {"added": ["leitung"], "removed": []}, "user"),
)
#: Each activity's details as record() stores them, encoded once rather than per entry.
ENCODED_DETAILS = tuple(encode_details(activity.details) for activity in ACTIVITIES)
COLUMNS = tuple(column.name for column in audit.audit_entry.columns)


def record_arguments(n: int) -> dict[str, Any]:
    """The keyword arguments of the n-th ``audit.record`` call (n = 0, 1, …) of the mix.

    All texts are plain ASCII, which ``escape_text`` leaves unchanged; ``entry_as_recorded``
    relies on that.
    """
    activity = ACTIVITIES[n % len(ACTIVITIES)]
    return {
        "event": activity.event,
        "outcome": audit.Outcome.SUCCESS,
        "now": BASE_TIME + timedelta(seconds=n, microseconds=n * 7919 % 1_000_000),
        "actor_id": 1 + n % 97,
        "role": "beraterin",
        "centre_id": 1 + n % 5,
        "object_type": activity.object_type,
        "object_id": None if activity.object_type is None else activity.first_object_id + n % 1009,
        "purpose": activity.purpose,
        "request_id": f"{n:032x}",
        "details": activity.details,
    }


def entry_as_recorded(n: int, *, prev_hash: str) -> tuple[Entry, bytes]:
    """Entry n + 1, as ``audit.record(**record_arguments(n))`` appends it after ``prev_hash``,
    and its canonical bytes.

    Computed with ``audit.chain`` alone, so that many entries can be written in bulk; the
    append benchmark checks that ``record`` returns exactly these entries.
    """
    arguments = record_arguments(n)
    purpose, object_id = arguments["purpose"], arguments["object_id"]
    fields: dict[str, Any] = {
        "seq": n + 1,
        "ts": arguments["now"].astimezone(UTC),
        "actor_id": arguments["actor_id"],
        "role": arguments["role"],
        "centre_id": arguments["centre_id"],
        "action": arguments["event"].value,
        "object_type": arguments["object_type"],
        "object_id": None if object_id is None else str(object_id),
        "purpose": None if purpose is None else purpose.value,
        "outcome": arguments["outcome"].value,
        "request_id": arguments["request_id"],
        "details": ENCODED_DETAILS[n % len(ACTIVITIES)],
        "prev_hash": prev_hash,
    }
    encoded = canonical_encoding(Entry(**fields, entry_hash=""), seq=n + 1)
    return Entry(**fields, entry_hash=hashlib.sha256(LEAF_PREFIX + encoded).hexdigest()), encoded


def as_row(entry: Entry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in COLUMNS}


@dataclass(frozen=True)
class Workload:
    """The same appends three ways: record() arguments, and the entries and rows they give."""

    calls: list[dict[str, Any]]
    entries: list[Entry]
    rows: list[dict[str, object]]


def workload(count: int) -> Workload:
    entries, prev_hash = [], audit.GENESIS_HASH
    for n in range(count):
        entry, _ = entry_as_recorded(n, prev_hash=prev_hash)
        entries.append(entry)
        prev_hash = entry.entry_hash
    calls = [record_arguments(n) for n in range(count)]
    return Workload(calls, entries, [as_row(entry) for entry in entries])


#: Appends a workload to a database; returns what record() returned, if it was called.
Appender = Callable[[Engine, Workload], list[Entry] | None]


def append_plain(engine: Engine, work: Workload) -> None:
    for row in work.rows:
        with engine.begin() as connection:
            connection.execute(INSERT, row)


def append_built_per_row(engine: Engine, work: Workload) -> None:
    for row in work.rows:
        with engine.begin() as connection:
            connection.execute(sa.insert(audit.audit_entry).values(row))


def append_recorded(engine: Engine, work: Workload) -> list[Entry]:
    written = []
    for arguments in work.calls:
        with engine.begin() as connection:
            written.append(audit.record(connection, **arguments))
    return written


PLAIN = "plain insert, 1 per commit"
BUILT_PER_ROW = "plain insert, statement built per row"
RECORD = "audit.record(), 1 per commit"
#: Case name -> how it appends a workload; all run in turns, in this order, round by round.
APPENDERS: dict[str, Appender] = {
    PLAIN: append_plain,
    BUILT_PER_ROW: append_built_per_row,
    RECORD: append_recorded,
}


def append_once(path: Path, name: str, appender: Appender, work: Workload) -> float:
    """Append the workload to a new database; seconds taken (creating the tables untimed)."""
    engine = open_database(path)
    try:
        create_audit_tables(engine)
        started = time.perf_counter()
        written = appender(engine, work)
        elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    # Timing record() while it wrote something else than the baseline would compare nothing.
    if written is not None and written != work.entries:
        raise RuntimeError(f"{name} wrote other entries than the baseline inserts")
    return elapsed


@cache
def interleaved(plan: Plan) -> dict[str, Measurement]:
    """Seconds per append of each case, the cases taking turns run by run.

    Every run starts from an empty database file of its own, so no case appends to a longer
    log or a larger write-ahead log than another.
    """
    count = plan.runs(full=ENTRIES_FULL, quick=ENTRIES_QUICK)
    work = workload(count)
    warmup = Workload(
        work.calls[:WARMUP_ENTRIES], work.entries[:WARMUP_ENTRIES], work.rows[:WARMUP_ENTRIES]
    )
    samples: dict[str, list[float]] = {name: [] for name in APPENDERS}
    with tempfile.TemporaryDirectory(prefix="servicestelle-bench-audit-") as scratch:
        directory = Path(scratch)
        for case, (name, appender) in enumerate(APPENDERS.items()):
            append_once(directory / f"warmup-{case}.db", name, appender, warmup)
        for run in range(plan.runs(full=5, quick=2)):
            for case, (name, appender) in enumerate(APPENDERS.items()):
                elapsed = append_once(directory / f"{run}-{case}.db", name, appender, work)
                samples[name].append(elapsed / count)
    return {
        name: Measurement(
            runs,
            f"{1 / statistics.median(runs):,.0f} entries/s; {count:,} entries per run, "
            "WAL, synchronous=FULL",
        )
        for name, runs in samples.items()
    }


def cases() -> list[Case]:
    return [
        Case(PLAIN, lambda plan: interleaved(plan)[PLAIN]),
        Case(BUILT_PER_ROW, lambda plan: interleaved(plan)[BUILT_PER_ROW], baseline=PLAIN),
        Case(RECORD, lambda plan: interleaved(plan)[RECORD], baseline=PLAIN),
    ]
