"""What the DPO is told about the database's own protection of the audit tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from audit.protection import Finding, findings


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
