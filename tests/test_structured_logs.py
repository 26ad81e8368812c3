"""Structured logs (servicestelle/logging_setup.py): one JSON object per line, the request id
of the request that wrote it, and no personal data in any record.

tests/test_cases_canary.py plants canaries in every field of a case and searches the log of
the *operations* (SQL included). This file drives the *web* flows instead — a failed login
with a planted username and password, a case created through the form, a search, names in
query strings and in an undecodable body, the API — through the test client and through a
real waitress server, with our loggers, waitress and werkzeug at DEBUG, and searches every
record (message, arguments, exception) and every formatted line for the canaries.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g
from flask.logging import default_handler

from servicestelle import logging_setup
from servicestelle.roles import Role
from tests.conftest import login, post_form
from tests.support.audit_log import issue_token
from tests.support.cases import canary, leaks
from tests.support.served import failed_login, serving

only_sqlite = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
#: Loggers whose every record is captured, at DEBUG.
CAPTURED = ("servicestelle", "audit", "crypto", "waitress", "werkzeug", "flask_wtf", "flask_login")

UNKNOWN_USER = canary("login.unknown")
PASSWORD = canary("login.password")
KNOWN_USER = canary("login.known").lower()  # usernames are lower-case
PSEUDONYM = canary("case.pseudonym")
NARRATIVE = canary("case.narrative")
QUERY = canary("query.string")
CANARIES = [UNKNOWN_USER, PASSWORD, KNOWN_USER, PSEUDONYM, NARRATIVE, QUERY]


class Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure() changes the process's logging; put everything back afterwards."""
    root = logging.getLogger()
    handlers, level, raising = list(root.handlers), root.level, logging.raiseExceptions
    names = {*CAPTURED, *logging_setup.INFO_LOGGERS, *logging_setup.QUIET_LOGGERS}
    levels = {name: logging.getLogger(name).level for name in names}
    app_handlers = list(logging.getLogger("servicestelle").handlers)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.raiseExceptions = raising
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
    logging.getLogger("servicestelle").handlers[:] = app_handlers


def _json_handler(stream: io.StringIO) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging_setup.JsonFormatter())
    handler.addFilter(logging_setup.RequestIdFilter())
    return handler


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# --- the format -----------------------------------------------------------------------------------


@only_sqlite
def test_a_record_is_one_json_line_with_time_level_logger_message_and_request_id(app: Flask):
    stream = io.StringIO()
    log = logging.getLogger("servicestelle.test_structured")
    log.addHandler(handler := _json_handler(stream))
    log.setLevel(logging.INFO)
    try:
        with app.test_request_context():
            g.request_id = "3f2a9c"
            log.info("forged %s", 'line\n{"level": "CRITICAL"}\u2028next')
        log.warning("outside a request")
    finally:
        log.removeHandler(handler)
        log.setLevel(logging.NOTSET)
    raw = stream.getvalue().splitlines()
    assert len(raw) == 2 and all(line.isascii() for line in raw)  # U+2028 escaped too
    inside, outside = (json.loads(line) for line in raw)
    assert inside["message"] == 'forged line\n{"level": "CRITICAL"}\u2028next'
    assert inside["level"] == "INFO" and inside["logger"] == "servicestelle.test_structured"
    assert inside["request_id"] == "3f2a9c"
    assert inside["timestamp"].endswith("+00:00") and "T" in inside["timestamp"]
    assert outside["level"] == "WARNING" and "request_id" not in outside


def test_an_exception_is_logged_by_type_and_place_never_by_its_text():
    secret = canary("exception.text")
    try:
        raise ValueError(f"Key (username)=({secret}) already exists")
    except ValueError:
        record = logging.LogRecord(
            "servicestelle.x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    as_json = json.loads(logging_setup.JsonFormatter().format(record))
    assert as_json["exception"] == "ValueError"
    assert "test_structured_logs.py" in as_json["traceback"]
    # The standard formatter (pytest's, for one) caches the full text on the record: a
    # handler after it must not reuse that cache.
    assert secret in logging.Formatter().format(record) and secret in (record.exc_text or "")
    as_text = logging_setup.TextFormatter().format(record)
    assert "ValueError" in as_text and "test_structured_logs.py" in as_text
    assert not leaks(json.dumps(as_json).encode() + as_text.encode(), [secret])


def test_configure_installs_one_handler_and_keeps_sql_quiet(restore_logging):
    logging.getLogger("servicestelle").addHandler(default_handler)  # as Flask's app logger does
    first, second = io.StringIO(), io.StringIO()
    logging_setup.configure(structured=True, stream=first)
    logging_setup.configure(structured=True, stream=second)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_servicestelle_handler", 0)]
    assert len(ours) == 1
    assert default_handler not in logging.getLogger("servicestelle").handlers
    assert logging.raiseExceptions is False
    logging.getLogger("servicestelle.cases.operations").info("case created: id=%s", 7)
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT users.username FROM users")
    logging.getLogger("servicestelle.x").debug("debug stays out")
    assert first.getvalue() == ""
    assert [line["message"] for line in _lines(second)] == ["case created: id=7"]
    logging_setup.configure(structured=False, stream=(text := io.StringIO()))
    logging.getLogger("servicestelle.y").warning("plain")
    assert re.fullmatch(r"\d\d:\d\d:\d\d WARNING servicestelle\.y: plain\n", text.getvalue())


# --- no personal data in any flow -----------------------------------------------------------------


@pytest.fixture
def captured(restore_logging) -> Iterator[tuple[Collector, io.StringIO]]:
    """The production set-up (JSON on a stream), with every interesting logger at DEBUG."""
    stream = io.StringIO()
    logging_setup.configure(structured=True, stream=stream)
    collector = Collector()
    logging.getLogger().addHandler(collector)
    for name in CAPTURED:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield collector, stream
    logging.getLogger().removeHandler(collector)


def _web_flows(app: Flask, client: Any, make_user: Any, clock: Any) -> str:
    """Everything a counsellor and a stranger might send; returns the request id of the case."""
    make_user(Role.COUNSELLOR, username=KNOWN_USER)
    for username in (UNKNOWN_USER, KNOWN_USER):
        refused = post_form(client, "/anmelden", {"username": username, "password": PASSWORD})
        assert refused.status_code == 200 and "Passwort ist falsch" in refused.get_data(
            as_text=True
        )
    client.get(f"/anmelden?next=/faelle?name={urllib.parse.quote(QUERY)}")

    counsellor = make_user(Role.COUNSELLOR)
    login(client, counsellor, clock)
    created = post_form(
        client, "/faelle/neu", {"client_pseudonym": PSEUDONYM, "account_narrative": NARRATIVE}
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    found = post_form(client, "/faelle/suche", {"feld": "pseudonym", "text": PSEUDONYM})
    assert found.status_code == 200 and "2026-0001" in found.get_data(as_text=True)
    assert client.get(f"/faelle?suche={urllib.parse.quote(QUERY)}").status_code < 500
    assert client.get(f"/faelle/suche?text={urllib.parse.quote(QUERY)}").status_code == 405
    undecodable = client.post(
        "/faelle/suche",
        data=f"feld=pseudonym&text={QUERY}%FF%FE".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert undecodable.status_code == 400

    token = {"Authorization": f"Bearer {issue_token(app, counsellor.id)}"}
    api = client.post(
        "/api/v1/cases/search", json={"field": "pseudonym", "text": PSEUDONYM}, headers=token
    )
    assert api.status_code == 200 and api.get_json()["total"] == 1
    wrong = client.get(f"/api/v1/cases/search?field=pseudonym&text={QUERY}", headers=token)
    assert wrong.status_code == 405
    return str(created.headers["X-Request-Id"])


def _through_waitress(app: Flask) -> str:
    """A login failure with the planted name through the production WSGI server (https as a
    TLS proxy would report it); returns the request id of that POST."""
    with serving(app, threads=2, ident=None, url_scheme="https") as port:
        return failed_login(
            port,
            UNKNOWN_USER,
            PASSWORD,
            login_page=f"/anmelden?name={urllib.parse.quote(QUERY)}",
            post_to=f"/anmelden?user={urllib.parse.quote(UNKNOWN_USER)}",
        )


@only_sqlite
def test_no_flow_writes_personal_data_into_any_log_record(app, client, make_user, clock, captured):
    collector, stream = captured
    case_request = _web_flows(app, client, make_user, clock)
    login_request = _through_waitress(app)

    records = collector.records
    messages = [record.getMessage() for record in records]
    # It captured: the failures (two here, one through waitress), the case, with request ids.
    assert sum("login failed at password step" in m for m in messages) >= 3
    assert any(m.startswith("case created: id=") for m in messages)
    lines = _lines(stream)
    assert any(
        line["message"].startswith("case created") and line["request_id"] == case_request
        for line in lines
    )
    assert any(
        "login failed" in line["message"] and line.get("request_id") == login_request
        for line in lines
    )
    # Everything a record holds and every way it is written out.
    blobs = [stream.getvalue()]
    json_format, text_format = logging_setup.JsonFormatter(), logging_setup.TextFormatter()
    for record in records:
        blobs += [record.getMessage(), repr(record.args), record.exc_text or ""]
        blobs += [json_format.format(record), text_format.format(record)]
    found = leaks("\n".join(blobs).encode(), CANARIES)
    assert found == [], found


def test_servicestelle_run_logs_json_before_anything_else(monkeypatch):
    from click.testing import CliRunner

    from servicestelle import cli

    calls: list[dict[str, object]] = []

    def stop(*_args: object, **_kwargs: object) -> None:
        raise SystemExit(3)  # no instance needed: only the order matters here

    monkeypatch.setattr(logging_setup, "configure", lambda **kw: calls.append(kw))
    monkeypatch.setattr(cli, "app_context", stop)
    result = CliRunner().invoke(cli.main, ["run", "--port", "0"])
    assert result.exit_code == 3 and calls == [{"structured": True}]
