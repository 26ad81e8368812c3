"""Database guards added after review: impossible times on SQLite, checkpoint ids on
PostgreSQL, and the signer's state file refusing nonsense."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit import AuditEvent, Outcome, signer_state
from tests.support.audit_log import NOW


def _first_entry(engine) -> audit.Entry:
    with engine.begin() as connection:
        return audit.record(connection, AuditEvent.AUTH_LOGOUT, Outcome.SUCCESS, now=NOW)


@pytest.mark.parametrize(
    "stored",
    [
        "2026-02-31 09:00:00.000000",  # no such day
        "2026-03-02 24:00:00.000000",  # no such hour
        "2026-03-02T09:00:00.000000",  # not the stored form
        "2026-03-02 09:00:00",  # no microseconds
    ],
)
def test_sqlite_refuses_a_time_no_reader_could_parse(backend, engine, stored):
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL parses timestamps itself and refuses these")
    with engine.begin() as connection:
        seq, prev_hash = audit.head(connection)
    row = {
        "seq": seq + 1,
        "ts": stored,
        "action": AuditEvent.AUTH_LOGOUT.value,
        "outcome": "success",
        "details": "{}",
        "prev_hash": prev_hash,
        "entry_hash": "a" * 64,
    }
    # An untyped view of the table, so the text goes in as it is (no datetime conversion).
    untyped = sa.table("audit_entry", *(sa.column(name) for name in row))
    with pytest.raises(sa.exc.IntegrityError, match="not a time"), engine.begin() as connection:
        connection.execute(sa.insert(untyped).values(row))
    with engine.connect() as connection:
        assert audit.head(connection)[0] == seq  # nothing was written; reading still works


def test_sqlite_accepts_what_the_library_writes(backend, engine):
    entry = _first_entry(engine)
    with engine.connect() as connection:
        assert audit.store.entry_at(connection, entry.seq) == entry


def test_postgresql_app_role_cannot_choose_a_checkpoint_id(backend, engine):
    if backend.name != "postgresql":
        pytest.skip("SQLite has no column privileges")
    entry = _first_entry(engine)
    key = Ed25519PrivateKey.generate()
    with engine.begin() as connection:
        audit.create_checkpoint(connection, key, NOW)  # the sequence picks the id: allowed
    row = {
        "id": 2_000_000_000,
        "seq": entry.seq,
        "head_hash": entry.entry_hash,
        "signed_at": NOW,
        "key_id": "x",
        "signature": "AA==",
    }
    with (
        pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
        engine.begin() as connection,
    ):
        connection.execute(sa.insert(audit.audit_checkpoint).values(row))


@pytest.mark.parametrize(
    "content", [{"seq": True, "head_hash": "a"}, {"seq": -1, "head_hash": "a"}]
)
def test_the_signer_state_refuses_a_seq_that_is_no_position(tmp_path, content):
    path = tmp_path / "key.pem.state"
    path.write_text(json.dumps(content))
    with pytest.raises(audit.CheckpointError, match="unreadable"):
        signer_state.read_state(path)
