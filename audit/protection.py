"""How well the database itself protects the audit tables, as the connected role sees it.

The DPO's start page shows these findings; they are facts about the deployment, not about
the entries (``verify`` judges those).
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa

from audit.store import Executor

TABLES = ("audit_entry", "audit_checkpoint")
#: Trigger names per dialect as migration 0003 creates them; these must be present and
#: enabled, further triggers on the tables (such as the insert guards) are fine.
SQLITE_TRIGGERS = frozenset(
    f"{table}_no_{verb}" for table in TABLES for verb in ("update", "delete", "replace")
)
POSTGRESQL_TRIGGERS = frozenset(
    f"{table}_no_{kind}" for table in TABLES for kind in ("update_delete", "truncate")
)


class Finding(StrEnum):
    """A weakness of the deployment; the absence of findings is the goal."""

    #: SQLite has no privileges: triggers stop accidents, the chain detects the rest.
    NO_PRIVILEGE_SYSTEM = "no_privilege_system"
    #: A trigger that refuses changes is missing, disabled, or fires only on replicas.
    TRIGGERS_MISSING = "triggers_missing"
    #: The service's database role owns an audit table, or may act as its owner through a
    #: role membership (SET ROLE), and could drop its triggers.
    ROLE_OWNS_TABLE = "role_owns_table"
    #: The service's database role may UPDATE, DELETE or TRUNCATE an audit table.
    ROLE_MAY_MODIFY = "role_may_modify"


def findings(executor: Executor, dialect: str) -> list[Finding]:
    """Weaknesses visible to the connected role (``dialect``: "sqlite" or "postgresql")."""
    if dialect == "sqlite":
        names = set(
            executor.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
        )
        found = [Finding.NO_PRIVILEGE_SYSTEM]
        if not names >= SQLITE_TRIGGERS:
            found.append(Finding.TRIGGERS_MISSING)
        return found
    # 'O' (origin) and 'A' (always) fire in ordinary sessions; 'R' (replica only) and 'D'
    # (disabled) do not, so such a trigger protects nothing.
    enabled = set(
        executor.execute(
            sa.text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled IN ('O', 'A') "
                "AND tgrelid IN ('audit_entry'::regclass, 'audit_checkpoint'::regclass)"
            )
        ).scalars()
    )
    found = [] if enabled >= POSTGRESQL_TRIGGERS else [Finding.TRIGGERS_MISSING]
    # MEMBER, not equality: a member of the owner role can SET ROLE to it (or inherits it).
    owns = executor.execute(
        sa.text(
            "SELECT bool_or(pg_has_role(current_user, tableowner, 'MEMBER')) FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename IN ('audit_entry', 'audit_checkpoint')"
        )
    ).scalar()
    if owns:
        found.append(Finding.ROLE_OWNS_TABLE)
    may_modify = executor.execute(
        sa.text(
            "SELECT bool_or(has_table_privilege(t, p)) FROM unnest(CAST(:tables AS text[])) t, "
            "unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) p"
        ),
        {"tables": list(TABLES)},
    ).scalar()
    if may_modify:
        found.append(Finding.ROLE_MAY_MODIFY)
    return found
