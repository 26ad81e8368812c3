"""Entries, their canonical encoding and the hash that links each to the one before.

Format version 1 encodes an entry as a JSON array in a fixed field order (no key sorting to
get wrong, nothing to parse when verifying) and hashes ``0x00 ‖ encoding`` with SHA-256; the
leading byte is the RFC 6962 leaf prefix, kept so the entries can later be folded into a
Merkle tree without a new format.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Union

from audit.errors import AuditError

FORMAT_VERSION = 1
#: The predecessor of the first entry.
GENESIS_HASH = "0" * 64
LEAF_PREFIX = b"\x00"

# Details carry ids, codes and field names; anything looking like prose is refused, so a value
# (a name, a note) cannot slip in by accident.
_DETAIL_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_DETAIL_TEXT = re.compile(r"[A-Za-z0-9_.:+\-]{1,64}")
MAX_DETAIL_ITEMS = 16
MAX_DETAIL_LIST = 32
#: Longest text column after escaping (see store.py for the column sizes).
TEXT_LIMITS = {"role": 64, "object_type": 32, "object_id": 128, "request_id": 64}

DetailScalar = Union[str, int, bool, None]  # noqa: UP007 - a runtime alias, not an annotation
DetailValue = Union[DetailScalar, Sequence[DetailScalar]]  # noqa: UP007


def escape_text(value: str) -> str:
    """Make control, format and line-separator characters visible (log injection, ASVS 16.4.1).

    The backslash is escaped too, so the escaped text reads back unambiguously.
    """
    out: list[str] = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            code = ord(char)
            if code < 0x100:
                out.append(f"\\x{code:02x}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code:04x}")
            else:  # tag characters and other invisible ones beyond the basic plane
                out.append(f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


def _checked_scalar(key: str, value: object) -> DetailScalar:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str) and _DETAIL_TEXT.fullmatch(value):
        return value
    raise AuditError(
        f"detail {key!r} must be an id, a code or a field name (letters, digits, _.:+-; "
        "at most 64 characters), never free text"
    )


def encode_details(details: Mapping[str, object] | None) -> str:
    """Validate details and return their canonical JSON text (what is stored and hashed)."""
    checked: dict[str, DetailValue] = {}
    items = dict(details or {})
    if len(items) > MAX_DETAIL_ITEMS:
        raise AuditError(f"at most {MAX_DETAIL_ITEMS} details per entry")
    for key, value in items.items():
        if not isinstance(key, str) or not _DETAIL_KEY.fullmatch(key):
            raise AuditError("detail names are lower-case identifiers of at most 40 characters")
        if isinstance(value, list | tuple | set | frozenset):
            if len(value) > MAX_DETAIL_LIST:
                raise AuditError(f"detail {key!r} lists more than {MAX_DETAIL_LIST} items")
            listed = [_checked_scalar(key, item) for item in value]
            # Sets have no order; sorting keeps the encoding canonical.
            checked[key] = (
                sorted(listed, key=repr) if isinstance(value, set | frozenset) else listed
            )
        else:
            checked[key] = _checked_scalar(key, value)
    return json.dumps(checked, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def parse_details(text: str) -> dict[str, DetailValue]:
    """Stored details as a dict; {} for text that is not a JSON object."""
    try:
        loaded = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested beyond the stack
        return {}
    return loaded if isinstance(loaded, dict) else {}


def format_time(moment: datetime) -> str:
    """The one textual form of a timestamp: UTC, microseconds, ``Z``."""
    if moment.tzinfo is None:
        raise AuditError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Entry:
    """One audit entry as stored. Text fields are already escaped; details are canonical JSON."""

    seq: int
    ts: datetime
    actor_id: int | None
    role: str | None
    centre_id: int | None
    action: str
    object_type: str | None
    object_id: str | None
    purpose: str | None
    outcome: str
    request_id: str | None
    details: str
    prev_hash: str
    entry_hash: str

    def details_dict(self) -> dict[str, DetailValue]:
        """The details as a dict; {} for anything else (a row written around the library)."""
        return parse_details(self.details)

    def computed_hash(self, *, seq: int | None = None) -> str:
        """The hash these fields should have (at ``seq`` if given, to spot a moved entry)."""
        encoded = canonical_encoding(self, seq=self.seq if seq is None else seq)
        return hashlib.sha256(LEAF_PREFIX + encoded).hexdigest()


def canonical_encoding(entry: Entry, *, seq: int) -> bytes:
    """Format 1: a JSON array in this exact order, ASCII only, no spaces; ``entry_hash`` aside."""
    fields = [
        FORMAT_VERSION,
        seq,
        format_time(entry.ts),
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
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode("ascii")
