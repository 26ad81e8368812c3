"""Audited account changes: by an administrator, by users themselves (passwords, recovery
codes, API tokens, reauthentication), and the creation of a centre.

Entries are read back as test_audit_events.py describes (helpers: tests/support/audit_log.py).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from servicestelle.api.models import ApiToken
from servicestelle.auth import totp
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import current_code, https_client, login, post_form
from tests.support.audit_log import (
    WRONG_PASSWORD,
    assert_nowhere_in_log,
    described,
    entries,
    expected,
    head,
    issue_token,
    one,
    request_id,
)


def admin_post(client, target_id: int, action: str, data: dict[str, object]):
    return post_form(
        client,
        f"/verwaltung/benutzer/{target_id}/{action}",
        data,
        form_url=f"/verwaltung/benutzer/{target_id}",
    )


# --- administration -----------------------------------------------------------------------


def test_admin_creating_a_user_is_audited(app, client, login_as, centre):
    admin = login_as(Role.ADMIN)
    mark = head(app)
    response = post_form(
        client,
        "/verwaltung/benutzer/neu",
        {
            "username": "neu.beraterin",
            "display_name": "Kanarienvogel Anzeigename",
            "password": "erstes passwort fuer dich",
            "roles": ["supervisor", "counsellor"],
        },
    )

    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(sa.select(User.id).where(User.username == "neu.beraterin"))
    assert described(one(app, "user:account:create", after=mark)) == expected(
        request_id=request_id(response),
        actor_id=admin.id,
        role="admin",
        centre_id=centre,
        object_type="user",
        object_id=created,
        details={"roles": ["counsellor", "supervisor"], "second_factor": False},
    )
    assert_nowhere_in_log(app, "neu.beraterin", "Kanarienvogel", "erstes passwort")


@pytest.mark.parametrize(
    ("action", "data", "event", "details"),
    [
        ("deaktivieren", {}, "user:account:disable", {"tokens_revoked": 1}),
        ("zweiter-faktor-zuruecksetzen", {}, "auth:second_factor:reset", {"tokens_revoked": 1}),
        (
            "passwort",
            {"new_password": "einmal passwort 2026"},
            "auth:password:reset",
            {"tokens_revoked": 1},
        ),
        (
            "rollen",
            {"roles": ["supervisor"]},
            "user:roles:change",
            {"added": ["supervisor"], "removed": ["counsellor"]},
        ),
    ],
)
def test_admin_account_changes_are_audited(
    app, client, login_as, make_user, centre, action, data, event, details
):
    target = make_user(Role.COUNSELLOR)
    issue_token(app, target.id)
    admin = login_as(Role.ADMIN)
    mark = head(app)
    response = admin_post(client, target.id, action, data)

    assert response.status_code == 302, response.get_data(as_text=True)
    assert described(one(app, event, after=mark)) == expected(
        request_id=request_id(response),
        actor_id=admin.id,
        role="admin",
        centre_id=centre,
        object_type="user",
        object_id=target.id,
        details=details,
    )
    assert_nowhere_in_log(app, "einmal passwort")


def test_admin_enabling_a_user_is_audited(app, client, login_as, make_user, centre):
    target = make_user(Role.COUNSELLOR)
    admin = login_as(Role.ADMIN)
    admin_post(client, target.id, "deaktivieren", {})
    mark = head(app)
    response = admin_post(client, target.id, "aktivieren", {})

    assert response.status_code == 302
    assert described(one(app, "user:account:enable", after=mark)) == expected(
        request_id=request_id(response),
        actor_id=admin.id,
        role="admin",
        centre_id=centre,
        object_type="user",
        object_id=target.id,
    )


def test_refused_admin_changes_write_no_success_entry(app, client, login_as, make_user):
    """Separation of duties refuses the role set: nothing changed, nothing claimed."""
    target = make_user(Role.COUNSELLOR)
    login_as(Role.ADMIN)
    mark = head(app)
    response = admin_post(client, target.id, "rollen", {"roles": ["counsellor", "dpo"]})

    assert response.status_code == 400
    assert entries(app, after=mark, action="user:roles:change") == []


# --- self-service -------------------------------------------------------------------------


def test_changing_the_own_password_is_audited(app, client, make_user, centre, clock):
    user = make_user(Role.SUPERVISOR)
    login(client, user, clock)
    other_device = https_client(app)
    login(other_device, user, clock)
    mark = head(app)
    new_password = "ein neues gutes passwort"
    response = post_form(
        client,
        "/konto/passwort",
        {
            "current_password": user.password,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )

    assert response.status_code == 302
    assert described(one(app, "auth:password:change", after=mark)) == expected(
        request_id=request_id(response),
        actor_id=user.id,
        role="supervisor",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        details={"forced": False, "other_sessions_ended": 1},
    )
    assert_nowhere_in_log(app, user.password, new_password)


def test_regenerating_recovery_codes_is_audited(app, client, make_user, centre, clock):
    user = make_user(Role.COUNSELLOR)
    login(client, user, clock)
    mark = head(app)
    response = post_form(client, "/konto/wiederherstellungscodes", {}, form_url="/konto/")

    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", response.get_data(as_text=True))
    assert len(codes) == 10
    assert described(one(app, "auth:recovery_codes:regenerate", after=mark)) == expected(
        request_id=request_id(response),
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
    )
    assert_nowhere_in_log(app, *codes)


def test_api_tokens_created_and_revoked_in_the_account_ui_are_audited(
    app, client, make_user, centre, clock
):
    user = make_user(Role.COUNSELLOR)
    login(client, user, clock)
    mark = head(app)
    created = post_form(
        client, "/konto/tokens/neu", {"name": "Skript", "days": "30"}, form_url="/konto/tokens"
    )

    assert created.status_code == 200
    plaintext = re.search(r"sst_[A-Za-z0-9_-]+", created.get_data(as_text=True)).group(0)
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == user.id))
    assert described(one(app, "api:token:create", after=mark)) == expected(
        request_id=request_id(created),
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="api_token",
        object_id=token_id,
        details={"user_id": user.id, "days": 30},
    )
    revoked = post_form(
        client, f"/konto/tokens/{token_id}/widerrufen", {}, form_url="/konto/tokens"
    )
    assert revoked.status_code == 302
    assert described(one(app, "api:token:revoke", after=mark)) == expected(
        request_id=request_id(revoked),
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="api_token",
        object_id=token_id,
        details={"user_id": user.id},
    )
    # Revoking again changes nothing and claims nothing.
    post_form(client, f"/konto/tokens/{token_id}/widerrufen", {}, form_url="/konto/tokens")
    assert len(entries(app, after=mark, action="api:token:revoke")) == 1
    assert_nowhere_in_log(app, plaintext, plaintext.removeprefix("sst_"), "Skript")


def test_api_token_revoked_through_the_api_is_audited(app, client, make_user, centre):
    user = make_user(Role.SUPERVISOR)
    token = issue_token(app, user.id)
    headers = {"Authorization": f"Bearer {token}"}
    token_id = client.get("/api/v1/tokens", headers=headers).get_json()[0]["id"]
    mark = head(app)
    response = client.delete(f"/api/v1/tokens/{token_id}", headers=headers)

    assert response.status_code == 204
    assert described(one(app, "api:token:revoke", after=mark)) == expected(
        request_id=request_id(response),
        actor_id=user.id,
        role="supervisor",
        centre_id=centre,
        object_type="api_token",
        object_id=token_id,
        details={"user_id": user.id},
    )
    assert_nowhere_in_log(app, token)


def test_api_token_renamed_through_the_api_is_audited_without_the_name(
    app, client, make_user, centre
):
    user = make_user(Role.COUNSELLOR)
    token = issue_token(app, user.id)
    headers = {"Authorization": f"Bearer {token}"}
    token_id = client.get("/api/v1/tokens", headers=headers).get_json()[0]["id"]
    mark = head(app)
    response = client.patch(
        f"/api/v1/tokens/{token_id}", headers=headers, json={"name": "Auswertung Mueller"}
    )

    assert response.status_code == 200
    assert described(one(app, "api:token:rename", after=mark)) == expected(
        request_id=request_id(response),
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="api_token",
        object_id=token_id,
        details={"user_id": user.id},
    )
    assert_nowhere_in_log(app, "Mueller")


def test_reauthentication_is_audited_and_its_failures_say_so(app, client, make_user, centre, clock):
    user = make_user(Role.COUNSELLOR)
    login(client, user, clock)
    clock.advance(minutes=6)  # the login is no longer fresh (the session is still alive)
    mark = head(app)
    failed = post_form(
        client, "/bestaetigen", {"password": WRONG_PASSWORD, "code": "000000", "next": "/"}
    )
    assert failed.status_code == 200
    assert described(one(app, "auth:login:failure", after=mark)) == expected(
        request_id=request_id(failed),
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        outcome="failure",
        details={"step": "password", "flow": "reauth", "known_account": True},
    )
    clock.advance(seconds=totp.STEP_SECONDS)
    confirmed = post_form(
        client,
        "/bestaetigen",
        {"password": user.password, "code": current_code(user, clock), "next": "/"},
    )
    assert confirmed.status_code == 302
    assert described(one(app, "auth:reauth:success", after=mark)) == expected(
        request_id=request_id(confirmed),
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
    )


def test_creating_a_centre_is_audited(app, centre):
    created = entries(app, action="org:centre:create")
    assert [(row.object_type, row.object_id, row.centre_id) for row in created] == [
        ("centre", str(centre), centre)
    ]
    assert created[0].role == "operator" and created[0].actor_id is None
