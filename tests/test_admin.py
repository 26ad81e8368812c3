"""User administration: creation, separation of duties, disabling, second-factor reset,
and the fresh re-authentication that guards these actions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import current_code, https_client, login, post_form


@pytest.fixture
def admin(client, login_as):
    return login_as(Role.ADMIN)


def confirm_identity(client, user, clock, next_url="/"):
    """Re-authenticate (password + a fresh code)."""
    clock.advance(seconds=30)
    return post_form(
        client,
        f"/bestaetigen?next={next_url}",
        {"password": user.password, "code": current_code(user, clock), "next": next_url},
    )


def test_sensitive_action_requires_fresh_authentication(client, admin, clock):
    clock.advance(minutes=6)  # the login is older than five minutes
    response = client.get("/verwaltung/benutzer/neu")
    assert response.status_code == 302
    assert response.headers["Location"] == "/bestaetigen?next=/verwaltung/benutzer/neu"
    response = confirm_identity(client, admin, clock, "/verwaltung/benutzer/neu")
    assert response.headers["Location"] == "/verwaltung/benutzer/neu"
    assert client.get("/verwaltung/benutzer/neu").status_code == 200


def test_login_itself_counts_as_fresh(client, admin, clock):
    clock.advance(minutes=4)
    assert client.get("/verwaltung/benutzer/neu").status_code == 200


def test_reauth_refuses_wrong_code_and_wrong_password(client, admin, clock):
    clock.advance(minutes=6)
    clock.advance(seconds=30)
    wrong_code = post_form(client, "/bestaetigen", {"password": admin.password, "code": "000000"})
    assert "Passwort oder Code ist falsch" in wrong_code.get_data(as_text=True)
    wrong_password = post_form(
        client,
        "/bestaetigen",
        {"password": "falsches passwort 1", "code": current_code(admin, clock)},
    )
    assert "Passwort oder Code ist falsch" in wrong_password.get_data(as_text=True)
    assert client.get("/verwaltung/benutzer/neu").status_code == 302


def test_stale_post_is_sent_to_reauth_and_changes_nothing(app, client, admin, make_user, clock):
    target = make_user(Role.COUNSELLOR)
    token_page = f"/verwaltung/benutzer/{target.id}"
    clock.advance(minutes=6)
    response = post_form(
        client, f"/verwaltung/benutzer/{target.id}/deaktivieren", {}, form_url=token_page
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/bestaetigen?next=")
    with app.app_context():
        assert db.session.get(User, target.id).is_active


def test_admin_creates_user_who_must_enrol_and_change_password(app, client, admin, clock):
    response = post_form(
        client,
        "/verwaltung/benutzer/neu",
        {
            "username": "neu.beraterin",
            "display_name": "Neue Beraterin",
            "password": "erstes passwort fuer dich",
            "roles": ["counsellor", "supervisor"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "neu.beraterin"))
        assert user.roles == {Role.COUNSELLOR, Role.SUPERVISOR}
        assert user.must_change_password and not user.has_second_factor
        assert user.centre_id == db.session.get(User, admin.id).centre_id
    newcomer = https_client(app)
    response = post_form(
        newcomer,
        "/anmelden",
        {"username": "neu.beraterin", "password": "erstes passwort fuer dich"},
    )
    assert response.headers["Location"] == "/anmelden/einrichten"


@pytest.mark.parametrize(
    "roles",
    [
        ["dpo", "counsellor"],
        ["admin", "supervisor"],
        ["admin", "dpo"],
        ["dpo", "counsellor", "supervisor"],
    ],
)
def test_separation_of_duties_is_enforced_on_creation(app, client, admin, roles):
    response = post_form(
        client,
        "/verwaltung/benutzer/neu",
        {
            "username": "verboten",
            "password": "erstes passwort fuer dich",
            "roles": roles,
        },
    )
    assert response.status_code == 200
    assert "dürfen nicht zusammen vergeben werden" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "verboten")) is None


def test_separation_of_duties_is_enforced_on_role_change(app, client, admin, make_user):
    target = make_user(Role.COUNSELLOR)
    response = post_form(
        client,
        f"/verwaltung/benutzer/{target.id}/rollen",
        {"roles": ["counsellor", "dpo"]},
        form_url=f"/verwaltung/benutzer/{target.id}",
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, target.id).roles == {Role.COUNSELLOR}


def test_unknown_role_value_is_refused(app, client, admin, make_user):
    target = make_user(Role.COUNSELLOR)
    response = post_form(
        client,
        f"/verwaltung/benutzer/{target.id}/rollen",
        {"roles": ["superuser"]},
        form_url=f"/verwaltung/benutzer/{target.id}",
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, target.id).roles == {Role.COUNSELLOR}


def test_admin_cannot_change_own_account_here(app, client, admin):
    response = post_form(
        client,
        f"/verwaltung/benutzer/{admin.id}/rollen",
        {"roles": ["counsellor"]},
        form_url=f"/verwaltung/benutzer/{admin.id}",
    )
    assert response.status_code == 400
    response = post_form(
        client,
        f"/verwaltung/benutzer/{admin.id}/deaktivieren",
        {},
        form_url=f"/verwaltung/benutzer/{admin.id}",
    )
    with app.app_context():
        me = db.session.get(User, admin.id)
        assert me.is_active and me.roles == {Role.ADMIN}


def test_last_admin_cannot_be_removed(app, make_user):
    from servicestelle.auth.operations import AccountError, disable_user, set_roles

    only_admin = make_user(Role.ADMIN)
    other_admin = make_user(Role.ADMIN)
    with app.app_context(), app.test_request_context():
        acting = db.session.get(User, other_admin.id)
        target = db.session.get(User, only_admin.id)
        disable_user(acting, target)  # two admins: allowed
        with pytest.raises(AccountError):
            disable_user(None, acting)  # the last active one: refused, even from the CLI
        with pytest.raises(AccountError):
            set_roles(target, acting, [Role.COUNSELLOR])
        assert acting.is_active and acting.roles == {Role.ADMIN}


def test_disable_then_enable(app, client, admin, make_user, clock):
    target = make_user(Role.COUNSELLOR)
    post_form(
        client,
        f"/verwaltung/benutzer/{target.id}/deaktivieren",
        {},
        form_url=f"/verwaltung/benutzer/{target.id}",
    )
    other = https_client(app)
    response = post_form(
        other, "/anmelden", {"username": target.username, "password": target.password}
    )
    assert "Benutzername oder Passwort ist falsch" in response.get_data(as_text=True)
    post_form(
        client,
        f"/verwaltung/benutzer/{target.id}/aktivieren",
        {},
        form_url=f"/verwaltung/benutzer/{target.id}",
    )
    login(other, target, clock)
    assert other.get("/").status_code == 200


def test_second_factor_reset_forces_enrolment(app, client, admin, make_user):
    target = make_user(Role.COUNSELLOR)
    post_form(
        client,
        f"/verwaltung/benutzer/{target.id}/zweiter-faktor-zuruecksetzen",
        {},
        form_url=f"/verwaltung/benutzer/{target.id}",
    )
    other = https_client(app)
    response = post_form(
        other, "/anmelden", {"username": target.username, "password": target.password}
    )
    assert response.headers["Location"] == "/anmelden/einrichten"


def test_password_reset_sets_a_one_time_password(app, client, admin, make_user, clock):
    target = make_user(Role.COUNSELLOR)
    post_form(
        client,
        f"/verwaltung/benutzer/{target.id}/passwort",
        {"new_password": "einmal passwort 2026"},
        form_url=f"/verwaltung/benutzer/{target.id}",
    )
    other = https_client(app)
    clock.advance(seconds=30)
    post_form(other, "/anmelden", {"username": target.username, "password": "einmal passwort 2026"})
    response = post_form(other, "/anmelden/zweiter-faktor", {"code": current_code(target, clock)})
    assert response.headers["Location"] == "/anmelden/passwort-aendern"


def test_users_of_other_centres_do_not_exist_for_the_admin(app, client, admin, make_user):
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        elsewhere = create_centre("ANDERE", "Andere Servicestelle").id
    foreign = make_user(Role.COUNSELLOR, centre_id=elsewhere)
    assert client.get(f"/verwaltung/benutzer/{foreign.id}").status_code == 404
    response = post_form(
        client,
        f"/verwaltung/benutzer/{foreign.id}/deaktivieren",
        {},
        form_url="/verwaltung/benutzer",
    )
    assert response.status_code == 404
    assert foreign.username not in client.get("/verwaltung/benutzer").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, foreign.id).is_active


def test_no_admin_page_shows_credentials(app, client, admin, make_user):
    target = make_user(Role.COUNSELLOR)
    page = client.get(f"/verwaltung/benutzer/{target.id}").get_data(as_text=True)
    with app.app_context():
        row = db.session.get(User, target.id)
        assert row.password_hash not in page
    assert "argon2" not in page


def test_user_count_is_unchanged_by_refused_creation(app, client, admin):
    with app.app_context():
        before = db.session.scalar(select(func.count(User.id)))
    post_form(
        client,
        "/verwaltung/benutzer/neu",
        {
            "username": "Ungültig Name!",
            "password": "erstes passwort fuer dich",
            "roles": ["counsellor"],
        },
    )
    post_form(
        client,
        "/verwaltung/benutzer/neu",
        {"username": "kurzes.pw", "password": "zu kurz", "roles": ["counsellor"]},
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == before


def test_each_centre_keeps_its_last_admin(app, make_user):
    from servicestelle.auth.operations import AccountError, disable_user
    from servicestelle.centres.operations import create_centre

    make_user(Role.ADMIN)  # the test centre's admin
    with app.app_context():
        other_centre = create_centre("ANDERE", "Andere Servicestelle").id
    lone = make_user(Role.ADMIN, centre_id=other_centre)
    with app.test_request_context():
        with pytest.raises(AccountError):
            disable_user(None, db.session.get(User, lone.id))
        assert db.session.get(User, lone.id).is_active


def test_password_reset_lifts_a_deliberate_lock(app, client, admin, make_user, clock):
    """Anyone knowing a username can lock it; the admin's reset is the way out."""
    target = make_user(Role.COUNSELLOR)
    other = https_client(app, "198.51.100.9")
    for _ in range(10):
        clock.advance(seconds=61)
        post_form(
            other, "/anmelden", {"username": target.username, "password": "falsch falsch falsch"}
        )
    victim = https_client(app, "192.0.2.1")
    locked = post_form(
        victim, "/anmelden", {"username": target.username, "password": target.password}
    )
    assert locked.status_code == 429
    clock.advance(minutes=1)
    confirm_identity(client, admin, clock, f"/verwaltung/benutzer/{target.id}")
    post_form(
        client,
        f"/verwaltung/benutzer/{target.id}/passwort",
        {"new_password": "einmal passwort 2026"},
        form_url=f"/verwaltung/benutzer/{target.id}",
    )
    unlocked = post_form(
        victim, "/anmelden", {"username": target.username, "password": "einmal passwort 2026"}
    )
    assert unlocked.status_code == 302
