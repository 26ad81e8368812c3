"""What the case page shows of a case: its parts, decrypted with the vault of one audited read.

``operations.open_case`` writes the request's one ``case:content:read`` entry and hands back
the case's vault; the contacts, interventions, deadlines and document descriptions shown on
the same page are opened with that vault, so the page never writes a second entry. Without
content access only the plaintext rows are read (due dates, team), nothing is decrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from servicestelle import clock
from servicestelle.auth.models import User
from servicestelle.auth.queries import users_by_id
from servicestelle.cases import deadlines
from servicestelle.cases.models import (
    Case,
    CaseConsent,
    CaseContact,
    CaseDeadline,
    CaseDocument,
    CaseIntervention,
    CaseMember,
)
from servicestelle.cases.operations import OpenedCase
from servicestelle.extensions import db


@dataclass(frozen=True)
class Contact:
    id: int
    occurred_on: date
    channel: str
    duration_minutes: int | None
    note: str


@dataclass(frozen=True)
class Intervention:
    id: int
    occurred_on: date
    type: str
    details: str
    result: str


@dataclass(frozen=True)
class Deadline:
    row: CaseDeadline
    urgency: deadlines.Urgency
    #: Sealed: only with content access (an AGG §15 deadline says "employment").
    kind: str | None = None
    trigger_on: date | None = None
    note: str = ""
    #: The kind of deadline that meeting this one starts, if the case has none of it yet.
    follow_up: str | None = None


@dataclass(frozen=True)
class Document:
    row: CaseDocument
    position: int
    description: str


@dataclass(frozen=True)
class Member:
    member: CaseMember
    user: User | None


@dataclass(frozen=True)
class CaseContent:
    contacts: list[Contact]
    interventions: list[Intervention]
    deadlines: list[Deadline]
    documents: list[Document]
    consents: list[CaseConsent]


def _rows(model: Any, case_id: int, *order: Any) -> list[Any]:
    return list(
        db.session.scalars(sa.select(model).where(model.case_id == case_id).order_by(*order))
    )


def _deadline_rows(case_id: int) -> list[CaseDeadline]:
    # Open ones first, soonest first; then the done ones.
    return _rows(
        CaseDeadline,
        case_id,
        CaseDeadline.done_on.is_not(None),
        CaseDeadline.due_on,
        CaseDeadline.id,
    )


def _urgency(row: CaseDeadline) -> deadlines.Urgency:
    return deadlines.urgency(row.due_on, clock.today(), done=row.done_on is not None)


def plain_deadlines(case: Case) -> list[Deadline]:
    """Due dates and their urgency, without the sealed legal basis (metadata view)."""
    return [Deadline(row, _urgency(row)) for row in _deadline_rows(case.id)]


def read_content(opened: OpenedCase) -> CaseContent:
    """Every part of the case, opened with the vault of the page's one audited read."""
    case_id, vault = opened.case.id, opened.vault
    contacts = []
    for row in _rows(CaseContact, case_id, CaseContact.occurred_on.desc(), CaseContact.id.desc()):
        content = vault.open_json("case_contacts", "content", row.id, row.content)
        contacts.append(
            Contact(
                row.id,
                row.occurred_on,
                content["channel"],
                content.get("duration_minutes"),
                content.get("note", ""),
            )
        )
    interventions = []
    for row in _rows(
        CaseIntervention, case_id, CaseIntervention.occurred_on.desc(), CaseIntervention.id.desc()
    ):
        content = vault.open_json("case_interventions", "content", row.id, row.content)
        interventions.append(
            Intervention(
                row.id,
                row.occurred_on,
                content["type"],
                content.get("details", ""),
                content.get("result", ""),
            )
        )
    sealed = [
        (row, vault.open_json("case_deadlines", "content", row.id, row.content))
        for row in _deadline_rows(case_id)
    ]
    kinds = {content["kind"] for _row, content in sealed}
    deadline_items = []
    for row, content in sealed:
        follow_up = deadlines.follow_up_kind(deadlines.DeadlineKind(content["kind"]))
        deadline_items.append(
            Deadline(
                row,
                _urgency(row),
                kind=content["kind"],
                trigger_on=date.fromisoformat(content["trigger_on"]),
                note=content.get("note", ""),
                follow_up=None if follow_up is None or follow_up in kinds else follow_up.value,
            )
        )
    documents = [
        Document(
            row,
            position,
            vault.open_json("case_documents", "description", row.id, row.description).get(
                "description", ""
            ),
        )
        for position, row in enumerate(_rows(CaseDocument, case_id, CaseDocument.id), start=1)
    ]
    consents = _rows(CaseConsent, case_id, CaseConsent.given_on, CaseConsent.id)
    return CaseContent(contacts, interventions, deadline_items, documents, consents)


def team(case: Case) -> list[Member]:
    """Who works on the case, the assigned first."""
    users = users_by_id(m.user_id for m in case.members)
    ordered = sorted(case.members, key=lambda m: (m.kind != "assigned", m.added_at, m.id))
    return [Member(member, users.get(member.user_id)) for member in ordered]
