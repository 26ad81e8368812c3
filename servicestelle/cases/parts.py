"""Writers and readers of a case's parts: contacts, interventions, deadlines, documents,
consents. Each one: the caller has loaded the case with content access → act → audit →
commit. Sealed parts are bound to their own row, under the case's data key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from audit import AuditEvent
from servicestelle import audit_trail, clock, services
from servicestelle.cases import deadlines, filetypes, statistics, vault
from servicestelle.cases import payload as rules
from servicestelle.cases.access import OBJECT_TYPE, CaseAccess
from servicestelle.cases.models import (
    Case,
    CaseConsent,
    CaseContact,
    CaseDeadline,
    CaseDocument,
    CaseIntervention,
)
from servicestelle.cases.operations import CaseError
from servicestelle.extensions import db


def _audit(event: AuditEvent, access: CaseAccess, **details: object) -> None:
    audit_trail.record(
        event,
        actor=access.user,
        object_type=OBJECT_TYPE,
        object_id=access.case.id,
        centre_id=access.case.centre_id,
        purpose=access.purpose,
        details=details or None,
    )


def _content(access: CaseAccess) -> CaseAccess:
    """Every part belongs to the content: a caller that skipped its check stops here."""
    if not access.content:
        raise PermissionError("no content access to this case")
    return access


def _not_in_future(day: date) -> None:
    if day > clock.today():
        raise CaseError(str(_l("Das Datum liegt in der Zukunft.")))


def _touch(case: Case) -> None:
    case.updated_at = clock.now()


# --- contacts and interventions -------------------------------------------------------------


def _seal_new_part(
    access: CaseAccess, row: CaseContact | CaseIntervention | CaseDeadline, sealed: Any
) -> None:
    """Insert a part, then seal its content bound to the row id the insert gave it."""
    opened = vault.open_vault(access.case.id)
    db.session.add(row)
    db.session.flush()
    row.content = opened.seal_json(row.__tablename__, "content", row.id, sealed)
    _touch(access.case)


def add_contact(access: CaseAccess, occurred_on: date, content: Mapping[str, Any]) -> CaseContact:
    _content(access)
    schema = rules.ContactContentSchema()
    checked = schema.load(content)
    _not_in_future(occurred_on)
    row = CaseContact(
        case_id=access.case.id,
        occurred_on=occurred_on,
        content=b"",
        created_at=clock.now(),
        created_by=access.user.id,
    )
    _seal_new_part(access, row, schema.dump(checked))
    _audit(AuditEvent.CASE_CONTACT_ADD, access, contact=row.id)
    db.session.commit()
    return row


def add_intervention(
    access: CaseAccess, occurred_on: date, content: Mapping[str, Any]
) -> CaseIntervention:
    """An intervention; its date may lie ahead (an accompaniment planned for next week)."""
    _content(access)
    schema = rules.InterventionContentSchema()
    checked = schema.load(content)
    row = CaseIntervention(
        case_id=access.case.id,
        occurred_on=occurred_on,
        content=b"",
        created_at=clock.now(),
        created_by=access.user.id,
    )
    _seal_new_part(access, row, schema.dump(checked))
    statistics.record(access.case)  # interventions, their groups, went to court
    _audit(AuditEvent.CASE_INTERVENTION_ADD, access, intervention=row.id)
    db.session.commit()
    return row


# --- deadlines ---------------------------------------------------------------------------------


def deadline_months() -> dict[deadlines.DeadlineKind, int]:
    settings = services.settings()
    return {
        deadlines.DeadlineKind.AGG_15_4: settings.deadline_months_agg_15_4,
        deadlines.DeadlineKind.AGG_21_5: settings.deadline_months_agg_21_5,
        deadlines.DeadlineKind.ARBGG_61B: settings.deadline_months_arbgg_61b,
    }


def add_deadline(
    access: CaseAccess, kind: str, trigger_on: date, *, uncertain: bool, note: str = ""
) -> CaseDeadline:
    """A statutory deadline computed from the trigger date the counsellor entered."""
    _content(access)
    row = _insert_deadline(access, kind, trigger_on, uncertain=uncertain, note=note)
    db.session.commit()
    return row


def add_follow_up(
    access: CaseAccess,
    previous_id: int,
    kind: str,
    trigger_on: date,
    *,
    uncertain: bool,
    mark_done: bool,
) -> CaseDeadline:
    """The deadline that meeting ``previous_id`` starts (ArbGG §61b after AGG §15(4)), and
    that one marked done if asked, in one transaction: nothing is added for a deadline that
    is not this case's."""
    _content(access)
    previous = _deadline_of(access, previous_id)
    row = _insert_deadline(access, kind, trigger_on, uncertain=uncertain)
    if mark_done and previous.done_on is None:
        _mark_done(access, previous)
    db.session.commit()
    return row


def _insert_deadline(
    access: CaseAccess, kind: str, trigger_on: date, *, uncertain: bool, note: str = ""
) -> CaseDeadline:
    checked = rules.DeadlineContentSchema().load(
        {"kind": kind, "trigger_on": trigger_on.isoformat(), "note": note}
    )
    try:
        computed = deadlines.compute(
            deadlines.DeadlineKind(kind), trigger_on, uncertain=uncertain, months=deadline_months()
        )
    except ValueError:
        # A due date beyond what a date holds (year 10000): the schema bounds the trigger
        # date, but the durations are configuration.
        raise CaseError(
            str(_l("Für dieses Ausgangsdatum lässt sich keine Frist berechnen."))
        ) from None
    row = CaseDeadline(
        case_id=access.case.id,
        due_on=computed.due_on,
        uncertain=uncertain,
        content=b"",
        created_at=clock.now(),
        created_by=access.user.id,
    )
    _seal_new_part(access, row, rules.DeadlineContentSchema().dump(checked))
    _audit(AuditEvent.CASE_DEADLINE_ADD, access, deadline=row.id)
    return row


def _deadline_of(access: CaseAccess, deadline_id: int) -> CaseDeadline:
    row = db.session.get(CaseDeadline, deadline_id)
    if row is None or row.case_id != access.case.id:
        raise CaseError(str(_l("Diese Frist gibt es in der Akte nicht.")))
    return row


def _mark_done(access: CaseAccess, row: CaseDeadline) -> None:
    row.done_on = clock.today()
    _audit(AuditEvent.CASE_DEADLINE_DONE, access, deadline=row.id)


def mark_deadline_done(access: CaseAccess, deadline_id: int) -> None:
    """Mark a deadline as met (committed)."""
    _content(access)
    row = _deadline_of(access, deadline_id)
    if row.done_on is not None:
        raise CaseError(str(_l("Die Frist ist bereits erledigt.")))
    _mark_done(access, row)
    db.session.commit()


# --- documents ---------------------------------------------------------------------------------


def add_document(
    access: CaseAccess, content: bytes, *, filename: str, description: str
) -> CaseDocument:
    """Attach a file: type decided by its content, size limited, name and bytes sealed."""
    _content(access)
    limit = services.settings().document_max_bytes
    if len(content) > limit:
        raise CaseError(
            str(_l("Die Datei ist zu groß (höchstens %(mb)s MB).", mb=f"{limit / 1_048_576:.0f}"))
        )
    try:
        kind = filetypes.sniff(content)
    except filetypes.UnsupportedFileType as exc:
        raise CaseError(str(exc)) from None
    meta = rules.DocumentDescriptionSchema().load(
        {"filename": filename[:200], "description": description}
    )
    opened = vault.open_vault(access.case.id)
    row = CaseDocument(
        case_id=access.case.id,
        media_type=kind.media_type,
        size=len(content),
        description=b"",
        content=b"",
        created_at=clock.now(),
        created_by=access.user.id,
    )
    db.session.add(row)
    db.session.flush()
    row.description = opened.seal_json("case_documents", "description", row.id, meta)
    row.content = opened.seal_bytes("case_documents", "content", row.id, content)
    _touch(access.case)
    # The extension ("pdf"): an audit detail is a code, and a media type holds "/" and "; ".
    _audit(AuditEvent.CASE_DOCUMENT_ADD, access, document=row.id, file_type=kind.extension)
    db.session.commit()
    return row


@dataclass(frozen=True)
class Download:
    content: bytes = field(repr=False)  # the plaintext of a document
    media_type: str
    filename: str


def read_document(access: CaseAccess, document_id: int) -> Download:
    """A document's bytes for download; one audited read (committed)."""
    _content(access)
    row = db.session.get(CaseDocument, document_id)
    if row is None or row.case_id != access.case.id:
        raise CaseError(str(_l("Dieses Dokument gibt es in der Akte nicht.")))
    opened = vault.open_vault(access.case.id)
    content = opened.open_bytes("case_documents", "content", row.id, row.content)
    audit_trail.record(
        AuditEvent.CASE_CONTENT_READ,
        actor=access.user,
        object_type=OBJECT_TYPE,
        object_id=access.case.id,
        centre_id=access.case.centre_id,
        purpose=access.purpose,
        details={"part": "document", "document": row.id},
    )
    db.session.commit()
    kind = filetypes.sniff(content)
    position = _position(access.case.id, row.id)
    return Download(
        content,
        kind.media_type,
        filetypes.safe_download_name(access.case.reference, position, kind),
    )


def _position(case_id: int, document_id: int) -> int:
    """The document's number within its case (1, 2, …), for a name that says nothing else."""
    earlier = db.session.scalar(
        sa.select(sa.func.count()).where(
            CaseDocument.case_id == case_id, CaseDocument.id <= document_id
        )
    )
    return int(earlier or 1)


# --- consents ----------------------------------------------------------------------------------


def record_consent(access: CaseAccess, purpose: str, given_on: date, form: str) -> CaseConsent:
    _content(access)
    from servicestelle import catalogue

    if (
        purpose not in catalogue.CONSENT_PURPOSES.values()
        or form not in catalogue.CONSENT_FORMS.values()
    ):
        raise CaseError(str(_l("Unbekannter Zweck oder unbekannte Form der Einwilligung.")))
    _not_in_future(given_on)
    row = CaseConsent(
        case_id=access.case.id,
        purpose=purpose,
        given_on=given_on,
        form=form,
        created_at=clock.now(),
        created_by=access.user.id,
    )
    db.session.add(row)
    db.session.flush()
    if purpose == "statistik":
        access.case.statistics_excluded = False
        statistics.record(access.case)
    _audit(AuditEvent.CASE_CONSENT_RECORD, access, consent=row.id, purpose_code=purpose)
    db.session.commit()
    return row


def withdraw_consent(access: CaseAccess, consent_id: int, withdrawn_on: date) -> None:
    """Withdraw a consent; withdrawing the statistics consent takes the case out of statistics.

    The case's statistics record goes in the same transaction (cases/statistics.py).
    """
    _content(access)
    row = db.session.get(CaseConsent, consent_id)
    if row is None or row.case_id != access.case.id:
        raise CaseError(str(_l("Diese Einwilligung gibt es in der Akte nicht.")))
    if row.withdrawn_on is not None:
        raise CaseError(str(_l("Diese Einwilligung ist bereits widerrufen.")))
    _not_in_future(withdrawn_on)
    if withdrawn_on < row.given_on:
        raise CaseError(str(_l("Der Widerruf kann nicht vor der Einwilligung liegen.")))
    row.withdrawn_on = withdrawn_on
    if row.purpose == "statistik":
        access.case.statistics_excluded = True
        statistics.record(access.case)
    _audit(AuditEvent.CASE_CONSENT_WITHDRAW, access, consent=row.id, purpose_code=row.purpose)
    db.session.commit()
