"""The DPO sees a person's case reads that follow a reset of their credentials by someone else."""

from __future__ import annotations

from servicestelle.auth.models import User
from servicestelle.auth.operations import reset_password
from servicestelle.cases import access, operations, payload
from servicestelle.extensions import db
from servicestelle.roles import Role


def test_reads_after_an_admin_reset_are_listed_for_the_dpo(app, client, login_as, make_user, clock):
    admin_id = make_user(Role.ADMIN, username="it.admin").id
    counsellor_id = make_user(Role.COUNSELLOR, username="beraterin.x").id
    with app.test_request_context():
        counsellor = db.session.get(User, counsellor_id)
        case = operations.create_case(counsellor, payload.load_payload({}))
        operations.open_case(access.load(case.id, counsellor, content=True))  # before: not listed
        reset_password(db.session.get(User, admin_id), counsellor, "ein neues Einmal-Passwort 1")
        clock.advance(hours=2)
        operations.open_case(
            access.load(case.id, db.session.get(User, counsellor_id), content=True)
        )
    login_as(Role.DPO)
    page = client.get("/datenschutz/auffaelligkeiten").get_data(as_text=True)
    section = page.split('id="reset-heading"', 1)[1].split("</section>", 1)[0]
    assert "beraterin.x" in section and "it.admin" in section
    assert "<td>1</td>" in section  # the one read after the reset, not the one before
