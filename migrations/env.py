"""Alembic environment: the app passes its connection; `alembic` on the command line
falls back to the URL from SERVICESTELLE_* settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from audit.store import UTCTime
from servicestelle.config import default_database_url
from servicestelle.db import UTCDateTime
from servicestelle.models import metadata

config = context.config


def _render_item(type_: str, obj: Any, _context: Any) -> str | bool:
    # Migrations spell plain SQLAlchemy types, so that old revisions never change when the
    # application's own column types do.
    if type_ == "type" and isinstance(obj, UTCDateTime | UTCTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Only the database is needed here, not the secrets: read just its location.
    instance = Path(os.environ.get("SERVICESTELLE_INSTANCE", "instance")).resolve()
    url = os.environ.get("SERVICESTELLE_DATABASE_URL") or default_database_url(instance)
    engine = create_engine(url)
    with engine.begin() as own_connection:
        _run(own_connection)


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `servicestelle init`")
run_migrations_online()
