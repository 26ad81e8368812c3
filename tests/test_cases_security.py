"""Security of the encrypted case records, at the level of the operations (no pages):

- binding: a ciphertext moved to another case, row or column, a flipped bit, swapped data
  keys — nothing opens, and the error says nothing;
- crypto-shredding: without its data key a case stays unreadable, and the audit chain verifies;
- who reaches what (role × case matrix), denials audited under the case's centre;
- break-glass: only with a reason, only for the centre's counsellors and supervisors, audited,
  reason sealed, and it expires;
- exactly one audit entry per read of sealed content, none for writes;
- a stale edit is refused and the first save kept;
- blind indexes: normalisation, never on a special category, the CipherSweet length rule.

Raw SQL runs as the schema owner (``backend.owner_url``): what someone with the database, but
without the keyring, could do.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

import audit
from servicestelle import audit_trail, catalogue
from servicestelle.auth.models import User
from servicestelle.auth.operations import disable_user
from servicestelle.cases import (
    break_glass,
    indexes,
    operations,
    parts,
    payload,
    queries,
    vault,
)
from servicestelle.cases.access import Reach, reach_of
from servicestelle.cases.access import load as access_load
from servicestelle.cases.models import (
    BreakGlassAccess,
    Case,
    CaseContact,
    CaseDocument,
    CaseIntervention,
    CaseKey,
)
from servicestelle.db import Base
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import make_settings
from tests.support.audit_log import entries, head
from tests.support.cases import acting_as, load, selection_paths, text_paths

#: Not the default (60), so that the tests show the setting is what counts.
BREAK_GLASS_MINUTES = 45
REASON = "Kollegin erkrankt, Klientin ruft wegen Frist morgen an"
READ = "case:content:read"
DENY = "access:request:deny"


@pytest.fixture
def settings(tmp_path, backend):
    return make_settings(tmp_path, backend.url, break_glass_minutes=BREAK_GLASS_MINUTES)


@pytest.fixture
def owner_engine(backend) -> Iterator[sa.Engine]:
    engine = sa.create_engine(backend.owner_url)
    yield engine
    engine.dispose()


def new_case(app, user_id: int, **client: str) -> int:
    content = {
        "client": {"pseudonym": "Amsel", **client},
        "account": {"narrative": "Bericht über den Vorfall"},
    }
    with acting_as(app, user_id) as user:
        return operations.create_case(user, content).id


def read_payload(app, user_id: int, case_id: int) -> dict:
    with acting_as(app, user_id):
        return operations.open_case(load(user_id, case_id)).payload


def unreadable(app, user_id: int, case_id: int) -> vault.CaseUnreadable:
    """Opening the case fails; returns the error (to look at what it says)."""
    with acting_as(app, user_id), pytest.raises(vault.CaseUnreadable) as failure:
        operations.open_case(load(user_id, case_id))
    return failure.value


def column(engine: sa.Engine, model, name: str, row_id) -> bytes:
    table = model.__table__
    key = next(iter(table.primary_key.columns))
    with engine.connect() as connection:
        return bytes(connection.execute(sa.select(table.c[name]).where(key == row_id)).scalar_one())


def set_column(engine: sa.Engine, model, name: str, row_id, value: bytes) -> None:
    table = model.__table__
    key = next(iter(table.primary_key.columns))
    with engine.begin() as connection:
        connection.execute(sa.update(table).where(key == row_id).values({name: value}))


def assert_says_nothing(error: vault.CaseUnreadable) -> None:
    """The error carries no id, no byte, no cause: which failure it was stays in the log."""
    assert error.args == ()
    assert str(error) == ""
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


# --- binding and tampering ----------------------------------------------------------------


def test_a_payload_copied_into_another_case_does_not_open_and_is_not_audited_as_read(
    app, make_user, owner_engine, caplog
):
    owner = make_user(Role.COUNSELLOR)
    first, second = new_case(app, owner.id), new_case(app, owner.id, contact="0170 1234567")
    copied = column(owner_engine, Case, "payload", first)
    set_column(owner_engine, Case, "payload", second, copied)
    mark = head(app)

    error = unreadable(app, owner.id, second)

    assert_says_nothing(error)
    assert entries(app, after=mark, action=READ) == []
    # The operator's log names ids, never bytes.
    logged = [r for r in caplog.records if r.name == "servicestelle.cases.vault"]
    assert logged and all(not isinstance(arg, bytes) for r in logged for arg in r.args)
    assert copied.hex() not in caplog.text and repr(copied)[2:20] not in caplog.text
    # The original still opens: the refusal is about the copy, not a broken case.
    assert read_payload(app, owner.id, first)["client"]["pseudonym"] == "Amsel"


def test_a_part_copied_to_another_row_or_column_does_not_open(app, make_user, owner_engine):
    owner = make_user(Role.COUNSELLOR)
    case_id, other_case = new_case(app, owner.id), new_case(app, owner.id)
    with acting_as(app, owner.id):
        access = load(owner.id, case_id)
        first = parts.add_contact(
            access, access.case.opened_on, {"channel": "telefon", "note": "a"}
        )
        second = parts.add_contact(access, access.case.opened_on, {"channel": "email", "note": "b"})
        step = parts.add_intervention(access, access.case.opened_on, {"type": "anderes"})
        document = parts.add_document(access, b"Brief\n", filename="brief.txt", description="d")
        ids = first.id, second.id, step.id, document.id
    with acting_as(app, owner.id):
        access = load(owner.id, other_case)
        foreign = parts.add_contact(access, access.case.opened_on, {"channel": "brief"}).id
    first_id, second_id, step_id, document_id = ids
    note = column(owner_engine, CaseContact, "content", first_id)
    set_column(owner_engine, CaseContact, "content", second_id, note)
    set_column(owner_engine, CaseIntervention, "content", step_id, note)
    set_column(owner_engine, CaseContact, "content", foreign, note)
    description = column(owner_engine, CaseDocument, "description", document_id)
    set_column(owner_engine, CaseDocument, "content", document_id, description)

    def opens(case: int, table: str, name: str, model, row_id: int) -> bool:
        with app.app_context():
            blob = getattr(db.session.get(model, row_id), name)
            try:
                vault.open_vault(case).open_json(table, name, row_id, blob)
            except vault.CaseUnreadable as error:
                assert_says_nothing(error)
                return False
            return True

    assert opens(case_id, "case_contacts", "content", CaseContact, first_id)
    assert not opens(case_id, "case_contacts", "content", CaseContact, second_id)
    assert not opens(case_id, "case_interventions", "content", CaseIntervention, step_id)
    assert not opens(other_case, "case_contacts", "content", CaseContact, foreign)
    assert opens(case_id, "case_documents", "description", CaseDocument, document_id)
    with acting_as(app, owner.id), pytest.raises(vault.CaseUnreadable):
        parts.read_document(load(owner.id, case_id), document_id)


def flipped(blob: bytes, position: int, bit: int) -> bytes:
    changed = bytearray(blob)
    changed[position] ^= 1 << bit
    return bytes(changed)


def test_any_flipped_bit_in_a_sealed_payload_or_a_wrapped_key_is_refused(
    app, make_user, owner_engine
):
    owner = make_user(Role.COUNSELLOR)
    case_id = new_case(app, owner.id)
    payload = column(owner_engine, Case, "payload", case_id)
    wrapped = column(owner_engine, CaseKey, "wrapped_key", case_id)
    mark = head(app)

    def sample(blob: bytes) -> list[int]:
        # version, key id, nonce (first, last), ciphertext (first, middle, last), tag.
        end = len(blob)
        return [0, 1, 4, 5, 16, 17, (17 + end - 16) // 2, end - 17, end - 16, end - 1]

    for model, name, original in (
        (Case, "payload", payload),
        (CaseKey, "wrapped_key", wrapped),
    ):
        for number, position in enumerate(sample(original)):
            set_column(owner_engine, model, name, case_id, flipped(original, position, number % 8))
            assert_says_nothing(unreadable(app, owner.id, case_id))
        set_column(owner_engine, model, name, case_id, original)
    assert entries(app, after=mark, action=READ) == []
    assert read_payload(app, owner.id, case_id)["client"]["pseudonym"] == "Amsel"


def test_swapped_data_keys_leave_both_cases_unreadable(app, make_user, owner_engine):
    owner = make_user(Role.COUNSELLOR)
    first, second = new_case(app, owner.id), new_case(app, owner.id)
    key_first = column(owner_engine, CaseKey, "wrapped_key", first)
    key_second = column(owner_engine, CaseKey, "wrapped_key", second)
    set_column(owner_engine, CaseKey, "wrapped_key", first, key_second)
    set_column(owner_engine, CaseKey, "wrapped_key", second, key_first)

    assert_says_nothing(unreadable(app, owner.id, first))
    assert_says_nothing(unreadable(app, owner.id, second))


def test_a_break_glass_reason_copied_to_another_opening_does_not_open(app, make_user, owner_engine):
    owner = make_user(Role.COUNSELLOR)
    helper = make_user(Role.COUNSELLOR)
    first, second = new_case(app, owner.id), new_case(app, owner.id)
    grants = []
    for case_id, reason in ((first, REASON), (second, REASON + " (zweite Akte)")):
        with acting_as(app, helper.id) as user:
            grants.append(break_glass.open_case(user, db.session.get(Case, case_id), reason).id)
    sealed = column(owner_engine, BreakGlassAccess, "reason", grants[0])
    set_column(owner_engine, BreakGlassAccess, "reason", grants[1], sealed)

    with app.app_context():
        assert break_glass.reason_of(db.session.get(BreakGlassAccess, grants[0])) == REASON
        assert break_glass.reason_of(db.session.get(BreakGlassAccess, grants[1])) is None


# --- crypto-shredding -----------------------------------------------------------------------


def test_a_shredded_case_cannot_be_opened_and_the_audit_chain_still_verifies(
    app, make_user, owner_engine
):
    owner = make_user(Role.COUNSELLOR)
    case_id, kept = new_case(app, owner.id), new_case(app, owner.id)
    with acting_as(app, owner.id):
        access = load(owner.id, case_id)
        contact = parts.add_contact(access, access.case.opened_on, {"channel": "telefon"}).id
    read_payload(app, owner.id, case_id)

    with app.app_context():
        assert vault.shred(case_id) is True
        db.session.commit()
        assert vault.shred(case_id) is False  # nothing left to destroy
        db.session.rollback()

    assert_says_nothing(unreadable(app, owner.id, case_id))
    with app.app_context(), pytest.raises(vault.CaseUnreadable):
        vault.open_vault(case_id)
    # The ciphertext is still there; without the data key it is noise.
    assert column(owner_engine, Case, "payload", case_id)
    assert column(owner_engine, CaseContact, "content", contact)
    with owner_engine.connect() as connection:
        keys = connection.execute(sa.select(CaseKey.case_id)).scalars().all()
    assert keys == [kept]
    assert read_payload(app, owner.id, kept)["client"]["pseudonym"] == "Amsel"

    with app.app_context():
        verdict = audit.verify(db.session, audit_trail.public_key())
        reads = entries(app, action=READ)
    assert verdict.intact, verdict.summary()
    assert [row.object_id for row in reads] == [str(case_id), str(kept)]


# --- who reaches what -----------------------------------------------------------------------


def other_centre(app) -> int:
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        return create_centre("ANDERE", "Andere Servicestelle").id


#: who → (how far they reach, whether load() gives metadata, whether it gives content)
MATRIX = {
    "counsellor assigned": (Reach.CONTENT, True, True),
    "counsellor shared": (Reach.CONTENT, True, True),
    "counsellor of the centre, not assigned": (Reach.NONE, False, False),
    "counsellor of another centre": (Reach.NONE, False, False),
    "supervisor": (Reach.METADATA, True, False),
    "supervisor of another centre": (Reach.NONE, False, False),
    "counsellor+supervisor, not assigned": (Reach.METADATA, True, False),
    "counsellor+supervisor, assigned": (Reach.CONTENT, True, True),
    "dpo": (Reach.NONE, False, False),
    "admin": (Reach.NONE, False, False),
    "counsellor assigned, then disabled": (Reach.NONE, False, False),
}


def test_role_by_case_matrix(app, make_user, centre):
    elsewhere = other_centre(app)
    users = {
        "counsellor assigned": make_user(Role.COUNSELLOR),
        "counsellor shared": make_user(Role.COUNSELLOR),
        "counsellor of the centre, not assigned": make_user(Role.COUNSELLOR),
        "counsellor of another centre": make_user(Role.COUNSELLOR, centre_id=elsewhere),
        "supervisor": make_user(Role.SUPERVISOR),
        "supervisor of another centre": make_user(Role.SUPERVISOR, centre_id=elsewhere),
        "counsellor+supervisor, not assigned": make_user(Role.COUNSELLOR, Role.SUPERVISOR),
        "counsellor+supervisor, assigned": make_user(Role.COUNSELLOR, Role.SUPERVISOR),
        "dpo": make_user(Role.DPO),
        "admin": make_user(Role.ADMIN),
        "counsellor assigned, then disabled": make_user(Role.COUNSELLOR),
    }
    ids = {who: user.id for who, user in users.items()}
    case_id = new_case(app, ids["counsellor assigned"])
    with acting_as(app, ids["counsellor assigned"]):
        access = load(ids["counsellor assigned"], case_id)
        operations.add_member(access, db.session.get(User, ids["counsellor shared"]), "shared")
    with acting_as(app, ids["supervisor"]):
        access = load(ids["supervisor"], case_id, content=False)
        for who in ("counsellor+supervisor, assigned", "counsellor assigned, then disabled"):
            operations.add_member(access, db.session.get(User, ids[who]), "assigned")
    with app.app_context():
        disable_user(None, db.session.get(User, ids["counsellor assigned, then disabled"]))
    mark = head(app)

    seen = {}
    for who, user_id in ids.items():
        outcome = []
        with app.app_context():
            outcome.append(
                reach_of(db.session.get(User, user_id), db.session.get(Case, case_id)).reach
            )
        for content in (False, True):
            with acting_as(app, user_id):
                try:
                    load(user_id, case_id, content=content)
                    outcome.append(True)
                except NotFound:
                    outcome.append(False)
        seen[who] = tuple(outcome)
    assert seen == MATRIX

    # Each refused user was audited once (a repeat within the window is not), under the
    # centre of the *case*, not the prober's. A disabled account cannot be logged in, so its
    # refusal has no actor to audit.
    denials = entries(app, after=mark, action=DENY)
    refused = {
        ids[who]
        for who, (_, _, content) in MATRIX.items()
        if not content and who != "counsellor assigned, then disabled"
    }
    assert sorted(row.actor_id for row in denials) == sorted(refused)
    for row in denials:
        assert (row.object_type, row.object_id, row.centre_id, row.outcome) == (
            "case",
            str(case_id),
            centre,
            "denied",
        )
        assert json.loads(row.details)["reason"] == "out_of_scope"
    assert entries(app, after=mark, action=READ) == []


def test_a_case_that_does_not_exist_is_404_without_an_audit_entry(app, make_user):
    user = make_user(Role.COUNSELLOR)
    mark = head(app)
    with acting_as(app, user.id), pytest.raises(NotFound):
        load(user.id, 4711)
    assert entries(app, after=mark) == []


# --- break-glass ----------------------------------------------------------------------------


def test_break_glass_needs_a_reason_of_at_least_the_minimum_length(app, make_user):
    owner = make_user(Role.COUNSELLOR)
    colleague = make_user(Role.COUNSELLOR)
    case_id = new_case(app, owner.id)
    shortest = break_glass.MIN_REASON_CHARACTERS
    mark = head(app)

    for reason in (
        "",
        "   ",
        "Notfall",
        "x" * (shortest - 1),
        "  " + "x" * (shortest - 1) + "\n",  # spaces do not count
        "x" * (break_glass.MAX_REASON_CHARACTERS + 1),
    ):
        with acting_as(app, colleague.id) as user, pytest.raises(operations.CaseError):
            break_glass.open_case(user, db.session.get(Case, case_id), reason)
        with app.app_context():
            user, case = db.session.get(User, colleague.id), db.session.get(Case, case_id)
            assert reach_of(user, case).reach is Reach.NONE, reason
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BreakGlassAccess)) == 0
    assert entries(app, after=mark) == []

    with acting_as(app, colleague.id) as user:
        break_glass.open_case(user, db.session.get(Case, case_id), "x" * shortest)
        assert reach_of(user, db.session.get(Case, case_id)).reach is Reach.BREAK_GLASS


@pytest.mark.parametrize(
    ("roles", "after_expiry"),
    [((Role.COUNSELLOR,), Reach.NONE), ((Role.SUPERVISOR,), Reach.METADATA)],
    ids=["counsellor", "supervisor"],
)
def test_break_glass_opens_for_a_while_audited_and_with_the_reason_sealed(
    app, make_user, clock, owner_engine, centre, roles, after_expiry
):
    owner = make_user(Role.COUNSELLOR)
    helper = make_user(*roles)
    case_id = new_case(app, owner.id)
    mark = head(app)

    with acting_as(app, helper.id) as user:
        grant = break_glass.open_case(user, db.session.get(Case, case_id), f"  {REASON}  ")
        grant_id, opened_at, expires_at = grant.id, grant.opened_at, grant.expires_at
    assert (opened_at, expires_at - opened_at) == (
        clock.now(),
        timedelta(minutes=BREAK_GLASS_MINUTES),
    )

    (opening,) = entries(app, after=mark, action="case:break_glass:open")
    assert (opening.actor_id, opening.centre_id, opening.object_id, opening.purpose) == (
        helper.id,
        centre,
        str(case_id),
        "break_glass",
    )
    assert json.loads(opening.details) == {"grant": grant_id, "minutes": BREAK_GLASS_MINUTES}

    # The reason is sealed in the table and opens for the DPO's review (stripped).
    sealed = column(owner_engine, BreakGlassAccess, "reason", grant_id)
    assert REASON.encode() not in sealed and b"Kollegin" not in sealed
    with app.app_context():
        assert break_glass.reason_of(db.session.get(BreakGlassAccess, grant_id)) == REASON
        assert [o.reason for o in break_glass.openings_of(db.session.get(Case, case_id))] == [
            REASON
        ]

    with acting_as(app, helper.id):
        access = load(helper.id, case_id)
        assert access.reach is Reach.BREAK_GLASS
        operations.open_case(access)
    (read,) = entries(app, after=mark, action=READ)
    assert (read.actor_id, read.purpose) == (helper.id, "break_glass")

    clock.advance(minutes=BREAK_GLASS_MINUTES, seconds=-1)
    with app.app_context():
        user, case = db.session.get(User, helper.id), db.session.get(Case, case_id)
        assert reach_of(user, case).reach is Reach.BREAK_GLASS
    clock.advance(seconds=1)
    with app.app_context():
        user, case = db.session.get(User, helper.id), db.session.get(Case, case_id)
        assert reach_of(user, case).reach is after_expiry
    with acting_as(app, helper.id), pytest.raises(NotFound):
        load(helper.id, case_id, content=True)
    assert len(entries(app, after=mark, action=DENY)) == 1


def test_break_glass_is_refused_to_those_it_is_not_for(app, make_user):
    owner = make_user(Role.COUNSELLOR)
    case_id = new_case(app, owner.id)
    refused = {
        "dpo": make_user(Role.DPO).id,
        "admin": make_user(Role.ADMIN).id,
        "counsellor of another centre": make_user(Role.COUNSELLOR, centre_id=other_centre(app)).id,
        "assigned counsellor": owner.id,  # already reaches it: nothing to break
    }
    mark = head(app)

    for who, user_id in refused.items():
        with acting_as(app, user_id) as user, pytest.raises(operations.CaseError):
            break_glass.open_case(user, db.session.get(Case, case_id), REASON)
        with app.app_context():
            user, case = db.session.get(User, user_id), db.session.get(Case, case_id)
            assert reach_of(user, case).reach is not Reach.BREAK_GLASS, who

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BreakGlassAccess)) == 0
    assert entries(app, after=mark) == []


# --- exactly one audit entry per read -------------------------------------------------------


def test_each_read_of_sealed_content_writes_exactly_one_entry_and_writes_write_none(
    app, make_user, centre
):
    owner = make_user(Role.COUNSELLOR)
    mark = head(app)
    case_id = new_case(app, owner.id)
    (created,) = entries(app, after=mark, action="case:record:create")
    assert (created.actor_id, created.object_id, created.centre_id) == (
        owner.id,
        str(case_id),
        centre,
    )
    assert entries(app, after=mark, action=READ) == []

    mark = head(app)
    read_payload(app, owner.id, case_id)
    (read,) = entries(app, after=mark)
    assert (read.action, read.actor_id, read.object_id, read.centre_id, read.purpose) == (
        READ,
        owner.id,
        str(case_id),
        centre,
        "counselling",
    )
    assert json.loads(read.details) == {}

    mark = head(app)
    with acting_as(app, owner.id):
        access = load(owner.id, case_id)
        operations.update_case(
            access, {"client": {"pseudonym": "Drossel"}}, operations.Metadata(), based_on=1
        )
        document = parts.add_document(access, b"Notiz\n", filename="n.txt", description="").id
    assert [row.action for row in entries(app, after=mark)] == [
        "case:record:update",
        "case:document:add",
    ]
    (added,) = entries(app, after=mark, action="case:document:add")
    assert json.loads(added.details) == {"document": document, "file_type": "txt"}

    mark = head(app)
    with acting_as(app, owner.id):
        download = parts.read_document(load(owner.id, case_id), document)
    assert download.content == b"Notiz\n"
    (read,) = entries(app, after=mark)
    assert (read.action, read.purpose, json.loads(read.details)) == (
        READ,
        "counselling",
        {"part": "document", "document": document},
    )


# --- stale edits ----------------------------------------------------------------------------


def test_a_second_save_based_on_the_same_version_is_refused_and_the_first_kept(app, make_user):
    owner = make_user(Role.COUNSELLOR)
    colleague = make_user(Role.COUNSELLOR)
    case_id = new_case(app, owner.id)
    with acting_as(app, owner.id):
        access = load(owner.id, case_id)
        operations.add_member(access, db.session.get(User, colleague.id), "shared")
    mark = head(app)

    with acting_as(app, owner.id):
        mine = load(owner.id, case_id)
        based_on = mine.case.content_version
        with acting_as(app, colleague.id):
            theirs = load(colleague.id, case_id)
            operations.update_case(
                theirs,
                {"account": {"narrative": "zuerst gespeichert"}},
                operations.Metadata(status="waiting"),
                based_on=theirs.case.content_version,
            )
        with pytest.raises(operations.StaleEdit):
            operations.update_case(
                mine,
                {"account": {"narrative": "zu spät"}},
                operations.Metadata(),
                based_on=based_on,
            )

    stored = read_payload(app, owner.id, case_id)
    assert stored["account"]["narrative"] == "zuerst gespeichert"
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.content_version, case.status) == (based_on + 1, "waiting")
    updates = entries(app, after=mark, action="case:record:update")
    assert [row.actor_id for row in updates] == [colleague.id]


# --- blind indexes --------------------------------------------------------------------------


def test_spellings_of_one_pseudonym_find_the_same_case(app, make_user):
    owner = make_user(Role.COUNSELLOR)
    case_id = new_case(app, owner.id)
    with acting_as(app, owner.id):
        access = load(owner.id, case_id)
        operations.update_case(
            access, {"client": {"pseudonym": "Müller"}}, operations.Metadata(), based_on=1
        )
    other_id = new_case(app, owner.id)  # "Amsel"

    with acting_as(app, owner.id) as user:
        values = {
            spelling: indexes.index_value(indexes.PSEUDONYM, spelling)
            for spelling in ("Müller", "mueller", " MÜLLER ", "Mu\u0308ller", "MUELLER")
        }
        assert len(set(values.values())) == 1, values
        assert indexes.index_value(indexes.PSEUDONYM, "   ") is None
        for spelling in values:
            found = queries.list_cases(
                user, queries.CaseFilter(search_field="pseudonym", search_text=spelling)
            )
            assert [row.case.id for row in found.rows] == [case_id], spelling
        amsel = indexes.index_value(indexes.PSEUDONYM, "Amsel")
    if amsel != values["Müller"]:  # 1 in 8,192 keys makes them coincide, by design
        with acting_as(app, owner.id) as user:
            found = queries.list_cases(
                user, queries.CaseFilter(search_field="pseudonym", search_text="Amsel")
            )
            assert [row.case.id for row in found.rows] == [other_id]


def _blind_index_columns() -> list[sa.Column]:
    import servicestelle.models  # noqa: F401 - every table on the metadata

    return [
        column
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.info.get("classification") == "blind_index"
    ]


def special_category_problems(columns: list[sa.Column]) -> list[str]:
    """Blind-index columns that index a special-category field, or name no field at all."""
    selections = selection_paths()
    special = {
        path for path, name in selections.items() if name in catalogue.SPECIAL_CATEGORY_LISTS
    }
    indexable = set(text_paths()) | {f"{path}.other" for path in selections}
    problems = []
    for column in columns:
        of = column.info.get("of")
        if of not in indexable:
            problems.append(f"{column.table.name}.{column.name} indexes no known field: {of!r}")
        if any(of == path or str(of).startswith(path + ".") for path in special):
            problems.append(f"{column.table.name}.{column.name} indexes {of}, a special category")
    return problems


def test_no_blind_index_on_a_special_category_field():
    columns = _blind_index_columns()
    assert {f"{c.table.name}.{c.name}" for c in columns} == {
        "cases.pseudonym_index",
        "cases.respondent_index",
    }
    assert special_category_problems(columns) == []
    # The lists named special are fields of the payload (else the check above checks nothing).
    assert {
        "classification.grounds",
        "classification.life_areas",
        "account.consequences",
        "client.language_support",
    } <= {p for p, n in selection_paths().items() if n in catalogue.SPECIAL_CATEGORY_LISTS}


@pytest.mark.parametrize(
    "of", ["classification.grounds", "classification.grounds.other", "account.consequences.other"]
)
def test_the_check_would_refuse_an_index_on_a_special_category(of):
    fake = sa.Column("grounds_index", sa.Integer, info={"classification": "blind_index", "of": of})
    sa.Table("fake", sa.MetaData(), fake)
    assert any("special category" in problem for problem in special_category_problems([fake]))


def test_sealed_columns_are_binary_and_blind_indexes_are_small_integers():
    import servicestelle.models  # noqa: F401 - every table on the metadata

    sealed = [
        column
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.info.get("classification") == "sealed"
    ]
    assert {f"{c.table.name}.{c.name}" for c in sealed} >= {
        "cases.payload",
        "case_contacts.content",
        "case_interventions.content",
        "case_deadlines.content",
        "case_documents.content",
        "case_documents.description",
        "case_break_glass.reason",
    }
    assert all(isinstance(c.type, sa.LargeBinary) for c in sealed), sealed
    index_columns = _blind_index_columns()
    assert all(isinstance(c.type, sa.Integer) for c in index_columns)
    for index in (indexes.PSEUDONYM, indexes.RESPONDENT):
        assert (index.table, index.column) in {(c.table.name, c.name) for c in index_columns}
        # An INTEGER is 32-bit signed on PostgreSQL: the truncated index must fit.
        assert index.bits <= 31


def test_the_database_stores_sealed_columns_as_bytes_and_indexes_as_integers(backend):
    import servicestelle.models  # noqa: F401 - every table on the metadata

    engine = sa.create_engine(backend.owner_url)
    try:
        inspector = sa.inspect(engine)
        for table in Base.metadata.sorted_tables:
            kinds = {c.name: c.info.get("classification") for c in table.columns}
            if not {"sealed", "blind_index"} & set(kinds.values()):
                continue
            reflected = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
            for name, kind in kinds.items():
                if kind == "sealed":
                    assert isinstance(reflected[name], sa.LargeBinary), (table.name, name)
                elif kind == "blind_index":
                    assert isinstance(reflected[name], sa.Integer), (table.name, name)
    finally:
        engine.dispose()


@pytest.mark.parametrize("index", [indexes.PSEUDONYM, indexes.RESPONDENT], ids=lambda i: i.column)
def test_index_lengths_follow_the_ciphersweet_rule(index):
    rows = indexes.EXPECTED_CASES
    coincidences = rows / 2**index.bits
    assert 2 <= coincidences < math.sqrt(rows)
    # And it is the longest such length: one bit more would single out cases.
    assert rows / 2 ** (index.bits + 1) < 2


def test_parts_refuse_a_caller_without_content_access(app, make_user):
    """Defence in depth: the operations themselves refuse a metadata-only access."""
    owner_id = make_user(Role.COUNSELLOR).id
    supervisor_id = make_user(Role.SUPERVISOR).id
    with app.test_request_context():
        owner = db.session.get(User, owner_id)
        case = operations.create_case(owner, payload.load_payload({}))
        metadata_only = access_load(case.id, db.session.get(User, supervisor_id))
        assert not metadata_only.content
        with pytest.raises(PermissionError):
            parts.add_contact(metadata_only, date(2026, 3, 1), {"channel": "telefon"})
        with pytest.raises(PermissionError):
            parts.record_consent(metadata_only, "statistik", date(2026, 3, 1), "muendlich")
        with pytest.raises(PermissionError):
            operations.open_case(metadata_only)
