"""Audited authorisation denials: refused pages and API calls, objects out of scope (another
centre's user or token), how often repeats are written, and what writes nothing.

Entries are read back as test_audit_events.py describes (helpers: tests/support/audit_log.py).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from servicestelle.api.models import ApiToken
from servicestelle.auth.models import User
from servicestelle.auth.operations import disable_user
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import https_client, login, post_form
from tests.support.audit_log import (
    described,
    entries,
    expected,
    head,
    issue_token,
    one,
    request_id,
)


def other_centre(app) -> int:
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        return create_centre("ANDERE", "Andere Servicestelle").id


# --- authorisation ------------------------------------------------------------------------


def test_a_refused_page_is_audited_as_denied(app, client, login_as, centre):
    user = login_as(Role.COUNSELLOR, Role.SUPERVISOR)
    mark = head(app)
    response = client.get("/verwaltung/benutzer")

    assert response.status_code == 403
    assert described(one(app, "access:request:deny", after=mark)) == expected(
        request_id=request_id(response),
        actor_id=user.id,
        role="counsellor+supervisor",
        centre_id=centre,
        object_type="endpoint",
        object_id="admin.users",
        outcome="denied",
        details={
            "endpoint": "admin.users",
            "method": "GET",
            "permission": "users:read",
            "reason": "permission",
        },
    )


def test_a_refused_api_call_is_audited_as_denied(app, client, make_user, centre):
    user = make_user(Role.DPO)
    token = issue_token(app, user.id)
    mark = head(app)
    response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 403
    assert described(one(app, "access:request:deny", after=mark)) == expected(
        request_id=request_id(response),
        actor_id=user.id,
        role="dpo",
        centre_id=centre,
        object_type="endpoint",
        object_id="api.list_users",
        outcome="denied",
        details={
            "endpoint": "api.list_users",
            "method": "GET",
            "permission": "users:read",
            "reason": "permission",
        },
    )


def test_another_centres_user_is_404_and_the_attempt_is_audited(
    app, client, login_as, make_user, centre
):
    admin = login_as(Role.ADMIN)
    foreign_centre = other_centre(app)
    foreign = make_user(Role.COUNSELLOR, centre_id=foreign_centre)
    mark = head(app)
    seen = client.get(f"/verwaltung/benutzer/{foreign.id}")
    changed = post_form(
        client,
        f"/verwaltung/benutzer/{foreign.id}/deaktivieren",
        {},
        form_url="/verwaltung/benutzer",
    )

    assert (seen.status_code, changed.status_code) == (404, 404)
    denials = entries(app, after=mark, action="access:request:deny")
    assert [described(row) for row in denials] == [
        expected(
            request_id=request_id(seen),
            actor_id=admin.id,
            role="admin",
            # Where the object lives: its centre's DPO sees the probe, and the prober's
            # centre does not learn from its own log that the id exists.
            centre_id=foreign_centre,
            object_type="user",
            object_id=foreign.id,
            outcome="denied",
            details={
                "endpoint": "admin.user_detail",
                "method": "GET",
                "permission": None,
                "reason": "out_of_scope",
            },
        ),
        expected(
            request_id=request_id(changed),
            actor_id=admin.id,
            role="admin",
            centre_id=foreign_centre,
            object_type="user",
            object_id=foreign.id,
            outcome="denied",
            details={
                "endpoint": "admin.disable",
                "method": "POST",
                "permission": None,
                "reason": "out_of_scope",
            },
        ),
    ]
    assert entries(app, after=mark, action="user:account:disable") == []
    # A user id that exists nowhere is a plain 404: nothing was tried on anybody.
    mark = head(app)
    assert client.get(f"/verwaltung/benutzer/{foreign.id + 100}").status_code == 404
    assert entries(app, after=mark) == []


def test_repeated_denials_are_audited_once_a_minute_per_endpoint(
    app, client, login_as, make_user, clock, caplog
):
    """A loop of refused requests must not fill the log: one entry per actor and endpoint
    a minute; every repeat is still refused and counted in the application log."""
    user = login_as(Role.COUNSELLOR)
    mark = head(app)

    def denials() -> list[tuple[str, str]]:
        rows = entries(app, after=mark, action="access:request:deny")
        return [(row.object_type, row.object_id) for row in rows]

    with caplog.at_level(logging.INFO, logger="servicestelle.security"):
        answers = [client.get("/verwaltung/benutzer").status_code for _ in range(5)]
    assert answers == [403] * 5
    assert denials() == [("endpoint", "admin.users")]
    repeats = [r.getMessage() for r in caplog.records if "not audited" in r.getMessage()]
    assert (
        repeats
        == [
            f"access denied again, not audited: user_id={user.id} endpoint=admin.users "
            "reason=permission"
        ]
        * 4
    )
    assert user.username not in caplog.text

    # The window runs from the entry, not from the latest repeat.
    clock.advance(seconds=59)
    assert client.get("/verwaltung/benutzer").status_code == 403
    assert denials() == [("endpoint", "admin.users")]
    clock.advance(seconds=2)
    assert client.get("/verwaltung/benutzer").status_code == 403
    assert denials() == [("endpoint", "admin.users")] * 2

    # Another endpoint is another entry, also when asked for through an API token.
    assert client.get("/verwaltung/benutzer/neu").status_code == 403
    token = issue_token(app, user.id)
    for _ in range(3):
        response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403
    assert denials() == [
        ("endpoint", "admin.users"),
        ("endpoint", "admin.users"),
        ("endpoint", "admin.create_user"),
        ("endpoint", "api.list_users"),
    ]
    # Each actor has their own window.
    other = https_client(app)
    login(other, make_user(Role.COUNSELLOR), clock)
    assert other.get("/verwaltung/benutzer").status_code == 403
    assert len(denials()) == 5


def test_probing_objects_out_of_scope_is_audited_once_a_minute_per_object(
    app, client, login_as, make_user, clock
):
    """Repeats on one object are suppressed like permission denials; every further object
    probed is an entry of its own, since each may concern another centre's DPO."""
    login_as(Role.ADMIN)
    foreign_centre = other_centre(app)
    first, second = (make_user(Role.COUNSELLOR, centre_id=foreign_centre) for _ in range(2))
    mark = head(app)
    answers = [client.get(f"/verwaltung/benutzer/{first.id}").status_code for _ in range(3)]
    answers.append(client.get(f"/verwaltung/benutzer/{second.id}").status_code)

    assert answers == [404] * 4
    denials = entries(app, after=mark, action="access:request:deny")
    assert [(row.object_type, row.object_id, row.centre_id) for row in denials] == [
        ("user", str(first.id), foreign_centre),
        ("user", str(second.id), foreign_centre),
    ]
    clock.advance(seconds=61)
    assert client.get(f"/verwaltung/benutzer/{first.id}").status_code == 404
    assert len(entries(app, after=mark, action="access:request:deny")) == 3


def test_touching_someone_elses_token_is_404_and_audited(app, client, make_user, clock):
    """Through the account pages and the API alike; an id that exists nowhere stays a plain
    404 without entry (nothing was tried on anybody)."""
    user = make_user(Role.COUNSELLOR)
    foreign_centre = other_centre(app)
    owner = make_user(Role.COUNSELLOR, centre_id=foreign_centre)
    issue_token(app, owner.id)
    with app.app_context():
        their_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == owner.id))
    headers = {"Authorization": f"Bearer {issue_token(app, user.id)}"}
    login(client, user, clock)
    mark = head(app)
    revoked_in_ui = post_form(
        client, f"/konto/tokens/{their_id}/widerrufen", {}, form_url="/konto/tokens"
    )
    renamed = client.patch(f"/api/v1/tokens/{their_id}", headers=headers, json={"name": "meins"})
    revoked = client.delete(f"/api/v1/tokens/{their_id}", headers=headers)

    assert (revoked_in_ui.status_code, renamed.status_code, revoked.status_code) == (404,) * 3
    denials = entries(app, after=mark, action="access:request:deny")
    assert [described(row) for row in denials] == [
        expected(
            request_id=request_id(response),
            actor_id=user.id,
            role="counsellor",
            centre_id=foreign_centre,  # the owner's centre: theirs is the token that was tried
            object_type="api_token",
            object_id=their_id,
            outcome="denied",
            details={
                "endpoint": endpoint,
                "method": method,
                "permission": None,
                "reason": "out_of_scope",
            },
        )
        for response, endpoint, method in (
            (revoked_in_ui, "account.revoke_token", "POST"),
            (renamed, "api.rename_token", "PATCH"),
            (revoked, "api.revoke_token", "DELETE"),
        )
    ]
    assert entries(app, after=mark, action="api:token:revoke") == []
    assert entries(app, after=mark, action="api:token:rename") == []
    with app.app_context():
        theirs = db.session.get(ApiToken, their_id)
        assert (theirs.revoked_at, theirs.name) == (None, "test")

    mark = head(app)
    missing = their_id + 100
    answers = [
        post_form(
            client, f"/konto/tokens/{missing}/widerrufen", {}, form_url="/konto/tokens"
        ).status_code,
        client.patch(f"/api/v1/tokens/{missing}", headers=headers, json={"name": "x"}).status_code,
        client.delete(f"/api/v1/tokens/{missing}", headers=headers).status_code,
    ]
    assert answers == [404] * 3
    assert entries(app, after=mark) == []


def test_operator_actions_are_filed_under_the_objects_centre(app, make_user, clock):
    """Without an actor (the command line) there is no actor's centre to fall back on; an
    entry without centre would be shown to every centre's DPO."""
    foreign_centre = other_centre(app)
    user = make_user(Role.COUNSELLOR, centre_id=foreign_centre)
    mark = head(app)
    issue_token(app, user.id)  # outside a request, as `servicestelle tokens create` does
    with app.app_context():
        disable_user(None, db.session.get(User, user.id))

    for action in ("api:token:create", "user:account:disable"):
        row = one(app, action, after=mark)
        assert (row.role, row.actor_id, row.centre_id) == ("operator", None, foreign_centre)


def test_anonymous_requests_to_protected_pages_write_nothing(app, client, make_user):
    user = make_user(Role.ADMIN)
    mark = head(app)
    answers = [
        client.get("/").status_code,
        client.get("/verwaltung/benutzer").status_code,
        client.get(f"/verwaltung/benutzer/{user.id}").status_code,
        client.get("/konto/tokens").status_code,
        client.get("/anmelden/zweiter-faktor").status_code,
        client.get("/api/v1/users").status_code,
        client.get("/api/v1/me", headers={"Authorization": "Bearer sst_unbekannt"}).status_code,
        client.delete("/api/v1/tokens/1").status_code,
    ]

    assert answers == [302, 302, 302, 302, 302, 401, 401, 401]
    assert entries(app, after=mark) == []
