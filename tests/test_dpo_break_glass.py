"""The DPO's review queue holds each break-glass opening with its written reason."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from servicestelle.auth.models import User
from servicestelle.cases import break_glass, operations, payload
from servicestelle.cases.models import BreakGlassAccess
from servicestelle.extensions import db
from servicestelle.roles import Role

REASON = "Kollegin krank, Ratsuchende ruft wegen Frist morgen an"


@pytest.fixture
def opened(app, make_user):
    """A case of one counsellor, opened by break-glass by a colleague; returns the case id."""
    owner_id = make_user(Role.COUNSELLOR).id
    colleague_id = make_user(Role.COUNSELLOR).id
    with app.test_request_context():
        owner = db.session.get(User, owner_id)
        case = operations.create_case(owner, payload.load_payload({}))
        colleague = db.session.get(User, colleague_id)
        break_glass.open_case(colleague, case, REASON)
        return case.id


def test_the_queue_shows_the_reason_and_the_table_holds_it_sealed(app, client, login_as, opened):
    login_as(Role.DPO)
    page = client.get("/datenschutz/auffaelligkeiten").get_data(as_text=True)
    assert "1 ungeprüfter Notfallzugriff" in page
    assert REASON in page
    with app.app_context():
        stored = db.session.scalars(sa.select(BreakGlassAccess.reason)).one()
    assert REASON.encode() not in stored


def test_a_reason_of_another_grant_is_not_shown(app, client, login_as, opened, make_user):
    """A log row naming someone else's grant (written around the app) shows no reason."""
    with app.app_context():
        grant = db.session.scalars(sa.select(BreakGlassAccess)).one()
        grant.user_id = make_user(Role.COUNSELLOR).id  # the grant now belongs to another person
        db.session.commit()
    login_as(Role.DPO)
    page = client.get("/datenschutz/auffaelligkeiten").get_data(as_text=True)
    assert "1 ungeprüfter Notfallzugriff" in page
    assert REASON not in page
    assert "nicht mehr vorhanden" in page
