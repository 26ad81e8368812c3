"""The audit tables and the one way to append to them.

The library takes whatever the caller executes statements on (a SQLAlchemy ``Connection`` or
``Session``) and never commits: the entry belongs to the caller's transaction, so an operation
and its audit entry are saved together or not at all.

Appends are serialised by updating the single row of ``audit_append_lock`` first: on SQLite
that statement takes the database's write lock, on PostgreSQL it locks the row until commit.
Only then is the head read, so two writers can never link to the same predecessor; the unique
constraints on ``seq`` and ``prev_hash`` refuse a fork even if that were bypassed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Result

from audit.chain import GENESIS_HASH, TEXT_LIMITS, Entry, encode_details, escape_text
from audit.errors import AuditError
from audit.events import AuditEvent, Outcome, Purpose

#: Constraint names as the application's migrations expect them.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)

NONE = {"classification": "none"}
#: Timestamps outside this range are refused by the database (see the CHECK constraints).
EARLIEST, LATEST = "2000-01-01", "2200-01-01"
#: Object ids are pseudonymous ids (numbers, generated codes), never names or prose.
OBJECT_ID = re.compile(r"[A-Za-z0-9_.:+\-]{1,128}")
#: Pseudonymous: a user id or object id, meaningful only together with other tables.
PERSONAL = {"classification": "personal"}


class UTCTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (naive storage) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


audit_entry = sa.Table(
    "audit_entry",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
        info=NONE,
    ),
    sa.Column("ts", UTCTime(), nullable=False, index=True, info=NONE),
    sa.Column("actor_id", sa.Integer(), nullable=True, index=True, info=PERSONAL),
    sa.Column("role", sa.String(TEXT_LIMITS["role"]), nullable=True, info=NONE),
    sa.Column("centre_id", sa.Integer(), nullable=True, index=True, info=NONE),
    sa.Column("action", sa.String(64), nullable=False, index=True, info=NONE),
    sa.Column("object_type", sa.String(TEXT_LIMITS["object_type"]), nullable=True, info=NONE),
    sa.Column("object_id", sa.String(TEXT_LIMITS["object_id"]), nullable=True, info=PERSONAL),
    # Indexed: the break-glass review queue selects by purpose.
    sa.Column("purpose", sa.String(32), nullable=True, index=True, info=NONE),
    sa.Column("outcome", sa.String(16), nullable=False, info=NONE),
    sa.Column("request_id", sa.String(TEXT_LIMITS["request_id"]), nullable=True, info=NONE),
    sa.Column("details", sa.Text(), nullable=False, info=NONE),
    sa.Column("prev_hash", sa.String(64), nullable=False, unique=True, info=NONE),
    sa.Column("entry_hash", sa.String(64), nullable=False, unique=True, info=NONE),
    sa.Index("ix_audit_entry_object", "object_type", "object_id"),
    sa.CheckConstraint("seq >= 1", name="seq_positive"),
    # A time no reader can parse (or 'infinity') would stop every report and the verifier.
    sa.CheckConstraint(f"ts >= '{EARLIEST}' AND ts < '{LATEST}'", name="ts_in_range"),
    sa.CheckConstraint(
        "length(prev_hash) = 64 AND length(entry_hash) = 64", name="hashes_are_sha256"
    ),
)

audit_append_lock = sa.Table(
    "audit_append_lock",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False, info=NONE),
    #: How many appends took the lock; its only purpose is to give the UPDATE something to do.
    sa.Column("appends", sa.BigInteger(), nullable=False, info=NONE),
)

audit_checkpoint = sa.Table(
    "audit_checkpoint",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, info=NONE),
    sa.Column("seq", sa.BigInteger(), nullable=False, index=True, info=NONE),
    sa.Column("head_hash", sa.String(64), nullable=False, info=NONE),
    sa.Column("signed_at", UTCTime(), nullable=False, info=NONE),
    sa.Column("key_id", sa.String(32), nullable=False, info=NONE),
    sa.Column("signature", sa.String(128), nullable=False, info=NONE),
    sa.CheckConstraint("seq >= 0", name="seq_not_negative"),
    sa.CheckConstraint(
        f"signed_at >= '{EARLIEST}' AND signed_at < '{LATEST}'", name="signed_at_in_range"
    ),
    sa.CheckConstraint("length(head_hash) = 64", name="head_hash_is_sha256"),
)

LOCK_ROW_ID = 1
_V = TypeVar("_V", bound=StrEnum)
BATCH_SIZE = 5_000


class Executor(Protocol):
    """A SQLAlchemy Connection or Session: anything that executes in the caller's transaction."""

    def execute(self, statement: Any, parameters: Any = ..., /) -> Result[Any]: ...


def _text(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    escaped = escape_text(value)
    if len(escaped) > TEXT_LIMITS[field]:
        raise AuditError(f"{field} is longer than {TEXT_LIMITS[field]} characters")
    return escaped


def _member(vocabulary: type[_V], value: str, what: str) -> _V:
    # The message never repeats the value: it could be anything the caller had at hand.
    try:
        return vocabulary(value)
    except ValueError:
        raise AuditError(f"unknown {what}") from None


def _object_id(value: str | int | None) -> str | None:
    if value is None:
        return None
    text = str(value)
    if not OBJECT_ID.fullmatch(text):
        raise AuditError(
            "object ids are pseudonymous ids (letters, digits, _.:+-; at most 128), never names"
        )
    return text


# Built once: constructing a statement costs more than running it (bench/audit_append.py).
_LOCK = (
    sa.update(audit_append_lock)
    .where(audit_append_lock.c.id == LOCK_ROW_ID)
    .values(appends=audit_append_lock.c.appends + 1)
)
#: The same row lock (on SQLite the database's write lock) without counting an append.
_LOCK_ONLY = (
    sa.update(audit_append_lock)
    .where(audit_append_lock.c.id == LOCK_ROW_ID)
    .values(appends=audit_append_lock.c.appends)
)
_HEAD = (
    sa.select(audit_entry.c.seq, audit_entry.c.entry_hash)
    .order_by(audit_entry.c.seq.desc())
    .limit(1)
)
_INSERT = sa.insert(audit_entry)
#: Rows of ``select(audit_entry)`` become Entry positionally; the orders must agree.
_COLUMN_NAMES = tuple(column.name for column in audit_entry.columns)
if tuple(field.name for field in dataclasses.fields(Entry)) != _COLUMN_NAMES:  # pragma: no cover
    raise RuntimeError("audit_entry's columns and Entry's fields are out of order")


def _lock_for_append(executor: Executor, statement: sa.Update = _LOCK) -> None:
    locked = executor.execute(statement)
    if getattr(locked, "rowcount", 0) != 1:
        raise AuditError("the audit_append_lock row is missing; run the database migrations")


def lock_appends(executor: Executor) -> None:
    """Take the append lock now, for the rest of the caller's transaction.

    For a caller that decides *whether* to append from what it reads first: with the lock
    taken before the read, a second process doing the same waits, then reads the first one's
    committed result, instead of both deciding alike (and the second failing on a duplicate).
    The counter is left alone: it counts appends, one per entry.
    """
    _lock_for_append(executor, _LOCK_ONLY)


def head(executor: Executor) -> tuple[int, str]:
    """Sequence number and hash of the newest entry ((0, GENESIS_HASH) for an empty log)."""
    row = executor.execute(_HEAD).first()
    return (int(row.seq), str(row.entry_hash)) if row else (0, GENESIS_HASH)


def record(
    executor: Executor,
    event: AuditEvent,
    outcome: Outcome,
    *,
    now: datetime,
    actor_id: int | None = None,
    role: str | None = None,
    centre_id: int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    purpose: Purpose | None = None,
    request_id: str | None = None,
    details: Mapping[str, object] | None = None,
) -> Entry:
    """Append one entry inside the caller's transaction and return it (with its hash).

    Raises ``AuditError`` for an entry the vocabulary does not allow (unknown event, a read of
    case content without purpose, free text in details); any database error propagates, so
    the caller's transaction fails with it.
    """
    event = _member(AuditEvent, event, "audit event (see audit/events.py)")
    outcome = _member(Outcome, outcome, "outcome")
    if purpose is not None:
        purpose = _member(Purpose, purpose, "purpose code")
    elif event.requires_purpose:
        raise AuditError(f"{event.value} needs a purpose code")
    if now.tzinfo is None:
        raise AuditError("timestamps must be timezone-aware")
    draft = Entry(
        seq=0,
        ts=now.astimezone(UTC),
        actor_id=actor_id,
        role=_text("role", role),
        centre_id=centre_id,
        action=event.value,
        object_type=_text("object_type", object_type),
        object_id=_object_id(object_id),
        purpose=None if purpose is None else purpose.value,
        outcome=outcome.value,
        request_id=_text("request_id", request_id),
        details=encode_details(details),
        prev_hash=GENESIS_HASH,
        entry_hash="",
    )
    _lock_for_append(executor)
    last_seq, last_hash = head(executor)
    linked = replace(draft, seq=last_seq + 1, prev_hash=last_hash)
    entry = replace(linked, entry_hash=linked.computed_hash())
    executor.execute(_INSERT, _row(entry))
    return entry


def _row(entry: Entry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in _COLUMN_NAMES}


def entry_from_row(row: Any) -> Entry:
    """An Entry from a selected ``audit_entry`` row (all columns, in table order)."""
    return Entry(*row)


def iter_entries(
    executor: Executor, *, after: int | None = None, batch_size: int = BATCH_SIZE
) -> Iterator[Entry]:
    """Every entry (with seq > ``after`` if given) in order, read in keyset batches.

    Without ``after`` there is no lower bound at all: the verifier must also see a row an
    attacker slipped in below seq 1.
    """
    while True:
        query = sa.select(audit_entry).order_by(audit_entry.c.seq).limit(batch_size)
        if after is not None:
            query = query.where(audit_entry.c.seq > after)
        rows = executor.execute(query).all()
        for row in rows:
            yield entry_from_row(row)
        if len(rows) < batch_size:
            return
        after = int(rows[-1].seq)


def entry_at(executor: Executor, seq: int) -> Entry | None:
    row = executor.execute(sa.select(audit_entry).where(audit_entry.c.seq == seq)).first()
    return None if row is None else entry_from_row(row)


def count_entries(executor: Executor) -> int:
    return int(executor.execute(sa.select(sa.func.count()).select_from(audit_entry)).scalar_one())


def seq_of_hash(executor: Executor, entry_hash: str) -> int | None:
    """The sequence number of the entry with this hash, if any (to explain a broken link)."""
    found = executor.execute(
        sa.select(audit_entry.c.seq).where(audit_entry.c.entry_hash == entry_hash)
    ).scalar()
    return None if found is None else int(found)
