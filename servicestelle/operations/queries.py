"""Reads of the audit log for the operations page: instance-wide facts, times only.

The checkpoints, the chain and the backups belong to the whole instance (one chain for every
centre), so these reads are not limited to a centre; the page shows when, never who.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from audit import AuditEvent, Outcome, audit_entry
from servicestelle.extensions import db

_c = audit_entry.c


@dataclass(frozen=True)
class Occurrence:
    """When an event was last recorded, and how it ended."""

    ts: datetime
    outcome: str


def latest(event: AuditEvent, *, outcome: Outcome | None = None) -> Occurrence | None:
    """The newest entry of this kind (with this outcome, if given)."""
    query = sa.select(_c.ts, _c.outcome).where(_c.action == event.value)
    if outcome is not None:
        query = query.where(_c.outcome == outcome.value)
    row = db.session.execute(query.order_by(_c.seq.desc()).limit(1)).first()
    return None if row is None else Occurrence(row.ts, row.outcome)


def first_entry_time() -> datetime | None:
    """When the log began: the instance was set up then (its first key with it)."""
    found: datetime | None = db.session.execute(
        sa.select(_c.ts).where(_c.seq >= 1).order_by(_c.seq).limit(1)
    ).scalar()
    return found


def first_entry_after(seq: int, since: datetime) -> datetime | None:
    """When the first entry after entry ``seq`` was written at or after ``since``."""
    found: datetime | None = db.session.execute(
        sa.select(sa.func.min(_c.ts)).where(_c.seq > seq, _c.ts >= since)
    ).scalar()
    return found


def rotation_to(kek_id: int) -> datetime | None:
    """When the key with this id became primary by `servicestelle keys rotate`."""
    found: datetime | None = db.session.execute(
        sa.select(_c.ts)
        .where(
            _c.action == AuditEvent.CRYPTO_KEK_ROTATE.value,
            _c.object_type == "kek",
            _c.object_id == str(kek_id),
        )
        .order_by(_c.seq.desc())
        .limit(1)
    ).scalar()
    return found
