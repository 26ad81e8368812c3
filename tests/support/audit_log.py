"""Helpers shared by the audit tests: entries written through the library, entries and rows
built by hand (as the application's role or an owner without the triggers could write them),
verification, and the application's log read back after a web flow.

The fixtures ``engine`` (an engine on ``backend.url``) and ``key`` (an Ed25519 signing key)
are in tests/conftest.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient

import audit
from audit import GENESIS_HASH, AuditEvent, Entry, Outcome, Purpose
from audit.store import iter_entries
from servicestelle.api.operations import create_token
from servicestelle.auth.models import User
from servicestelle.extensions import db
from tests.conftest import post_form

#: When the tests' entries are written, unless a test says otherwise.
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
BERLIN_WINTER = timezone(timedelta(hours=1))


# --- entries written through the library ----------------------------------------------------


def logout(executor: Any, moment: datetime = NOW, **fields: Any) -> Entry:
    return audit.record(executor, AuditEvent.AUTH_LOGOUT, Outcome.SUCCESS, now=moment, **fields)


def read(executor: Any, **fields: Any) -> Entry:
    fields.setdefault("purpose", Purpose.COUNSELLING)
    return audit.record(executor, AuditEvent.CASE_CONTENT_READ, Outcome.SUCCESS, now=NOW, **fields)


def count_entries(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(audit.audit_entry)
            ).scalar_one()
        )


def appends_counted(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(audit.audit_append_lock.c.appends)).scalar_one())


# --- entries and rows built by hand ---------------------------------------------------------


def make_entry(**fields: Any) -> Entry:
    """The first entry of a log, a logout at NOW, with ``fields`` changed; no hash."""
    values: dict[str, Any] = {
        "seq": 1,
        "ts": NOW,
        "actor_id": None,
        "role": None,
        "centre_id": None,
        "action": AuditEvent.AUTH_LOGOUT.value,
        "object_type": None,
        "object_id": None,
        "purpose": None,
        "outcome": Outcome.SUCCESS.value,
        "request_id": None,
        "details": "{}",
        "prev_hash": GENESIS_HASH,
        "entry_hash": "",
    }
    values.update(fields)
    return Entry(**values)


def rehashed(entry: Entry) -> Entry:
    """What an attacker who knows SHA-256 does after an edit: recompute the entry's hash."""
    return replace(entry, entry_hash=entry.computed_hash())


def next_entry(executor: Any, **fields: Any) -> Entry:
    """The next entry as record() builds it (seq, prev_hash, hash), with ``fields`` changed;
    the hash is computed over the changed fields unless ``entry_hash`` is given."""
    seq, prev_hash = audit.head(executor)
    entry = make_entry(**{"seq": seq + 1, "prev_hash": prev_hash, **fields})
    return entry if entry.entry_hash else rehashed(entry)


def row_of(entry: Entry) -> dict[str, Any]:
    """The entry as a row of ``audit_entry``: every column by name."""
    return {column.name: getattr(entry, column.name) for column in audit.audit_entry.columns}


def insert_row(connection: sa.Connection, entry: Entry) -> None:
    """INSERT the entry's row directly (no record(), no append lock)."""
    connection.execute(sa.insert(audit.audit_entry).values(row_of(entry)))


def insert_checkpoint(engine: sa.Engine, seq: int, head_hash: str, **fields: Any) -> None:
    """INSERT a checkpoint row directly, as the application's role may: signed by no key."""
    values = {"signed_at": NOW, "key_id": "k" * 32, "signature": "AA==", **fields}
    with engine.begin() as connection:
        connection.execute(
            sa.insert(audit.audit_checkpoint).values(seq=seq, head_hash=head_hash, **values)
        )


def insert_unsigned_checkpoint(engine: sa.Engine, entry: Entry, **fields: Any) -> None:
    """A checkpoint row the application's role may insert: it names a real entry."""
    values = {"signed_at": NOW + timedelta(days=365), "key_id": "0" * 32, **fields}
    insert_checkpoint(engine, entry.seq, entry.entry_hash, **values)


# --- someone who owns the database ------------------------------------------------------------


@contextmanager
def owner_without_triggers(backend: Any) -> Iterator[sa.Connection]:
    """Someone who owns the database, with the audit tables' triggers out of the way (the
    CHECK constraints stay)."""
    engine = sa.create_engine(backend.owner_url)
    try:
        with engine.begin() as connection:
            if backend.name == "sqlite":
                names = connection.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
                for name in list(names):
                    connection.execute(sa.text(f"DROP TRIGGER {name}"))
            else:
                for table in ("audit_entry", "audit_checkpoint"):
                    connection.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            yield connection
    finally:
        engine.dispose()


def rewrite_from(connection: sa.Connection, seq: int, **changes: object) -> None:
    """Change entry ``seq`` and recompute every hash from there on: a chain consistent in
    itself, but not with a head signed before."""
    table = audit.audit_entry
    entries = list(iter_entries(connection, after=seq - 1))
    previous = entries[0].prev_hash
    # Two passes: the new hashes must not collide with the old ones (unique columns).
    for entry in entries:
        connection.execute(
            sa.update(table)
            .where(table.c.seq == entry.seq)
            .values(prev_hash=f"{entry.seq:064x}", entry_hash=f"{entry.seq + 10**6:064x}")
        )
    for entry in entries:
        changed = replace(entry, prev_hash=previous, **(changes if entry.seq == seq else {}))
        changed = rehashed(changed)
        connection.execute(sa.update(table).where(table.c.seq == entry.seq).values(row_of(changed)))
        previous = changed.entry_hash


# --- verification -----------------------------------------------------------------------------


def check(engine: sa.Engine, key: Ed25519PrivateKey, *files: str) -> audit.Verification:
    """Verify as the application does, with checkpoint ``files`` kept off the server."""
    external = [audit.from_json(text) for text in files]
    with engine.connect() as connection:
        return audit.verify(connection, key.public_key(), external=external)


# --- the application's log, read back after a web flow ----------------------------------------
#
# Entries are read from ``audit_entry`` and compared field by field; tests look at the entries
# written after a mark (``head``), filtered by action, because scheduled checkpoints add
# entries of their own.

WRONG_PASSWORD = "falsch falsch falsch"
#: The columns that hold hex digests by construction; they can carry no submitted text.
HEX_COLUMNS = {"prev_hash": 64, "entry_hash": 64, "request_id": 32}


def head(app: Flask) -> int:
    """The newest sequence number (0 for an empty log)."""
    with app.app_context():
        return audit.head(db.session)[0]


def entries(app: Flask, *, after: int = 0, action: str | None = None) -> list[sa.Row]:
    statement = (
        sa.select(audit.audit_entry)
        .where(audit.audit_entry.c.seq > after)
        .order_by(audit.audit_entry.c.seq)
    )
    if action is not None:
        statement = statement.where(audit.audit_entry.c.action == action)
    with app.app_context():
        return list(db.session.execute(statement).all())


def one(app: Flask, action: str, *, after: int = 0) -> sa.Row:
    found = entries(app, after=after, action=action)
    assert len(found) == 1, [row.action for row in entries(app, after=after)]
    return found[0]


def described(row: sa.Row) -> dict[str, object]:
    """The fields a test states: everything but seq, time and the hashes."""
    return {
        "actor_id": row.actor_id,
        "role": row.role,
        "centre_id": row.centre_id,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "purpose": row.purpose,
        "outcome": row.outcome,
        "request_id": row.request_id,
        "details": json.loads(row.details),
    }


def expected(
    *,
    request_id: str | None,
    actor_id: int | None = None,
    role: str | None = None,
    centre_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    outcome: str = "success",
    details: dict[str, object] | None = None,
) -> dict[str, object]:
    return {
        "actor_id": actor_id,
        "role": role,
        "centre_id": centre_id,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "purpose": None,
        "outcome": outcome,
        "request_id": request_id,
        "details": details or {},
    }


def request_id(response: Any) -> str:
    value = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", value), value
    return value


def text_columns(app: Flask) -> list[tuple[str, str]]:
    """(column, value) for every text value in the audit table."""
    with app.app_context():
        rows = db.session.execute(sa.select(audit.audit_entry)).mappings().all()
    return [(name, value) for row in rows for name, value in row.items() if isinstance(value, str)]


def assert_nowhere_in_log(app: Flask, *canaries: str) -> None:
    """No canary in any free text column; the digest columns hold nothing but hex."""
    for name, value in text_columns(app):
        if name in HEX_COLUMNS:
            assert re.fullmatch(f"[0-9a-f]{{{HEX_COLUMNS[name]}}}", value), (name, value)
            continue
        for canary in canaries:
            assert canary.lower() not in value.lower(), (name, value)


def password_step(client: FlaskClient, username: str, password: str) -> Any:
    return post_form(client, "/anmelden", {"username": username, "password": password})


def issue_token(app: Flask, user_id: int) -> str:
    with app.app_context():
        return create_token(db.session.get(User, user_id), "test").plaintext
