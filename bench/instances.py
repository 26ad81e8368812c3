"""Throwaway application instances for the database benchmarks: SQLite and PostgreSQL.

SQLite is a file in a temporary folder with the application's pragmas, migrated like a new
installation. PostgreSQL is a throwaway cluster (tests/support/postgres.py, ``fsync=off``)
with the production role set-up of tests/conftest.py: the owner migrates and bulk-loads,
the application connects as the restricted role. One server is shared by the benchmarks of
a run; a benchmark that is done with it stops it, and the next one starts a new one.
"""

from __future__ import annotations

import atexit
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine

from servicestelle import create_app, migrate, pg_roles
from servicestelle.config import TEST_ONLY_CHEAP, Settings
from servicestelle.extensions import db
from tests.support import postgres

#: The production role set-up (SECURITY.md, tests/conftest.py).
PG_OWNER_ROLE, PG_APP_ROLE = "servicestelle_owner", "servicestelle_app"
PG_DATABASE = "servicestelle_bench"
SQLITE, POSTGRESQL = "SQLite", "PostgreSQL"


class TickingClock:
    """Starts at ``start`` and runs with real time: the calendar (deadlines, reference years)
    is the same in every run, while sessions and audit timestamps still move forward."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)


@dataclass(frozen=True)
class Database:
    url: str  # what the application connects with
    owner_url: str  # migrations and the bulk insert
    role: str  # for the note


def sqlite(folder: Path) -> Database:
    """A migrated SQLite file in ``folder``."""
    url = f"sqlite:///{folder / 'servicestelle.sqlite3'}"
    engine = sa.create_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return Database(url, url, "SQLite file")


def _pg_url(server: postgres.PostgresServer, role: str | None = None) -> str:
    url = sa.make_url(server.url_for(PG_DATABASE))
    if role is not None:
        url = url.set(username=role, password=role)
    return url.render_as_string(hide_password=False)


@contextmanager
def postgresql(server: postgres.PostgresServer) -> Iterator[Database]:
    """A migrated database with the production roles, dropped afterwards (tests/conftest.py)."""
    admin = sa.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        for role in (PG_OWNER_ROLE, PG_APP_ROLE):
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": role}
            )
            if not exists:
                connection.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD '{role}'"))
        connection.execute(sa.text(f'CREATE DATABASE "{PG_DATABASE}" OWNER {PG_OWNER_ROLE}'))
    superuser = sa.create_engine(_pg_url(server), isolation_level="AUTOCOMMIT")
    owner = sa.create_engine(_pg_url(server, PG_OWNER_ROLE))
    try:
        roles = pg_roles.role_setup_statements(PG_OWNER_ROLE, PG_APP_ROLE)
        with superuser.connect() as connection:
            for statement in roles:
                connection.execute(sa.text(statement))
        migrate.upgrade(owner)
        with superuser.connect() as connection:
            for statement in roles:
                connection.execute(sa.text(statement))
    finally:
        superuser.dispose()
        owner.dispose()
    try:
        yield Database(
            _pg_url(server, PG_APP_ROLE),
            _pg_url(server, PG_OWNER_ROLE),
            f"app as role {PG_APP_ROLE}",
        )
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        admin.dispose()


_server: postgres.PostgresServer | str | None = None


def _start_server() -> postgres.PostgresServer | str:
    try:
        server = postgres.start()
    except postgres.PostgresUnavailable as exc:
        return str(exc)
    # A server named in the environment is not started here: it may not answer.
    probe = sa.create_engine(server.admin_url)
    try:
        with probe.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        server.stop()
        return f"no connection to the server ({type(exc.orig).__name__})"
    finally:
        probe.dispose()
    return server


def postgres_server() -> postgres.PostgresServer | str:
    """The run's PostgreSQL server, or why there is none (started on first use; a reason is
    kept, so an unavailable server is tried once per run)."""
    global _server
    if _server is None:
        _server = _start_server()
    return _server


def stop_postgres() -> None:
    """Stop the server (a benchmark done with it frees its memory); the next use starts anew."""
    global _server
    if isinstance(_server, postgres.PostgresServer):
        _server.stop()
        _server = None


atexit.register(stop_postgres)


@contextmanager
def database(backend: str, folder: Path) -> Iterator[Database]:
    """A new migrated database of ``backend`` (the PostgreSQL server must be available)."""
    if backend == SQLITE:
        yield sqlite(folder)
        return
    server = postgres_server()
    if not isinstance(server, postgres.PostgresServer):
        raise RuntimeError(f"PostgreSQL not available: {server}")
    with postgresql(server) as created:
        yield created


def app(folder: Path, database: Database, app_clock: TickingClock) -> Flask:
    """The application on ``database``, with settings of its own in ``folder``."""
    # The test profile only makes the login's password hash and the keyring's passphrase
    # KDF cheap; nothing the benchmarks measure depends on it.
    settings = Settings(
        profile="test",
        instance_path=folder / "instance",
        database_url=database.url,
        secret_key=secrets.token_hex(32).encode(),
        password_hash=TEST_ONLY_CHEAP,
    )
    created = create_app(settings, clock=app_clock)
    created.config["TESTING"] = True
    return created


@contextmanager
def owner_engine(flask_app: Flask, database: Database) -> Iterator[Engine]:
    """The engine bulk inserts go through: the schema owner's where the application's role
    may not write (PostgreSQL), else the application's own."""
    if database.owner_url == database.url:
        with flask_app.app_context():
            yield db.engine
        return
    owner = sa.create_engine(database.owner_url)
    try:
        yield owner
    finally:
        owner.dispose()


def analyse(engine: Engine) -> None:
    """PostgreSQL: ``ANALYZE`` after a bulk load, as a restore or a large migration ends.
    Autovacuum would do it within a minute. SQLite: nothing (the application never runs it)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))


def dispose(flask_app: Flask) -> None:
    with flask_app.app_context():
        db.engine.dispose()
