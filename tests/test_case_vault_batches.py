"""``vault.open_vaults``: the data keys of many cases with one SELECT (statistics rebuild).

It must open exactly what ``open_vault`` opens, case by case, and leave out (not raise for)
a case whose key is gone or does not unwrap: the rebuild counts those as unreadable.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from servicestelle.cases import operations, vault
from servicestelle.cases.models import CaseKey
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.support.cases import acting_as


@pytest.fixture
def owner_engine(backend) -> Iterator[sa.Engine]:
    engine = sa.create_engine(backend.owner_url)
    yield engine
    engine.dispose()


def _new_case(app, user_id: int) -> int:
    with acting_as(app, user_id) as user:
        return operations.create_case(user, {"client": {"pseudonym": "Amsel"}}).id


def test_open_vaults_opens_what_open_vault_opens_with_one_select(app, make_user):
    owner = make_user(Role.COUNSELLOR)
    cases = [_new_case(app, owner.id) for _ in range(3)]
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        one_by_one = {case_id: vault.open_vault(case_id) for case_id in cases}
        db.session.expunge_all()  # the keys must come from the database, not the session
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            together = vault.open_vaults([*reversed(cases), cases[0]])
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)

    assert together == one_by_one
    assert list(together) == [*reversed(cases)]
    assert len([s for s in statements if "case_keys" in s]) == 1


def test_open_vaults_leaves_out_shredded_and_unopenable_keys(app, make_user, owner_engine, caplog):
    owner = make_user(Role.COUNSELLOR)
    kept, shredded, swapped, other = (_new_case(app, owner.id) for _ in range(4))
    with owner_engine.begin() as connection:
        # Another case's key does not unwrap here: it is bound to that case's id.
        wrapped = connection.scalar(sa.select(CaseKey.wrapped_key).where(CaseKey.case_id == other))
        connection.execute(
            sa.update(CaseKey).where(CaseKey.case_id == swapped).values(wrapped_key=wrapped)
        )
    with app.app_context():
        expected = vault.open_vault(kept)
        vault.shred(shredded)
        db.session.commit()

        opened = vault.open_vaults([kept, shredded, swapped])

    assert opened == {kept: expected}
    assert f"case {shredded} has no data key" in caplog.text
    assert f"the data key of case {swapped} does not open" in caplog.text


def test_open_vaults_of_no_cases_is_empty(app):
    with app.app_context():
        assert vault.open_vaults([]) == {}
