"""A consistent copy of the running database, and the facts a backup states about it.

SQLite: the Online Backup API copies every page in one step under one read transaction (in
WAL mode writers go on meanwhile), then ``PRAGMA integrity_check`` runs on the copy.
PostgreSQL: a REPEATABLE READ transaction exports its snapshot, reads the facts and hands the
snapshot to ``pg_dump -Fc --snapshot``: facts and dump see the same instant.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

import audit
from audit.store import count_entries
from servicestelle.backup import pgtools
from servicestelle.backup.format import BackupError


@dataclass(frozen=True)
class Facts:
    """What a copy holds: schema revision, centres, counts and the audit head."""

    revision: str
    centres: tuple[str, ...]
    cases: int
    case_keys: int
    stats_records: int
    audit_entries: int
    audit_head_seq: int
    audit_head_hash: str


#: What a restore must find again of the manifest (which has the same fields): the counts
#: and the audit head.
COUNTED = ("cases", "case_keys", "stats_records", "audit_entries", "audit_head_hash")


def counted(record: object) -> tuple[object, ...]:
    """The ``COUNTED`` fields of a ``Facts`` or a backup's ``Manifest``, to compare them."""
    return tuple(getattr(record, name) for name in COUNTED)


def _count(connection: sa.Connection, table: str) -> int:
    query = sa.select(sa.func.count()).select_from(sa.table(table))
    return int(connection.execute(query).scalar_one())


def read_facts(connection: sa.Connection) -> Facts:
    revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    if revision is None:
        raise BackupError("the database has no schema revision; run `servicestelle init` first")
    centres = connection.execute(sa.text("SELECT code FROM centres ORDER BY code")).scalars()
    head_seq, head_hash = audit.head(connection)
    return Facts(
        revision=str(revision),
        centres=tuple(str(code) for code in centres),
        cases=_count(connection, "cases"),
        case_keys=_count(connection, "case_keys"),
        stats_records=_count(connection, "stats_records"),
        audit_entries=count_entries(connection),
        audit_head_seq=head_seq,
        audit_head_hash=head_hash,
    )


def sqlite_facts(path: Path) -> Facts:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return read_facts(connection)
    finally:
        engine.dispose()


def integrity_problem(path: Path) -> str | None:
    """None when ``PRAGMA integrity_check`` finds the SQLite file sound, else its first line."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    first = str(rows[0][0]) if rows else "no answer"
    return None if first == "ok" else first[:200]


def copy_sqlite(source: Path, target: Path) -> Facts:
    """Copy the live SQLite database to ``target`` (a new file) and check the copy."""
    origin = sqlite3.connect(source, timeout=10)
    copy = sqlite3.connect(target)
    try:
        origin.backup(copy)  # pages=-1: every page in one step, one consistent snapshot
    finally:
        copy.close()
        origin.close()
    problem = integrity_problem(target)
    if problem is not None:
        raise BackupError(f"the copy of the database fails the integrity check: {problem}")
    return sqlite_facts(target)


def dump_postgresql(engine: sa.Engine, target: Path, bin_dir: Path | None) -> Facts:
    """``pg_dump -Fc`` of the database ``engine`` connects to, and its facts, at one instant."""
    url = engine.url.render_as_string(hide_password=False)
    with engine.connect() as plain:
        connection = plain.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = str(connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one())
            facts = read_facts(connection)
            tool = pgtools.find_tool("pg_dump", bin_dir, pgtools.server_major(connection))
            with pgtools.connection_arguments(url) as (conninfo, env):
                pgtools.run(
                    [
                        str(tool),
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        "--no-sync",
                        f"--file={target}",
                        f"--dbname={conninfo}",
                    ],
                    env,
                    "pg_dump",
                )
    return facts
