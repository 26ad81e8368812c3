"""Counsellors creating cases at the same moment, in several threads (as several server
threads or processes do): every case gets its own reference number at the first attempt.

The number is the centre's highest of the year plus one; drawing it without a lock and
retrying on a duplicate ran out of attempts with two server processes under load
(bench/load: 25 of 924 new cases refused). Here a single attempt is allowed, so a number
drawn twice fails the test instead of being retried.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from servicestelle.cases import operations
from servicestelle.cases.models import Case
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.support.cases import acting_as

COUNSELLORS = 6
CASES_EACH = 3


def test_parallel_creations_never_draw_the_same_reference(app, make_user, monkeypatch):
    monkeypatch.setattr(operations, "_REFERENCE_ATTEMPTS", 1)
    users = [make_user(Role.COUNSELLOR) for _ in range(COUNSELLORS)]
    start = threading.Barrier(COUNSELLORS)
    failures: list[BaseException] = []

    def work(user_id: int) -> None:
        try:
            start.wait(timeout=30)
            for _ in range(CASES_EACH):
                with acting_as(app, user_id) as user:
                    operations.create_case(user, {"client": {"pseudonym": "Amsel"}})
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(user.id,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    with app.app_context():
        numbers = sorted(db.session.scalars(sa.select(Case.number)))
    assert numbers == list(range(1, COUNSELLORS * CASES_EACH + 1))
