"""The PostgreSQL role set-up: an owner that migrates, an application role that only works.

The application's role must not own the tables: an owner can disable triggers and grant
itself back what was revoked. It gets SELECT/INSERT/UPDATE/DELETE on the ordinary tables,
INSERT and SELECT only on the audit tables, SELECT and an UPDATE of the counter only on the
audit append lock, and SELECT only on the schema version. The same statements are printed
by ``servicestelle db roles-sql`` and run by the test suite, so what SECURITY.md documents
is what is tested.
"""

from __future__ import annotations

import re

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: Tables the application may read and append to, never change.
APPEND_ONLY_TABLES = ("audit_entry", "audit_checkpoint")


class RoleNameError(ValueError):
    """A role name outside [a-z_][a-z0-9_]*: refused rather than quoted."""


def _checked(name: str) -> str:
    if not _ROLE_NAME.fullmatch(name):
        raise RoleNameError(f"role names are lower-case letters, digits and _: {name!r}")
    return name


def role_setup_statements(owner: str, app: str) -> list[str]:
    """SQL to run as a superuser, connected to the service's database (idempotent)."""
    owner, app = _checked(owner), _checked(app)
    if owner == app:
        raise RoleNameError("the application role must not be the owner")
    tables = ", ".join(APPEND_ONLY_TABLES)
    return [
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {app}",
        # Tables created by future migrations (run as the owner) are usable at once …
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        # … and the existing ones, when this runs after `servicestelle init`.
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        # The audit migration revokes these itself; repeated here for tables that existed.
        f"""DO $$
BEGIN
    IF to_regclass('public.audit_entry') IS NOT NULL THEN
        REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {tables} FROM {app};
    END IF;
    -- Every append updates the one lock row; without it no audited action succeeds. So the
    -- row may be neither removed nor moved: UPDATE of its counter only, never of its id.
    IF to_regclass('public.audit_append_lock') IS NOT NULL THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES
            ON audit_append_lock FROM {app};
        GRANT UPDATE (appends) ON audit_append_lock TO {app};
    END IF;
    -- Checkpoint ids come from the sequence: a chosen id could pin an unsigned row as "the
    -- newest" for good.
    IF to_regclass('public.audit_checkpoint') IS NOT NULL THEN
        REVOKE INSERT ON audit_checkpoint FROM {app};
        GRANT INSERT (seq, head_hash, signed_at, key_id, signature) ON audit_checkpoint TO {app};
    END IF;
    IF to_regclass('public.alembic_version') IS NOT NULL THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {app};
    END IF;
END
$$""",
    ]


def role_setup_script(owner: str, app: str, database: str) -> str:
    """The statements as a psql script with the steps around them, for the operator."""
    database = _checked(database)
    lines = [
        "-- Servicestelle: PostgreSQL roles. Run as a superuser, e.g. `sudo -u postgres psql`.",
        f"-- CREATE ROLE {owner} LOGIN PASSWORD '…';   -- runs `servicestelle init` (migrations)",
        f"-- CREATE ROLE {app} LOGIN PASSWORD '…';     -- the running service",
        f"-- CREATE DATABASE {database} OWNER {owner};",
        f"\\connect {database}",
    ]
    lines += [statement + ";" for statement in role_setup_statements(owner, app)]
    lines.append(
        "-- Run this script again after `servicestelle init` created or upgraded the tables."
    )
    return "\n".join(lines) + "\n"
