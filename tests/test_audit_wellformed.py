"""Entries that hash and link correctly but could not have come from ``record()``.

The application's role may INSERT, and anyone can compute SHA-256: a row at the next position
with the head as predecessor and its own hash computed passes the continues-chain trigger. The
verifier must still tell that record() never wrote it (``Problem.MALFORMED``).

Tests marked ``BUG`` in their docstring fail on purpose: they show a defect in ``audit/``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

import audit
from audit import AuditEvent, Entry, Outcome, Problem, Purpose
from audit.chain import encode_details, parse_details
from audit.store import iter_entries
from audit.wellformed import DetailsCache, problem_with
from tests.support.audit_log import NOW, check, insert_row, make_entry, next_entry

WRITTEN = 3
#: What record() writes for a counsellor's case read (all but seq, time and the hashes).
A_CASE_READ: dict[str, Any] = {
    "actor_id": 7,
    "role": "counsellor",
    "centre_id": 1,
    "action": AuditEvent.CASE_CONTENT_READ.value,
    "object_type": "case",
    "object_id": "12",
    "purpose": Purpose.COUNSELLING.value,
    "outcome": Outcome.SUCCESS.value,
    "request_id": "req-1",
    "details": '{"fields":["title"]}',
}


@pytest.fixture
def engine(engine: sa.Engine) -> sa.Engine:
    """The engine of tests/conftest.py, on a log of WRITTEN case reads."""
    with engine.begin() as connection:
        for number in range(WRITTEN):
            audit.record(
                connection,
                AuditEvent.CASE_CONTENT_READ,
                Outcome.SUCCESS,
                now=NOW,
                actor_id=number,
                role="counsellor",
                object_type="case",
                object_id=number,
                purpose=Purpose.COUNSELLING,
                details={"fields": ["title"]},
            )
    return engine


def insert_as_app(engine: sa.Engine, **fields: Any) -> Entry:
    """INSERT a self-consistent next entry (a case read, with ``fields`` changed) directly
    as the application's role (no record())."""
    with engine.begin() as connection:
        entry = next_entry(connection, **{**A_CASE_READ, **fields})
        insert_row(connection, entry)
    return entry


# --- what record() would have written is well-formed ----------------------------------------


def test_a_row_as_record_writes_it_is_well_formed(engine, key):
    inserted = insert_as_app(engine)
    with engine.begin() as connection:
        recorded = audit.record(
            connection,
            AuditEvent.CASE_CONTENT_READ,
            Outcome.SUCCESS,
            now=NOW,
            actor_id=7,
            role="counsellor",
            centre_id=1,
            object_type="case",
            object_id=12,
            purpose=Purpose.COUNSELLING,
            request_id="req-1",
            details={"fields": ["title"]},
        )
    assert replace(recorded, seq=0, prev_hash="", entry_hash="") == replace(
        inserted, seq=0, prev_hash="", entry_hash=""
    )
    verdict = check(engine, key)
    assert (verdict.intact, verdict.entries) == (True, WRITTEN + 2), verdict.summary()


def test_what_record_writes_from_odd_input_is_well_formed(engine, key):
    with engine.begin() as connection:
        audit.record(
            connection,
            AuditEvent.AUTH_LOGIN_FAILURE,
            Outcome.DENIED,
            now=NOW,
            # Escaped control characters; a no-break space and a letter outside ASCII (not
            # printable, or not ASCII, but nothing escape_text() changes).
            role="counsellor\r\n\u00a0Zoë",
            object_type="case\u202e",
            request_id="req\x00\\",
            details={"roles": {"dpo", "admin"}, "ok": True, "none": None, "ids": (3, 1)},
        )
        audit.record(connection, AuditEvent.AUTH_LOGOUT, Outcome.FAILURE, now=NOW)
        audit.record(
            connection,
            AuditEvent.AUTH_LOGOUT,
            Outcome.SUCCESS,
            now=NOW,
            purpose=Purpose.DPO_AUDIT,  # a purpose is allowed on any event
        )
    verdict = check(engine, key)
    assert (verdict.intact, verdict.entries) == (True, WRITTEN + 3), verdict.summary()


# --- what record() refuses, inserted around it ----------------------------------------------


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        pytest.param({"action": "case:content:delete"}, "action is not", id="unknown action"),
        pytest.param({"action": "CASE:CONTENT:READ"}, "action is not", id="action in capitals"),
        pytest.param({"outcome": "ok"}, "outcome is not", id="unknown outcome"),
        pytest.param({"purpose": "curiosity"}, "purpose is not", id="unknown purpose"),
        pytest.param({"purpose": ""}, "purpose is not", id="empty purpose"),
        pytest.param({"purpose": None}, "without purpose", id="case read without purpose"),
        pytest.param({"role": "counsellor\n"}, "control character", id="newline in role"),
        pytest.param({"role": "a\u2028b"}, "control character", id="line separator in role"),
        pytest.param({"object_type": "case\x1b[2J"}, "control character", id="escape in type"),
        pytest.param({"object_id": "12\u202e"}, "control character", id="bidi in object id"),
        pytest.param({"request_id": "req\x07"}, "control character", id="bell in request id"),
        pytest.param({"request_id": "\ufeff"}, "control character", id="format char alone"),
        pytest.param({"details": "[1]"}, "details are not", id="details a list"),
        pytest.param({"details": "null"}, "details are not", id="details null"),
        pytest.param({"details": '"text"'}, "details are not", id="details a string"),
        pytest.param({"details": "not json"}, "details are not", id="details not json"),
        pytest.param({"details": ""}, "details are not", id="details empty"),
        pytest.param({"details": '{"a":"x y"}'}, "details are not", id="prose in details"),
        pytest.param({"details": '{"a": "x y"}'}, "details are not", id="prose and spaces"),
        pytest.param({"details": '{"a": 1}'}, "details are not", id="non-canonical spacing"),
        pytest.param({"details": '{"b":1,"a":2}'}, "details are not", id="keys unsorted"),
        pytest.param({"details": '{"a":1,"a":1}'}, "details are not", id="key repeated"),
        pytest.param({"details": '{"a":1.5}'}, "details are not", id="a float"),
        pytest.param({"details": '{"a":{"b":1}}'}, "details are not", id="nested object"),
        pytest.param({"details": '{"A":1}'}, "details are not", id="key in capitals"),
        pytest.param({"details": '{"a":"\\u00e4"}'}, "details are not", id="escaped non-ascii"),
        pytest.param({"details": '{"a":"ä"}'}, "details are not", id="raw non-ascii"),
        pytest.param({"details": "{} "}, "details are not", id="trailing space"),
    ],
)
def test_an_entry_record_could_not_have_written_is_malformed(engine, key, fields, why):
    inserted = insert_as_app(engine, **fields)
    with engine.connect() as connection:
        (stored,) = iter_entries(connection, after=WRITTEN)
    assert stored == inserted
    assert stored.computed_hash() == stored.entry_hash  # it hashes and links correctly …
    verdict = check(engine, key)
    assert (verdict.problem, verdict.seq) == (Problem.MALFORMED, WRITTEN + 1), verdict.summary()
    assert why in verdict.explanation
    # … and the verdict stops before it: it is not counted.
    assert (verdict.entries, verdict.head_seq) == (WRITTEN, WRITTEN)
    assert verdict.summary().startswith(f"audit log BROKEN at entry {WRITTEN + 1}: malformed — ")


def test_a_malformed_entry_is_found_in_the_middle_of_the_log(engine, key):
    insert_as_app(engine, outcome="maybe")
    with engine.begin() as connection:
        audit.record(connection, AuditEvent.AUTH_LOGOUT, Outcome.SUCCESS, now=NOW)
    verdict = check(engine, key)
    assert (verdict.problem, verdict.seq) == (Problem.MALFORMED, WRITTEN + 1)


def test_the_first_rule_broken_is_the_one_reported(engine, key):
    insert_as_app(engine, action="x", outcome="y", purpose="z", role="\n", details="[]")
    assert "action" in check(engine, key).explanation


# --- the rules one by one, without a database -------------------------------------------------


def test_problem_with_accepts_every_event_outcome_and_purpose():
    cache = DetailsCache()
    for event in AuditEvent:
        for outcome in Outcome:
            assert (
                problem_with(
                    make_entry(action=event.value, outcome=outcome.value, purpose="dpo_audit"),
                    cache,
                )
                is None
            )
            if not event.requires_purpose:
                assert (
                    problem_with(make_entry(action=event.value, outcome=outcome.value), cache)
                    is None
                )
    for purpose in Purpose:
        read = make_entry(action=AuditEvent.CASE_CONTENT_READ.value, purpose=purpose.value)
        assert problem_with(read, cache) is None


def test_problem_with_accepts_text_that_is_not_printable_but_not_escaped_either():
    # U+00A0 (no-break space) and U+3000 (ideographic space) are separators, not controls.
    for text in ("a\u00a0b", "\u3000", "Zoë\u00a0€", "a\\x0ab", "a\\\\b"):
        assert (
            problem_with(make_entry(role=text, object_type=text, request_id=text), DetailsCache())
            is None
        )


# --- DetailsCache -----------------------------------------------------------------------------


class Counting:
    """Wraps encode_details to count how often the cache had to check a text itself."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, details: Any) -> str:
        self.calls += 1
        return encode_details(details)


@pytest.fixture
def counting(monkeypatch) -> Counting:
    counter = Counting()
    monkeypatch.setattr("audit.wellformed.encode_details", counter)
    return counter


def test_the_details_cache_checks_a_canonical_text_once(counting):
    cache = DetailsCache()
    text = '{"fields":["status","title"]}'
    assert all(cache.is_canonical(text) for _ in range(5))
    assert counting.calls == 1
    assert cache.is_canonical("{}")
    assert counting.calls == 2


def test_the_details_cache_never_remembers_a_text_that_is_not_canonical(counting):
    cache = DetailsCache()
    for text in ('{"a": 1}', '{"a":"x y"}', "[1]"):
        assert not any(cache.is_canonical(text) for _ in range(3))
    assert counting.calls == 9


def test_the_details_cache_is_limited(counting):
    cache = DetailsCache(limit=2)
    texts = ['{"a":1}', '{"a":2}', '{"a":3}']
    for _ in range(3):
        assert all(cache.is_canonical(text) for text in texts)
    # The first two are remembered; the third is checked every time.
    assert counting.calls == 3 + 2


def test_verify_checks_repeated_details_once(engine, key, counting):
    with engine.begin() as connection:
        for number in range(20):
            audit.record(
                connection,
                AuditEvent.AUTH_LOGOUT,
                Outcome.SUCCESS,
                now=NOW,
                details={"number": number % 2},
            )
    counting.calls = 0
    assert check(engine, key).intact
    # Three shapes: the fixture's entries and the two numbers.
    assert counting.calls == 3


# --- parse_details and Entry.details_dict ----------------------------------------------------


@pytest.mark.parametrize(
    "text", ["[1]", "null", "42", '"text"', "true", "not json", "", "{", "{} x", "[{}]"]
)
def test_details_that_are_not_a_json_object_read_as_empty(text):
    assert parse_details(text) == {}
    assert make_entry(details=text).details_dict() == {}


def test_details_that_are_a_json_object_read_back_as_stored():
    text = '{"a": 1, "b": ["x", null, true]}'
    assert parse_details(text) == {"a": 1, "b": ["x", None, True]}
    assert make_entry(details=text).details_dict() == json.loads(text)


def test_details_nested_too_deep_for_the_json_parser_read_as_empty_and_are_malformed(engine, key):
    """Regression (fixed; audit/chain.py, parse_details): ``json.loads`` raises RecursionError, not
    ValueError, for deeply nested text such as ``"[" * 100_000 + "]" * 100_000``. The
    application's role can insert such details in an entry that continues the chain (the
    column is unlimited text), and then ``verify`` (through DetailsCache) and every
    ``Entry.details_dict()`` in the DPO workspace crash instead of reporting ``malformed``
    (the command line catches ValueError/OverflowError/SQLAlchemyError only).
    The fix: ``except (ValueError, RecursionError): return {}`` in parse_details.
    """
    deep = "[" * 100_000 + "]" * 100_000
    assert parse_details(deep) == {}
    insert_as_app(engine, details=deep)
    verdict = check(engine, key)
    assert (verdict.problem, verdict.seq) == (Problem.MALFORMED, WRITTEN + 1)


def test_an_object_id_record_would_refuse_is_malformed(engine, key):
    """Regression (fixed; audit/wellformed.py, problem_with): record() now refuses object ids that are not
    pseudonymous ids (``[A-Za-z0-9_.:+-]{1,128}``), but the verifier only checks them for
    raw control characters. A row inserted by the application's role with a name as object
    id (exactly what the new rule keeps out) verifies as intact. The fix: in problem_with, after
    the control-character check, ``if entry.object_id is not None and not
    _OBJECT_ID.fullmatch(entry.object_id): return "the object id is not a pseudonymous id"``
    (import ``_OBJECT_ID`` from audit.store, or move the pattern to chain.py beside
    ``_DETAIL_TEXT`` and use it in both places).
    """
    insert_as_app(engine, object_id="Max Mustermann")
    verdict = check(engine, key)
    assert (verdict.problem, verdict.seq) == (Problem.MALFORMED, WRITTEN + 1), verdict.summary()
