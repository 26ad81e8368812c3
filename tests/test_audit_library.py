"""The audit library: the vocabulary, entries and their chain, checkpoints, and the database's
append-only guard, on SQLite and on PostgreSQL as the application's role.

Tests marked ``BUG`` in their docstring fail on purpose: they show a defect in ``audit/`` (or
its migration) that is described next to the test.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import json
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit import (
    GENESIS_HASH,
    AuditError,
    AuditEvent,
    Checkpoint,
    CheckpointError,
    Entry,
    Outcome,
    Purpose,
)
from audit.chain import MAX_DETAIL_ITEMS, MAX_DETAIL_LIST, encode_details, format_time
from audit.checkpoint import FILE_FORMAT, signed_message, stored_checkpoints
from audit.events import PURPOSE_REQUIRED
from audit.store import iter_entries, seq_of_hash

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
BERLIN_WINTER = timezone(timedelta(hours=1))
#: Categories that must never reach a stored text column (log injection, ASVS 16.4.1).
CONTROL_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}

only_sqlite = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
only_postgresql = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


class NoDatabase:
    """An executor that fails the test if the library touches the database at all."""

    def execute(self, statement: Any, parameters: Any = None, /) -> Any:
        raise AssertionError("the entry must be refused before the database is touched")


@pytest.fixture
def engine(backend) -> Iterator[sa.Engine]:
    engine = sa.create_engine(backend.url)
    yield engine
    engine.dispose()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def logout(executor: Any, moment: datetime = NOW, **fields: Any) -> Entry:
    return audit.record(executor, AuditEvent.AUTH_LOGOUT, Outcome.SUCCESS, now=moment, **fields)


def read(executor: Any, **fields: Any) -> Entry:
    fields.setdefault("purpose", Purpose.COUNSELLING)
    return audit.record(executor, AuditEvent.CASE_CONTENT_READ, Outcome.SUCCESS, now=NOW, **fields)


def count_entries(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(audit.audit_entry)
            ).scalar_one()
        )


def appends_counted(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(audit.audit_append_lock.c.appends)).scalar_one())


def expected_hash(entry: Entry) -> str:
    """Format 1 written out independently of audit/chain.py: SHA-256(0x00 ‖ JSON array)."""
    fields = [
        1,
        entry.seq,
        entry.ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        entry.actor_id,
        entry.role,
        entry.centre_id,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.purpose,
        entry.outcome,
        entry.request_id,
        entry.details,
        entry.prev_hash,
    ]
    encoded = json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return hashlib.sha256(b"\x00" + encoded).hexdigest()


# --- the vocabulary ------------------------------------------------------------------


def test_events_name_their_source_and_only_case_reads_need_a_purpose():
    assert AuditEvent.CASE_CONTENT_READ.source == "case"
    assert AuditEvent.AUTH_LOGOUT.source == "auth"
    assert AuditEvent.AUDIT_CHECKPOINT_CREATE.source == "audit"
    assert AuditEvent.CASE_CONTENT_READ.requires_purpose
    assert [event for event in AuditEvent if event.requires_purpose] == [
        AuditEvent.CASE_CONTENT_READ
    ]
    assert frozenset({AuditEvent.CASE_CONTENT_READ}) == PURPOSE_REQUIRED
    for event in AuditEvent:
        assert event.value.count(":") in {1, 2}, event
        assert event.value == event.value.lower()
        assert event.source == event.value.split(":")[0]


def test_a_case_read_without_purpose_is_refused_before_anything_is_written():
    with pytest.raises(AuditError, match="needs a purpose code"):
        audit.record(NoDatabase(), AuditEvent.CASE_CONTENT_READ, Outcome.SUCCESS, now=NOW)
    with pytest.raises(AuditError, match="needs a purpose code"):
        audit.record(NoDatabase(), "case:content:read", "denied", now=NOW, purpose=None)


def test_a_case_read_without_purpose_leaves_the_log_and_the_lock_untouched(engine):
    with pytest.raises(AuditError), engine.begin() as connection:
        read(connection, purpose=None, actor_id=7, object_type="case", object_id=12)
    assert count_entries(engine) == 0
    assert appends_counted(engine) == 0
    with engine.begin() as connection:
        entry = read(connection, purpose="dpo_audit", object_type="case", object_id=12)
    assert (entry.seq, entry.purpose, entry.object_id) == (1, "dpo_audit", "12")
    assert count_entries(engine) == 1


@pytest.mark.parametrize(
    ("event", "outcome", "purpose"),
    [
        ("case:content:delete", "success", None),
        ("CASE:CONTENT:READ", "success", "counselling"),
        ("auth:logout", "ok", None),
        ("auth:logout", "SUCCESS", None),
        ("case:content:read", "success", "curiosity"),
        ("auth:logout", "success", ""),
    ],
)
def test_unknown_events_outcomes_and_purposes_are_refused(event, outcome, purpose):
    with pytest.raises(ValueError, match=r"valid|unknown|purpose|event|outcome"):
        audit.record(NoDatabase(), event, outcome, now=NOW, purpose=purpose)


@pytest.mark.parametrize(
    ("event", "outcome", "purpose"),
    [
        ("case:content:delete", "success", None),
        ("auth:logout", "ok", None),
        ("case:content:read", "success", "curiosity"),
    ],
)
def test_unknown_vocabulary_raises_audit_error_without_echoing_the_value(event, outcome, purpose):
    """BUG (audit/store.py, record): ``AuditEvent(event)``, ``Outcome(outcome)`` and
    ``Purpose(purpose)`` raise the enum's bare ValueError, "'curiosity' is not a valid
    Purpose". record()'s docstring promises AuditError for an unknown event, and errors.py
    promises messages that "name fields and rules, never the values given" - the caller's
    value (possibly user input) ends up in the message and in logs.
    """
    with pytest.raises(AuditError) as raised:
        audit.record(NoDatabase(), event, outcome, now=NOW, purpose=purpose)
    for value in (event, outcome, purpose):
        assert value is None or value not in str(raised.value)


# --- details: ids, codes and field names, never prose ------------------------------------


def test_details_keep_ids_codes_field_names_and_lists_in_canonical_json():
    details = {
        "fields": ["status", "title"],
        "case_id": 42,
        "roles": {"dpo", "admin", "counsellor"},
        "is_break_glass": True,
        "reason": None,
        "code": "rassismus_antisemitismus_herkunft",
        "ref": "A-12.3:x+y",
        "ids": (3, 1, 2),
        "frozen": frozenset({"b", "a"}),
    }
    assert encode_details(details) == (
        '{"case_id":42,"code":"rassismus_antisemitismus_herkunft","fields":["status","title"],'
        '"frozen":["a","b"],"ids":[3,1,2],"is_break_glass":true,"reason":null,'
        '"ref":"A-12.3:x+y","roles":["admin","counsellor","dpo"]}'
    )
    assert encode_details(None) == encode_details({}) == "{}"


def test_sets_are_encoded_the_same_whatever_order_they_were_built_in():
    names = [f"field_{n}" for n in range(MAX_DETAIL_LIST)]
    forwards, backwards = set(), set()
    for name in names:
        forwards.add(name)
    for name in reversed(names):
        backwards.add(name)
    mixed_one, mixed_two = {None, "b", 3, True}, {True, 3, "b", None}
    assert encode_details({"names": forwards}) == encode_details({"names": backwards})
    assert json.loads(encode_details({"names": backwards}))["names"] == sorted(names)
    assert encode_details({"mixed": mixed_one}) == encode_details({"mixed": frozenset(mixed_two)})


def test_details_accept_the_largest_allowed_shapes():
    encoded = encode_details(
        {
            "k" + "_" * 39: "x" * 64,
            **{f"item_{n}": n for n in range(MAX_DETAIL_ITEMS - 2)},
            "ids": list(range(MAX_DETAIL_LIST)),
        }
    )
    assert len(json.loads(encoded)) == MAX_DETAIL_ITEMS


@pytest.mark.parametrize(
    "details",
    [
        pytest.param({"note": "two words"}, id="prose"),
        pytest.param({"code": "x" * 65}, id="text too long"),
        pytest.param({"code": ""}, id="empty text"),
        pytest.param({"code": "id\n"}, id="trailing newline"),
        pytest.param({"contact": "a@b.de"}, id="e-mail address"),
        pytest.param({"name": "Zoë"}, id="non-ascii"),
        pytest.param({"Case": 1}, id="upper-case key"),
        pytest.param({"1case": 1}, id="key starting with a digit"),
        pytest.param({"case-id": 1}, id="key with a dash"),
        pytest.param({"": 1}, id="empty key"),
        pytest.param({"k" * 41: 1}, id="key too long"),
        pytest.param({1: 1}, id="key not a string"),
        pytest.param({f"k{n}": n for n in range(MAX_DETAIL_ITEMS + 1)}, id="too many items"),
        pytest.param({"ids": list(range(MAX_DETAIL_LIST + 1))}, id="list too long"),
        pytest.param({"ids": set(range(MAX_DETAIL_LIST + 1))}, id="set too long"),
        pytest.param({"ratio": 0.5}, id="float"),
        pytest.param({"nested": {"a": 1}}, id="dict"),
        pytest.param({"ids": [[1]]}, id="nested list"),
        pytest.param({"fields": ["title", "a note"]}, id="prose in a list"),
        pytest.param({"ids": {1.5}}, id="float in a set"),
        pytest.param({"raw": b"id"}, id="bytes"),
    ],
)
def test_details_refuse_free_text_and_other_shapes(details):
    with pytest.raises(AuditError):
        encode_details(details)
    with pytest.raises(AuditError):
        logout(NoDatabase(), details=details)


def test_entry_details_dict_reads_the_canonical_json_back(engine):
    with engine.begin() as connection:
        entry = logout(connection, details={"roles": {"dpo", "admin"}, "case_id": 3})
        (stored,) = iter_entries(connection)
    assert entry.details == '{"case_id":3,"roles":["admin","dpo"]}'
    assert stored.details == entry.details
    assert stored.details_dict() == {"case_id": 3, "roles": ["admin", "dpo"]}


# --- text columns: escaped, limited ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("line\r\nbreak", "line\\x0d\\x0abreak"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("abc\u202edef", "abc\\u202edef"),
        ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),
        ("nul\x00", "nul\\x00"),
        ("tab\t", "tab\\x09"),
        ("del\x7f nel\x85", "del\\x7f nel\\x85"),
        ("zero\u200bwidth\u200djoiner\ufeff", "zero\\u200bwidth\\u200djoiner\\ufeff"),
        ("back\\slash", "back\\\\slash"),
        ("\\x0d", "\\\\x0d"),
        ("Beraterin Zoë €", "Beraterin Zoë €"),
    ],
)
def test_escape_text_makes_control_characters_visible_and_reads_back(raw, escaped):
    assert audit.escape_text(raw) == escaped
    assert not any(unicodedata.category(char) in CONTROL_CATEGORIES for char in escaped)
    if escaped.isascii():
        assert codecs.decode(escaped, "unicode_escape") == raw


def test_escape_text_reads_back_characters_beyond_the_basic_plane():
    """BUG (minor, audit/chain.py, escape_text): a format character above U+FFFF, such as the
    invisible "tag" characters U+E0000–U+E007F used to smuggle hidden text, is written as
    ``\\u`` with five hex digits (``f"\\\\u{code:04x}"`` only pads). ``\\ue0041`` reads back
    as U+E004 followed by "1", so the escaped text is no longer unambiguous.
    Fix: ``f"\\\\U{code:08x}"`` when ``code > 0xFFFF``.
    """
    raw = "tag\U000e0041"
    escaped = audit.escape_text(raw)
    assert escaped.isascii()
    assert codecs.decode(escaped, "unicode_escape") == raw


def test_control_characters_never_reach_the_stored_text(engine):
    attacks = {
        "role": "counsellor\r\n2026-03-02 admin login ok",
        "object_type": "case\x1b[2J\u202e\u2028\\",
        "request_id": "req\x00\x85\ufeff",
    }
    with engine.begin() as connection:
        entry = logout(connection, object_id="case-12", **attacks)
        row = connection.execute(
            sa.text("SELECT role, object_type, request_id, object_id FROM audit_entry")
        ).one()
    assert dict(row._mapping) == {
        **{field: audit.escape_text(raw) for field, raw in attacks.items()},
        "object_id": "case-12",
    }
    assert row.role == "counsellor\\x0d\\x0a2026-03-02 admin login ok"
    assert row.object_type == "case\\x1b[2J\\u202e\\u2028\\\\"
    for text in row:
        assert not any(unicodedata.category(char) in CONTROL_CATEGORIES for char in text)
    assert (entry.role, entry.object_type, entry.request_id, entry.object_id) == tuple(row)


@pytest.mark.parametrize(
    "object_id",
    [
        pytest.param("12\n", id="newline"),
        pytest.param("12\u202e", id="bidi override"),
        pytest.param("12\u2028", id="line separator"),
        pytest.param("12\x00", id="nul"),
        pytest.param("\x1b[2J", id="terminal escape"),
        pytest.param("12\\", id="backslash"),
        pytest.param("Max Mustermann", id="a name"),
        pytest.param("Zoë", id="non-ascii"),
        pytest.param("a@b.de", id="e-mail address"),
        pytest.param("12/13", id="slash"),
        pytest.param("12;", id="semicolon"),
        pytest.param("", id="empty"),
        pytest.param("x" * 129, id="too long"),
    ],
)
def test_an_object_id_that_is_not_a_pseudonymous_id_is_refused_not_escaped(object_id):
    """Object ids are ids (numbers, generated codes): anything else is refused before the
    database is touched, and the message does not repeat it."""
    with pytest.raises(AuditError, match="pseudonymous ids") as raised:
        logout(NoDatabase(), object_id=object_id)
    assert not object_id or object_id not in str(raised.value)
    with pytest.raises(AuditError, match="pseudonymous ids"):
        read(NoDatabase(), object_type="case", object_id=object_id)


def test_pseudonymous_object_ids_are_stored_as_given(engine):
    accepted = [12, 0, -3, "12", "A-12.3:x+y_z", "x" * 128, "1"]
    with engine.begin() as connection:
        written = [logout(connection, object_type="case", object_id=oid) for oid in accepted]
        stored = list(iter_entries(connection))
    assert [entry.object_id for entry in stored] == [str(oid) for oid in accepted]
    assert stored == written
    with engine.begin() as connection:
        assert logout(connection).object_id is None


@pytest.mark.parametrize(
    ("field", "limit"), [("role", 64), ("object_type", 32), ("request_id", 64)]
)
def test_text_longer_than_its_column_after_escaping_is_refused(field, limit):
    with pytest.raises(AuditError, match=f"{field} is longer than {limit}"):
        logout(NoDatabase(), **{field: "x" * (limit + 1)})
    # Escaping counts: one control character becomes four characters.
    with pytest.raises(AuditError, match=f"{field} is longer than {limit}"):
        logout(NoDatabase(), **{field: "x" * (limit - 3) + "\n"})


def test_text_exactly_as_long_as_its_column_is_stored(engine):
    fields = {"role": "r" * 64, "object_type": "t" * 32, "object_id": "i" * 128}
    with engine.begin() as connection:
        logout(connection, request_id="q" * 60 + "\n", **fields)
        (stored,) = iter_entries(connection)
    assert (stored.role, stored.object_type, stored.object_id) == tuple(fields.values())
    assert stored.request_id == "q" * 60 + "\\x0a"


# --- time --------------------------------------------------------------------------------


def test_naive_datetimes_are_refused():
    naive = datetime(2026, 3, 2, 9)  # naive on purpose
    with pytest.raises(AuditError, match="timezone-aware"):
        logout(NoDatabase(), naive)
    with pytest.raises(AuditError, match="timezone-aware"):
        format_time(naive)


def test_format_time_is_utc_with_microseconds_and_z():
    moment = datetime(2026, 3, 2, 10, 30, 15, 120, tzinfo=BERLIN_WINTER)
    assert format_time(moment) == "2026-03-02T09:30:15.000120Z"
    assert format_time(NOW) == "2026-03-02T09:00:00.000000Z"


def test_timestamps_come_back_utc_aware_with_microseconds(engine, key):
    moment = datetime(2026, 3, 2, 10, 30, 15, 123456, tzinfo=BERLIN_WINTER)
    with engine.begin() as connection:
        written = logout(connection, moment)
    with engine.connect() as connection:
        (stored,) = iter_entries(connection)
        verdict = audit.verify(connection, key.public_key())
    assert stored.ts == datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
    assert stored.ts.utcoffset() == timedelta(0)
    assert stored.ts.microsecond == 123456
    assert stored == written
    assert stored.computed_hash() == stored.entry_hash
    assert verdict.intact, verdict.summary()


def test_the_time_type_passes_null_through_to_the_query_and_the_database(engine):
    newest = sa.select(sa.func.max(audit.audit_entry.c.ts))
    with engine.connect() as connection:
        assert connection.execute(newest).scalar() is None  # an empty log has no newest time
    with engine.begin() as connection:
        entry = logout(connection, datetime(2026, 3, 2, 10, 0, 0, 7, tzinfo=BERLIN_WINTER))
    with engine.connect() as connection:
        assert connection.execute(newest).scalar() == entry.ts
    # NULL reaches the database, whose NOT NULL constraint refuses it.
    untimed = sa.insert(audit.audit_checkpoint).values(
        seq=0, head_hash=GENESIS_HASH, signed_at=None, key_id="k", signature="AA=="
    )
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(untimed)


# --- the chain ---------------------------------------------------------------------------


def test_record_builds_a_linear_hash_chain(engine, key):
    written = []
    for number in range(5):
        with engine.begin() as connection:
            written.append(
                read(
                    connection,
                    actor_id=number,
                    role="counsellor",
                    centre_id=2,
                    object_type="case",
                    object_id=100 + number,
                    request_id=f"req-{number}",
                    details={"fields": ["title"]},
                )
            )
    assert [entry.seq for entry in written] == [1, 2, 3, 4, 5]
    assert written[0].prev_hash == GENESIS_HASH == "0" * 64
    for earlier, later in pairwise(written):
        assert later.prev_hash == earlier.entry_hash
    for entry in written:
        assert entry.entry_hash == expected_hash(entry)
        assert len(entry.entry_hash) == 64
    with engine.connect() as connection:
        assert list(iter_entries(connection)) == written
        assert audit.head(connection) == (5, written[-1].entry_hash)
        verdict = audit.verify(connection, key.public_key())
    assert appends_counted(engine) == 5
    assert (verdict.intact, verdict.entries, verdict.head_seq) == (True, 5, 5)
    assert verdict.head_hash == written[-1].entry_hash


def test_the_hash_of_format_1_is_pinned():
    """An entry hashes to this value for ever: changing the encoding breaks every old log."""
    entry = Entry(
        seq=7,
        ts=datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC),
        actor_id=3,
        role="counsellor",
        centre_id=1,
        action="case:content:read",
        object_type="case",
        object_id="42",
        purpose="counselling",
        outcome="success",
        request_id="req-1",
        details='{"fields":["title"]}',
        prev_hash="ab" * 32,
        entry_hash="",
    )
    assert entry.computed_hash() == expected_hash(entry)
    assert entry.computed_hash() == PINNED_FORMAT_1_HASH
    assert entry.computed_hash(seq=8) == expected_hash(replace(entry, seq=8))
    assert entry.computed_hash(seq=8) != entry.computed_hash()


PINNED_FORMAT_1_HASH = "9388e4b5c57bbe98619dc9f8eafc27b9d0df439c000f7ae1e0f3cf23bd2dab80"


def test_a_session_is_an_executor_too(engine):
    with sa.orm.Session(engine) as session, session.begin():
        first = logout(session)
        second = logout(session, actor_id=1)
    assert (first.seq, second.prev_hash) == (1, first.entry_hash)
    assert count_entries(engine) == 2


def test_a_failed_operation_takes_its_entry_with_it(engine):
    def operation() -> None:
        with engine.begin() as connection:
            logout(connection)
            raise RuntimeError("operation failed")

    with pytest.raises(RuntimeError, match="operation failed"):
        operation()
    assert count_entries(engine) == 0
    with engine.begin() as connection:
        assert logout(connection).seq == 1


def test_record_refuses_when_the_append_lock_row_is_missing(backend, engine):
    # The application's role may not delete the row (PostgreSQL); the owner can.
    owner = sa.create_engine(backend.owner_url)
    try:
        with owner.begin() as connection:
            connection.execute(sa.delete(audit.audit_append_lock))
    finally:
        owner.dispose()
    with pytest.raises(AuditError, match="audit_append_lock"), engine.begin() as connection:
        logout(connection)
    assert count_entries(engine) == 0


def test_head_of_an_empty_log_is_the_genesis_hash(engine):
    with engine.connect() as connection:
        assert audit.head(connection) == (0, GENESIS_HASH)
        assert list(iter_entries(connection)) == []


def test_iter_entries_reads_in_batches_after_a_given_seq(engine):
    with engine.begin() as connection:
        written = [logout(connection, actor_id=number) for number in range(5)]
    selects: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    with engine.connect() as connection:
        for batch_size, queries in [(2, 3), (5, 2), (6, 1), (1, 6)]:
            selects.clear()
            assert list(iter_entries(connection, batch_size=batch_size)) == written
            assert len(selects) == queries, batch_size
        assert list(iter_entries(connection, after=3, batch_size=1)) == written[3:]
        assert list(iter_entries(connection, after=5)) == []
        assert list(iter_entries(connection, after=-10)) == written


def test_seq_of_hash_finds_an_entry_by_its_hash(engine):
    with engine.begin() as connection:
        written = [logout(connection, actor_id=number) for number in range(3)]
        assert [seq_of_hash(connection, entry.entry_hash) for entry in written] == [1, 2, 3]
        assert seq_of_hash(connection, GENESIS_HASH) is None


# --- signing keys ------------------------------------------------------------------------


def write_pem(path: Path, pem: bytes, mode: int = 0o600) -> Path:
    path.write_bytes(pem)
    path.chmod(mode)
    return path


def private_pem(private_key: Any, encryption: Any = None) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        encryption or serialization.NoEncryption(),
    )


def raw_public(public_key: Any) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_generate_signing_key_writes_a_private_file_and_never_overwrites(tmp_path):
    path = tmp_path / "keys" / "audit-signing.pem"
    generated = audit.generate_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = audit.load_signing_key(path)
    assert raw_public(loaded.public_key()) == raw_public(generated.public_key())
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match="never overwritten"):
        audit.generate_signing_key(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o620, 0o610, 0o604, 0o602, 0o601, 0o644, 0o666])
def test_load_signing_key_refuses_a_file_others_may_use(tmp_path, key, mode):
    path = write_pem(tmp_path / "audit.pem", private_pem(key), mode)
    with pytest.raises(CheckpointError, match="readable by others"):
        audit.load_signing_key(path)


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_load_signing_key_accepts_an_owner_only_file(tmp_path, key, mode):
    path = write_pem(tmp_path / "audit.pem", private_pem(key), mode)
    assert raw_public(audit.load_signing_key(path).public_key()) == raw_public(key.public_key())


def test_load_signing_key_refuses_what_is_not_an_unencrypted_ed25519_pem(tmp_path, key, rsa_key):
    garbage = write_pem(tmp_path / "garbage.pem", b"not a key")
    encrypted = write_pem(
        tmp_path / "encrypted.pem",
        private_pem(key, serialization.BestAvailableEncryption(b"passphrase")),
    )
    public = write_pem(tmp_path / "public.pem", audit.public_key_pem(key.public_key()).encode())
    with pytest.raises(CheckpointError, match="not an unencrypted PEM private key"):
        audit.load_signing_key(garbage)
    with pytest.raises(CheckpointError, match="not an unencrypted PEM private key"):
        audit.load_signing_key(encrypted)
    with pytest.raises(CheckpointError, match="not an unencrypted PEM private key"):
        audit.load_signing_key(public)
    for other in (rsa_key, ec.generate_private_key(ec.SECP256R1())):
        path = write_pem(tmp_path / "other.pem", private_pem(other))
        with pytest.raises(CheckpointError, match="another type"):
            audit.load_signing_key(path)


def test_load_signing_key_refuses_a_path_it_cannot_read(tmp_path):
    with pytest.raises(CheckpointError, match="cannot read"):
        audit.load_signing_key(tmp_path / "missing.pem")
    with pytest.raises(CheckpointError, match="cannot read"):
        audit.load_signing_key(tmp_path)  # a directory


def test_public_keys_round_trip_through_pem_and_are_identified_by_key_id(key, rsa_key):
    pem = audit.public_key_pem(key.public_key())
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    loaded = audit.load_public_key(pem.encode())
    assert raw_public(loaded) == raw_public(key.public_key())
    identifier = audit.key_id(key.public_key())
    assert identifier == hashlib.sha256(raw_public(key.public_key())).hexdigest()[:32]
    assert audit.key_id(loaded) == identifier
    assert audit.key_id(Ed25519PrivateKey.generate().public_key()) != identifier
    for garbage in (b"", b"not a key", private_pem(key)):
        with pytest.raises(CheckpointError, match="not a PEM public key"):
            audit.load_public_key(garbage)
    for other in (rsa_key, ec.generate_private_key(ec.SECP256R1())):
        other_pem = other.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        with pytest.raises(CheckpointError, match="not an Ed25519 key"):
            audit.load_public_key(other_pem)


# --- checkpoints -------------------------------------------------------------------------


def test_a_checkpoint_of_the_empty_log_signs_seq_0_and_the_genesis_hash(engine, key):
    with engine.begin() as connection:
        assert audit.latest_checkpoint(connection) is None
        assert stored_checkpoints(connection) == []
        checkpoint = audit.create_checkpoint(connection, key, NOW)
    assert (checkpoint.seq, checkpoint.head_hash) == (0, GENESIS_HASH)
    assert checkpoint.is_signed_by(key.public_key())
    with engine.connect() as connection:
        assert audit.latest_checkpoint(connection) == checkpoint
        verdict = audit.verify(connection, key.public_key())
    assert (verdict.intact, verdict.entries, verdict.checkpoints) == (True, 0, 1)


def test_create_checkpoint_signs_and_stores_the_head(engine, key):
    with engine.begin() as connection:
        first = audit.create_checkpoint(connection, key, NOW)
        written = [logout(connection, actor_id=number) for number in range(3)]
        moment = datetime(2026, 3, 2, 10, 15, 0, 654321, tzinfo=BERLIN_WINTER)
        second = audit.create_checkpoint(connection, key, moment)
    assert (second.seq, second.head_hash) == (3, written[-1].entry_hash)
    assert second.key_id == audit.key_id(key.public_key())
    # The signed message, written out independently: context, seq, head, UTC time, key id.
    message = (
        b"servicestelle audit checkpoint v1\n3\n"
        + written[-1].entry_hash.encode()
        + b"\n2026-03-02T09:15:00.654321Z\n"
        + second.key_id.encode()
        + b"\n"
    )
    assert second.message() == message
    key.public_key().verify(second.signature, message)
    with engine.connect() as connection:
        stored = stored_checkpoints(connection)
        latest = audit.latest_checkpoint(connection)
        row = connection.execute(sa.select(audit.audit_checkpoint).order_by("id")).all()[-1]
    assert stored == [first, second]
    assert latest == second
    assert latest.signed_at.utcoffset() == timedelta(0)
    assert latest.is_signed_by(key.public_key())
    assert row.signature == base64.b64encode(second.signature).decode()
    assert (row.seq, row.head_hash, row.key_id) == (3, second.head_hash, second.key_id)


def test_a_checkpoint_refuses_a_naive_time(engine, key):
    with pytest.raises(AuditError, match="timezone-aware"), engine.begin() as connection:
        audit.create_checkpoint(connection, key, datetime(2026, 3, 2, 9))  # naive on purpose
    with engine.connect() as connection:
        assert stored_checkpoints(connection) == []


def make_checkpoint(signer: Ed25519PrivateKey, **fields: Any) -> Checkpoint:
    values = {"seq": 5, "head_hash": "ab" * 32, "signed_at": NOW}
    values.update(fields)
    identifier = values.pop("key_id", audit.key_id(signer.public_key()))
    message = signed_message(values["seq"], values["head_hash"], values["signed_at"], identifier)
    return Checkpoint(key_id=identifier, signature=signer.sign(message), **values)


def test_is_signed_by_needs_the_right_key_and_untouched_fields(key):
    other = Ed25519PrivateKey.generate()
    checkpoint = make_checkpoint(key)
    assert checkpoint.is_signed_by(key.public_key())
    assert not checkpoint.is_signed_by(other.public_key())
    for tampered in (
        replace(checkpoint, seq=6),
        replace(checkpoint, head_hash="cd" * 32),
        replace(checkpoint, signed_at=NOW + timedelta(microseconds=1)),
        replace(checkpoint, signature=bytes(64)),
        replace(checkpoint, signature=checkpoint.signature[:-1]),
    ):
        assert not tampered.is_signed_by(key.public_key()), tampered


def test_is_signed_by_refuses_a_checkpoint_naming_another_key(key):
    other = Ed25519PrivateKey.generate()
    # Signed by ``key`` but claiming to be ``other``'s: the signature itself is valid.
    claims_other = make_checkpoint(key, key_id=audit.key_id(other.public_key()))
    key.public_key().verify(claims_other.signature, claims_other.message())
    assert not claims_other.is_signed_by(key.public_key())
    assert not claims_other.is_signed_by(other.public_key())


def test_to_json_and_from_json_round_trip(key):
    checkpoint = make_checkpoint(
        key, signed_at=datetime(2026, 3, 2, 10, 0, 0, 5, tzinfo=BERLIN_WINTER)
    )
    text = audit.to_json(checkpoint, key.public_key())
    data = json.loads(text)
    assert data["format"] == FILE_FORMAT == "servicestelle-audit-checkpoint/1"
    assert data["signed_at"] == "2026-03-02T09:00:00.000005Z"
    assert audit.key_id(audit.load_public_key(data["public_key"].encode())) == checkpoint.key_id
    loaded = audit.from_json(text)
    assert loaded == checkpoint
    assert loaded.signed_at.utcoffset() == timedelta(0)
    assert loaded.is_signed_by(key.public_key())
    empty = make_checkpoint(key, seq=0, head_hash=GENESIS_HASH)
    assert audit.from_json(audit.to_json(empty, key.public_key())) == empty


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"format": "servicestelle-audit-checkpoint/2"}, "unknown checkpoint format", id="format"
        ),
        pytest.param({"seq": -1}, "seq is not", id="negative seq"),
        pytest.param({"seq": True}, "seq is not", id="bool seq"),
        pytest.param({"seq": 5.0}, "seq is not", id="float seq"),
        pytest.param({"seq": "5"}, "seq is not", id="string seq"),
        pytest.param({"seq": None}, "seq is not", id="null seq"),
        pytest.param({"head_hash": "ab" * 31}, "head_hash", id="short head hash"),
        pytest.param({"head_hash": "AB" * 32}, "head_hash", id="upper-case head hash"),
        pytest.param({"head_hash": "g" * 64}, "head_hash", id="non-hex head hash"),
        pytest.param({"head_hash": None}, "head_hash", id="null head hash"),
        pytest.param({"signed_at": "2026-03-02T09:00:00.000000"}, "no time zone", id="naive time"),
        pytest.param({"signed_at": "yesterday"}, "not a readable", id="unreadable time"),
        pytest.param(
            {"signed_at": "1999-12-31T23:59:59.999999Z"}, "outside 2000-01-01", id="before 2000"
        ),
        pytest.param({"signed_at": "2200-01-01T00:00:00Z"}, "outside 2000-01-01", id="2200"),
        pytest.param({"signed_at": "2000-01-01T00:30:00+01:00"}, "outside", id="1999 in UTC"),
        pytest.param({"signed_at": "9999-12-31T23:00:00Z"}, "outside", id="year 9999"),
        pytest.param(
            {"signed_at": "9999-12-31T23:00:00-05:00"}, "not a readable", id="overflow in UTC"
        ),
        pytest.param(
            {"signed_at": "0001-01-01T00:00:00+01:00"}, "not a readable", id="underflow in UTC"
        ),
        pytest.param({"signature": "not base64!"}, "not a readable", id="bad base64"),
        pytest.param({"signature": "abc"}, "not a readable", id="bad base64 padding"),
    ],
)
def test_from_json_refuses_a_damaged_file(key, changes, message):
    data = json.loads(audit.to_json(make_checkpoint(key), key.public_key()))
    data.update(changes)
    with pytest.raises(CheckpointError, match=message):
        audit.from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("signed_at", "utc"),
    [
        ("2000-01-01T00:00:00Z", datetime(2000, 1, 1, tzinfo=UTC)),
        ("2199-12-31T23:59:59.999999Z", datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2200-01-01T00:30:00+01:00", datetime(2199, 12, 31, 23, 30, tzinfo=UTC)),
        ("1999-12-31T23:30:00-01:00", datetime(2000, 1, 1, 0, 30, tzinfo=UTC)),
    ],
)
def test_from_json_accepts_times_from_2000_to_2199_in_utc(key, signed_at, utc):
    data = json.loads(audit.to_json(make_checkpoint(key), key.public_key()))
    data["signed_at"] = signed_at
    assert audit.from_json(json.dumps(data)).signed_at == utc


@pytest.mark.parametrize(
    "missing", ["format", "seq", "head_hash", "signed_at", "key_id", "signature"]
)
def test_from_json_refuses_a_file_with_a_missing_field(key, missing):
    data = json.loads(audit.to_json(make_checkpoint(key), key.public_key()))
    del data[missing]
    with pytest.raises(CheckpointError, match="not a readable checkpoint file"):
        audit.from_json(json.dumps(data))


@pytest.mark.parametrize("text", ["", "not json", "{", "[]", "null", "42", '"text"', "[1, 2]"])
def test_from_json_refuses_what_is_not_a_checkpoint_object(text):
    with pytest.raises(CheckpointError, match="not a readable checkpoint file"):
        audit.from_json(text)


# --- the database keeps the log append-only ----------------------------------------------


def snapshot(engine: sa.Engine) -> tuple[list[Any], list[Any]]:
    with engine.connect() as connection:
        entries = connection.execute(sa.select(audit.audit_entry).order_by("seq")).all()
        checkpoints = connection.execute(sa.select(audit.audit_checkpoint).order_by("id")).all()
    return entries, checkpoints


def fill(engine: sa.Engine, key: Ed25519PrivateKey) -> None:
    with engine.begin() as connection:
        for number in range(3):
            logout(connection, actor_id=number)
        audit.create_checkpoint(connection, key, NOW)


def assert_refused(engine: sa.Engine, statement: str, message: str | None = None) -> None:
    """The statement fails (with ``message`` if given; None: whatever the reason)."""
    with pytest.raises(sa.exc.DBAPIError, match=message), engine.begin() as connection:
        connection.execute(sa.text(statement))


SQLITE_REFUSED = [
    "UPDATE audit_entry SET outcome = 'failure' WHERE seq = 2",
    "UPDATE audit_entry SET seq = seq + 10",
    "DELETE FROM audit_entry WHERE seq = 3",
    "DELETE FROM audit_entry",
    "UPDATE audit_checkpoint SET seq = 2",
    "DELETE FROM audit_checkpoint",
]


@only_sqlite
def test_sqlite_aborts_updates_and_deletes_of_audit_rows(engine, key):
    fill(engine, key)
    before = snapshot(engine)
    for statement in SQLITE_REFUSED:
        assert_refused(engine, statement, "append-only")
    assert snapshot(engine) == before


@only_sqlite
@pytest.mark.parametrize(
    ("statement", "message"),
    [
        pytest.param(
            "INSERT OR REPLACE INTO audit_entry SELECT seq, ts, actor_id, role, centre_id,"
            " action, object_type, object_id, purpose, 'failure', request_id, details,"
            " prev_hash, entry_hash FROM audit_entry WHERE seq = 2",
            None,
            id="entry replaced in place",
        ),
        pytest.param(
            "REPLACE INTO audit_checkpoint SELECT id, seq + 1, head_hash, signed_at, key_id,"
            " signature FROM audit_checkpoint",
            None,
            id="checkpoint replaced in place",
        ),
        pytest.param(
            # Names the same entry, so only the no-replace trigger can refuse it.
            "REPLACE INTO audit_checkpoint SELECT id, seq, head_hash, signed_at, key_id,"
            " 'AA==' FROM audit_checkpoint",
            "append-only",
            id="checkpoint replaced naming the same entry",
        ),
    ],
)
def test_sqlite_refuses_insert_or_replace_of_audit_rows(engine, key, statement, message):
    """``INSERT OR REPLACE`` deletes the conflicting row without running DELETE triggers; the
    insert guards refuse it (whichever trigger fires first: the row does not continue the
    chain, names no entry, or would replace one)."""
    fill(engine, key)
    before = snapshot(engine)
    assert_refused(engine, statement, message)
    assert snapshot(engine) == before


@only_sqlite
def test_sqlite_refuses_a_replace_that_continues_the_chain_but_clashes_with_a_hash(engine, key):
    """A replacing row at the next position with the head as predecessor passes the
    continues-chain trigger; reusing entry 1's hash would delete entry 1, and the no-replace
    trigger refuses that."""
    fill(engine, key)
    before = snapshot(engine)
    statement = (
        "INSERT OR REPLACE INTO audit_entry SELECT 4, ts, actor_id, role, centre_id, action,"
        " object_type, object_id, purpose, outcome, request_id, details,"
        " (SELECT entry_hash FROM audit_entry WHERE seq = 3), entry_hash"
        " FROM audit_entry WHERE seq = 1"
    )
    assert_refused(engine, statement, "append-only")
    assert snapshot(engine) == before


PG_TABLES = ("audit_entry", "audit_checkpoint")
PG_APP_REFUSED = [
    statement
    for table in PG_TABLES
    for statement in (
        f"UPDATE {table} SET seq = seq + 10",  # noqa: S608 - constant table names
        f"DELETE FROM {table}",  # noqa: S608 - constant table names
        f"TRUNCATE {table}",
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"ALTER TABLE {table} DISABLE TRIGGER USER",
        f"DROP TRIGGER {table}_no_update_delete ON {table}",
        f"DROP TRIGGER {table}_no_truncate ON {table}",
        f"ALTER TABLE {table} OWNER TO servicestelle_app",
        f"DROP TABLE {table}",
    )
] + [
    "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RETURN NEW; END $$",
    "DROP FUNCTION audit_refuse_change() CASCADE",
]


@only_postgresql
def test_postgresql_app_role_can_only_append_and_read(engine, key):
    fill(engine, key)
    before = snapshot(engine)
    for statement in PG_APP_REFUSED:
        assert_refused(engine, statement, "permission denied|must be owner")
    assert snapshot(engine) == before
    with engine.begin() as connection:
        assert logout(connection).seq == 4
        audit.create_checkpoint(connection, key, NOW)
        verdict = audit.verify(connection, key.public_key())
    assert (verdict.intact, verdict.entries, verdict.checkpoints) == (True, 4, 2)


@only_postgresql
def test_postgresql_app_role_does_not_own_the_audit_tables(engine):
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT current_user")).scalar() == "servicestelle_app"
        owners = dict(
            connection.execute(
                sa.text(
                    "SELECT tablename, tableowner FROM pg_tables "
                    "WHERE tablename IN ('audit_entry', 'audit_checkpoint')"
                )
            ).all()
        )
        privileges = {
            (table, privilege): connection.execute(
                sa.text("SELECT has_table_privilege(current_user, :table, :privilege)"),
                {"table": table, "privilege": privilege},
            ).scalar()
            for table in PG_TABLES
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
        }
        # Checkpoints: INSERT of the signed fields only, never of the id (which would let the
        # role pin an unsigned row as "the newest").
        column_insert = {
            column: connection.execute(
                sa.text(
                    "SELECT has_column_privilege(current_user, 'audit_checkpoint', :c, 'INSERT')"
                ),
                {"c": column},
            ).scalar()
            for column in ("id", "seq", "head_hash", "signed_at", "key_id", "signature")
        }
    assert owners == {
        "audit_entry": "servicestelle_owner",
        "audit_checkpoint": "servicestelle_owner",
    }
    assert {pair for pair, granted in privileges.items() if granted} == {
        ("audit_entry", "SELECT"),
        ("audit_entry", "INSERT"),
        ("audit_checkpoint", "SELECT"),
    }
    assert column_insert == {
        "id": False,
        "seq": True,
        "head_hash": True,
        "signed_at": True,
        "key_id": True,
        "signature": True,
    }


@only_postgresql
def test_postgresql_triggers_refuse_changes_even_by_the_owner(backend, engine, key):
    fill(engine, key)
    before = snapshot(engine)
    owner = sa.create_engine(backend.owner_url)
    try:
        for table in PG_TABLES:
            for statement in (
                f"UPDATE {table} SET seq = seq + 10",  # noqa: S608 - constant table names
                f"DELETE FROM {table}",  # noqa: S608 - constant table names
                f"TRUNCATE {table}",
            ):
                assert_refused(owner, statement, "append-only")
    finally:
        owner.dispose()
    assert snapshot(engine) == before


# --- inserts must continue the chain; CHECKs refuse what no reader can use -----------------


def continuing(executor: Any, **fields: Any) -> Entry:
    """The next entry as record() builds it (seq, prev_hash, hash), with ``fields`` changed;
    the hash is computed over the changed fields unless ``entry_hash`` is given."""
    seq, prev_hash = audit.head(executor)
    values: dict[str, Any] = {
        "seq": seq + 1,
        "ts": NOW,
        "actor_id": None,
        "role": None,
        "centre_id": None,
        "action": AuditEvent.AUTH_LOGOUT.value,
        "object_type": None,
        "object_id": None,
        "purpose": None,
        "outcome": Outcome.SUCCESS.value,
        "request_id": None,
        "details": "{}",
        "prev_hash": prev_hash,
        "entry_hash": "",
    }
    values.update(fields)
    entry = Entry(**values)
    return entry if entry.entry_hash else replace(entry, entry_hash=entry.computed_hash())


def insert_entry(engine: sa.Engine, entry: Entry) -> None:
    """INSERT the row directly, as the application's role (no record(), no append lock)."""
    with engine.begin() as connection:
        connection.execute(
            sa.insert(audit.audit_entry).values(
                {column.name: getattr(entry, column.name) for column in audit.audit_entry.columns}
            )
        )


def insert_checkpoint(engine: sa.Engine, seq: int, head_hash: str, **fields: Any) -> None:
    values = {"signed_at": NOW, "key_id": "k" * 32, "signature": "AA==", **fields}
    with engine.begin() as connection:
        connection.execute(
            sa.insert(audit.audit_checkpoint).values(seq=seq, head_hash=head_hash, **values)
        )


def test_the_first_entry_must_start_the_chain(engine, key):
    with engine.connect() as connection:
        first = continuing(connection)
        wrong = [
            continuing(connection, seq=2),
            continuing(connection, seq=0),
            continuing(connection, prev_hash="f" * 64),
        ]
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    for entry in wrong:
        with pytest.raises(sa.exc.IntegrityError, match="must continue the chain"):
            insert_entry(engine, entry)
    assert count_entries(engine) == 0
    insert_entry(engine, first)  # what record() would have written
    with engine.connect() as connection:
        assert list(iter_entries(connection)) == [first]
        assert audit.verify(connection, key.public_key()).intact


def test_the_application_role_can_only_insert_an_entry_that_continues_the_chain(engine, key):
    with engine.begin() as connection:
        written = [logout(connection, actor_id=number) for number in range(3)]
    before = snapshot(engine)
    with engine.connect() as connection:
        right = continuing(connection, actor_id=9)
    assert (right.seq, right.prev_hash) == (4, written[-1].entry_hash)
    wrong = {
        "a gap": replace(right, seq=5),
        "far above the head": replace(right, seq=10**12),
        "at an existing seq": replace(right, seq=3),
        "below the first": replace(right, seq=0),
        "at a negative seq": replace(right, seq=-1),
        "linked to the genesis hash": replace(right, prev_hash=GENESIS_HASH),
        "linked to an earlier entry": replace(right, prev_hash=written[0].entry_hash),
        "linked to nothing": replace(right, prev_hash="f" * 64),
    }
    for why, entry in wrong.items():
        with pytest.raises(sa.exc.IntegrityError, match=r"continue the chain|append-only"):
            insert_entry(engine, replace(entry, entry_hash=entry.computed_hash()))
        assert snapshot(engine) == before, why
    assert snapshot(engine) == before
    insert_entry(engine, right)
    with engine.connect() as connection:
        verdict = audit.verify(connection, key.public_key())
    assert (verdict.intact, verdict.head_seq, verdict.head_hash) == (True, 4, right.entry_hash)


def test_a_checkpoint_must_name_an_entry_of_the_log(engine, key):
    for seq, head_hash in ((0, "ab" * 32), (1, GENESIS_HASH)):
        with pytest.raises(sa.exc.IntegrityError, match="must name an entry"):
            insert_checkpoint(engine, seq, head_hash)
    insert_checkpoint(engine, 0, GENESIS_HASH)  # the empty log
    with engine.begin() as connection:
        written = [logout(connection, actor_id=number) for number in range(3)]
    before = snapshot(engine)
    for seq, head_hash in (
        (3, written[1].entry_hash),  # an entry's hash at another seq
        (4, written[2].entry_hash),  # beyond the head
        (0, written[0].entry_hash),  # the empty log with another hash
        (2, "ab" * 32),  # a hash no entry has
        (-1, GENESIS_HASH),
    ):
        with pytest.raises(sa.exc.IntegrityError, match="must name an entry"):
            insert_checkpoint(engine, seq, head_hash)
    assert snapshot(engine) == before
    # Naming a real entry is all the database can check; the signature is verify's business.
    insert_checkpoint(engine, 2, written[1].entry_hash)
    with engine.connect() as connection:
        verdict = audit.verify(connection, key.public_key())
    assert (verdict.problem, verdict.seq) == (audit.Problem.FORGED_CHECKPOINT, 0)


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(datetime(1999, 12, 31, 12, tzinfo=UTC), id="1999"),
        pytest.param(datetime(1970, 1, 1, tzinfo=UTC), id="epoch"),
        pytest.param(datetime(1, 1, 1, tzinfo=UTC), id="year 1"),
        pytest.param(datetime(2200, 1, 1, tzinfo=UTC), id="2200"),
        pytest.param(datetime(9999, 12, 31, tzinfo=UTC), id="year 9999"),
    ],
)
def test_times_outside_2000_to_2199_are_refused_by_the_database(engine, key, moment):
    with engine.begin() as connection:
        logout(connection)
    before = snapshot(engine)
    with engine.connect() as connection:
        entry = continuing(connection, ts=moment)
    with pytest.raises(sa.exc.IntegrityError, match="ck_audit_entry_ts_in_range"):
        insert_entry(engine, entry)
    # record() writes whatever time it is given; the database refuses it.
    with (
        pytest.raises(sa.exc.IntegrityError, match="ck_audit_entry_ts_in_range"),
        engine.begin() as connection,
    ):
        logout(connection, moment)
    with (
        pytest.raises(sa.exc.IntegrityError, match="ck_audit_checkpoint_signed_at_in_range"),
        engine.begin() as connection,
    ):
        audit.create_checkpoint(connection, key, moment)
    assert snapshot(engine) == before


def test_times_from_2000_to_2199_are_accepted(engine, key):
    early, late = datetime(2000, 1, 1, 12, tzinfo=UTC), datetime(2199, 12, 31, 12, tzinfo=UTC)
    with engine.begin() as connection:
        logout(connection, early)
        audit.create_checkpoint(connection, key, late)
    with engine.connect() as connection:
        entry = continuing(connection, ts=late)
    insert_entry(engine, entry)
    with engine.connect() as connection:
        assert [stored.ts for stored in iter_entries(connection)] == [early, late]
        assert audit.latest_checkpoint(connection).signed_at == late
        assert audit.verify(connection, key.public_key()).intact


@pytest.mark.parametrize("entry_hash", ["", "a" * 63, "a" * 65])
def test_an_entry_hash_that_is_not_64_characters_long_is_refused(engine, entry_hash):
    with engine.connect() as connection:
        entry = replace(continuing(connection), entry_hash=entry_hash)
    # The CHECK, or on PostgreSQL for 65 characters the column's own length.
    with pytest.raises(sa.exc.DBAPIError, match=r"ck_audit_entry_hashes_are_sha256|too long"):
        insert_entry(engine, entry)
    assert count_entries(engine) == 0


def test_the_application_role_may_only_update_the_append_lock(backend, engine):
    if backend.name == "sqlite":
        pytest.skip("SQLite has no privileges: whoever can write the file can delete the row")
    for statement in (
        "DELETE FROM audit_append_lock",
        "TRUNCATE audit_append_lock",
        "INSERT INTO audit_append_lock (id, appends) VALUES (2, 0)",
    ):
        assert_refused(engine, statement, "permission denied")
    with engine.begin() as connection:  # the UPDATE every append makes is allowed
        logout(connection)
    assert appends_counted(engine) == 1


@only_postgresql
def test_postgresql_app_role_cannot_move_the_append_lock_row(engine):
    """Moving the row (another id) would stop every append just as deleting it would: the
    application's role may update the counter only (pg_roles.py grants UPDATE (appends))."""
    assert_refused(engine, "UPDATE audit_append_lock SET id = 2", "permission denied")
    with engine.begin() as connection:
        assert logout(connection).seq == 1


@only_postgresql
def test_postgresql_insert_guards_are_not_misled_by_a_temporary_table(engine):
    """BUG (migrations/…_0003_audit_log.py, POSTGRESQL_INSERT_GUARDS): the trigger functions
    read ``audit_entry`` unqualified, and pg_temp comes first in every search_path unless it
    is named. The application's role may create temporary tables (PUBLIC has TEMPORARY on the
    database), so it creates ``pg_temp.audit_entry`` with the head it likes and inserts into
    ``public.audit_entry`` a row far above the real head, or a checkpoint naming no entry;
    both triggers read the temporary table and let the row through. Fix: give both
    functions a fixed search path, ``CREATE FUNCTION audit_entry_continues_chain() RETURNS
    trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$ … $$`` (the same for
    audit_checkpoint_names_an_entry; or schema-qualify the table in their bodies); and
    ``REVOKE TEMPORARY ON DATABASE … FROM PUBLIC`` in pg_roles.py as a second line.
    """
    with engine.begin() as connection:
        logout(connection)
        far = continuing(connection, seq=10**12, prev_hash="a" * 64)
    columns = [column.name for column in audit.audit_entry.columns]
    into_entry = sa.text(
        f"INSERT INTO public.audit_entry ({', '.join(columns)}) "  # noqa: S608 - constant names
        f"VALUES ({', '.join(':' + name for name in columns)})"
    )
    into_checkpoint = sa.text(
        "INSERT INTO public.audit_checkpoint (seq, head_hash, signed_at, key_id, signature) "
        "VALUES (:seq, :head_hash, now(), 'k', 'AA==')"
    )

    def behind_a_temporary_table(statement: Any, parameters: dict[str, Any]) -> None:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "CREATE TEMPORARY TABLE audit_entry (seq bigint, entry_hash text) "
                    "ON COMMIT DROP"
                )
            )
            connection.execute(
                sa.text("INSERT INTO pg_temp.audit_entry VALUES (:seq, :head_hash)"),
                {"seq": far.seq - 1, "head_hash": far.prev_hash},
            )
            connection.execute(statement, parameters)

    with pytest.raises(sa.exc.IntegrityError, match="continue the chain"):
        behind_a_temporary_table(into_entry, {name: getattr(far, name) for name in columns})
    with pytest.raises(sa.exc.IntegrityError, match="must name an entry"):
        behind_a_temporary_table(into_checkpoint, {"seq": far.seq - 1, "head_hash": far.prev_hash})
    assert count_entries(engine) == 1
