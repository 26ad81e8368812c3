"""/api/v1: bearer tokens only, the UI's permissions, JSON errors, OpenAPI document."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from servicestelle.api.models import ApiToken
from servicestelle.api.operations import TokenError, create_token
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import current_code, login, post_form


@pytest.fixture
def issue(app, make_user):
    """issue(role, days=…) → (user, plaintext token)."""

    def do(role=Role.COUNSELLOR, days=None, **user_kwargs):
        user = make_user(role, **user_kwargs)
        with app.app_context():
            return user, create_token(db.session.get(User, user.id), "test", days).plaintext

    return do


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_me_with_a_valid_token(client, issue):
    user, token = issue(Role.SUPERVISOR)
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == user.username
    assert body["roles"] == ["supervisor"]
    assert body["centre"]["code"] == "TEST"
    assert "password_hash" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer sst_unknown",
        "Basic dXNlcjpwYXNz",
        "Token sst_x",
        "Bearer " + "a" * 500,
    ],
)
def test_missing_or_bad_token_is_401_json(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.is_json
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_role_is_403_json(client, issue):
    _, token = issue(Role.COUNSELLOR)
    response = client.get("/api/v1/users", headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_admin_lists_users_of_own_centre_without_secrets(client, issue, make_user):
    make_user(Role.COUNSELLOR, username="kollegin")
    _, token = issue(Role.ADMIN)
    response = client.get("/api/v1/users", headers=bearer(token))
    assert response.status_code == 200
    names = {user["username"] for user in response.get_json()}
    assert "kollegin" in names
    text = response.get_data(as_text=True)
    assert "argon2" not in text and "totp" not in text.lower()


def test_the_api_ignores_session_cookies(client, make_user, clock):
    user = make_user()
    login(client, user, clock)
    assert client.get("/").status_code == 200
    response = client.get("/api/v1/me")  # same client, session cookie attached
    assert response.status_code == 401


def test_expired_token_is_refused(client, issue, clock):
    _, token = issue(days=1)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    clock.advance(days=1, seconds=1)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_revoked_token_is_refused(client, issue):
    _, token = issue()
    tokens = client.get("/api/v1/tokens", headers=bearer(token)).get_json()
    assert len(tokens) == 1
    response = client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=bearer(token))
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_token_of_disabled_user_is_refused(app, client, issue):
    user, token = issue()
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_role_change_applies_to_tokens_at_once(app, client, issue):
    user, token = issue(Role.ADMIN)
    other_admin, _ = issue(Role.ADMIN)
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 200
    from servicestelle.auth.operations import set_roles

    with app.test_request_context():
        set_roles(
            db.session.get(User, other_admin.id), db.session.get(User, user.id), [Role.COUNSELLOR]
        )
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 403


def test_cannot_touch_other_users_tokens(client, issue):
    _, mine = issue()
    _, theirs = issue()
    their_id = client.get("/api/v1/tokens", headers=bearer(theirs)).get_json()[0]["id"]
    url = f"/api/v1/tokens/{their_id}"
    renamed = client.patch(url, json={"name": "meins"}, headers=bearer(mine))
    revoked = client.delete(url, headers=bearer(mine))
    # The answer for an id that exists nowhere: the caller cannot tell the two apart.
    missing = client.delete(f"/api/v1/tokens/{their_id + 100}", headers=bearer(mine))
    for response in (renamed, revoked, missing):
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/me", headers=bearer(theirs)).status_code == 200
    assert client.get("/api/v1/tokens", headers=bearer(theirs)).get_json()[0]["name"] == "test"


def test_tokens_are_stored_hashed(app, issue):
    _, token = issue()
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_token_lifetime_is_bounded(app, make_user):
    user = make_user()
    with app.app_context():
        row = db.session.get(User, user.id)
        for days in (0, -1, 366):
            with pytest.raises(TokenError):
                create_token(row, "x", days)


def test_rename_validates_content_type_json_and_schema(client, issue):
    _, token = issue()
    token_id = client.get("/api/v1/tokens", headers=bearer(token)).get_json()[0]["id"]
    url = f"/api/v1/tokens/{token_id}"
    wrong_type = client.patch(
        url, data="name=x", headers=bearer(token), content_type="application/x-www-form-urlencoded"
    )
    assert (
        wrong_type.status_code == 415
        and wrong_type.get_json()["error"]["code"] == "unsupported_media_type"
    )
    broken = client.patch(
        url, data="{not json", headers=bearer(token), content_type="application/json"
    )
    assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "invalid_json"
    invalid_utf8 = client.patch(
        url, data=b'{"name": "\xff\xfe"}', headers=bearer(token), content_type="application/json"
    )
    assert invalid_utf8.status_code in (400, 422) and invalid_utf8.is_json
    for body in ({}, {"name": ""}, {"name": "x" * 81}, {"name": "a\x00b"}, {"name": 5}, ["name"]):
        response = client.patch(url, json=body, headers=bearer(token))
        assert response.status_code == 422, body
        assert response.get_json()["error"]["code"] == "validation_failed"
    unchanged = client.get("/api/v1/tokens", headers=bearer(token)).get_json()[0]["name"]
    assert unchanged == "test"
    renamed = client.patch(url, json={"name": "Auswertung"}, headers=bearer(token))
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Auswertung"


def test_unknown_api_path_and_method_answer_json(client, issue):
    _, token = issue()
    missing = client.get("/api/v1/gibt-es-nicht", headers=bearer(token))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong_method = client.put("/api/v1/me", headers=bearer(token))
    assert wrong_method.status_code == 405 and wrong_method.is_json


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/me", "/api/v1/tokens", "/api/v1/tokens/{token_id}", "/api/v1/users"} <= set(
        spec["paths"]
    )
    schemas = spec["components"]["schemas"]
    assert {"Me", "Token", "UserSummary", "Error", "TokenRename"} <= set(schemas)
    assert "password_hash" not in response.get_data(as_text=True)
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    # every documented operation requires the bearer token
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"bearer": []}], (path, method)


def test_openapi_documents_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "api.openapi":
            continue
        path = rule.rule.replace("<int:", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)


def test_ui_token_creation_shows_it_once_after_reauth(app, client, make_user, clock):
    user = make_user()
    login(client, user, clock)
    response = post_form(
        client, "/konto/tokens/neu", {"name": "Skript", "days": "30"}, form_url="/konto/tokens"
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "sst_" in text
    token = text.split("sst_", 1)[1].split("<", 1)[0]
    assert client.get("/api/v1/me", headers=bearer("sst_" + token)).status_code == 200
    assert "sst_" + token not in client.get("/konto/tokens").get_data(as_text=True)
    clock.advance(minutes=6)
    stale = post_form(
        client, "/konto/tokens/neu", {"name": "Zweites", "days": "30"}, form_url="/konto/tokens"
    )
    assert stale.status_code == 302 and stale.headers["Location"].startswith("/bestaetigen")
    clock.advance(seconds=30)
    post_form(
        client, "/bestaetigen", {"password": user.password, "code": current_code(user, clock)}
    )
    again = post_form(
        client, "/konto/tokens/neu", {"name": "Zweites", "days": "30"}, form_url="/konto/tokens"
    )
    assert "sst_" in again.get_data(as_text=True)


@pytest.mark.parametrize("action", ["deaktivieren", "zweiter-faktor-zuruecksetzen", "passwort"])
def test_account_resets_revoke_the_users_tokens(app, client, issue, login_as, action):
    """Recovering a compromised account must also shut out the intruder's API tokens."""
    user, token = issue()
    login_as(Role.ADMIN)
    data = {"new_password": "einmal passwort 2026"} if action == "passwort" else {}
    response = post_form(
        client,
        f"/verwaltung/benutzer/{user.id}/{action}",
        data,
        form_url=f"/verwaltung/benutzer/{user.id}",
    )
    assert response.status_code == 302
    if action == "deaktivieren":
        post_form(
            client,
            f"/verwaltung/benutzer/{user.id}/aktivieren",
            {},
            form_url=f"/verwaltung/benutzer/{user.id}",
        )
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
