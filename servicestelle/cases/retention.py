"""Retention: delete closed cases once their period is over (default: 3 years after the end
of the year they were closed in, DOMAIN.md b), unless a legal hold keeps them.

Deletion is crypto-shredding first: the case's data key goes, then its rows. What remains is a
deletion record for the DPO (reference and dates, no content) and the audit chain, which names
the case only by its id and so still verifies. Each case is deleted in its own transaction:
an interrupted run leaves every case either whole or gone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from audit import AuditEvent, Purpose
from servicestelle import audit_trail, clock
from servicestelle.cases import deadlines, vault
from servicestelle.cases.access import OBJECT_TYPE
from servicestelle.cases.models import Case, CaseDeletion
from servicestelle.database import rowcount
from servicestelle.extensions import db
from servicestelle.stats import store as statistics_store

log = logging.getLogger(__name__)
REASON = "retention"


@dataclass(frozen=True)
class DueCase:
    case_id: int
    centre_id: int
    reference: str
    opened_on: date
    closed_on: date
    due_on: date


def due_cases(today: date, years: int) -> list[DueCase]:
    """Closed cases whose retention period ended by ``today`` and that have no legal hold."""
    # retention_due_on(closed, years) <= today  ⇔  closed.year <= today.year - years - 1
    first_kept = date(today.year - years, 1, 1)
    rows = db.session.scalars(
        sa.select(Case)
        .where(
            Case.status == "closed",
            Case.closed_on.is_not(None),
            Case.closed_on < first_kept,
            Case.legal_hold.is_(False),
        )
        .order_by(Case.centre_id, Case.year, Case.number)
    ).all()
    return [
        DueCase(
            case.id,
            case.centre_id,
            case.reference,
            case.opened_on,
            closed_on,
            deadlines.retention_due_on(closed_on, years),
        )
        for case in rows
        if (closed_on := case.closed_on) is not None  # filtered above; narrows the type
    ]


def delete_case(due: DueCase, today: date, years: int) -> bool:
    """Shred and delete one case, leave its deletion record (committed); False if the case
    was reopened, put on hold or deleted since the list was made."""
    # One conditional DELETE decides: a hold or a reopening committed after the list was made
    # wins, on both databases, without relying on the isolation level of a prior read.
    gone = db.session.execute(
        sa.delete(Case).where(
            Case.id == due.case_id,
            Case.status == "closed",
            Case.legal_hold.is_(False),
            Case.closed_on < date(today.year - years, 1, 1),
        )
    )
    if rowcount(gone) != 1:
        db.session.rollback()
        log.info("case %s no longer due for deletion; left as it is", due.case_id)
        return False
    vault.shred(due.case_id)  # the data key; parts go with the case (ON DELETE CASCADE)
    statistics_store.remove(due.case_id)  # published releases keep their aggregate figures
    db.session.add(
        CaseDeletion(
            centre_id=due.centre_id,
            case_id=due.case_id,
            reference=due.reference,
            opened_on=due.opened_on,
            closed_on=due.closed_on,
            deleted_at=clock.now(),
            reason=REASON,
        )
    )
    audit_trail.record(
        AuditEvent.CASE_RECORD_DELETE,
        object_type=OBJECT_TYPE,
        object_id=due.case_id,
        centre_id=due.centre_id,
        purpose=Purpose.LEGAL_OBLIGATION,
        details={"reason": REASON},
    )
    db.session.commit()
    log.info("case deleted after its retention period: id=%s", due.case_id)
    return True


def flush_deleted_pages() -> None:
    """SQLite: write the WAL into the database and truncate it, so that the deleted rows'
    old pages (the wrapped data key among them) do not linger in the -wal file; the freed
    pages of the database itself are zeroed by ``secure_delete``."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
