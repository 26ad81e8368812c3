"""Audit writers for the concurrency tests, importable by spawned processes and by threads.

Each writer appends with ``audit.record`` exactly as the application does: one committed
transaction per entry, on an engine configured with the application's SQLite pragmas.
"""

from __future__ import annotations

import time
import traceback
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

import audit
from servicestelle.app_setup import SQLITE_BUSY_TIMEOUT_MS, _configure_engine

#: How long a writer waits for the others at the start line before giving up.
START_TIMEOUT = 120


def app_engine(url: str) -> sa.Engine:
    """An engine with the options and pragmas the application sets (WAL, busy_timeout …)."""
    options: dict[str, Any] = {}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    engine = sa.create_engine(url, **options)
    _configure_engine(engine)
    return engine


def append(engine: sa.Engine, writer: int, count: int) -> None:
    """``count`` entries by ``writer``, each in its own committed transaction."""
    for number in range(count):
        with engine.begin() as connection:
            audit.record(
                connection,
                audit.AuditEvent.AUTH_LOGIN_SUCCESS,
                audit.Outcome.SUCCESS,
                now=datetime.now(UTC),
                actor_id=writer,
                role="counsellor",
                request_id=f"w{writer}-{number}",
                details={"writer": writer, "number": number},
            )


def append_in_process(url: str, writer: int, count: int, start: Any, results: Any) -> None:
    """Process entry point: connect, wait for the others, append, report (writer, error, s)."""
    engine = app_engine(url)
    try:
        with engine.connect() as connection:  # connect (and set the pragmas) before the race
            connection.execute(sa.text("SELECT 1"))
        start.wait(START_TIMEOUT)
        began = time.perf_counter()
        append(engine, writer, count)
        results.put((writer, None, time.perf_counter() - began))
    except BaseException:
        results.put((writer, traceback.format_exc(), 0.0))
        raise
    finally:
        engine.dispose()
