"""Every audited action writes its entry: who, where, what, how it ended, which request.

The flows run through the web forms where there is one. Entries are read back from
``audit_entry`` and compared field by field; tests look at the entries written after a mark
(``head``), filtered by action, because scheduled checkpoints add entries of their own.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

import audit
from audit.checkpoint import stored_checkpoints
from servicestelle import audit_trail, create_app, settings_audit
from servicestelle.api.models import ApiToken
from servicestelle.api.operations import create_token
from servicestelle.auth import totp
from servicestelle.auth.models import LoginThrottle, User
from servicestelle.auth.operations import disable_user
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import SECRET, current_code, https_client, login, make_settings, post_form

WRONG_PASSWORD = "falsch falsch falsch"
#: The columns that hold hex digests by construction; they can carry no submitted text.
HEX_COLUMNS = {"prev_hash": 64, "entry_hash": 64, "request_id": 32}


# --- reading the log ----------------------------------------------------------------------


def head(app) -> int:
    """The newest sequence number (0 for an empty log)."""
    with app.app_context():
        return audit.head(db.session)[0]


def entries(app, *, after: int = 0, action: str | None = None) -> list[sa.Row]:
    statement = (
        sa.select(audit.audit_entry)
        .where(audit.audit_entry.c.seq > after)
        .order_by(audit.audit_entry.c.seq)
    )
    if action is not None:
        statement = statement.where(audit.audit_entry.c.action == action)
    with app.app_context():
        return list(db.session.execute(statement).all())


def one(app, action: str, *, after: int = 0) -> sa.Row:
    found = entries(app, after=after, action=action)
    assert len(found) == 1, [row.action for row in entries(app, after=after)]
    return found[0]


def described(row: sa.Row) -> dict[str, object]:
    """The fields a test states: everything but seq, time and the hashes."""
    return {
        "actor_id": row.actor_id,
        "role": row.role,
        "centre_id": row.centre_id,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "purpose": row.purpose,
        "outcome": row.outcome,
        "request_id": row.request_id,
        "details": json.loads(row.details),
    }


def expected(
    *,
    request_id: str | None,
    actor_id: int | None = None,
    role: str | None = None,
    centre_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    outcome: str = "success",
    details: dict[str, object] | None = None,
) -> dict[str, object]:
    return {
        "actor_id": actor_id,
        "role": role,
        "centre_id": centre_id,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "purpose": None,
        "outcome": outcome,
        "request_id": request_id,
        "details": details or {},
    }


def request_id(response) -> str:
    value = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", value), value
    return value


def text_columns(app) -> list[tuple[str, str]]:
    """(column, value) for every text value in the audit table."""
    with app.app_context():
        rows = db.session.execute(sa.select(audit.audit_entry)).mappings().all()
    return [(name, value) for row in rows for name, value in row.items() if isinstance(value, str)]


def assert_nowhere_in_log(app, *canaries: str) -> None:
    """No canary in any free text column; the digest columns hold nothing but hex."""
    for name, value in text_columns(app):
        if name in HEX_COLUMNS:
            assert re.fullmatch(f"[0-9a-f]{{{HEX_COLUMNS[name]}}}", value), (name, value)
            continue
        for canary in canaries:
            assert canary.lower() not in value.lower(), (name, value)


# --- web steps ----------------------------------------------------------------------------


def password_step(client, username, password):
    return post_form(client, "/anmelden", {"username": username, "password": password})


def code_step(client, code):
    return post_form(client, "/anmelden/zweiter-faktor", {"code": code})


def log_out(client, form_url="/"):
    return post_form(client, "/abmelden", {}, form_url=form_url)


def enrol(client, clock, user):
    """First login of a user without a second factor, up to the codes page."""
    response = password_step(client, user.username, user.password)
    assert response.headers["Location"] == "/anmelden/einrichten"
    page = client.get("/anmelden/einrichten").get_data(as_text=True)
    secret = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', page).group(1)
    seed = totp.seed_from_base32(secret)
    confirmed = post_form(
        client, "/anmelden/einrichten", {"code": totp.current_code(seed, clock.now())}
    )
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", confirmed.get_data(as_text=True))
    assert len(codes) == 10
    return confirmed, codes


def admin_post(client, target_id: int, action: str, data: dict[str, object]):
    return post_form(
        client,
        f"/verwaltung/benutzer/{target_id}/{action}",
        data,
        form_url=f"/verwaltung/benutzer/{target_id}",
    )


def other_centre(app) -> int:
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        return create_centre("ANDERE", "Andere Servicestelle").id


def issue_token(app, user_id: int) -> str:
    with app.app_context():
        return create_token(db.session.get(User, user_id), "test").plaintext


def wrong_code(user, clock) -> str:
    """A six-digit code that is none of the ones the second-factor step accepts now."""
    accepted = {
        totp.current_code(user.seed, clock.now() + timedelta(seconds=offset))
        for offset in (-60, -30, 0, 30)
    }
    return next(code for code in ("583914", "294716", "730452") if code not in accepted)


# --- login --------------------------------------------------------------------------------


def test_login_with_a_totp_code_is_audited_as_the_user(app, client, make_user, centre, clock):
    user = make_user(Role.COUNSELLOR, Role.SUPERVISOR)
    mark = head(app)
    clock.advance(seconds=30)
    password_step(client, user.username, user.password)
    # Passing the password step alone is no login and writes nothing.
    assert entries(app, after=mark) == []
    response = code_step(client, current_code(user, clock))

    assert response.status_code == 302
    assert described(one(app, "auth:login:success", after=mark)) == expected(
        request_id=request_id(response),
        actor_id=user.id,
        role="counsellor+supervisor",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        details={"method": "totp"},
    )


def test_first_login_enrolment_is_audited_then_the_login(app, client, make_user, centre, clock):
    user = make_user(Role.COUNSELLOR, enrolled=False)
    mark = head(app)
    confirmed, _ = enrol(client, clock, user)

    assert described(one(app, "auth:second_factor:enrol", after=mark)) == expected(
        request_id=request_id(confirmed),
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        details={"other_sessions_ended": 0},
    )
    assert not entries(app, after=mark, action="auth:login:success")  # codes not yet seen
    done = post_form(client, "/anmelden/einrichten/weiter", {})
    assert done.status_code == 302
    assert described(one(app, "auth:login:success", after=mark)) == expected(
        request_id=request_id(done),
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        details={"method": "enrolment"},
    )


def test_login_with_a_recovery_code_audits_the_use_and_the_login(
    app, client, make_user, centre, clock
):
    user = make_user(Role.COUNSELLOR, enrolled=False)
    _, codes = enrol(client, clock, user)
    post_form(client, "/anmelden/einrichten/weiter", {})
    log_out(client)
    mark = head(app)

    clock.advance(seconds=30)
    password_step(client, user.username, user.password)
    response = code_step(client, codes[0])

    assert response.status_code == 302
    rid = request_id(response)
    # Before the login is complete nobody is logged in: the user is the object, not the actor.
    assert described(one(app, "auth:recovery_code:use", after=mark)) == expected(
        request_id=rid,
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        details={"left": 9},
    )
    assert described(one(app, "auth:login:success", after=mark)) == expected(
        request_id=rid,
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        details={"method": "recovery_code"},
    )
    assert_nowhere_in_log(app, codes[0], codes[0].replace("-", ""))


def test_forced_password_change_is_audited_with_the_login(app, client, make_user, centre, clock):
    user = make_user(Role.COUNSELLOR, must_change_password=True)
    mark = head(app)
    clock.advance(seconds=30)
    password_step(client, user.username, user.password)
    assert code_step(client, current_code(user, clock)).status_code == 302
    assert not entries(app, after=mark, action="auth:login:success")
    new_password = "ein ganz neues passwort"
    response = post_form(
        client,
        "/anmelden/passwort-aendern",
        {"new_password": new_password, "confirm_password": new_password},
    )

    assert response.status_code == 302
    rid = request_id(response)
    assert described(one(app, "auth:password:change", after=mark)) == expected(
        request_id=rid,
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        details={"forced": True, "other_sessions_ended": 0},
    )
    assert described(one(app, "auth:login:success", after=mark)) == expected(
        request_id=rid,
        actor_id=user.id,
        role="counsellor",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        details={"method": "password_change"},
    )
    assert_nowhere_in_log(app, user.password, new_password)


def test_wrong_password_for_a_known_user_names_the_user_not_the_password(
    app, client, make_user, centre
):
    user = make_user(Role.COUNSELLOR)
    mark = head(app)
    canary = "Kanarienvogel Passwort 4711"
    response = password_step(client, user.username, canary)

    assert response.status_code == 200
    assert described(one(app, "auth:login:failure", after=mark)) == expected(
        request_id=request_id(response),
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        outcome="failure",
        details={"step": "password", "flow": "login", "known_account": True},
    )
    assert_nowhere_in_log(app, canary)


def test_unknown_username_is_audited_without_object_and_never_written(app, client, make_user):
    make_user(Role.COUNSELLOR)  # a log with entries before, so the scan has something to read
    mark = head(app)
    username, password = "kanarienvogel.unbekannt", "Kanarienvogel Geheimnis 0815"
    response = password_step(client, username.upper(), password)

    assert response.status_code == 200
    assert described(one(app, "auth:login:failure", after=mark)) == expected(
        request_id=request_id(response),
        outcome="failure",
        details={"step": "password", "flow": "login", "known_account": False},
    )
    assert_nowhere_in_log(app, username, password, "kanarienvogel")


def test_a_disabled_users_attempt_names_the_account(app, client, make_user, centre):
    """The answer is the one for an unknown name; the log tells the DPO whose account it was."""
    user = make_user(Role.COUNSELLOR)
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    mark = head(app)
    response = password_step(client, user.username, user.password)

    assert response.status_code == 200
    row = one(app, "auth:login:failure", after=mark)
    assert (row.object_type, row.object_id, json.loads(row.details)) == (
        "user",
        str(user.id),
        {"step": "password", "flow": "login", "known_account": True},
    )
    assert row.centre_id == centre


def test_wrong_code_at_the_second_factor_step_is_audited_without_the_code(
    app, client, make_user, centre, clock
):
    user = make_user(Role.COUNSELLOR)
    clock.advance(seconds=30)
    password_step(client, user.username, user.password)
    mark = head(app)
    code = wrong_code(user, clock)
    response = code_step(client, code)

    assert "Der Code ist falsch" in response.get_data(as_text=True)
    assert described(one(app, "auth:login:failure", after=mark)) == expected(
        request_id=request_id(response),
        centre_id=centre,
        object_type="user",
        object_id=user.id,
        outcome="failure",
        details={"step": "second_factor", "flow": "login", "known_account": True},
    )
    assert_nowhere_in_log(app, code)


@pytest.mark.parametrize("known", [True, False], ids=["known", "unknown"])
def test_the_failure_that_locks_the_account_is_audited_with_the_lock(
    app, client, make_user, centre, clock, known
):
    user = make_user(Role.COUNSELLOR)
    username = user.username if known else "niemand.bekannt"
    lock_after = app.extensions["servicestelle.settings"].account_throttle.lock_after
    mark = head(app)
    responses = []
    for _ in range(lock_after):
        clock.advance(seconds=61)  # past every growing delay, so each attempt is checked
        responses.append(password_step(client, username, WRONG_PASSWORD))
        assert responses[-1].status_code == 200

    failures = entries(app, after=mark, action="auth:login:failure")
    assert [row.request_id for row in failures] == [request_id(r) for r in responses]
    assert len(set(row.request_id for row in failures)) == lock_after
    lock = one(app, "auth:account:lock", after=mark)
    # The lock comes from the last failure: one request, one id, two entries.
    assert described(lock) == expected(
        request_id=request_id(responses[-1]),
        centre_id=centre if known else None,
        object_type="user" if known else None,
        object_id=user.id if known else None,
        details={"step": "password", "flow": "login", "scope": "account"},
    )
    assert lock.seq == failures[-1].seq + 1
    clock.advance(seconds=61)
    locked = password_step(client, username, user.password)
    assert locked.status_code == 429
    # A refused attempt is not checked, so it is neither a failure nor another lock.
    assert len(entries(app, after=mark, action="auth:login:failure")) == lock_after
    assert len(entries(app, after=mark, action="auth:account:lock")) == 1


def test_a_client_address_lock_does_not_claim_the_account_tried_last(app, client, make_user, clock):
    """Failures on many names from one address lock the address; the account tried at the
    moment of the lock failed once and is not locked, and the entry must not say it is."""
    policy = app.extensions["servicestelle.settings"].client_throttle
    user = make_user(Role.COUNSELLOR)
    mark = head(app)
    for number in range(policy.lock_after - 1):
        clock.advance(seconds=policy.max_delay_seconds + 1)
        assert password_step(client, f"niemand.{number}", WRONG_PASSWORD).status_code == 200
    assert entries(app, after=mark, action="auth:account:lock") == []
    clock.advance(seconds=policy.max_delay_seconds + 1)
    last = password_step(client, user.username, WRONG_PASSWORD)

    assert last.status_code == 200
    assert described(one(app, "auth:account:lock", after=mark)) == expected(
        request_id=request_id(last),
        details={"step": "password", "flow": "login", "scope": "client"},
    )
    # What the entry says is what happened: the address waits, the account does not.
    assert password_step(client, user.username, user.password).status_code == 429
    elsewhere = https_client(app, remote_addr="192.0.2.7")
    assert password_step(elsewhere, user.username, user.password).status_code == 302


def test_a_failure_locking_account_and_address_records_both_locks(
    app, client, make_user, centre, clock
):
    settings = app.extensions["servicestelle.settings"]
    account_locks_at = settings.account_throttle.lock_after
    client_locks_at = settings.client_throttle.lock_after
    user = make_user(Role.COUNSELLOR)
    mark = head(app)
    for number in range(client_locks_at - account_locks_at):
        clock.advance(seconds=61)  # past every growing delay of either key
        assert password_step(client, f"niemand.{number}", WRONG_PASSWORD).status_code == 200
    for _ in range(account_locks_at):
        clock.advance(seconds=61)
        last = password_step(client, user.username, WRONG_PASSWORD)
        assert last.status_code == 200

    locks = entries(app, after=mark, action="auth:account:lock")
    assert [described(row) for row in locks] == [
        expected(
            request_id=request_id(last),
            centre_id=centre,
            object_type="user",
            object_id=user.id,
            details={"step": "password", "flow": "login", "scope": "account"},
        ),
        expected(
            request_id=request_id(last),
            details={"step": "password", "flow": "login", "scope": "client"},
        ),
    ]


def test_logout_is_audited(app, client, make_user, centre, clock):
    user = make_user(Role.DPO)
    login(client, user, clock)
    mark = head(app)
    response = log_out(client)

    assert response.status_code == 302
    assert described(one(app, "auth:logout", after=mark)) == expected(
        request_id=request_id(response),
        actor_id=user.id,
        role="dpo",
        centre_id=centre,
        object_type="user",
        object_id=user.id,
    )
    # Logging out without a login writes nothing.
    mark = head(app)
    assert log_out(client, form_url="/anmelden").status_code == 302
    assert entries(app, after=mark) == []


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


# --- checkpoints --------------------------------------------------------------------------


def test_a_checkpoint_is_signed_on_the_first_entry_and_again_when_due(app, make_user, clock):
    make_user(Role.COUNSELLOR)

    first = entries(app)
    assert [row.action for row in first] == [
        "org:centre:create",  # the centre fixture: the first entry of the log
        "audit:checkpoint:create",
        "user:account:create",
    ]
    with app.app_context():
        key_id = audit_trail.public_key_id()
        public = audit_trail.public_key()
        stored = stored_checkpoints(db.session)
    assert [(c.seq, c.head_hash, c.signed_at) for c in stored] == [
        (1, first[0].entry_hash, clock.now())
    ]
    assert stored[0].is_signed_by(public)
    assert described(first[1]) == expected(
        request_id=None,
        role="operator",  # written outside a request, like every command-line action
        object_type="audit_checkpoint",
        object_id=1,
        details={"seq": 1, "key_id": key_id},
    )

    minutes = app.extensions["servicestelle.settings"].audit_checkpoint_minutes
    clock.advance(minutes=minutes, seconds=-1)
    make_user(Role.COUNSELLOR)
    assert len(entries(app, action="audit:checkpoint:create")) == 1
    clock.advance(seconds=1)
    make_user(Role.COUNSELLOR)

    checkpoints = entries(app, action="audit:checkpoint:create")
    assert len(checkpoints) == 2
    created = entries(app, action="user:account:create")
    assert checkpoints[1].seq == created[-1].seq + 1
    assert json.loads(checkpoints[1].details) == {"seq": created[-1].seq, "key_id": key_id}
    with app.app_context():
        latest = audit.latest_checkpoint(db.session)
        verdict = audit.verify(db.session, public)
    assert (latest.seq, latest.head_hash) == (created[-1].seq, created[-1].entry_hash)
    assert verdict.intact and verdict.checkpoints == 2, verdict.summary()


def test_no_scheduled_checkpoint_when_switched_off(tmp_path, backend, clock):
    from servicestelle.auth.operations import create_user
    from servicestelle.centres.operations import create_centre

    app = create_app(make_settings(tmp_path, backend.url, audit_checkpoint_minutes=0), clock=clock)
    try:
        with app.app_context():
            centre = create_centre("AUS", "Ohne Checkpoints")
            create_user(
                centre=centre,
                username="anna",
                display_name="",
                password="korrekt pferd batterie heftklammer",
                roles=[Role.COUNSELLOR],
            )
        assert [row.action for row in entries(app)] == ["org:centre:create", "user:account:create"]
        with app.app_context():
            assert audit.latest_checkpoint(db.session) is None
    finally:
        with app.app_context():
            db.engine.dispose()


# --- settings -----------------------------------------------------------------------------


def test_settings_changes_are_audited_by_name_never_by_value(app, backend, tmp_path, clock):
    with app.app_context():
        first = settings_audit.record_changes()
        again = settings_audit.record_changes()

    assert {"secret_key", "database_url", "session_idle_minutes", "audit_signing_key"} <= set(first)
    assert "instance_path" not in first
    assert again == []
    started = entries(app, action="system:settings:change")
    assert sorted(name for row in started for name in json.loads(row.details)["changed"]) == sorted(
        first
    )
    assert all(json.loads(row.details)["first_start"] is True for row in started)

    changed_app = create_app(
        make_settings(tmp_path, backend.url, session_idle_minutes=20), clock=clock
    )
    try:
        with changed_app.app_context():
            assert settings_audit.record_changes() == ["session_idle_minutes"]
    finally:
        with changed_app.app_context():
            db.engine.dispose()

    after_change = entries(app, action="system:settings:change")
    assert len(after_change) == len(started) + 1
    assert described(after_change[-1]) == expected(
        request_id=None,
        role="operator",
        object_type="instance",
        details={"changed": ["session_idle_minutes"], "first_start": False},
    )
    password = sa.make_url(backend.url).password
    secrets_ = [SECRET.decode(), SECRET.hex(), backend.url, str(tmp_path)]
    assert_nowhere_in_log(app, *secrets_, *([password] if password else []))
    with app.app_context():
        facts = db.session.execute(sa.text("SELECT key, value FROM instance_facts")).all()
    assert not [fact for fact in facts for s in secrets_ if s in fact.value]


def test_a_changed_database_password_is_audited_and_never_written(app, monkeypatch):
    """The password is part of the database URL's fingerprint (keyed, so the stored digest
    cannot be used to test guesses offline) and appears nowhere."""
    base = app.extensions["servicestelle.settings"]
    old_url = "postgresql+psycopg://servicestelle:Kanarienvogel-alt@db.example:5432/servicestelle"
    new_url = old_url.replace("Kanarienvogel-alt", "Kanarienvogel-neu")
    with app.app_context():
        monkeypatch.setitem(
            app.extensions, "servicestelle.settings", base.with_changes(database_url=old_url)
        )
        settings_audit.record_changes()
        monkeypatch.setitem(
            app.extensions, "servicestelle.settings", base.with_changes(database_url=new_url)
        )
        changed = settings_audit.record_changes()
        facts = db.session.execute(sa.text("SELECT key, value FROM instance_facts")).all()

    assert changed == ["database_url"]
    assert json.loads(entries(app, action="system:settings:change")[-1].details) == {
        "changed": ["database_url"],
        "first_start": False,
    }
    assert_nowhere_in_log(app, "Kanarienvogel")
    assert not [fact for fact in facts if "Kanarienvogel" in fact.key + fact.value]


def test_the_database_url_fingerprint_is_keyed_with_the_secret_key(app):
    """Without the secret key, a stored fingerprint cannot be matched against guesses."""
    url = "postgresql+psycopg://servicestelle:geheim@db.example/servicestelle"
    settings = app.extensions["servicestelle.settings"].with_changes(database_url=url)
    with app.app_context():
        first = settings_audit.fingerprints(settings)
        again = settings_audit.fingerprints(settings)
        other_key = settings_audit.fingerprints(settings.with_changes(secret_key=SECRET[::-1]))

    assert first == again
    assert first["database_url"] != other_key["database_url"]


# --- atomicity ----------------------------------------------------------------------------


def refuse_audit_inserts(backend) -> None:
    """Make the database refuse every new audit entry (as the table owner could)."""
    engine = sa.create_engine(backend.owner_url)
    with engine.begin() as connection:
        if backend.name == "sqlite":
            connection.execute(
                sa.text(
                    "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_entry "
                    "BEGIN SELECT RAISE(ABORT, 'boom'); END"
                )
            )
        else:
            connection.execute(
                sa.text(
                    "CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'boom'; END $$"
                )
            )
            connection.execute(
                sa.text(
                    "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_entry "
                    "FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()"
                )
            )
    engine.dispose()


def assert_generic_error_page(response) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Es wurde nichts gespeichert." in page
    assert "Traceback" not in page and "boom" not in page and "audit_entry" not in page
    # The one place the request id is shown: for the support to find the log line.
    assert request_id(response) in page


def count(app, statement) -> int:
    with app.app_context():
        return int(db.session.scalar(statement))


def test_user_creation_fails_as_a_whole_when_its_entry_cannot_be_written(
    app, client, backend, login_as
):
    login_as(Role.ADMIN)
    users_before = count(app, sa.select(sa.func.count()).select_from(User))
    mark = head(app)
    refuse_audit_inserts(backend)
    response = post_form(
        client,
        "/verwaltung/benutzer/neu",
        {"username": "ohne.protokoll", "password": "erstes passwort fuer dich", "roles": ["dpo"]},
    )

    assert_generic_error_page(response)
    assert count(app, sa.select(sa.func.count()).select_from(User)) == users_before
    assert count(app, sa.text("SELECT count(*) FROM user_roles")) == users_before
    assert head(app) == mark


def test_token_creation_fails_as_a_whole_when_its_entry_cannot_be_written(
    app, client, backend, make_user, clock
):
    user = make_user(Role.COUNSELLOR)
    login(client, user, clock)
    refuse_audit_inserts(backend)
    response = post_form(
        client, "/konto/tokens/neu", {"name": "Skript", "days": "30"}, form_url="/konto/tokens"
    )

    assert_generic_error_page(response)
    assert "sst_" not in response.get_data(as_text=True)
    assert count(app, sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_a_failed_login_is_counted_even_when_its_entry_cannot_be_written(
    app, client, backend, make_user
):
    """A broken audit log must not switch the throttle off (every guess would end before
    its failure was counted): the failure is counted on its own, the request still fails."""
    user = make_user(Role.COUNSELLOR)
    mark = head(app)
    refuse_audit_inserts(backend)
    response = password_step(client, user.username, WRONG_PASSWORD)

    assert_generic_error_page(response)
    assert head(app) == mark
    with app.app_context():
        rows = db.session.execute(
            sa.select(LoginThrottle.failures, LoginThrottle.in_flight_until)
        ).all()
    # One row per throttle key (account and client address), each counted once, claim released.
    assert sorted(row.failures for row in rows) == [1, 1], rows
    assert all(row.in_flight_until is None for row in rows), rows


def test_a_denial_that_cannot_be_audited_is_not_answered_with_the_page(
    app, client, backend, login_as
):
    login_as(Role.COUNSELLOR)
    refuse_audit_inserts(backend)
    response = client.get("/verwaltung/benutzer")

    assert_generic_error_page(response)


# --- request ids --------------------------------------------------------------------------


def test_entries_carry_the_id_of_their_request_and_only_error_pages_show_it(
    app, client, make_user, centre, clock
):
    user = make_user(Role.COUNSELLOR, enrolled=False)
    _, codes = enrol(client, clock, user)
    post_form(client, "/anmelden/einrichten/weiter", {})
    log_out(client)
    mark = head(app)
    clock.advance(seconds=30)
    password_step(client, user.username, user.password)
    response = code_step(client, codes[1])
    page = client.get("/konto/")

    used = one(app, "auth:recovery_code:use", after=mark)
    logged_in = one(app, "auth:login:success", after=mark)
    assert used.request_id == logged_in.request_id == request_id(response)
    logout = log_out(client)
    logged_out = one(app, "auth:logout", after=mark)
    assert logged_out.request_id == request_id(logout) != logged_in.request_id
    # An ordinary page does not put the id into its body.
    assert page.status_code == 200
    assert request_id(page) not in page.get_data(as_text=True)
