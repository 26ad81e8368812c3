"""The login steps: password, second factor, enrolment, forced change, throttling."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from servicestelle.auth import throttle, totp
from servicestelle.auth.models import RecoveryCode, User
from servicestelle.config import OWASP_FLOOR, ThrottlePolicy
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import SECRET, current_code, https_client, login, post_form
from tests.support.html import csrf_token

LOGIN_FAILED = "Benutzername oder Passwort ist falsch."
THROTTLED = "Zu viele Fehlversuche"


def password_step(client, username, password):
    return post_form(client, "/anmelden", {"username": username, "password": password})


def code_step(client, code):
    return post_form(client, "/anmelden/zweiter-faktor", {"code": code})


def is_logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_password_alone_does_not_log_in(client, make_user):
    user = make_user()
    response = password_step(client, user.username, user.password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/anmelden/zweiter-faktor"
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].startswith("/anmelden")


def test_full_login_and_logout(client, make_user, clock):
    user = make_user()
    login(client, user, clock)
    assert is_logged_in(client)
    response = post_form(client, "/abmelden", {}, form_url="/")
    assert response.status_code == 302 and response.headers["Location"] == "/anmelden"
    assert "Sie sind abgemeldet." in client.get("/anmelden").get_data(as_text=True)
    assert not is_logged_in(client)


def test_unknown_user_and_wrong_password_answer_identically(client, make_user):
    user = make_user()
    wrong = password_step(client, user.username, "falsches passwort 2026")
    unknown = password_step(client, "niemand", "falsches passwort 2026")
    unknown_with_real_password = password_step(client, "x" * 64, user.password)
    for response in (wrong, unknown, unknown_with_real_password):
        assert response.status_code == 200
        assert LOGIN_FAILED in response.get_data(as_text=True)

    def stripped(response):  # the pages differ only by their CSRF tokens and nonces
        text = response.get_data(as_text=True)
        text = re.sub(r'value="[^"]{40,}"', "", text)
        return re.sub(r'name="username"[^>]*>', "", text)

    assert stripped(wrong) == stripped(unknown)


def test_disabled_user_cannot_log_in(app, client, make_user):
    user = make_user()
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    response = password_step(client, user.username, user.password)
    assert LOGIN_FAILED in response.get_data(as_text=True)


def test_username_is_case_insensitive(client, make_user, clock):
    user = make_user(username="maria.schmidt")
    clock.advance(seconds=30)
    response = password_step(client, "  Maria.Schmidt ", user.password)
    assert response.headers["Location"] == "/anmelden/zweiter-faktor"


def test_wrong_code_refused(client, make_user, clock):
    user = make_user()
    password_step(client, user.username, user.password)
    good = current_code(user, clock)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    response = code_step(client, bad)
    assert response.status_code == 200
    assert "Der Code ist falsch" in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_replayed_code_refused(app, client, make_user, clock):
    user = make_user()
    login(client, user, clock)  # uses the code of the current step
    code = current_code(user, clock)
    second = https_client(app)
    password_step(second, user.username, user.password)
    response = code_step(second, code)
    assert "Der Code ist falsch" in response.get_data(as_text=True)
    assert second.get("/").status_code == 302


def test_code_of_previous_step_accepted_but_two_steps_ago_refused(client, make_user, clock):
    user = make_user()
    previous = current_code(user, clock)
    clock.advance(seconds=30)
    password_step(client, user.username, user.password)
    assert code_step(client, previous).status_code == 302
    assert is_logged_in(client)

    other = make_user()
    old = current_code(other, clock)
    clock.advance(seconds=60)
    client2 = https_client(client.application)
    password_step(client2, other.username, other.password)
    response = code_step(client2, old)
    assert "Der Code ist falsch" in response.get_data(as_text=True)


def _enrol(client, clock, username, password):
    """First login of a user without a second factor; returns (seed, recovery codes)."""
    response = password_step(client, username, password)
    assert response.headers["Location"] == "/anmelden/einrichten"
    page = client.get("/anmelden/einrichten").get_data(as_text=True)
    assert "<svg" in page  # the QR code, rendered on the server
    secret = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', page).group(1)
    seed = totp.seed_from_base32(secret)
    response = post_form(
        client, "/anmelden/einrichten", {"code": totp.current_code(seed, clock.now())}
    )
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", response.get_data(as_text=True))
    return seed, codes


def test_first_login_enrols_second_factor_and_shows_ten_recovery_codes(
    app, client, make_user, clock
):
    user = make_user(enrolled=False)
    seed, codes = _enrol(client, clock, user.username, user.password)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert not is_logged_in(client)  # not before the codes page was confirmed
    response = post_form(
        client, "/anmelden/einrichten/weiter", {}, form_url="/anmelden/einrichten/weiter"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert is_logged_in(client)
    with app.app_context():
        stored = db.session.scalars(
            select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
        ).all()
        assert len(stored) == 10
        assert not set(codes) & set(stored)  # only hashes are stored
        fresh = db.session.get(User, user.id)
        assert fresh.totp_secret_sealed is not None and seed not in fresh.totp_secret_sealed


def test_enrolment_refuses_a_wrong_code(client, make_user, clock):
    user = make_user(enrolled=False)
    password_step(client, user.username, user.password)
    response = post_form(client, "/anmelden/einrichten", {"code": "000000"})
    assert "Der Code ist falsch" in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_recovery_code_works_once(app, client, make_user, clock):
    user = make_user(enrolled=False)
    _, codes = _enrol(client, clock, user.username, user.password)
    post_form(client, "/anmelden/einrichten/weiter", {}, form_url="/anmelden/einrichten/weiter")
    post_form(client, "/abmelden", {}, form_url="/")

    clock.advance(seconds=30)
    password_step(client, user.username, user.password)
    response = code_step(client, codes[3].upper().replace("-", " "))  # as someone might type it
    assert response.status_code == 302
    assert is_logged_in(client)
    post_form(client, "/abmelden", {}, form_url="/")

    password_step(client, user.username, user.password)
    response = code_step(client, codes[3])
    assert "Der Code ist falsch" in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_login_with_weaker_hash_rehashes(app, client, make_user, clock):
    user = make_user()
    from servicestelle.auth.passwords import PasswordService

    with app.app_context():
        row = db.session.get(User, user.id)
        row.password_hash = PasswordService(
            type(OWASP_FLOOR)(time_cost=1, memory_cost_kib=512, parallelism=1), 1
        ).hash(user.password)
        db.session.commit()
        weak = row.password_hash
    login(client, user, clock)
    with app.app_context():
        upgraded = db.session.get(User, user.id).password_hash
    assert weak != upgraded
    assert "m=512,t=1,p=1" in weak and "m=1024,t=1,p=1" in upgraded


def test_forced_password_change_at_first_login(client, make_user, clock):
    user = make_user(must_change_password=True)
    password_step(client, user.username, user.password)
    response = code_step(client, current_code(user, clock))
    assert response.headers["Location"] == "/anmelden/passwort-aendern"
    assert not is_logged_in(client)
    response = post_form(
        client,
        "/anmelden/passwort-aendern",
        {"new_password": user.password, "confirm_password": user.password},
    )
    assert "unterscheiden" in response.get_data(as_text=True)
    response = post_form(
        client,
        "/anmelden/passwort-aendern",
        {"new_password": "ein ganz neues passwort", "confirm_password": "ein ganz neues passwort"},
    )
    assert response.status_code == 302
    assert is_logged_in(client)


def test_safe_next_is_honoured_and_foreign_next_ignored(client, make_user, clock):
    user = make_user()
    first = client.get("/konto/")
    assert first.headers["Location"] == "/anmelden?next=/konto/"
    clock.advance(seconds=30)
    response = post_form(
        client,
        "/anmelden?next=/konto/",
        {"username": user.username, "password": user.password, "next": "/konto/"},
    )
    response = code_step(client, current_code(user, clock))
    assert response.headers["Location"] == "/konto/"
    post_form(client, "/abmelden", {}, form_url="/")
    clock.advance(seconds=30)
    post_form(
        client,
        "/anmelden",
        {"username": user.username, "password": user.password, "next": "//evil.example/"},
    )
    response = code_step(client, current_code(user, clock))
    assert response.headers["Location"] == "/"


def test_pending_login_expires(client, make_user, clock):
    user = make_user()
    password_step(client, user.username, user.password)
    token = csrf_token(client.get("/anmelden/zweiter-faktor").get_data(as_text=True))
    clock.advance(minutes=6)
    assert client.get("/anmelden/zweiter-faktor").headers["Location"] == "/anmelden"
    response = client.post(
        "/anmelden/zweiter-faktor",
        data={"csrf_token": token, "code": current_code(user, clock)},
        headers={"Referer": "https://localhost/anmelden/zweiter-faktor"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/anmelden"
    assert not is_logged_in(client)


# --- throttling -----------------------------------------------------------------------


def test_growing_delays_then_lock_then_unlock(client, make_user, clock):
    user = make_user()
    # Three free failures, then waits of 2, 4, 8, … seconds before the next attempt.
    for _ in range(3):
        assert password_step(client, user.username, "falsch falsch falsch").status_code == 200
    assert password_step(client, user.username, "falsch falsch falsch").status_code == 200
    # The 4th failure imposed 2 s: an immediate attempt, even with the right password, waits.
    response = password_step(client, user.username, user.password)
    assert response.status_code == 429
    assert THROTTLED in response.get_data(as_text=True)
    clock.advance(seconds=2)
    assert password_step(client, user.username, "falsch falsch falsch").status_code == 200  # 5th
    clock.advance(seconds=3)
    assert password_step(client, user.username, user.password).status_code == 429  # waits 4 s
    # Keep failing (waiting out each delay) until the 10th failure locks the account.
    failures = 5
    while failures < 10:
        clock.advance(seconds=61)
        assert password_step(client, user.username, "falsch falsch falsch").status_code == 200
        failures += 1
    # Locked for 15 minutes from the 10th failure, although the delay alone would be over.
    clock.advance(seconds=61)
    locked = password_step(client, user.username, user.password)
    assert locked.status_code == 429
    clock.advance(minutes=13)
    assert password_step(client, user.username, user.password).status_code == 429
    clock.advance(minutes=1)
    response = password_step(client, user.username, user.password)
    assert response.status_code == 302  # the lock has ended


def test_unknown_usernames_are_throttled_alike(client, make_user, clock):
    """Locking works per submitted name, so it cannot reveal which names exist."""
    real = make_user(username="echt")
    answers = {}
    for name in ("echt", "erfunden"):
        for _ in range(4):
            password_step(client, name, "falsch falsch falsch")
        response = password_step(client, name, "falsch falsch falsch")
        answers[name] = (response.status_code, THROTTLED in response.get_data(as_text=True))
    assert answers["echt"] == answers["erfunden"] == (429, True)
    assert real.username == "echt"


def test_success_resets_the_account_counter(client, make_user, clock):
    user = make_user()
    for _ in range(3):
        password_step(client, user.username, "falsch falsch falsch")
    login(client, user, clock)
    post_form(client, "/abmelden", {}, form_url="/")
    for _ in range(3):  # three free failures again, no delay yet
        assert password_step(client, user.username, "falsch falsch falsch").status_code == 200
    assert password_step(client, user.username, "falsch falsch falsch").status_code == 200


def test_client_address_is_throttled_across_usernames(client, make_user, clock):
    user = make_user()
    for index in range(10):
        assert password_step(client, f"name{index}", "falsch falsch falsch").status_code == 200
    # 11th failure from this address: every further attempt from it has to wait.
    password_step(client, "name10", "falsch falsch falsch")
    response = password_step(client, user.username, user.password)
    assert response.status_code == 429
    other = https_client(client.application, "192.0.2.7")
    assert password_step(other, user.username, user.password).status_code == 302


def test_a_failure_reports_which_keys_it_locked(app, clock):
    """The account and the client address lock independently; the outcome says which did,
    so that a lock of the address is never recorded as a lock of the account."""

    def policy(lock_after: int) -> ThrottlePolicy:
        return ThrottlePolicy(
            free_failures=100,
            base_delay_seconds=1,
            max_delay_seconds=1,
            lock_after=lock_after,
            lock_seconds=60,
            max_lock_seconds=60,
            forget_after_seconds=3600,
        )

    keys = [
        throttle.make_key(SECRET, throttle.ACCOUNT, "anna", policy(lock_after=3)),
        throttle.make_key(SECRET, throttle.CLIENT, "192.0.2.1", policy(lock_after=2)),
    ]
    with app.app_context():
        outcomes = [throttle.record_failure(keys, clock.now()) for _ in range(6)]
        db.session.commit()

    account, client = frozenset({throttle.ACCOUNT}), frozenset({throttle.CLIENT})
    assert [outcome.locked_scopes for outcome in outcomes] == [
        frozenset(),
        client,
        account,
        client,
        frozenset(),
        account | client,
    ]
    assert [outcome.locked for outcome in outcomes] == [False, True, True, True, False, True]


def test_wrong_codes_count_towards_the_account_lock(client, make_user, clock):
    user = make_user()
    password_step(client, user.username, user.password)
    for _ in range(4):
        code_step(client, "000000")
    response = code_step(client, current_code(user, clock))
    assert response.status_code == 429


def test_throttle_stores_no_usernames_or_addresses(app, client, make_user):
    from servicestelle.auth.models import LoginThrottle

    password_step(client, "geheimer.name", "falsch falsch falsch")
    with app.app_context():
        keys = db.session.scalars(select(LoginThrottle.key_hash)).all()
    assert len(keys) == 2
    assert all("geheimer" not in key and "127.0.0.1" not in key for key in keys)


@pytest.mark.parametrize(
    "roles", [(Role.COUNSELLOR,), (Role.SUPERVISOR,), (Role.DPO,), (Role.ADMIN,)]
)
def test_every_role_needs_the_second_factor(client, make_user, roles):
    user = make_user(*roles)
    password_step(client, user.username, user.password)
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example",
        "/\r\n/evil",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/%0a",
    ],
)
def test_next_never_leaves_the_site(client, make_user, clock, target):
    """Tabs and newlines are dropped by URL parsers: "/\\t/evil" must not become "//evil"."""
    from urllib.parse import quote

    user = make_user()
    clock.advance(seconds=30)
    post_form(
        client,
        f"/anmelden?next={quote(target, safe='')}",
        {"username": user.username, "password": user.password, "next": target},
    )
    response = code_step(client, current_code(user, clock))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location in ("/", "/%0a"), location
