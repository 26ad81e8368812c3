"""Key rotation: data keys re-wrapped under the new primary, field ciphertexts untouched."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from crypto import KeyringError
from servicestelle import services
from servicestelle.auth.models import User
from servicestelle.cases import access, operations, payload, rotation, vault
from servicestelle.cases.models import Case, CaseKey
from servicestelle.extensions import db
from servicestelle.roles import Role

SEALED_COLUMNS = ("payload", "content", "description", "reason")


@pytest.fixture
def counsellor(app, make_user):
    return make_user(Role.COUNSELLOR).id


def _new_case(user_id: int, narrative: str) -> int:
    user = db.session.get(User, user_id)
    content = payload.load_payload({"account": {"narrative": narrative}})
    return operations.create_case(user, content).id


def _narrative(user_id: int, case_id: int) -> str:
    user = db.session.get(User, user_id)
    opened = operations.open_case(access.load(case_id, user, content=True))
    return str(opened.payload["account"]["narrative"])


def test_rotation_rewraps_every_data_key_and_everything_still_opens(app, counsellor):
    with app.test_request_context():
        ids = [_new_case(counsellor, f"Schilderung {n}") for n in range(7)]
        before = {row.id: row.payload for row in db.session.scalars(sa.select(Case)).all()}
        old = services.keyring().primary
        new = services.keyring_holder().modify(lambda ring: ring.rotate())
        keyring = services.keyring()
        assert rotation.usage() == {old: 7}
        assert rotation.pending(keyring) == 7

        seen: list[int] = []
        result = rotation.rewrap_all(keyring, batch_size=3, progress=seen.append)

        assert (result.rewrapped, result.conflicts) == (7, 0)
        assert seen == [3, 3, 1]
        assert rotation.usage() == {new: 7}
        assert rotation.pending(keyring) == 0
        after = {row.id: row.payload for row in db.session.scalars(sa.select(Case)).all()}
        assert after == before  # field ciphertexts are not touched
        assert [_narrative(counsellor, case_id) for case_id in ids] == [
            f"Schilderung {n}" for n in range(7)
        ]
        # Retiring the old key breaks nothing now; retiring the primary is refused.
        keyring.retire(old)
        assert _narrative(counsellor, ids[0]) == "Schilderung 0"
        with pytest.raises(KeyringError, match="primary"):
            keyring.retire(new)


def test_rewrap_never_reads_or_writes_a_sealed_field(app, counsellor):
    with app.test_request_context():
        _new_case(counsellor, "geheim")
        keyring = services.keyring()
        keyring.rotate()
        statements: list[str] = []

        def remember(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement.lower())

        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            assert rotation.rewrap_all(keyring).rewrapped == 1
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        touched = [s for s in statements if "case_keys" in s or "cases" in s]
        assert touched, "the re-wrap ran no statement at all"
        assert all("cases." not in s and " cases " not in s for s in touched), touched
        assert not any(column in s for s in touched for column in SEALED_COLUMNS), touched


def test_a_key_changed_during_the_rewrap_is_a_conflict_not_an_overwrite(app, counsellor):
    with app.test_request_context():
        first, second = _new_case(counsellor, "eins"), _new_case(counsellor, "zwei")
        keyring = services.keyring()
        keyring.rotate()
        racing = {"done": False}

        def shred_the_second(conn, cursor, statement, parameters, context, executemany):
            # Another process shreds case 2 after the batch was read, before it is written.
            if statement.lower().startswith("update case_keys") and not racing["done"]:
                racing["done"] = True
                # An integer of the test's own making; the DB-API placeholder differs per driver.
                bump = f"UPDATE case_keys SET version = version + 10 WHERE case_id = {second:d}"  # noqa: S608
                cursor.execute(bump)

        event.listen(db.engine, "before_cursor_execute", shred_the_second)
        try:
            result = rotation.rewrap_all(keyring)
        finally:
            event.remove(db.engine, "before_cursor_execute", shred_the_second)
        assert (result.rewrapped, result.conflicts) == (1, 1)
        assert rotation.usage() == {1: 1, 2: 1}
        assert _narrative(counsellor, first) == "eins"
        # A second run picks the conflicting key up.
        assert rotation.rewrap_all(keyring).rewrapped == 1
        assert _narrative(counsellor, second) == "zwei"


def test_a_case_under_a_retired_key_does_not_open(app, counsellor):
    with app.test_request_context():
        case_id = _new_case(counsellor, "alt")
        keyring = services.keyring()
        old = keyring.primary
        keyring.rotate()
        keyring.retire(old)  # forcibly, without re-wrapping first
        assert db.session.get(CaseKey, case_id).kek_id == old
        with pytest.raises(vault.CaseUnreadable):
            vault.open_vault(case_id)


def test_two_processes_rotating_at_once_lose_no_key(app, counsellor):
    """Each rotation works on the file as it is under the lock, not on its own old copy."""
    from servicestelle.keyring_custody import KeyringHolder, passphrase

    with app.test_request_context():
        case_id = _new_case(counsellor, "vor der Rotation")
        settings = services.settings()
        first = KeyringHolder(settings, passphrase(settings))
        second = KeyringHolder(settings, passphrase(settings))  # loaded before the first rotates
        a = first.modify(lambda ring: ring.rotate())
        b = second.modify(lambda ring: ring.rotate())
        assert (a, b) == (2, 3)
        assert set(second.get().keys) == {1, 2, 3}
        assert rotation.rewrap_all(second.get()).rewrapped == 1
        assert _narrative(counsellor, case_id) == "vor der Rotation"


def test_a_data_key_that_does_not_open_is_counted_and_the_rest_move(app, counsellor):
    with app.test_request_context():
        broken, fine = _new_case(counsellor, "kaputt"), _new_case(counsellor, "heil")
        row = db.session.get(CaseKey, broken)
        row.wrapped_key = row.wrapped_key[:-1] + bytes([row.wrapped_key[-1] ^ 1])
        db.session.commit()
        keyring = services.keyring()
        keyring.rotate()
        result = rotation.rewrap_all(keyring)
        assert (result.rewrapped, result.unreadable) == (1, 1)
        assert _narrative(counsellor, fine) == "heil"
        assert rotation.pending(keyring) == 1
