"""Self-service: new recovery codes, moving the second factor, password change rules."""

from __future__ import annotations

import re

from servicestelle.api.models import ApiToken
from servicestelle.api.operations import create_token
from servicestelle.auth import totp
from servicestelle.auth.models import User
from servicestelle.extensions import db
from tests.conftest import current_code, https_client, login, post_form
from tests.support.html import csrf_token


def test_new_recovery_codes_replace_the_old_ones(app, client, make_user, clock):
    user = make_user()
    login(client, user, clock)
    first = post_form(client, "/konto/wiederherstellungscodes", {}, form_url="/konto/")
    old_codes = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", first.get_data(as_text=True))
    second = post_form(client, "/konto/wiederherstellungscodes", {}, form_url="/konto/")
    new_codes = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", second.get_data(as_text=True))
    assert len(old_codes) == len(new_codes) == 10 and not set(old_codes) & set(new_codes)
    other = https_client(app)
    post_form(other, "/anmelden", {"username": user.username, "password": user.password})
    rejected = post_form(other, "/anmelden/zweiter-faktor", {"code": old_codes[0]})
    assert "Der Code ist falsch" in rejected.get_data(as_text=True)
    accepted = post_form(other, "/anmelden/zweiter-faktor", {"code": new_codes[0]})
    assert accepted.status_code == 302 and other.get("/").status_code == 200


def test_moving_the_second_factor(app, client, make_user, clock):
    user = make_user()
    elsewhere = https_client(app)
    login(elsewhere, user, clock)
    login(client, user, clock)
    response = post_form(client, "/konto/zweiter-faktor/neu", {}, form_url="/konto/")
    assert response.headers["Location"] == "/konto/zweiter-faktor"
    page = client.get("/konto/zweiter-faktor").get_data(as_text=True)
    secret = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', page).group(1)
    new_seed = totp.seed_from_base32(secret)
    assert new_seed != user.seed
    # Until confirmed, the old device still works (checked by a fresh login elsewhere).
    third = https_client(app)
    login(third, user, clock)
    clock.advance(seconds=30)
    confirmed = post_form(
        client, "/konto/zweiter-faktor", {"code": totp.current_code(new_seed, clock.now())}
    )
    assert confirmed.status_code == 200 and "Wiederherstellungscodes" in confirmed.get_data(
        as_text=True
    )
    assert client.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302  # other sessions ended
    assert third.get("/").status_code == 302
    # the old device's codes no longer work, the new one's do
    clock.advance(seconds=30)
    fourth = https_client(app)
    post_form(fourth, "/anmelden", {"username": user.username, "password": user.password})
    old = post_form(fourth, "/anmelden/zweiter-faktor", {"code": current_code(user, clock)})
    assert "Der Code ist falsch" in old.get_data(as_text=True)
    new = post_form(
        fourth, "/anmelden/zweiter-faktor", {"code": totp.current_code(new_seed, clock.now())}
    )
    assert new.status_code == 302


def test_moving_the_second_factor_needs_fresh_authentication(client, make_user, clock):
    user = make_user()
    login(client, user, clock)
    clock.advance(minutes=6)
    response = post_form(client, "/konto/zweiter-faktor/neu", {}, form_url="/konto/")
    assert response.headers["Location"].startswith("/bestaetigen")
    assert client.get("/konto/zweiter-faktor").headers["Location"].startswith("/bestaetigen")


def test_password_change_needs_the_current_password_and_the_policy(client, make_user, clock):
    user = make_user()
    login(client, user, clock)
    cases = [
        (
            {
                "current_password": "falsch falsch falsch",
                "new_password": "ein neues gutes passwort",
                "confirm_password": "ein neues gutes passwort",
            },
            "bisherige Passwort stimmt nicht",
        ),
        (
            {"current_password": user.password, "new_password": "kurz", "confirm_password": "kurz"},
            "mindestens 12",
        ),
        (
            {
                "current_password": user.password,
                "new_password": "ein neues gutes passwort",
                "confirm_password": "ein anderes passwort",
            },
            "stimmen nicht überein",
        ),
    ]
    for data, message in cases:
        response = post_form(client, "/konto/passwort", data)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    post_form(client, "/abmelden", {}, form_url="/")
    clock.advance(seconds=30)
    login(client, user, clock)  # the old password still works: nothing was changed


def test_guessing_the_current_password_is_throttled(app, client, make_user, clock):
    """A left-open session must not allow unlimited guesses of the password (review finding)."""
    user = make_user()
    login(client, user, clock)
    statuses = []
    for attempt in range(6):
        response = post_form(
            client,
            "/konto/passwort",
            {
                "current_password": f"geraten {attempt} geraten",
                "new_password": "ein neues gutes passwort",
                "confirm_password": "ein neues gutes passwort",
            },
        )
        statuses.append(response.status_code)
    assert statuses[:4] == [200, 200, 200, 200]  # three free failures, the fourth is checked
    assert statuses[4] == 429  # then the account waits, as at the login
    right = post_form(
        client,
        "/konto/passwort",
        {
            "current_password": user.password,
            "new_password": "ein neues gutes passwort",
            "confirm_password": "ein neues gutes passwort",
        },
    )
    assert right.status_code == 429  # even the right password waits its turn


def test_an_abandoned_device_move_cannot_be_finished_later(client, make_user, clock):
    user = make_user()
    login(client, user, clock)
    post_form(client, "/konto/zweiter-faktor/neu", {}, form_url="/konto/")
    page = client.get("/konto/zweiter-faktor").get_data(as_text=True)
    secret = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', page).group(1)
    token = csrf_token(page)
    clock.advance(minutes=6)  # past the five fresh minutes, within the idle timeout
    response = client.post(
        "/konto/zweiter-faktor",
        data={
            "csrf_token": token,
            "code": totp.current_code(totp.seed_from_base32(secret), clock.now()),
        },
        headers={"Referer": "https://localhost/konto/zweiter-faktor"},
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/bestaetigen")
    assert client.get("/konto/zweiter-faktor").headers["Location"].startswith("/bestaetigen")


def test_someone_elses_token_cannot_be_revoked_from_the_account_page(app, client, make_user, clock):
    owner = make_user()
    with app.app_context():
        issued = create_token(db.session.get(User, owner.id), "fremd")
        their_id, plaintext = issued.token.id, issued.plaintext
    login(client, make_user(), clock)
    refused = post_form(
        client, f"/konto/tokens/{their_id}/widerrufen", {}, form_url="/konto/tokens"
    )
    missing = post_form(
        client, f"/konto/tokens/{their_id + 100}/widerrufen", {}, form_url="/konto/tokens"
    )

    # The same answer for both: whether the id exists stays hidden.
    assert (refused.status_code, missing.status_code) == (404, 404)
    with app.app_context():
        assert db.session.get(ApiToken, their_id).revoked_at is None
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"}).status_code
        == 200
    )
