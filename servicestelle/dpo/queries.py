"""Select builders over the audit log, always limited to what one centre's DPO may see.

Scope: the entries of the DPO's own centre and those without a centre (the operator's
commands, failed logins for unknown names). Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from audit import AuditEvent, Entry, Outcome, audit_entry, escape_text
from audit.store import entry_from_row
from servicestelle.auth.models import User
from servicestelle.converters import MAX_ID
from servicestelle.extensions import db

PER_PAGE = 50
#: What the Art. 15 report and the client's own file count as a consultation of a case.
CONSULTATIONS = frozenset({AuditEvent.CASE_CONTENT_READ, AuditEvent.CASE_RECORD_EXPORT})

_c = audit_entry.c


def in_scope(centre_id: int) -> ColumnElement[bool]:
    return sa.or_(_c.centre_id == centre_id, _c.centre_id.is_(None))


@dataclass(frozen=True)
class LogFilter:
    """A log search; every field None means "any". Times are UTC, ``until`` exclusive."""

    since: datetime | None = None
    until: datetime | None = None
    actor_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    outcome: str | None = None

    def used_fields(self) -> list[str]:
        """Names of the fields in use: what the audit entry of an export may say about it."""
        return [field.name for field in fields(self) if getattr(self, field.name) is not None]

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.since is not None:
            found.append(_c.ts >= self.since)
        if self.until is not None:
            found.append(_c.ts < self.until)
        if self.actor_id is not None:
            found.append(_c.actor_id == self.actor_id)
        if self.action is not None:
            found.append(_c.action == self.action)
        if self.object_type is not None:
            found.append(_c.object_type == escape_text(self.object_type))
        if self.object_id is not None:
            # Stored text is escaped (control characters made visible); search the same way.
            found.append(_c.object_id == escape_text(self.object_id))
        if self.outcome is not None:
            found.append(_c.outcome == self.outcome)
        return found


def search(centre_id: int, log_filter: LogFilter) -> sa.Select[tuple[object, ...]]:
    """Matching entries, newest first."""
    return (
        sa.select(audit_entry)
        .where(in_scope(centre_id), *log_filter.conditions())
        .order_by(_c.seq.desc())
    )


def count(statement: sa.Select[tuple[object, ...]]) -> int:
    """How many rows the statement selects: its own conditions (scope, filters), nothing more."""
    counted = statement.with_only_columns(sa.func.count(), maintain_column_froms=True).order_by(
        None
    )
    return int(db.session.scalar(counted) or 0)


def entries(statement: sa.Select[tuple[object, ...]]) -> list[Entry]:
    return [entry_from_row(row) for row in db.session.execute(statement)]


@dataclass(frozen=True)
class Page:
    """One page of a listing; ``number`` is within 1..pages (an empty listing has one page)."""

    items: list[Entry]
    number: int
    pages: int
    total: int

    @property
    def first_item(self) -> int:
        return 0 if not self.total else (self.number - 1) * PER_PAGE + 1

    @property
    def last_item(self) -> int:
        return (self.number - 1) * PER_PAGE + len(self.items)


def page_of(statement: sa.Select[tuple[object, ...]], number: int) -> Page:
    """The requested page; a number beyond the end gives the last page."""
    total = count(statement)
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(1, number), pages)
    items = entries(statement.limit(PER_PAGE).offset((number - 1) * PER_PAGE))
    return Page(items, number, pages, total)


def about_object(centre_id: int, object_type: str, object_id: str) -> sa.Select[tuple[object, ...]]:
    """Every entry about one object, oldest first."""
    return (
        sa.select(audit_entry)
        .where(
            in_scope(centre_id),
            _c.object_type == escape_text(object_type),
            _c.object_id == escape_text(object_id),
        )
        .order_by(_c.seq)
    )


def consultations_of(
    centre_id: int, object_type: str, object_id: str
) -> sa.Select[tuple[object, ...]]:
    """Completed reads of an object's content and exports of it, oldest first.

    Not every event that carries a purpose: a break-glass opening grants access and the page
    then shown writes its own read, so counting the opening too would report one read twice.
    """
    return about_object(centre_id, object_type, object_id).where(
        _c.action.in_(sorted(event.value for event in CONSULTATIONS)),
        _c.outcome == Outcome.SUCCESS.value,
    )


def activity_of(centre_id: int, user_id: int) -> sa.Select[tuple[object, ...]]:
    """Everything one person did, newest first."""
    return (
        sa.select(audit_entry)
        .where(in_scope(centre_id), _c.actor_id == user_id)
        .order_by(_c.seq.desc())
    )


def latest_of(centre_id: int, event: AuditEvent) -> Entry | None:
    row = db.session.execute(
        sa.select(audit_entry)
        .where(in_scope(centre_id), _c.action == event.value)
        .order_by(_c.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else entry_from_row(row)


def get_entry_in_scope(centre_id: int, seq: int) -> Entry | None:
    row = db.session.execute(
        sa.select(audit_entry).where(in_scope(centre_id), _c.seq == seq)
    ).first()
    return None if row is None else entry_from_row(row)


def recent(centre_id: int, since: datetime, events: Iterable[AuditEvent]) -> list[Entry]:
    """Entries of the given kinds since a moment (the bounded period the anomaly rules scan)."""
    return entries(
        sa.select(audit_entry)
        .where(
            in_scope(centre_id),
            _c.ts >= since,
            _c.action.in_(sorted(event.value for event in events)),
        )
        .order_by(_c.seq)
    )


def break_glass_and_reviews(centre_id: int) -> list[Entry]:
    """Every break-glass access and every review of one, without a time limit.

    The queue must not forget an access because it is old; both kinds are rare.
    """
    return entries(
        sa.select(audit_entry)
        .where(
            in_scope(centre_id),
            _c.action.in_(
                (
                    AuditEvent.CASE_BREAK_GLASS_OPEN.value,
                    AuditEvent.AUDIT_BREAK_GLASS_REVIEW.value,
                )
            ),
        )
        .order_by(_c.seq)
    )


# --- people -------------------------------------------------------------------------------


def usernames(centre_id: int, ids: Iterable[int | None]) -> dict[int, str]:
    """Usernames of the centre's accounts among ``ids``; others stay unnamed."""
    wanted = sorted({user_id for user_id in ids if user_id is not None and 0 < user_id <= MAX_ID})
    if not wanted:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.username).where(User.centre_id == centre_id, User.id.in_(wanted))
    )
    return {int(row.id): str(row.username) for row in rows}


def usernames_for(centre_id: int, items: Sequence[Entry]) -> dict[int, str]:
    return usernames(centre_id, (entry.actor_id for entry in items))
