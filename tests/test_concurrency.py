"""Parallel requests must not multiply guesses or reuse one-time codes (review findings)."""

from __future__ import annotations

import threading

from sqlalchemy import select

from servicestelle.auth import operations
from servicestelle.auth.models import LoginThrottle, User
from servicestelle.auth.throttle import delay_after, lock_after
from servicestelle.config import ACCOUNT_THROTTLE
from servicestelle.extensions import db
from tests.conftest import current_code, https_client, post_form
from tests.support.html import csrf_token

PARALLEL = 6


def _past_password(app, user, count):
    """``count`` clients, each past the password step, with a token for the code form."""
    prepared = []
    for _ in range(count):
        client = https_client(app)
        response = post_form(
            client, "/anmelden", {"username": user.username, "password": user.password}
        )
        assert response.status_code == 302
        token = csrf_token(client.get("/anmelden/zweiter-faktor").get_data(as_text=True))
        prepared.append((client, token))
    return prepared


def _burst(prepared, url, data):
    """POST the same form from every client at the same moment; returns the statuses."""
    barrier = threading.Barrier(len(prepared))
    results: list[tuple[int, str | None]] = [(0, None)] * len(prepared)

    def run(index, client, token):
        barrier.wait()
        response = client.post(
            url, data={"csrf_token": token, **data}, headers={"Referer": f"https://localhost{url}"}
        )
        results[index] = (response.status_code, response.headers.get("Location"))

    threads = [threading.Thread(target=run, args=(i, *pair)) for i, pair in enumerate(prepared)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_one_totp_code_logs_in_once_however_parallel(app, make_user, clock):
    user = make_user()
    clock.advance(seconds=30)
    prepared = _past_password(app, user, PARALLEL)
    results = _burst(prepared, "/anmelden/zweiter-faktor", {"code": current_code(user, clock)})
    logged_in = [client for client, _ in prepared if client.get("/").status_code == 200]
    assert len(logged_in) == 1, results
    assert all(status < 500 for status, _ in results), results


def test_one_recovery_code_logs_in_once_however_parallel(app, make_user, clock):
    user = make_user()
    with app.app_context():
        codes = operations.regenerate_recovery_codes(db.session.get(User, user.id))
    prepared = _past_password(app, user, PARALLEL)
    results = _burst(prepared, "/anmelden/zweiter-faktor", {"code": codes[0]})
    logged_in = [client for client, _ in prepared if client.get("/").status_code == 200]
    assert len(logged_in) == 1, results
    assert all(status < 500 for status, _ in results), results


def test_parallel_wrong_passwords_get_no_more_checks_than_allowed(app, make_user):
    user = make_user()
    prepared = []
    for _ in range(8):
        client = https_client(app)
        prepared.append((client, csrf_token(client.get("/anmelden").get_data(as_text=True))))
    results = _burst(
        prepared, "/anmelden", {"username": user.username, "password": "falsch falsch falsch"}
    )
    checked = [status for status, _ in results if status == 200]  # answered "wrong password"
    assert all(status in (200, 429) for status, _ in results), results
    with app.app_context():
        stored = db.session.scalar(
            select(LoginThrottle.failures).where(LoginThrottle.scope == "account")
        )
    # every password that was actually checked is counted, none is lost to a race
    assert stored == len(checked)
    assert len(checked) <= 8


def test_delays_grow_and_locks_escalate_to_a_day():
    policy = ACCOUNT_THROTTLE
    assert [delay_after(n, policy) for n in range(1, 10)] == [0, 0, 0, 2, 4, 8, 16, 32, 60]
    locks = [lock_after(n, policy) for n in range(10, 101, 10)]
    assert locks[:4] == [900, 1800, 3600, 7200]
    assert max(locks) == 24 * 3600
    assert lock_after(11, policy) == 0
    # With these locks no more than 100 guesses fit into a day (NIST SP 800-63B).
    elapsed, failures = 0, 0
    while elapsed < 24 * 3600:
        failures += 1
        elapsed += max(delay_after(failures, policy), 1) + lock_after(failures, policy)
    assert failures <= 100
