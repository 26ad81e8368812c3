"""The database keeps the audit log append-only, on SQLite and on PostgreSQL as the
application's role: updates and deletes are refused, inserts must continue the chain,
checkpoints must name an entry, and CHECKs refuse what no reader can use.

Tests marked ``BUG`` in their docstring fail on purpose: they show a defect in ``audit/`` (or
its migration) that is described next to the test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit import GENESIS_HASH, Entry
from audit.store import iter_entries
from tests.support.audit_log import (
    NOW,
    appends_counted,
    count_entries,
    insert_checkpoint,
    insert_row,
    logout,
    next_entry,
    rehashed,
    row_of,
)

only_sqlite = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
only_postgresql = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


# --- the database keeps the log append-only ----------------------------------------------


def snapshot(engine: sa.Engine) -> tuple[list[Any], list[Any]]:
    with engine.connect() as connection:
        entries = connection.execute(sa.select(audit.audit_entry).order_by("seq")).all()
        checkpoints = connection.execute(sa.select(audit.audit_checkpoint).order_by("id")).all()
    return entries, checkpoints


def fill(engine: sa.Engine, key: Ed25519PrivateKey) -> None:
    with engine.begin() as connection:
        for number in range(3):
            logout(connection, actor_id=number)
        audit.create_checkpoint(connection, key, NOW)


def assert_refused(engine: sa.Engine, statement: str, message: str | None = None) -> None:
    """The statement fails (with ``message`` if given; None: whatever the reason)."""
    with pytest.raises(sa.exc.DBAPIError, match=message), engine.begin() as connection:
        connection.execute(sa.text(statement))


SQLITE_REFUSED = [
    "UPDATE audit_entry SET outcome = 'failure' WHERE seq = 2",
    "UPDATE audit_entry SET seq = seq + 10",
    "DELETE FROM audit_entry WHERE seq = 3",
    "DELETE FROM audit_entry",
    "UPDATE audit_checkpoint SET seq = 2",
    "DELETE FROM audit_checkpoint",
]


@only_sqlite
def test_sqlite_aborts_updates_and_deletes_of_audit_rows(engine, key):
    fill(engine, key)
    before = snapshot(engine)
    for statement in SQLITE_REFUSED:
        assert_refused(engine, statement, "append-only")
    assert snapshot(engine) == before


@only_sqlite
@pytest.mark.parametrize(
    ("statement", "message"),
    [
        pytest.param(
            "INSERT OR REPLACE INTO audit_entry SELECT seq, ts, actor_id, role, centre_id,"
            " action, object_type, object_id, purpose, 'failure', request_id, details,"
            " prev_hash, entry_hash FROM audit_entry WHERE seq = 2",
            None,
            id="entry replaced in place",
        ),
        pytest.param(
            "REPLACE INTO audit_checkpoint SELECT id, seq + 1, head_hash, signed_at, key_id,"
            " signature FROM audit_checkpoint",
            None,
            id="checkpoint replaced in place",
        ),
        pytest.param(
            # Names the same entry, so only the no-replace trigger can refuse it.
            "REPLACE INTO audit_checkpoint SELECT id, seq, head_hash, signed_at, key_id,"
            " 'AA==' FROM audit_checkpoint",
            "append-only",
            id="checkpoint replaced naming the same entry",
        ),
    ],
)
def test_sqlite_refuses_insert_or_replace_of_audit_rows(engine, key, statement, message):
    """``INSERT OR REPLACE`` deletes the conflicting row without running DELETE triggers; the
    insert guards refuse it (whichever trigger fires first: the row does not continue the
    chain, names no entry, or would replace one)."""
    fill(engine, key)
    before = snapshot(engine)
    assert_refused(engine, statement, message)
    assert snapshot(engine) == before


@only_sqlite
def test_sqlite_refuses_a_replace_that_continues_the_chain_but_clashes_with_a_hash(engine, key):
    """A replacing row at the next position with the head as predecessor passes the
    continues-chain trigger; reusing entry 1's hash would delete entry 1, and the no-replace
    trigger refuses that."""
    fill(engine, key)
    before = snapshot(engine)
    statement = (
        "INSERT OR REPLACE INTO audit_entry SELECT 4, ts, actor_id, role, centre_id, action,"
        " object_type, object_id, purpose, outcome, request_id, details,"
        " (SELECT entry_hash FROM audit_entry WHERE seq = 3), entry_hash"
        " FROM audit_entry WHERE seq = 1"
    )
    assert_refused(engine, statement, "append-only")
    assert snapshot(engine) == before


PG_TABLES = ("audit_entry", "audit_checkpoint")
PG_APP_REFUSED = [
    statement
    for table in PG_TABLES
    for statement in (
        f"UPDATE {table} SET seq = seq + 10",  # noqa: S608 - constant table names
        f"DELETE FROM {table}",  # noqa: S608 - constant table names
        f"TRUNCATE {table}",
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"ALTER TABLE {table} DISABLE TRIGGER USER",
        f"DROP TRIGGER {table}_no_update_delete ON {table}",
        f"DROP TRIGGER {table}_no_truncate ON {table}",
        f"ALTER TABLE {table} OWNER TO servicestelle_app",
        f"DROP TABLE {table}",
    )
] + [
    "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RETURN NEW; END $$",
    "DROP FUNCTION audit_refuse_change() CASCADE",
]


@only_postgresql
def test_postgresql_app_role_can_only_append_and_read(engine, key):
    fill(engine, key)
    before = snapshot(engine)
    for statement in PG_APP_REFUSED:
        assert_refused(engine, statement, "permission denied|must be owner")
    assert snapshot(engine) == before
    with engine.begin() as connection:
        assert logout(connection).seq == 4
        audit.create_checkpoint(connection, key, NOW)
        verdict = audit.verify(connection, key.public_key())
    assert (verdict.intact, verdict.entries, verdict.checkpoints) == (True, 4, 2)


@only_postgresql
def test_postgresql_app_role_does_not_own_the_audit_tables(engine):
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT current_user")).scalar() == "servicestelle_app"
        owners = dict(
            connection.execute(
                sa.text(
                    "SELECT tablename, tableowner FROM pg_tables "
                    "WHERE tablename IN ('audit_entry', 'audit_checkpoint')"
                )
            ).all()
        )
        privileges = {
            (table, privilege): connection.execute(
                sa.text("SELECT has_table_privilege(current_user, :table, :privilege)"),
                {"table": table, "privilege": privilege},
            ).scalar()
            for table in PG_TABLES
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
        }
        # Checkpoints: INSERT of the signed fields only, never of the id (which would let the
        # role pin an unsigned row as "the newest").
        column_insert = {
            column: connection.execute(
                sa.text(
                    "SELECT has_column_privilege(current_user, 'audit_checkpoint', :c, 'INSERT')"
                ),
                {"c": column},
            ).scalar()
            for column in ("id", "seq", "head_hash", "signed_at", "key_id", "signature")
        }
    assert owners == {
        "audit_entry": "servicestelle_owner",
        "audit_checkpoint": "servicestelle_owner",
    }
    assert {pair for pair, granted in privileges.items() if granted} == {
        ("audit_entry", "SELECT"),
        ("audit_entry", "INSERT"),
        ("audit_checkpoint", "SELECT"),
    }
    assert column_insert == {
        "id": False,
        "seq": True,
        "head_hash": True,
        "signed_at": True,
        "key_id": True,
        "signature": True,
    }


@only_postgresql
def test_postgresql_triggers_refuse_changes_even_by_the_owner(backend, engine, key):
    fill(engine, key)
    before = snapshot(engine)
    owner = sa.create_engine(backend.owner_url)
    try:
        for table in PG_TABLES:
            for statement in (
                f"UPDATE {table} SET seq = seq + 10",  # noqa: S608 - constant table names
                f"DELETE FROM {table}",  # noqa: S608 - constant table names
                f"TRUNCATE {table}",
            ):
                assert_refused(owner, statement, "append-only")
    finally:
        owner.dispose()
    assert snapshot(engine) == before


# --- inserts must continue the chain; CHECKs refuse what no reader can use -----------------


def insert_entry(engine: sa.Engine, entry: Entry) -> None:
    """INSERT the row directly, as the application's role (no record(), no append lock)."""
    with engine.begin() as connection:
        insert_row(connection, entry)


def test_the_first_entry_must_start_the_chain(engine, key):
    with engine.connect() as connection:
        first = next_entry(connection)
        wrong = [
            next_entry(connection, seq=2),
            next_entry(connection, seq=0),
            next_entry(connection, prev_hash="f" * 64),
        ]
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    for entry in wrong:
        with pytest.raises(sa.exc.IntegrityError, match="must continue the chain"):
            insert_entry(engine, entry)
    assert count_entries(engine) == 0
    insert_entry(engine, first)  # what record() would have written
    with engine.connect() as connection:
        assert list(iter_entries(connection)) == [first]
        assert audit.verify(connection, key.public_key()).intact


def test_the_application_role_can_only_insert_an_entry_that_continues_the_chain(engine, key):
    with engine.begin() as connection:
        written = [logout(connection, actor_id=number) for number in range(3)]
    before = snapshot(engine)
    with engine.connect() as connection:
        right = next_entry(connection, actor_id=9)
    assert (right.seq, right.prev_hash) == (4, written[-1].entry_hash)
    wrong = {
        "a gap": replace(right, seq=5),
        "far above the head": replace(right, seq=10**12),
        "at an existing seq": replace(right, seq=3),
        "below the first": replace(right, seq=0),
        "at a negative seq": replace(right, seq=-1),
        "linked to the genesis hash": replace(right, prev_hash=GENESIS_HASH),
        "linked to an earlier entry": replace(right, prev_hash=written[0].entry_hash),
        "linked to nothing": replace(right, prev_hash="f" * 64),
    }
    for why, entry in wrong.items():
        with pytest.raises(sa.exc.IntegrityError, match=r"continue the chain|append-only"):
            insert_entry(engine, rehashed(entry))
        assert snapshot(engine) == before, why
    assert snapshot(engine) == before
    insert_entry(engine, right)
    with engine.connect() as connection:
        verdict = audit.verify(connection, key.public_key())
    assert (verdict.intact, verdict.head_seq, verdict.head_hash) == (True, 4, right.entry_hash)


def test_a_checkpoint_must_name_an_entry_of_the_log(engine, key):
    for seq, head_hash in ((0, "ab" * 32), (1, GENESIS_HASH)):
        with pytest.raises(sa.exc.IntegrityError, match="must name an entry"):
            insert_checkpoint(engine, seq, head_hash)
    insert_checkpoint(engine, 0, GENESIS_HASH)  # the empty log
    with engine.begin() as connection:
        written = [logout(connection, actor_id=number) for number in range(3)]
    before = snapshot(engine)
    for seq, head_hash in (
        (3, written[1].entry_hash),  # an entry's hash at another seq
        (4, written[2].entry_hash),  # beyond the head
        (0, written[0].entry_hash),  # the empty log with another hash
        (2, "ab" * 32),  # a hash no entry has
        (-1, GENESIS_HASH),
    ):
        with pytest.raises(sa.exc.IntegrityError, match="must name an entry"):
            insert_checkpoint(engine, seq, head_hash)
    assert snapshot(engine) == before
    # Naming a real entry is all the database can check; the signature is verify's business.
    insert_checkpoint(engine, 2, written[1].entry_hash)
    with engine.connect() as connection:
        verdict = audit.verify(connection, key.public_key())
    assert (verdict.problem, verdict.seq) == (audit.Problem.FORGED_CHECKPOINT, 0)


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(datetime(1999, 12, 31, 12, tzinfo=UTC), id="1999"),
        pytest.param(datetime(1970, 1, 1, tzinfo=UTC), id="epoch"),
        pytest.param(datetime(1, 1, 1, tzinfo=UTC), id="year 1"),
        pytest.param(datetime(2200, 1, 1, tzinfo=UTC), id="2200"),
        pytest.param(datetime(9999, 12, 31, tzinfo=UTC), id="year 9999"),
    ],
)
def test_times_outside_2000_to_2199_are_refused_by_the_database(engine, key, moment):
    with engine.begin() as connection:
        logout(connection)
    before = snapshot(engine)
    with engine.connect() as connection:
        entry = next_entry(connection, ts=moment)
    with pytest.raises(sa.exc.IntegrityError, match="ck_audit_entry_ts_in_range"):
        insert_entry(engine, entry)
    # record() writes whatever time it is given; the database refuses it.
    with (
        pytest.raises(sa.exc.IntegrityError, match="ck_audit_entry_ts_in_range"),
        engine.begin() as connection,
    ):
        logout(connection, moment)
    with (
        pytest.raises(sa.exc.IntegrityError, match="ck_audit_checkpoint_signed_at_in_range"),
        engine.begin() as connection,
    ):
        audit.create_checkpoint(connection, key, moment)
    assert snapshot(engine) == before


def test_times_from_2000_to_2199_are_accepted(engine, key):
    early, late = datetime(2000, 1, 1, 12, tzinfo=UTC), datetime(2199, 12, 31, 12, tzinfo=UTC)
    with engine.begin() as connection:
        logout(connection, early)
        audit.create_checkpoint(connection, key, late)
    with engine.connect() as connection:
        entry = next_entry(connection, ts=late)
    insert_entry(engine, entry)
    with engine.connect() as connection:
        assert [stored.ts for stored in iter_entries(connection)] == [early, late]
        assert audit.latest_checkpoint(connection).signed_at == late
        assert audit.verify(connection, key.public_key()).intact


@pytest.mark.parametrize("entry_hash", ["", "a" * 63, "a" * 65])
def test_an_entry_hash_that_is_not_64_characters_long_is_refused(engine, entry_hash):
    with engine.connect() as connection:
        entry = replace(next_entry(connection), entry_hash=entry_hash)
    # The CHECK, or on PostgreSQL for 65 characters the column's own length.
    with pytest.raises(sa.exc.DBAPIError, match=r"ck_audit_entry_hashes_are_sha256|too long"):
        insert_entry(engine, entry)
    assert count_entries(engine) == 0


def test_the_application_role_may_only_update_the_append_lock(backend, engine):
    if backend.name == "sqlite":
        pytest.skip("SQLite has no privileges: whoever can write the file can delete the row")
    for statement in (
        "DELETE FROM audit_append_lock",
        "TRUNCATE audit_append_lock",
        "INSERT INTO audit_append_lock (id, appends) VALUES (2, 0)",
    ):
        assert_refused(engine, statement, "permission denied")
    with engine.begin() as connection:  # the UPDATE every append makes is allowed
        logout(connection)
    assert appends_counted(engine) == 1


@only_postgresql
def test_postgresql_app_role_cannot_move_the_append_lock_row(engine):
    """Moving the row (another id) would stop every append just as deleting it would: the
    application's role may update the counter only (pg_roles.py grants UPDATE (appends))."""
    assert_refused(engine, "UPDATE audit_append_lock SET id = 2", "permission denied")
    with engine.begin() as connection:
        assert logout(connection).seq == 1


@only_postgresql
def test_postgresql_insert_guards_are_not_misled_by_a_temporary_table(engine):
    """Regression (fixed; migrations/…_0003_audit_log.py, POSTGRESQL_INSERT_GUARDS): the trigger functions
    read ``audit_entry`` unqualified, and pg_temp comes first in every search_path unless it
    is named. The application's role may create temporary tables (PUBLIC has TEMPORARY on the
    database), so it creates ``pg_temp.audit_entry`` with the head it likes and inserts into
    ``public.audit_entry`` a row far above the real head, or a checkpoint naming no entry;
    both triggers read the temporary table and let the row through. The fix: give both
    functions a fixed search path, ``CREATE FUNCTION audit_entry_continues_chain() RETURNS
    trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$ … $$`` (the same for
    audit_checkpoint_names_an_entry; or schema-qualify the table in their bodies); and
    ``REVOKE TEMPORARY ON DATABASE … FROM PUBLIC`` in pg_roles.py as a second line.
    """
    with engine.begin() as connection:
        logout(connection)
        far = next_entry(connection, seq=10**12, prev_hash="a" * 64)
    columns = [column.name for column in audit.audit_entry.columns]
    into_entry = sa.text(
        f"INSERT INTO public.audit_entry ({', '.join(columns)}) "  # noqa: S608 - constant names
        f"VALUES ({', '.join(':' + name for name in columns)})"
    )
    into_checkpoint = sa.text(
        "INSERT INTO public.audit_checkpoint (seq, head_hash, signed_at, key_id, signature) "
        "VALUES (:seq, :head_hash, now(), 'k', 'AA==')"
    )

    def behind_a_temporary_table(statement: Any, parameters: dict[str, Any]) -> None:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "CREATE TEMPORARY TABLE audit_entry (seq bigint, entry_hash text) "
                    "ON COMMIT DROP"
                )
            )
            connection.execute(
                sa.text("INSERT INTO pg_temp.audit_entry VALUES (:seq, :head_hash)"),
                {"seq": far.seq - 1, "head_hash": far.prev_hash},
            )
            connection.execute(statement, parameters)

    with pytest.raises(sa.exc.IntegrityError, match="continue the chain"):
        behind_a_temporary_table(into_entry, row_of(far))
    with pytest.raises(sa.exc.IntegrityError, match="must name an entry"):
        behind_a_temporary_table(into_checkpoint, {"seq": far.seq - 1, "head_hash": far.prev_hash})
    assert count_entries(engine) == 1
