"""Art. 15 GDPR: a client's own file — its content, consents, and when and why it was read.

A counsellor assigned to the case (not one it is shared with, not a break-glass opening)
produces it for the client after confirming password and code again. One ``case:record:export`` entry (purpose ``art15_request``) records it: the
export is the single read of the case's content in that request. The access list gives dates
and purposes only, never staff names (what Art. 15(1)(c) owes the client is the recipients,
not the colleagues who counselled them).

Before handing the file out the counsellor checks Art. 15(4): a respondent's name and address
are third-party data the client told the centre; the page says so.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import render_template

from audit import AuditEvent, Purpose
from servicestelle import audit_trail, catalogue, clock, pdf
from servicestelle.cases import operations, views_display
from servicestelle.cases.access import OBJECT_TYPE, CaseAccess
from servicestelle.cases.forms import SECTIONS, SelectionSpec, ValueSpec
from servicestelle.cases.views_content import CaseContent, read_content
from servicestelle.centres.queries import district_names
from servicestelle.dpo import presentation, queries
from servicestelle.dpo.labels import PURPOSE_EXPLANATIONS, PURPOSE_LABELS
from servicestelle.extensions import db

FORMAT = "servicestelle-art15/1"
FORMATS = ("pdf", "json")


class ExportUnavailable(RuntimeError):
    """The PDF engine is missing on this server (its system libraries); JSON still works."""


@dataclass(frozen=True)
class Consultation:
    day: date
    purpose: str
    label: str
    explanation: str
    count: int


@dataclass(frozen=True)
class ClientFile:
    reference: str
    status: str
    opened_on: date
    closed_on: date | None
    centre: str
    created_at: datetime
    # The plaintext of the file: never in a repr (a log line, a traceback).
    payload: dict[str, Any] = field(repr=False)
    sections: list[tuple[str, list[tuple[str, str]]]] = field(repr=False)
    content: CaseContent = field(repr=False)
    consultations: list[Consultation] = field(repr=False)


def _sections(
    payload: dict[str, Any], districts: dict[str, str]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every filled field with its label, in the order of the case form."""
    shown = []
    for section in SECTIONS:
        rows = [
            (str(spec.title), text)
            for spec in section.specs
            if isinstance(spec, SelectionSpec | ValueSpec)
            and (text := views_display.value_text(spec, payload, districts))
        ]
        if rows:
            shown.append((str(section.legend), rows))
    return shown


def _consultations(access: CaseAccess) -> list[Consultation]:
    """Completed reads of the case per local day and purpose, oldest first."""
    case = access.case
    entries = queries.entries(queries.consultations_of(case.centre_id, OBJECT_TYPE, str(case.id)))
    zone = presentation.zone()
    per_day: Counter[tuple[date, str]] = Counter(
        (entry.ts.astimezone(zone).date(), entry.purpose or "") for entry in entries
    )
    return [
        Consultation(
            day,
            purpose,
            str(PURPOSE_LABELS.get(purpose, purpose)),
            str(PURPOSE_EXPLANATIONS.get(purpose, "")),
            count,
        )
        for (day, purpose), count in sorted(per_day.items())
    ]


def assemble(access: CaseAccess) -> ClientFile:
    """Decrypt everything for the file (the caller records the export in the same request)."""
    opened = operations.open_sealed(access)
    case = access.case
    return ClientFile(
        reference=case.reference,
        status=case.status,
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        centre=access.user.centre.name,
        created_at=clock.now(),
        payload=opened.payload,
        sections=_sections(opened.payload, district_names(case.centre_id)),
        content=read_content(opened),
        consultations=_consultations(access),
    )


@dataclass(frozen=True)
class Export:
    content: bytes = field(repr=False)  # the client's file in plaintext
    media_type: str
    filename: str


def export(access: CaseAccess, fmt: str) -> Export:
    """The client's file as PDF or JSON; recorded as one export (committed) before it leaves."""
    if not access.may_export:
        raise PermissionError("only an assigned counsellor exports the file")  # a skipped check
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    client_file = assemble(access)
    rendered = to_pdf(client_file) if fmt == "pdf" else to_json(client_file)
    audit_trail.record(
        AuditEvent.CASE_RECORD_EXPORT,
        actor=access.user,
        object_type=OBJECT_TYPE,
        object_id=access.case.id,
        centre_id=access.case.centre_id,
        purpose=Purpose.ART15_REQUEST,
        details={"format": fmt},
    )
    db.session.commit()
    media_type = "application/pdf" if fmt == "pdf" else "application/json"
    return Export(rendered, media_type, f"Auskunft-Fall-{client_file.reference}.{fmt}")


# --- renderings -----------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def to_json(client_file: ClientFile) -> bytes:
    content = client_file.content
    document = {
        "format": FORMAT,
        "created_at": client_file.created_at.isoformat(),
        "centre": client_file.centre,
        "case": {
            "reference": client_file.reference,
            "status": client_file.status,
            "opened_on": _iso(client_file.opened_on),
            "closed_on": _iso(client_file.closed_on),
        },
        # Codes as stored, and the same in words (labels of the language of the request).
        "content": _jsonable(client_file.payload),
        "content_in_words": [
            {"section": legend, "fields": [{"label": label, "value": text} for label, text in rows]}
            for legend, rows in client_file.sections
        ],
        "contacts": [
            {
                "date": _iso(c.occurred_on),
                "channel": c.channel,
                "channel_label": views_display.code_label(catalogue.CONTACT_CHANNELS, c.channel),
                "duration_minutes": c.duration_minutes,
                "note": c.note,
            }
            for c in content.contacts
        ],
        "interventions": [
            {
                "date": _iso(i.occurred_on),
                "type": i.type,
                "type_label": views_display.code_label(catalogue.INTERVENTIONS, i.type),
                "details": i.details,
                "result": i.result,
            }
            for i in content.interventions
        ],
        "deadlines": [
            {
                "kind": d.kind,
                "trigger_on": _iso(d.trigger_on),
                "due_on": _iso(d.row.due_on),
                "uncertain": d.row.uncertain,
                "done_on": _iso(d.row.done_on),
                "note": d.note,
            }
            for d in content.deadlines
        ],
        "documents": [
            {
                "number": d.position,
                "added_on": _iso(d.row.created_at.date()),
                "type": d.row.media_type,
                "size": d.row.size,
                "description": d.description,
            }
            for d in content.documents
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "given_on": _iso(c.given_on),
                "form": c.form,
                "withdrawn_on": _iso(c.withdrawn_on),
            }
            for c in content.consents
        ],
        "accesses": [
            {
                "date": _iso(c.day),
                "purpose": c.purpose,
                "explanation": c.explanation,
                "count": c.count,
            }
            for c in client_file.consultations
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_pdf(client_file: ClientFile) -> bytes:
    html = render_template("cases/art15.html", file=client_file, **views_display.helpers())
    try:
        return pdf.render_pdf(html)
    except pdf.PdfUnavailable as exc:
        raise ExportUnavailable(str(exc)) from None
