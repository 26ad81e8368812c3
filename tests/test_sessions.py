"""Server-side sessions: fixation, timeouts, revocation, cookie flags."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.sessions.models import UserSession
from tests.conftest import current_code, https_client, login, post_form

COOKIE = "__Host-servicestelle"


def session_cookie(client) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def is_logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_session_id_changes_at_each_login_step(client, make_user, clock):
    user = make_user()
    client.get("/anmelden")
    anonymous = session_cookie(client)
    assert anonymous is not None  # the login form's CSRF token lives in a session
    post_form(client, "/anmelden", {"username": user.username, "password": user.password})
    after_password = session_cookie(client)
    post_form(client, "/anmelden/zweiter-faktor", {"code": current_code(user, clock)})
    after_code = session_cookie(client)
    assert len({anonymous, after_password, after_code}) == 3


def test_fixated_session_id_is_useless(app, client, make_user, clock):
    """An attacker who planted a session id before login does not get the logged-in session."""
    user = make_user()
    client.get("/anmelden")
    planted = session_cookie(client)
    login(client, user, clock)
    attacker = https_client(app)
    attacker.set_cookie(COOKIE, planted)
    assert not is_logged_in(attacker)


def test_only_the_token_hash_is_stored(app, client, make_user, clock):
    login(client, make_user(), clock)
    token = session_cookie(client)
    with app.app_context():
        stored = db.session.scalars(select(UserSession.token_hash)).all()
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert token not in stored


def test_cookie_flags(client, make_user, clock):
    response = client.get("/anmelden")
    header = response.headers["Set-Cookie"]
    assert header.startswith(f"{COOKIE}=")
    attributes = {
        part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")[1:]
    }
    assert "secure" in attributes
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=strict"
    assert attributes["path"] == "Path=/"
    assert "domain" not in attributes
    assert "expires" not in attributes and "max-age" not in attributes  # dies with the browser


def test_token_has_at_least_128_bits(client):
    client.get("/anmelden")
    token = session_cookie(client)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64


def test_idle_timeout(client, make_user, clock):
    login(client, make_user(), clock)
    clock.advance(minutes=14)
    assert is_logged_in(client)
    clock.advance(minutes=14)  # active 14 minutes ago: still fine
    assert is_logged_in(client)
    clock.advance(minutes=15, seconds=1)
    assert not is_logged_in(client)


def test_absolute_timeout_despite_activity(client, make_user, clock):
    login(client, make_user(), clock)
    for _ in range(39):  # 39 × 15 min = 9 h 45 min of continuous work
        clock.advance(minutes=15)
        assert is_logged_in(client)
    clock.advance(minutes=15, seconds=1)
    assert not is_logged_in(client)


def test_expired_session_row_is_deleted(app, client, make_user, clock):
    login(client, make_user(), clock)
    clock.advance(minutes=16)
    client.get("/")
    with app.app_context():
        assert (
            db.session.scalars(select(UserSession).where(UserSession.user_id.is_not(None))).all()
            == []
        )


def test_logout_ends_the_session_on_the_server(app, client, make_user, clock):
    login(client, make_user(), clock)
    stolen = session_cookie(client)
    post_form(client, "/abmelden", {}, form_url="/")
    replay = https_client(app)
    replay.set_cookie(COOKIE, stolen)
    assert not is_logged_in(replay)


def test_password_change_ends_other_sessions_but_not_this_one(app, client, make_user, clock):
    user = make_user()
    other = https_client(app)
    login(other, user, clock)
    login(client, user, clock)
    before = session_cookie(client)
    response = post_form(
        client,
        "/konto/passwort",
        {
            "current_password": user.password,
            "new_password": "ein ganz neues passwort",
            "confirm_password": "ein ganz neues passwort",
        },
    )
    assert response.status_code == 302
    assert is_logged_in(client)
    assert session_cookie(client) != before  # a new id after the credential change
    assert not is_logged_in(other)


def test_role_change_ends_the_users_sessions(app, client, make_user, clock):
    target = make_user(Role.COUNSELLOR)
    target_client = https_client(app)
    login(target_client, target, clock)
    admin = make_user(Role.ADMIN)
    login(client, admin, clock)
    response = post_form(
        client,
        f"/verwaltung/benutzer/{target.id}/rollen",
        {"roles": ["counsellor", "supervisor"]},
        form_url=f"/verwaltung/benutzer/{target.id}",
    )
    assert response.status_code == 302
    assert not is_logged_in(target_client)
    assert is_logged_in(client)


@pytest.mark.parametrize("action", ["deaktivieren", "zweiter-faktor-zuruecksetzen"])
def test_disable_and_second_factor_reset_end_sessions(app, client, make_user, clock, action):
    target = make_user(Role.COUNSELLOR)
    target_client = https_client(app)
    login(target_client, target, clock)
    login(client, make_user(Role.ADMIN), clock)
    response = post_form(
        client,
        f"/verwaltung/benutzer/{target.id}/{action}",
        {},
        form_url=f"/verwaltung/benutzer/{target.id}",
    )
    assert response.status_code == 302
    assert not is_logged_in(target_client)


def test_disabled_user_loses_access_immediately_even_with_a_live_cookie(
    app, client, make_user, clock
):
    user = make_user()
    login(client, user, clock)
    from servicestelle.auth.models import User

    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()  # bypassing the operation: the loader must still refuse
    assert not is_logged_in(client)


def test_anonymous_requests_without_a_form_create_no_session(app, client):
    client.get("/healthz").close()
    client.get("/static/style.css").close()
    client.get("/gibt-es-nicht").close()
    client.get("/api/v1/openapi.json").close()
    with app.app_context():
        assert db.session.scalars(select(UserSession)).all() == []


def test_forged_remember_me_cookie_is_ignored(app, client, make_user):
    """flask-login's remember cookie is only an HMAC of the id: it must never log anyone in."""
    from flask_login.utils import encode_cookie

    user = make_user(Role.ADMIN)
    with app.test_request_context():
        forged = encode_cookie(str(user.id))
    client.set_cookie("remember_token", forged)
    response = client.get("/verwaltung/benutzer")
    assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden")


def test_expired_sessions_are_purged_even_if_never_presented_again(app, make_user, clock):
    for _ in range(3):  # abandoned login pages
        https_client(app).get("/anmelden")
    login(https_client(app), make_user(), clock)
    clock.advance(minutes=16)
    https_client(app).get("/anmelden")  # any new session triggers the purge
    with app.app_context():
        rows = db.session.scalars(select(UserSession)).all()
    assert len(rows) == 1  # only the session just created


def test_a_session_cannot_outlive_ten_hours_by_changing_passwords(client, make_user, clock):
    """Each change issues a new session id, but the ten hours count from the login."""
    user = make_user()
    login(client, user, clock)
    current, candidates = user.password, ["zweites langes passwort", "drittes langes passwort"]
    for step in range(42):  # 42 × 14 min = 9 h 48 min, each change inside the idle window
        clock.advance(minutes=14)
        new = candidates[step % 2]
        response = post_form(
            client,
            "/konto/passwort",
            {"current_password": current, "new_password": new, "confirm_password": new},
        )
        assert response.headers["Location"] == "/konto/", step
        current = new
    clock.advance(minutes=14)  # 10 h 2 min after the login
    assert not is_logged_in(client)
