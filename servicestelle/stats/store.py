"""Writing the statistics store: ``derive`` a case's record, ``remove`` it, nothing else.

The case side (cases/statistics.py) maps a case to ``CaseFigures`` and calls these in the
transaction of the operation that changed the case; nothing here commits. This package never
imports the case package or anything that decrypts (tests/test_stats_boundaries.py): what it
gets is categorical values, checked here by their form, and two opaque byte strings.

Keys: the keyring's named key "statistics" keys both the pseudonym of a case
(HMAC-SHA256 of ``b"case|" + id``) and the respondent token (the first 16 bytes of
HMAC-SHA256 of ``b"respondent|" + digest``). Without that key a record names no case.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from servicestelle import services
from servicestelle.database import rowcount
from servicestelle.extensions import db
from servicestelle.stats.models import (
    CODE_COLUMNS,
    NO_ANSWER,
    RESPONDENT_TOKEN_BYTES,
    SEPARATOR,
    SUB_COLUMNS,
    StatsRecord,
)

log = logging.getLogger(__name__)

#: The version of the code lists records are derived with. Raise it when a code list changes
#: in a way the figures must follow (a code split in two), and run `servicestelle stats rebuild`.
CATALOGUE_VERSION = 1
#: The keyring's named key (keyring_custody.NAMED_KEYS) behind pseudonyms and tokens.
KEY_NAME = "statistics"
#: What the case side hands over for a respondent: a full-length keyed digest of the name.
RESPONDENT_DIGEST_BYTES = 32

#: A code of the catalogue or of a centre's district register. The length cap keeps a run-on
#: "name" typed without spaces from passing for one (the longest code today has 36 letters).
_CODE = re.compile(r"[a-z0-9_]{1,64}")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_STATUSES = frozenset({"open", "waiting", "closed"})
#: Pseudonyms per DELETE … IN (…): well below SQLite's limit of bound parameters.
_DELETE_CHUNK = 500


class FiguresInvalid(ValueError):
    """A value is not a code or a month. The message names the field, never the value (which
    may be the very free text that must not reach the store)."""


def _codes(name: str, value: Any) -> tuple[str, ...]:
    # A bare string would be read as a sequence of one-letter codes.
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise FiguresInvalid(f"{name} must be a collection of codes")
    codes = list(value)
    if not all(isinstance(code, str) and _CODE.fullmatch(code) for code in codes):
        raise FiguresInvalid(f"{name} holds something that is not a code")
    return tuple(sorted(set(codes)))


def _month(name: str, value: Any) -> None:
    if not isinstance(value, str) or not _MONTH.fullmatch(value):
        raise FiguresInvalid(f"{name} is not a month YYYY-MM")


@dataclass(frozen=True)
class CaseFigures:
    """The statistical figures of one case: codes, months and flags, nothing a person wrote.

    Code collections are kept sorted and without duplicates; an empty one is stored as
    "keine_angabe" (sub-items: as ""). Everything is checked on construction.
    """

    opened_month: str
    status: str
    closed_month: str | None = None
    district: str = NO_ANSWER
    grounds: tuple[str, ...] = ()
    ground_subs: tuple[str, ...] = ()
    life_areas: tuple[str, ...] = ()
    life_area_subs: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    agg_relevance: tuple[str, ...] = ()
    went_to_court: bool = False
    interventions: tuple[str, ...] = ()
    intervention_groups: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    respondent_type: tuple[str, ...] = ()
    age_band: tuple[str, ...] = ()
    gender: tuple[str, ...] = ()
    requester_type: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    referral_source: tuple[str, ...] = ()
    catalogue_version: int = CATALOGUE_VERSION

    def __post_init__(self) -> None:
        _month("opened_month", self.opened_month)
        if self.closed_month is not None:
            _month("closed_month", self.closed_month)
        if self.status not in _STATUSES:
            raise FiguresInvalid("status is not a case status")
        if not isinstance(self.district, str) or not _CODE.fullmatch(self.district):
            raise FiguresInvalid("district is not a code")
        if not isinstance(self.went_to_court, bool):
            raise FiguresInvalid("went_to_court is not a flag")
        version = self.catalogue_version
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise FiguresInvalid("catalogue_version is not a version number")
        for name in (*CODE_COLUMNS, *SUB_COLUMNS):
            object.__setattr__(self, name, _codes(name, getattr(self, name)))

    def columns(self) -> dict[str, Any]:
        """The values of the record's columns (all but pseudonym, centre and token)."""
        values: dict[str, Any] = {item.name: getattr(self, item.name) for item in fields(self)}
        for name in CODE_COLUMNS:
            values[name] = SEPARATOR.join(values[name]) or NO_ANSWER
        for name in SUB_COLUMNS:
            values[name] = SEPARATOR.join(values[name])
        values["went_to_court"] = "ja" if self.went_to_court else "nein"
        return values


def _key() -> bytes:
    return services.keyring().named_key(KEY_NAME)


def pseudonym(case_id: int, *, key: bytes | None = None) -> bytes:
    """The record key of a case: HMAC-SHA256 of its id under the statistics key."""
    if isinstance(case_id, bool) or not isinstance(case_id, int):
        raise TypeError("a case id is an int")
    message = b"case|%d" % case_id
    return hmac.new(key or _key(), message, hashlib.sha256).digest()


def respondent_token(digest: bytes | None, *, key: bytes | None = None) -> bytes | None:
    """16 bytes standing for one respondent, or None when none was named."""
    if digest is None:
        return None
    if not isinstance(digest, bytes) or len(digest) != RESPONDENT_DIGEST_BYTES:
        # A truncated digest (the case table's blind index) would make unrelated respondents
        # collide: repeated-respondent counts need the full length.
        raise ValueError(f"a respondent digest is {RESPONDENT_DIGEST_BYTES} bytes")
    mac = hmac.new(key or _key(), b"respondent|" + digest, hashlib.sha256).digest()
    return mac[:RESPONDENT_TOKEN_BYTES]


@dataclass(frozen=True)
class Derivation:
    """One case's record to write: what ``derive_many`` takes."""

    centre_id: int
    case_id: int
    figures: CaseFigures
    respondent_digest: bytes | None = None


def _row(item: Derivation, key: bytes) -> dict[str, Any]:
    if not isinstance(item.figures, CaseFigures):
        raise TypeError("figures must be CaseFigures")
    row = item.figures.columns()
    row["pseudonym"] = pseudonym(item.case_id, key=key)
    row["centre_id"] = item.centre_id
    row["respondent_token"] = respondent_token(item.respondent_digest, key=key)
    return row


def _upsert(rows: Sequence[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT (pseudonym) DO UPDATE: one statement, no read before the write, so
    two writers of the same record never collide on the primary key."""
    name = db.engine.dialect.name
    if name == "postgresql":
        statement: Any = postgresql.insert(StatsRecord)
    elif name == "sqlite":
        statement = sqlite.insert(StatsRecord)
    else:  # pragma: no cover - the two databases the application supports
        raise RuntimeError(f"no upsert for {name}")
    updated = {column: statement.excluded[column] for column in rows[0] if column != "pseudonym"}
    db.session.execute(
        statement.on_conflict_do_update(index_elements=["pseudonym"], set_=updated), rows
    )


def derive(
    centre_id: int, case_id: int, figures: CaseFigures, respondent_digest: bytes | None
) -> None:
    """Write the case's record, replacing the one it had (the caller's transaction)."""
    derive_many([Derivation(centre_id, case_id, figures, respondent_digest)])
    log.debug("statistics record written (centre %s)", centre_id)


def derive_many(items: Iterable[Derivation]) -> int:
    """Write many records at once (a rebuild); returns how many (the caller's transaction)."""
    key = _key()
    rows = [_row(item, key) for item in items]
    if rows:
        _upsert(rows)
    return len(rows)


def remove(case_id: int) -> bool:
    """Delete the case's record (the caller's transaction); True if there was one."""
    gone = rowcount(
        db.session.execute(
            sa.delete(StatsRecord).where(StatsRecord.pseudonym == pseudonym(case_id))
        )
    )
    if gone:
        log.debug("statistics record removed")
    return gone > 0


def prune(valid_case_ids: Callable[[], Iterable[int]], centre_id: int | None = None) -> int:
    """Delete every record (of the centre, or of all) that belongs to none of the cases
    ``valid_case_ids()`` lists; returns how many went (the caller's transaction).

    The records are read first, the valid cases after: a case created in between has a record
    that was not read, so it is never taken for a stale one.
    """
    key = _key()
    query = sa.select(StatsRecord.pseudonym)
    if centre_id is not None:
        query = query.where(StatsRecord.centre_id == centre_id)
    stored = set(db.session.scalars(query))
    keep = {pseudonym(case_id, key=key) for case_id in valid_case_ids()}
    stale = sorted(stored - keep)
    removed = 0
    for start in range(0, len(stale), _DELETE_CHUNK):
        chunk = stale[start : start + _DELETE_CHUNK]
        removed += rowcount(
            db.session.execute(sa.delete(StatsRecord).where(StatsRecord.pseudonym.in_(chunk)))
        )
    return removed


def count(centre_id: int | None = None) -> int:
    """How many records the store holds (of one centre, or of all)."""
    query = sa.select(sa.func.count()).select_from(StatsRecord)
    if centre_id is not None:
        query = query.where(StatsRecord.centre_id == centre_id)
    return int(db.session.scalar(query) or 0)
