"""Application logs on stderr: one JSON object per line for the production server, a short
human line for the demo's terminal — and never personal data.

What keeps personal data out is first what the code logs: ids, counts and codes, never a
name, a submitted username, a request body, a query string or an exception's text
(errors.py). This module adds what the output side can add:

- an exception is written as its type and code location only: its text may carry values (a
  PostgreSQL error's DETAIL line repeats the row, "Key (username)=(…) already exists");
- there is no access log: waitress writes none, and nothing here logs the request line (whose
  query string could hold a name); the request id ties a line to the audit entry and to the
  id the user sees on an error page or in an API error instead;
- SQLAlchemy stays at WARNING (its INFO level writes every statement);
- a record is one line whatever its message holds: JSON escapes line breaks (and, as ASCII,
  U+2028/U+2029), so a crafted value can never forge a record of its own;
- a record that cannot be formatted is dropped silently (``logging.raiseExceptions``): the
  standard library would print its message and arguments, values included.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import IO

from flask import g, has_request_context
from flask.logging import default_handler

#: Our loggers (and the WSGI server's) at INFO; everything else speaks from WARNING up.
INFO_LOGGERS = ("servicestelle", "audit", "crypto", "waitress")
#: Libraries whose INFO would be too much or too revealing (SQL statements).
QUIET_LOGGERS = ("sqlalchemy", "alembic")
#: Marks the handler configure() installed, so that a second call replaces it.
_HANDLER_MARK = "_servicestelle_handler"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _request_id() -> str | None:
    if not has_request_context():
        return None
    value = g.get("request_id")
    return str(value) if value else None


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (the one in X-Request-Id, error pages and audit entries)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id()
        return True


def exception_summary(exc_info: ExcInfo) -> tuple[str, str]:
    """The exception's type and the code locations it passed — never its text."""
    exc_type, _exc, tb = exc_info
    return exc_type.__name__, "".join(traceback.format_tb(tb))


def _has_exception(record: logging.LogRecord) -> bool:
    return bool(record.exc_info) and record.exc_info[0] is not None  # type: ignore[index]


class JsonFormatter(logging.Formatter):
    """``{"timestamp", "level", "logger", "message", "request_id"?, "exception"?, "traceback"?}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        if _has_exception(record):
            entry["exception"], entry["traceback"] = exception_summary(record.exc_info)  # type: ignore[arg-type]
        if record.stack_info:
            entry["stack"] = record.stack_info  # code locations only
        return json.dumps(entry, ensure_ascii=True)


class TextFormatter(logging.Formatter):
    """``18:09:12 INFO    servicestelle.cases.operations: case created: id=5 [request 3f2a…]``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        # logging caches the formatted exception on the record; another handler's cache
        # (with the exception's text) must not be reused, nor ours left behind for others.
        cached, record.exc_text = record.exc_text, None
        try:
            line = super().format(record)
        finally:
            record.exc_text = cached
        request_id = getattr(record, "request_id", None)
        return f"{line} [request {request_id}]" if request_id else line

    def formatException(self, ei: object) -> str:
        name, where = exception_summary(ei)  # type: ignore[arg-type]
        return f"{where}{name}"


def configure(*, structured: bool, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record to stderr (or ``stream``), as JSON lines or as text lines.

    Called by ``servicestelle run`` (JSON: what journald, Loki or an ELK stack parse) and by
    the serving demo (text: a person reads the terminal). Calling it again replaces the
    handler; the test suite never calls it, so pytest's log capture stays as it is.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(JsonFormatter() if structured else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in INFO_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # Flask's app logger is named after the app ("servicestelle"); its own handler would
    # write every record a second time, unformatted.
    logging.getLogger("servicestelle").removeHandler(default_handler)
    logging.raiseExceptions = False
    return handler
