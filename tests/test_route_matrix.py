"""Deny by default: every route × every role × anonymous (STYLE.md rule 2).

A new route without a declared permission fails ``test_every_endpoint_declares_access``; the
matrix then checks that the guard grants exactly what ROLE_PERMISSIONS says, and an explicit
table pins the expectations for the routes that matter most.
"""

from __future__ import annotations

import pytest

from servicestelle.permissions import ROLE_PERMISSIONS
from servicestelle.roles import Role
from servicestelle.security import LOGIN_FLOW_ENDPOINTS, PUBLIC_ENDPOINTS, required_permission
from tests.conftest import login

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def test_every_endpoint_declares_access(app):
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS
        and rule.endpoint not in LOGIN_FLOW_ENDPOINTS
        and required_permission(app, rule.endpoint) is None
    ]
    assert undeclared == []


def test_public_allowlist_is_small_and_exists(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints >= PUBLIC_ENDPOINTS
    assert endpoints >= LOGIN_FLOW_ENDPOINTS
    assert len(PUBLIC_ENDPOINTS) <= 7


def test_undeclared_endpoint_is_refused_for_everyone(app, client, login_as):
    app.add_url_rule("/vergessen", "forgotten", lambda: "secret data")
    assert client.get("/vergessen").status_code == 403
    login_as(Role.ADMIN)
    assert client.get("/vergessen").status_code == 403


def _requests(app, target_user_id):
    """(endpoint, method, url) for every route, with ids of a real other user."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            values = {}
            for argument in rule.arguments:
                values[argument] = target_user_id if argument == "user_id" else 999_999
            url = app.url_for(rule.endpoint, **values)
            for method in sorted(rule.methods - IGNORED_METHODS):
                yield rule.endpoint, method, url


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_route_matrix(app, client, make_user, clock, role):
    target = make_user(Role.COUNSELLOR, username="zielperson")
    headers = {}
    if role is not None:
        user = make_user(role)
        login(client, user, clock)
        from servicestelle.api.operations import create_token
        from servicestelle.auth.models import User
        from servicestelle.extensions import db

        with app.app_context():
            token = create_token(db.session.get(User, user.id), "matrix").plaintext
        headers = {"Authorization": f"Bearer {token}"}
    granted = ROLE_PERMISSIONS[role] if role else frozenset()
    checked = 0
    for endpoint, method, url in _requests(app, target.id):
        is_api = url.startswith("/api/")
        response = client.open(url, method=method, headers=headers if is_api else {})
        status = response.status_code
        where = f"{method} {url} as {role or 'anonymous'}: {status}"
        assert status < 500, where
        if endpoint in PUBLIC_ENDPOINTS:
            assert status not in (401, 403), where
        elif endpoint in LOGIN_FLOW_ENDPOINTS:
            # Without a half-finished login these pages only send you to the login.
            assert status == 302 and response.headers["Location"] == "/anmelden", where
        elif role is None:
            if is_api:
                assert status == 401 and response.is_json, where
            else:
                assert status == 302 and response.headers["Location"].startswith("/anmelden"), where
        elif required_permission(app, endpoint) in granted:
            assert status not in (401, 403), where
        else:
            assert status == 403, where
            if is_api:
                assert response.get_json()["error"]["code"] == "forbidden"
        checked += 1
    assert checked >= 20


# Pinned expectations, independent of ROLE_PERMISSIONS: who may open which page at all.
PINNED = {
    "/verwaltung/benutzer": {Role.ADMIN},
    "/api/v1/users": {Role.ADMIN},
    "/stadtteile": {Role.SUPERVISOR},
    "/api/v1/districts": {Role.COUNSELLOR, Role.SUPERVISOR},
    "/statistik": {Role.COUNSELLOR, Role.SUPERVISOR},
    "/statistik/neu": {Role.SUPERVISOR},
    "/api/v1/stats/releases": {Role.COUNSELLOR, Role.SUPERVISOR},
    "/": set(Role),
    "/konto/": set(Role),
}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_pinned_access(app, client, login_as, role):
    user = login_as(role)
    from servicestelle.api.operations import create_token
    from servicestelle.auth.models import User
    from servicestelle.extensions import db

    with app.app_context():
        token = create_token(db.session.get(User, user.id), "pinned").plaintext
    for url, allowed in PINNED.items():
        headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
        status = client.get(url, headers=headers).status_code
        assert (status == 200) is (role in allowed), f"{url} as {role}: {status}"
