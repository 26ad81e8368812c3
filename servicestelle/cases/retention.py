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
from servicestelle.extensions import db

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


def delete_case(due: DueCase) -> None:
    """Shred and delete one case, leave its deletion record (committed)."""
    case = db.session.get(Case, due.case_id)
    if case is None or case.legal_hold:
        db.session.rollback()
        return  # deleted or put on hold since the list was made
    vault.shred(case.id)
    db.session.delete(case)  # contacts, interventions, … go with it (ON DELETE CASCADE)
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
