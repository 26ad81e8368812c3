"""The audit library's entries: the vocabulary, details, text columns and times, on SQLite and
on PostgreSQL as the application's role. The chain is in test_audit_chain.py, signing keys and
checkpoints in test_audit_checkpoints.py, the database's guards in test_audit_database.py.

Tests marked ``BUG`` in their docstring fail on purpose: they show a defect in ``audit/`` (or
its migration) that is described next to the test.
"""

from __future__ import annotations

import codecs
import json
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import audit
from audit import GENESIS_HASH, AuditError, AuditEvent, Outcome
from audit.chain import MAX_DETAIL_ITEMS, MAX_DETAIL_LIST, encode_details, format_time
from audit.events import PURPOSE_REQUIRED
from audit.store import iter_entries
from tests.support.audit_log import (
    BERLIN_WINTER,
    NOW,
    appends_counted,
    count_entries,
    logout,
    read,
)

#: Categories that must never reach a stored text column (log injection, ASVS 16.4.1).
CONTROL_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


class NoDatabase:
    """An executor that fails the test if the library touches the database at all."""

    def execute(self, statement: Any, parameters: Any = None, /) -> Any:
        raise AssertionError("the entry must be refused before the database is touched")


# --- the vocabulary ------------------------------------------------------------------


def test_events_name_their_source_and_only_reads_of_case_content_need_a_purpose():
    assert AuditEvent.CASE_CONTENT_READ.source == "case"
    assert AuditEvent.AUTH_LOGOUT.source == "auth"
    assert AuditEvent.AUDIT_CHECKPOINT_CREATE.source == "audit"
    assert AuditEvent.CASE_CONTENT_READ.requires_purpose
    # A read, an emergency opening and an export of a client's file each say why.
    reads = {
        AuditEvent.CASE_CONTENT_READ,
        AuditEvent.CASE_BREAK_GLASS_OPEN,
        AuditEvent.CASE_RECORD_EXPORT,
    }
    assert {event for event in AuditEvent if event.requires_purpose} == reads
    assert frozenset(reads) == PURPOSE_REQUIRED
    assert not AuditEvent.CASE_RECORD_UPDATE.requires_purpose
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
    """Regression (fixed; audit/store.py, record): ``AuditEvent(event)``, ``Outcome(outcome)`` and
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
    """Regression (minor, fixed; audit/chain.py, escape_text): a format character above U+FFFF, such as the
    invisible "tag" characters U+E0000–U+E007F used to smuggle hidden text, is written as
    ``\\u`` with five hex digits (``f"\\\\u{code:04x}"`` only pads). ``\\ue0041`` reads back
    as U+E004 followed by "1", so the escaped text is no longer unambiguous.
    The fix: ``f"\\\\U{code:08x}"`` when ``code > 0xFFFF``.
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
