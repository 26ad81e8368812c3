"""Every audited action writes its entry: who, where, what, how it ended, which request.
Here: logins, their failures and locks, logout, and the request id every entry carries.
Account changes are in test_audit_events_accounts.py, denials in test_audit_events_access.py,
checkpoints, settings and atomicity in test_audit_events_system.py.

The flows run through the web forms where there is one. Entries are read back from
``audit_entry`` and compared field by field; tests look at the entries written after a mark
(``head``), filtered by action, because scheduled checkpoints add entries of their own.
The helpers are in tests/support/audit_log.py.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

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
    one,
    password_step,
    request_id,
)


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
