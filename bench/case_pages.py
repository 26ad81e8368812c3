"""A case page and a blind-index search with 100,000 cases in the database, on both backends.

Measured through the Flask test client, logged in as a counsellor (password and TOTP, as the
test suite does it), on a database of 100,000 cases of one centre of which 300 are assigned
to that counsellor and the rest to nineteen colleagues:

- the case page ``GET /faelle/<id>`` of one of the counsellor's cases, drawn at random per
  run: loading and access check, unwrapping the data key, decrypting payload and parts,
  rendering, and the one ``case:content:read`` audit entry with its commit;
- the search ``POST /faelle/suche`` by pseudonym and by respondent of such a case: a blind
  index lookup among the cases the counsellor works on, then the result list;
- the baseline: the same user's start page ``GET /``, which also runs the deadline query.

The cases are seeded in bulk (bench/case_seed.py), without audit entries, like a data
migration. SQLite is a file in a temporary folder; PostgreSQL is a throwaway cluster
(tests/support/postgres.py) with the production role set-up: the owner migrates and seeds,
the application connects as the restricted role. Without a PostgreSQL server the SQLite rows
are printed alone and the baseline's note says why.
"""

from __future__ import annotations

import html
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bench import case_seed, instances
from bench.core import Case, Measurement, Plan
from bench.instances import POSTGRESQL, SQLITE, Database, TickingClock
from servicestelle import clock
from servicestelle.auth import totp
from servicestelle.extensions import db
from tests.support.html import csrf_token

CASES_FULL, CASES_QUICK = 100_000, 5_000
#: The measured counsellor's share: a full caseload, spread over four years.
ASSIGNED = 300
COLLEAGUES = 19
#: Rounds of the four requests (in a new random order each round), after untimed ones.
ROUNDS_FULL, ROUNDS_QUICK = 200, 20
WARMUP_ROUNDS = 5
#: A Monday morning in working hours, as in the test suite.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HTTPS = "https://localhost"

START_PAGE = "start page GET /"
CASE_PAGE = "case page GET /faelle/<id>"
BY_PSEUDONYM = "search by pseudonym"
BY_RESPONDENT = "search by respondent"
SEEDING = "bulk seeding, per case"
REQUESTS = (START_PAGE, CASE_PAGE, BY_PSEUDONYM, BY_RESPONDENT)


def _client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # Secure cookies, as in production
    return client


def _post(client: FlaskClient, url: str, data: dict[str, str], token: str) -> TestResponse:
    # Flask-WTF checks a same-origin Referer on https, as a browser sends it.
    return client.post(
        url, data={"csrf_token": token, **data}, headers={"Referer": f"{HTTPS}{url}"}
    )


def _log_in(client: FlaskClient, staff: case_seed.Staff, app_clock: TickingClock) -> None:
    """Password, then the TOTP code: the full login of tests/conftest.py."""
    token = csrf_token(client.get("/anmelden").get_data(as_text=True))
    credentials = {"username": staff.username, "password": case_seed.PASSWORD}
    response = _post(client, "/anmelden", credentials, token)
    if response.status_code != 302:
        raise RuntimeError(f"login refused the password: {response.status_code}")
    token = csrf_token(client.get("/anmelden/zweiter-faktor").get_data(as_text=True))
    code = totp.current_code(staff.totp_seed, app_clock.now())
    response = _post(client, "/anmelden/zweiter-faktor", {"code": code}, token)
    if response.status_code != 302:
        raise RuntimeError(f"login refused the second factor: {response.status_code}")


@dataclass(frozen=True)
class Probe:
    """One request and what its page must show: sent timed, checked untimed."""

    send: Callable[[], TestResponse]
    must_show: str


class Visitor:
    """The logged-in counsellor, making the four kinds of request against their own cases."""

    def __init__(self, client: FlaskClient, assigned: list[case_seed.SeededCase]) -> None:
        self.client = client
        self.assigned = assigned
        self.named = [case for case in assigned if case.pseudonym]
        # A search POST carries the token of the session; the case list provides one
        # without opening (and auditing) a case.
        self.token = csrf_token(client.get("/faelle").get_data(as_text=True))

    def probe(self, request: str, rng: random.Random) -> Probe:
        if request == START_PAGE:
            return Probe(lambda: self.client.get("/"), "Beraterin Bench")
        if request == CASE_PAGE:
            case = rng.choice(self.assigned)
            # The respondent's name is sealed: on the page it proves the decryption.
            return Probe(lambda: self.client.get(f"/faelle/{case.id}"), case.respondent)
        if request == BY_PSEUDONYM:
            case = rng.choice(self.named)
            return self._search("pseudonym", case.pseudonym, case.reference)
        case = rng.choice(self.assigned)
        return self._search("respondent", case.respondent, case.reference)

    def _search(self, field: str, text: str, reference: str) -> Probe:
        data = {"feld": field, "text": text}
        return Probe(lambda: _post(self.client, "/faelle/suche", data, self.token), reference)


def _checked(request: str, probe: Probe, response: TestResponse) -> None:
    # A correctness check on what was timed, not a timing assertion.
    page = html.unescape(response.get_data(as_text=True))
    if response.status_code != 200 or probe.must_show not in page:
        raise RuntimeError(f"{request}: status {response.status_code}, expected text missing")


def _traced(app: Flask, probe: Probe) -> tuple[TestResponse, list[str]]:
    """One request and the SQL it ran (the listener is attached for this request only)."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def listener(*args: Any) -> None:
        seen.append(args[2])  # (connection, cursor, statement, parameters, context, many)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        response = probe.send()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return response, seen


def _sql_notes(app: Flask, visitor: Visitor, rng: random.Random) -> dict[str, str]:
    """Per kind of request: how many statements one request ran, how many audit entries."""
    notes = {}
    for request in REQUESTS:
        probe = visitor.probe(request, rng)
        response, statements = _traced(app, probe)
        _checked(request, probe, response)
        audits = sum(s.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRY") for s in statements)
        entries = "1 audit entry" if audits == 1 else f"{audits} audit entries"
        notes[request] = f"{len(statements)} SQL statements, {entries}"
    return notes


def _matches(assigned: list[case_seed.SeededCase], attribute: str) -> float:
    """Results per search: the counsellor's cases sharing the searched case's index value."""
    values = [getattr(case, attribute) for case in assigned if getattr(case, attribute)]
    return statistics.mean(values.count(value) for value in values)


def _round(visitor: Visitor, rng: random.Random, samples: dict[str, list[float]] | None) -> None:
    order = list(REQUESTS)
    rng.shuffle(order)
    for request in order:
        probe = visitor.probe(request, rng)
        started = time.perf_counter()
        response = probe.send()
        elapsed = time.perf_counter() - started
        _checked(request, probe, response)
        if samples is not None:
            samples[request].append(elapsed)


def _audit_entries(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.text("SELECT count(*) FROM audit_entry")) or 0)


def _seed(
    app: Flask, database: Database, count: int, rng: random.Random
) -> tuple[case_seed.Staff, case_seed.Seeded]:
    """The staff through the operations, then the cases in bulk (as the owner, if separate)."""
    with instances.owner_engine(app, database) as engine, app.app_context():
        staff = case_seed.create_staff(COLLEAGUES)
        seeded = case_seed.seed(
            engine, staff, count=count, assigned=ASSIGNED, today=clock.today(), rng=rng
        )
        case_seed.advance_sequences(engine)
        instances.analyse(engine)
    return staff, seeded


def _timed(app: Flask, visitor: Visitor, rng: random.Random, rounds: int) -> dict[str, list[float]]:
    """Seconds per request of each kind, over ``rounds`` rounds after the warm-up."""
    samples: dict[str, list[float]] = {request: [] for request in REQUESTS}
    audited_before = _audit_entries(app)
    for _ in range(rounds):
        _round(visitor, rng, samples)
    written = _audit_entries(app) - audited_before
    # Exactly one entry per case page, none for the other requests.
    if written != len(samples[CASE_PAGE]):
        raise RuntimeError(f"{written} audit entries for {len(samples[CASE_PAGE])} case pages")
    return samples


def _measure_on(database: Database, folder: Path, plan: Plan) -> dict[str, Measurement]:
    count = plan.runs(full=CASES_FULL, quick=CASES_QUICK)
    rng = random.Random(20260302)
    app_clock = TickingClock(START)
    app = instances.app(folder, database, app_clock)
    try:
        staff, seeded = _seed(app, database, count, rng)
        client = _client(app)
        _log_in(client, staff, app_clock)
        visitor = Visitor(client, seeded.assigned)
        for _ in range(WARMUP_ROUNDS):
            _round(visitor, rng, None)
        sql = _sql_notes(app, visitor, rng)
        samples = _timed(app, visitor, rng, plan.runs(full=ROUNDS_FULL, quick=ROUNDS_QUICK))
    finally:
        instances.dispose(app)
    scale = f"{count:,} cases, {ASSIGNED} assigned"
    sealed = seeded.sealed_bytes
    notes = {
        START_PAGE: f"{scale}; {database.role}; {sql[START_PAGE]}",
        CASE_PAGE: f"a random assigned case per run; {sql[CASE_PAGE]}",
        BY_PSEUDONYM: f"{_matches(seeded.assigned, 'pseudonym_index'):.2f} results per search; "
        f"{sql[BY_PSEUDONYM]}",
        BY_RESPONDENT: f"{_matches(seeded.assigned, 'respondent_index'):.2f} results per search; "
        f"{sql[BY_RESPONDENT]}",
        SEEDING: f"{count / seeded.seconds:,.0f} cases/s, {seeded.rows / seeded.seconds:,.0f} "
        f"rows/s; {count:,} cases in {seeded.seconds:.0f} s; sealed payload "
        f"{sealed.start / 1024:.1f}–{(sealed.stop - 1) / 1024:.1f} KiB; no audit entries",
    }
    result = {request: Measurement(samples[request], notes[request]) for request in REQUESTS}
    result[SEEDING] = Measurement(seeded.per_case, notes[SEEDING])
    return result


@cache
def measured(backend: str, plan: Plan) -> dict[str, Measurement]:
    """Seed a new database of ``backend``, log in, time the four requests in turns."""
    with tempfile.TemporaryDirectory(prefix="servicestelle-bench-cases-") as scratch:
        folder = Path(scratch)
        try:
            with instances.database(backend, folder) as database:
                return _measure_on(database, folder, plan)
        finally:
            if backend == POSTGRESQL:
                instances.stop_postgres()


def _without_postgresql(reason: str) -> Callable[[Plan], Measurement]:
    def measure(plan: Plan) -> Measurement:
        base = measured(SQLITE, plan)[START_PAGE]
        short = " ".join(reason.split())[:120]
        return Measurement(base.samples, f"{base.note}; PostgreSQL not run: {short}")

    return measure


def _cases_of(backend: str, baseline_measure: Callable[[Plan], Measurement] | None) -> list[Case]:
    def name(what: str) -> str:
        return f"{backend}: {what}"

    def pick(what: str) -> Callable[[Plan], Measurement]:
        return lambda plan: measured(backend, plan)[what]

    base = name(START_PAGE)
    return [
        Case(base, baseline_measure or pick(START_PAGE)),
        Case(name(CASE_PAGE), pick(CASE_PAGE), baseline=base),
        Case(name(BY_PSEUDONYM), pick(BY_PSEUDONYM), baseline=base),
        Case(name(BY_RESPONDENT), pick(BY_RESPONDENT), baseline=base),
        Case(name(SEEDING), pick(SEEDING)),
    ]


def cases() -> list[Case]:
    server = instances.postgres_server()
    if isinstance(server, str):
        print(f"  case-pages: PostgreSQL not run: {server}", file=sys.stderr)
        return _cases_of(SQLITE, _without_postgresql(server))
    return [*_cases_of(SQLITE, None), *_cases_of(POSTGRESQL, None)]
