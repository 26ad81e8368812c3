"""Counsellors creating cases at the same moment, in several threads (as several server
threads or processes do): every case gets its own reference number at the first attempt.

The number is the centre's highest of the year plus one; drawing it without a lock and
retrying on a duplicate ran out of attempts with two server processes under load
(bench/load: 25 of 924 new cases refused). Here a single attempt is allowed, so a number
drawn twice fails the test instead of being retried.
"""

from __future__ import annotations

import threading
import time
from functools import partial

import pytest
import sqlalchemy as sa

import audit
from servicestelle.cases import operations
from servicestelle.cases.models import Case
from servicestelle.centres.models import Centre
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.support.cases import acting_as
from tests.support.threads import run_together

COUNSELLORS = 6
CASES_EACH = 3


def test_parallel_creations_never_draw_the_same_reference(app, make_user, monkeypatch):
    monkeypatch.setattr(operations, "_REFERENCE_ATTEMPTS", 1)
    users = [make_user(Role.COUNSELLOR) for _ in range(COUNSELLORS)]
    start = threading.Barrier(COUNSELLORS)

    def work(user_id: int) -> None:
        start.wait(timeout=30)
        for _ in range(CASES_EACH):
            with acting_as(app, user_id) as user:
                operations.create_case(user, {"client": {"pseudonym": "Amsel"}})

    assert run_together(*(partial(work, user.id) for user in users), timeout=120) == []
    with app.app_context():
        numbers = sorted(db.session.scalars(sa.select(Case.number)))
    assert numbers == list(range(1, COUNSELLORS * CASES_EACH + 1))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_new_case_waits_for_a_locked_centre_instead_of_deadlocking(
    app, make_user, centre, monkeypatch
):
    """A release approval locks its centre's row, then appends its audit entry. A new case
    must take its locks in the same order (the centre, which its foreign key needs, then the
    audit log): taken the other way round, each waits for the other and PostgreSQL aborts
    one of them as a deadlock (a retry would hide it, so one attempt is allowed)."""
    monkeypatch.setattr(operations, "_REFERENCE_ATTEMPTS", 1)
    user = make_user(Role.COUNSELLOR)
    centre_locked = threading.Event()

    def approve_like_a_release() -> None:
        with app.app_context():
            db.session.execute(sa.select(Centre.id).where(Centre.id == centre).with_for_update())
            centre_locked.set()
            time.sleep(0.5)  # the new case starts meanwhile and waits for a lock
            audit.lock_appends(db.session)
            db.session.commit()

    def create() -> None:
        centre_locked.wait(timeout=30)
        with acting_as(app, user.id) as actor:
            operations.create_case(actor, {"client": {"pseudonym": "Amsel"}})

    assert run_together(approve_like_a_release, create) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
