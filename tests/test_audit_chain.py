"""The audit library's hash chain: how record() links entries, the pinned hash of format 1,
executors, transactions and the append lock, and reading the chain back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from itertools import pairwise

import pytest
import sqlalchemy as sa

import audit
from audit import GENESIS_HASH, AuditError, Entry
from audit.store import iter_entries, seq_of_hash
from tests.support.audit_log import appends_counted, count_entries, logout, read


def expected_hash(entry: Entry) -> str:
    """Format 1 written out independently of audit/chain.py: SHA-256(0x00 ‖ JSON array)."""
    fields = [
        1,
        entry.seq,
        entry.ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        entry.actor_id,
        entry.role,
        entry.centre_id,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.purpose,
        entry.outcome,
        entry.request_id,
        entry.details,
        entry.prev_hash,
    ]
    encoded = json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return hashlib.sha256(b"\x00" + encoded).hexdigest()


# --- the chain ---------------------------------------------------------------------------


def test_record_builds_a_linear_hash_chain(engine, key):
    written = []
    for number in range(5):
        with engine.begin() as connection:
            written.append(
                read(
                    connection,
                    actor_id=number,
                    role="counsellor",
                    centre_id=2,
                    object_type="case",
                    object_id=100 + number,
                    request_id=f"req-{number}",
                    details={"fields": ["title"]},
                )
            )
    assert [entry.seq for entry in written] == [1, 2, 3, 4, 5]
    assert written[0].prev_hash == GENESIS_HASH == "0" * 64
    for earlier, later in pairwise(written):
        assert later.prev_hash == earlier.entry_hash
    for entry in written:
        assert entry.entry_hash == expected_hash(entry)
        assert len(entry.entry_hash) == 64
    with engine.connect() as connection:
        assert list(iter_entries(connection)) == written
        assert audit.head(connection) == (5, written[-1].entry_hash)
        verdict = audit.verify(connection, key.public_key())
    assert appends_counted(engine) == 5
    assert (verdict.intact, verdict.entries, verdict.head_seq) == (True, 5, 5)
    assert verdict.head_hash == written[-1].entry_hash


def test_the_hash_of_format_1_is_pinned():
    """An entry hashes to this value for ever: changing the encoding breaks every old log."""
    entry = Entry(
        seq=7,
        ts=datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC),
        actor_id=3,
        role="counsellor",
        centre_id=1,
        action="case:content:read",
        object_type="case",
        object_id="42",
        purpose="counselling",
        outcome="success",
        request_id="req-1",
        details='{"fields":["title"]}',
        prev_hash="ab" * 32,
        entry_hash="",
    )
    assert entry.computed_hash() == expected_hash(entry)
    assert entry.computed_hash() == PINNED_FORMAT_1_HASH
    assert entry.computed_hash(seq=8) == expected_hash(replace(entry, seq=8))
    assert entry.computed_hash(seq=8) != entry.computed_hash()


PINNED_FORMAT_1_HASH = "9388e4b5c57bbe98619dc9f8eafc27b9d0df439c000f7ae1e0f3cf23bd2dab80"


def test_a_session_is_an_executor_too(engine):
    with sa.orm.Session(engine) as session, session.begin():
        first = logout(session)
        second = logout(session, actor_id=1)
    assert (first.seq, second.prev_hash) == (1, first.entry_hash)
    assert count_entries(engine) == 2


def test_a_failed_operation_takes_its_entry_with_it(engine):
    def operation() -> None:
        with engine.begin() as connection:
            logout(connection)
            raise RuntimeError("operation failed")

    with pytest.raises(RuntimeError, match="operation failed"):
        operation()
    assert count_entries(engine) == 0
    with engine.begin() as connection:
        assert logout(connection).seq == 1


def test_record_refuses_when_the_append_lock_row_is_missing(backend, engine):
    # The application's role may not delete the row (PostgreSQL); the owner can.
    owner = sa.create_engine(backend.owner_url)
    try:
        with owner.begin() as connection:
            connection.execute(sa.delete(audit.audit_append_lock))
    finally:
        owner.dispose()
    with pytest.raises(AuditError, match="audit_append_lock"), engine.begin() as connection:
        logout(connection)
    assert count_entries(engine) == 0


def test_head_of_an_empty_log_is_the_genesis_hash(engine):
    with engine.connect() as connection:
        assert audit.head(connection) == (0, GENESIS_HASH)
        assert list(iter_entries(connection)) == []


def test_iter_entries_reads_in_batches_after_a_given_seq(engine):
    with engine.begin() as connection:
        written = [logout(connection, actor_id=number) for number in range(5)]
    selects: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    with engine.connect() as connection:
        for batch_size, queries in [(2, 3), (5, 2), (6, 1), (1, 6)]:
            selects.clear()
            assert list(iter_entries(connection, batch_size=batch_size)) == written
            assert len(selects) == queries, batch_size
        assert list(iter_entries(connection, after=3, batch_size=1)) == written[3:]
        assert list(iter_entries(connection, after=5)) == []
        assert list(iter_entries(connection, after=-10)) == written


def test_seq_of_hash_finds_an_entry_by_its_hash(engine):
    with engine.begin() as connection:
        written = [logout(connection, actor_id=number) for number in range(3)]
        assert [seq_of_hash(connection, entry.entry_hash) for entry in written] == [1, 2, 3]
        assert seq_of_hash(connection, GENESIS_HASH) is None
