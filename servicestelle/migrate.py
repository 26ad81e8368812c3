"""Alembic, driven from the application (init, tests) with the app's own engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from servicestelle import paths


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(paths.migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def has_database(engine: Engine) -> bool:
    """False for an SQLite file that does not exist yet (connecting would create it)."""
    if engine.dialect.name != "sqlite":
        return True
    database = engine.url.database
    return database in (None, "", ":memory:") or Path(database).exists()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
