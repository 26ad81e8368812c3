"""What the DPO is told about the database's own protection of the audit tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import audit
from audit.protection import Finding, findings
from tests.conftest import PG_APP_ROLE, PG_OWNER_ROLE
from tests.support.audit_log import NOW


def _findings(url: str) -> list[Finding]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return findings(connection, engine.dialect.name)
    finally:
        engine.dispose()


def _run(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_the_production_set_up_has_no_finding_but_sqlites_missing_privileges(backend):
    expected = [Finding.NO_PRIVILEGE_SYSTEM] if backend.name == "sqlite" else []
    assert _findings(backend.url) == expected


def test_a_dropped_trigger_is_reported(backend):
    if backend.name == "sqlite":
        _run(backend.owner_url, "DROP TRIGGER audit_checkpoint_no_delete")
    else:
        _run(backend.owner_url, "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_truncate")
    assert Finding.TRIGGERS_MISSING in _findings(backend.url)


def test_the_owner_connecting_as_the_service_is_reported(backend):
    if backend.name == "sqlite":
        assert _findings(backend.owner_url) == [Finding.NO_PRIVILEGE_SYSTEM]
        return
    assert _findings(backend.owner_url) == [Finding.ROLE_OWNS_TABLE, Finding.ROLE_MAY_MODIFY]


def test_a_service_role_granted_update_is_reported(backend):
    if backend.name == "sqlite":
        pytest.skip("SQLite has no privileges to grant")
    _run(backend.superuser_url, "GRANT UPDATE ON audit_checkpoint TO servicestelle_app")
    assert _findings(backend.url) == [Finding.ROLE_MAY_MODIFY]


def test_a_trigger_firing_only_on_replicas_is_reported(backend):
    """ENABLE REPLICA: the trigger still exists, but ordinary sessions no longer fire it."""
    if backend.name == "sqlite":
        pytest.skip("SQLite triggers have no replica mode")
    _run(
        backend.owner_url,
        "ALTER TABLE audit_checkpoint ENABLE REPLICA TRIGGER audit_checkpoint_no_update_delete",
    )
    assert _findings(backend.url) == [Finding.TRIGGERS_MISSING]


def test_further_triggers_on_the_audit_tables_are_no_finding(backend):
    if backend.name == "sqlite":
        _run(
            backend.owner_url,
            "CREATE TRIGGER test_extra AFTER INSERT ON audit_entry BEGIN SELECT 1; END",
        )
        assert _findings(backend.url) == [Finding.NO_PRIVILEGE_SYSTEM]
        return
    _run(
        backend.owner_url,
        "CREATE FUNCTION test_extra() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RETURN NEW; END $$",
        "CREATE TRIGGER test_extra BEFORE INSERT ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION test_extra()",
    )
    assert _findings(backend.url) == []


def test_a_service_role_that_may_become_the_owner_is_reported(backend):
    """A member of the owner role can SET ROLE to it and then drop the triggers."""
    if backend.name == "sqlite":
        pytest.skip("SQLite has no roles")
    # Role memberships belong to the whole cluster, not to this test's database: the grant
    # must be gone again before any other test connects, whatever happens here.
    try:
        _run(backend.superuser_url, f"GRANT {PG_OWNER_ROLE} TO {PG_APP_ROLE}")
        assert Finding.ROLE_OWNS_TABLE in _findings(backend.url)
    finally:
        _run(backend.superuser_url, f"REVOKE {PG_OWNER_ROLE} FROM {PG_APP_ROLE}")
    assert _findings(backend.url) == []


def test_the_service_role_may_take_but_not_remove_the_append_lock(backend):
    """Without the lock row no entry can be appended, so no audited action would succeed."""
    if backend.name == "sqlite":
        pytest.skip("SQLite has no privileges")
    for statement in (
        "DELETE FROM audit_append_lock",
        "INSERT INTO audit_append_lock (id, appends) VALUES (2, 0)",
        "TRUNCATE audit_append_lock",
        "UPDATE audit_append_lock SET id = 2",  # moving the row is as good as deleting it
    ):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            _run(backend.url, statement)
    lock = sa.select(audit.audit_append_lock.c.id, audit.audit_append_lock.c.appends)
    engine = sa.create_engine(backend.url)
    try:
        with engine.begin() as connection:
            before = connection.execute(lock).all()
            audit.record(
                connection,
                audit.AuditEvent.SYSTEM_SETTINGS_CHANGE,
                audit.Outcome.SUCCESS,
                now=NOW,
                object_type="instance",
            )
        with engine.connect() as connection:
            after = connection.execute(lock).all()
            appended = connection.execute(sa.select(sa.func.count()).select_from(audit.audit_entry))
            assert appended.scalar() == 1
    finally:
        engine.dispose()
    assert [tuple(row) for row in after] == [(1, before[0].appends + 1)]
