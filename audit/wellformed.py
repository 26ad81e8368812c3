"""Is an entry one the library could have written? (vocabulary, canonical details, no raw
control characters). A row that hashes and links correctly but fails this was inserted
around the library — by someone with the database role, who can compute SHA-256 too.
"""

from __future__ import annotations

import unicodedata

from audit.chain import Entry, encode_details, parse_details
from audit.errors import AuditError
from audit.events import AuditEvent, Outcome, Purpose
from audit.store import OBJECT_ID

_ACTIONS = frozenset(event.value for event in AuditEvent)
_OUTCOMES = frozenset(outcome.value for outcome in Outcome)
_PURPOSES = frozenset(purpose.value for purpose in Purpose)
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _has_raw_control(value: str | None) -> bool:
    # isprintable() is the fast path; it also rejects harmless spaces such as U+00A0, so
    # only then look at the categories that escape_text() would have escaped.
    if value is None or value.isprintable():
        return False
    return any(unicodedata.category(char) in _ESCAPED_CATEGORIES for char in value)


class DetailsCache:
    """Details texts already found canonical (most entries repeat a few shapes)."""

    def __init__(self, limit: int = 4096) -> None:
        self._known: set[str] = set()
        self._limit = limit

    def is_canonical(self, details: str) -> bool:
        if details in self._known:
            return True
        try:
            canonical = encode_details(parse_details(details)) == details
        except AuditError:
            canonical = False
        if canonical and len(self._known) < self._limit:
            self._known.add(details)
        return canonical


def problem_with(entry: Entry, details: DetailsCache) -> str | None:
    """Why the entry cannot have come from ``record()``, or None."""
    if entry.action not in _ACTIONS:
        return "the action is not in the vocabulary"
    if entry.outcome not in _OUTCOMES:
        return "the outcome is not in the vocabulary"
    if entry.purpose is not None and entry.purpose not in _PURPOSES:
        return "the purpose is not in the vocabulary"
    if entry.purpose is None and AuditEvent(entry.action).requires_purpose:
        return "a read of case content without purpose"
    texts = (entry.role, entry.object_type, entry.object_id, entry.request_id)
    if any(_has_raw_control(text) for text in texts):
        return "a text field holds an unescaped control character"
    if entry.object_id is not None and not OBJECT_ID.fullmatch(entry.object_id):
        return "the object id is not a pseudonymous id"
    if not details.is_canonical(entry.details):
        return "the details are not canonical ids and field names"
    return None
