"""The SQL statements an action sends: for tests that pin how many queries a page needs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask

from servicestelle.extensions import db


@contextmanager
def captured(app: Flask) -> Iterator[list[str]]:
    """Every statement sent through the app's engine inside the block, in order."""
    statements: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
