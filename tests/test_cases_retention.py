"""Retention: exactly the due cases are crypto-shredded and deleted; legal hold keeps a case."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

import audit
from audit import AuditEvent
from servicestelle import audit_trail
from servicestelle import clock as app_clock
from servicestelle.auth.models import User
from servicestelle.cases import access, operations, parts, payload, retention, vault
from servicestelle.cases.models import Case, CaseContact, CaseDeletion, CaseKey, CaseMember
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.support import audit_log

CLOSED = {
    "closure": {
        "outcome": {"codes": ["ziel_erreicht"]},
        "reason": {"codes": ["anliegen_bearbeitet"]},
    }
}


@pytest.fixture
def cases(app, make_user):
    """Four cases made on 2 March 2026: closed end of 2025, closed in 2026, open, held."""
    user_id = make_user(Role.COUNSELLOR).id
    supervisor_id = make_user(Role.SUPERVISOR).id
    made = {}
    with app.test_request_context():
        user = db.session.get(User, user_id)

        def case(name: str, status: str, opened: date, closed: date | None) -> int:
            content = payload.load_payload({**CLOSED, "account": {"narrative": f"Fall {name}"}})
            meta = operations.Metadata(status=status, opened_on=opened, closed_on=closed)
            return operations.create_case(user, content, meta).id

        made["due"] = case("due", "closed", date(2025, 3, 1), date(2025, 12, 31))
        made["next_year"] = case("next_year", "closed", date(2026, 1, 2), date(2026, 1, 2))
        made["open"] = case("open", "open", date(2024, 1, 5), None)
        made["held"] = case("held", "closed", date(2024, 2, 1), date(2024, 6, 30))
        parts.add_contact(
            access.load(made["due"], user, content=True),
            date(2025, 3, 1),
            {"channel": "telefon", "duration_minutes": 30, "note": "Erstgespräch"},
        )
        supervisor = db.session.get(User, supervisor_id)
        operations.set_legal_hold(access.load(made["held"], supervisor), True)
    made["user_id"] = user_id
    return made


def _due_ids(today: date, years: int = 3) -> list[int]:
    return [due.case_id for due in retention.due_cases(today, years)]


def test_the_due_list_holds_exactly_the_cases_past_their_period(app, cases):
    with app.test_request_context():
        # Closed 31 Dec 2025: kept through 2028, due on 1 Jan 2029 — not a day earlier.
        assert _due_ids(date(2028, 12, 31)) == []
        assert _due_ids(date(2029, 1, 1)) == [cases["due"]]
        # Closed 2 Jan 2026: due on 1 Jan 2030; the open case never; the held case not while held.
        assert _due_ids(date(2029, 12, 31)) == [cases["due"]]
        assert _due_ids(date(2030, 1, 1)) == [cases["due"], cases["next_year"]]
        assert _due_ids(date(2030, 1, 1), years=0) == [cases["due"], cases["next_year"]]
        assert _due_ids(date(2026, 1, 1), years=0) == [cases["due"]]
        due = retention.due_cases(date(2029, 1, 1), 3)[0]
        assert (due.closed_on, due.due_on) == (date(2025, 12, 31), date(2029, 1, 1))


def test_legal_hold_released_makes_the_case_due(app, cases, make_user):
    supervisor_id = make_user(Role.SUPERVISOR).id
    with app.test_request_context():
        supervisor = db.session.get(User, supervisor_id)
        operations.set_legal_hold(access.load(cases["held"], supervisor), False)
        assert cases["held"] in _due_ids(date(2028, 1, 1))


def test_deleting_shreds_the_case_keeps_a_record_and_the_chain_verifies(app, cases, clock):
    clock.moment = datetime(2029, 1, 2, 9, 0, tzinfo=UTC)
    with app.test_request_context():
        [due] = retention.due_cases(app_clock.today(), 3)
        wrapped = db.session.get(CaseKey, due.case_id).wrapped_key
        assert retention.delete_case(due, app_clock.today(), 3)
        retention.flush_deleted_pages()

        gone = cases["due"]
        assert db.session.get(Case, gone) is None
        assert db.session.get(CaseKey, gone) is None
        for model in (CaseContact, CaseMember):
            assert db.session.scalars(sa.select(model).where(model.case_id == gone)).all() == []
        with pytest.raises(vault.CaseUnreadable):
            vault.open_vault(gone)
        record = db.session.scalars(sa.select(CaseDeletion)).one()
        assert (record.case_id, record.reference, record.closed_on, record.reason) == (
            gone,
            "2025-0001",
            date(2025, 12, 31),
            "retention",
        )
        deletions = audit_log.entries(app, action=AuditEvent.CASE_RECORD_DELETE.value)
        assert [(e.object_id, e.purpose) for e in deletions] == [(str(gone), "legal_obligation")]
        assert audit.verify(db.session, audit_trail.public_key()).intact
        # Every other case is untouched and still opens.
        user = db.session.get(User, cases["user_id"])
        opened = operations.open_case(access.load(cases["next_year"], user, content=True))
        assert opened.payload["account"]["narrative"] == "Fall next_year"
        # A second run finds nothing left to do.
        assert retention.due_cases(app_clock.today(), 3) == []
        if db.engine.dialect.name == "sqlite":
            # Neither the database file nor its WAL keeps the shredded key's bytes.
            database = db.engine.url.database
            for path in (database, f"{database}-wal"):
                if os.path.exists(path):
                    with open(path, "rb") as handle:
                        assert wrapped not in handle.read(), path


def test_a_case_put_on_hold_after_the_list_was_made_is_kept(app, cases, clock, make_user):
    clock.moment = datetime(2029, 1, 2, 9, 0, tzinfo=UTC)
    supervisor_id = make_user(Role.SUPERVISOR).id
    with app.test_request_context():
        [due] = retention.due_cases(app_clock.today(), 3)
        supervisor = db.session.get(User, supervisor_id)
        operations.set_legal_hold(access.load(due.case_id, supervisor), True)
        assert not retention.delete_case(due, app_clock.today(), 3)
        assert db.session.get(Case, due.case_id) is not None
        assert db.session.get(CaseKey, due.case_id) is not None
        assert db.session.scalars(sa.select(CaseDeletion)).all() == []
