"""SQLAlchemy 2 wired into Flask: one engine per app, one session per app context.

A few lines instead of Flask-SQLAlchemy, whose model base does not combine with typed
SQLAlchemy 2.1 declarative classes; here models subclass servicestelle.db.Base directly.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, Result
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from servicestelle.db import Base

ENGINE_KEY = "servicestelle.engine"


class _AppBoundSession(Session):
    """Uses the engine of the app whose context is active."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Engine:
        return current_app.extensions[ENGINE_KEY]


def _scope() -> int:
    # One session per application context (i.e. per request or CLI command).
    if "db_scope" not in g:
        g.db_scope = object()
    return id(g.db_scope)


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE/DELETE/upsert (compare-and-swap checks read this)."""
    return int(getattr(result, "rowcount", 0) or 0)


class Database:
    metadata = Base.metadata

    def __init__(self) -> None:
        self.session = scoped_session(
            sessionmaker(class_=_AppBoundSession, expire_on_commit=False), scopefunc=_scope
        )

    def init_app(self, app: Flask, url: str, **engine_options: Any) -> Engine:
        engine = create_engine(url, **engine_options)
        app.extensions[ENGINE_KEY] = engine
        app.teardown_appcontext(self._remove_session)
        return engine

    def _remove_session(self, _exc: BaseException | None = None) -> None:
        self.session.remove()

    @property
    def engine(self) -> Engine:
        return current_app.extensions[ENGINE_KEY]
