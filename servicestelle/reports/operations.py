"""The only writers of reports: create, finalise, vignettes (propose, accept, refuse), policy
demands (add, change, move, delete) and the audit entry of every export.

Each operation checks what the permission guard cannot see (the centre, the status, four
eyes on vignettes) and what the database would refuse (the lengths of models.py, NUL, which
PostgreSQL's text columns cannot hold), so that a caller without a form gets a German
``ReportError``, not a database error; it records its audit event and
commits — except ``propose_vignette``, whose caller on the case side records the case's entry
and commits both together. Audit details carry ids, codes and hashes, never text.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from audit import AuditEvent
from servicestelle import clock
from servicestelle.audit_trail import record
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.permissions import Permission
from servicestelle.reports.models import (
    DEMAND_TEXT_MAX,
    DEMAND_TITLE_MAX,
    REASON_MAX,
    TITLE_MAX,
    VIGNETTE_MAX,
    PolicyDemand,
    Report,
    ReportStatus,
    Vignette,
    VignetteStatus,
)
from servicestelle.reports.queries import OBJECT_TYPE, sources_of
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release

log = logging.getLogger(__name__)

#: What a report is exported as (the audit entry names one of them).
EXPORT_FORMATS = ("pdf", "csv", "zip", "json")


class ReportError(ValueError):
    """A refused change; the message is German and names no submitted value."""


def _record(event: AuditEvent, actor: User, report: Report, **details: object) -> None:
    record(
        event,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=report.id,
        centre_id=report.centre_id,
        details=details,
    )


def _own(actor: User, report: Report) -> None:
    if actor.centre_id is None or report.centre_id != actor.centre_id:
        raise ReportError(str(_l("Dieser Bericht gehört zu einer anderen Beratungsstelle.")))


def _draft(actor: User, report: Report) -> None:
    _own(actor, report)
    if report.status != ReportStatus.DRAFT.value:
        raise ReportError(
            str(_l("Der Bericht ist abgeschlossen; Vignetten und Forderungen sind eingefroren."))
        )


def _may(actor: User, permission: Permission) -> None:
    if not actor.can(permission):
        raise ReportError(str(_l("Dafür fehlt Ihnen die Berechtigung.")))


def _text(value: str, maximum: int, too_long: str, empty: str | None = None) -> str:
    """``value`` stripped, or a refusal: too long, a NUL character, or empty where required."""
    value = value.strip()
    if len(value) > maximum:
        raise ReportError(too_long)
    if "\x00" in value:
        raise ReportError(str(_l("Das Feld enthält unzulässige Zeichen.")))
    if empty is not None and not value:
        raise ReportError(empty)
    return value


def _vignette_text(value: str) -> str:
    return _text(
        value,
        VIGNETTE_MAX,
        str(_l("Die Vignette ist zu lang (höchstens %(max)d Zeichen).", max=VIGNETTE_MAX)),
        str(_l("Bitte schreiben Sie die Vignette.")),
    )


def _demand_parts(title: str, text: str) -> tuple[str, str]:
    return (
        _text(
            title,
            DEMAND_TITLE_MAX,
            str(_l("Die Forderung ist zu lang (höchstens %(max)d Zeichen).", max=DEMAND_TITLE_MAX)),
            str(_l("Bitte formulieren Sie die Forderung.")),
        ),
        _text(
            text,
            DEMAND_TEXT_MAX,
            str(_l("Die Begründung ist zu lang (höchstens %(max)d Zeichen).", max=DEMAND_TEXT_MAX)),
        ),
    )


# --- reports -------------------------------------------------------------------------------


def create_report(actor: User, title: str, period: Period) -> Report:
    """A new draft report of the actor's centre for ``period``."""
    _may(actor, Permission.REPORTS_WRITE)
    if actor.centre_id is None:
        raise ReportError(str(_l("Berichte gehören zu einer Beratungsstelle.")))
    title = _text(
        title,
        TITLE_MAX,
        str(_l("Der Titel ist zu lang (höchstens %(max)d Zeichen).", max=TITLE_MAX)),
        str(_l("Bitte geben Sie einen Titel an.")),
    )
    report = Report(
        centre_id=actor.centre_id,
        title=title,
        period=period.code,
        status=ReportStatus.DRAFT.value,
        created_by=actor.id,
        created_at=clock.now(),
    )
    db.session.add(report)
    db.session.flush()
    _record(AuditEvent.REPORT_RECORD_CREATE, actor, report, period=period.code)
    db.session.commit()
    log.info("report created: id=%s period=%s", report.id, report.period)
    return report


def finalise_report(actor: User, report: Report) -> Release:
    """Freeze vignettes and demands; needs a published release of the period (the report
    would show no figure without one). The release shown now is remembered, so that its
    later revocation can be stated."""
    _may(actor, Permission.REPORTS_REVIEW)
    _draft(actor, report)
    release = sources_of(report).release
    if release is None:
        raise ReportError(
            str(
                _l(
                    "Für den Zeitraum des Berichts gibt es keine veröffentlichte Statistik; "
                    "ohne Zahlen kann er nicht abgeschlossen werden."
                )
            )
        )
    pending = db.session.scalar(
        sa.select(sa.func.count(Vignette.id)).where(
            Vignette.report_id == report.id, Vignette.status == VignetteStatus.PROPOSED.value
        )
    )
    if pending:
        raise ReportError(
            str(
                _l(
                    "Es warten noch Vignetten auf eine Entscheidung. Bitte nehmen Sie sie an "
                    "oder lehnen Sie sie ab, bevor Sie den Bericht abschließen."
                )
            )
        )
    report.status = ReportStatus.FINAL.value
    report.finalised_by = actor.id
    report.finalised_at = clock.now()
    report.release_id = release.id
    _record(
        AuditEvent.REPORT_RECORD_FINALISE,
        actor,
        report,
        release_id=release.id,
        content_sha256=release.content_hash,
    )
    db.session.commit()
    log.info("report finalised: id=%s release=%s", report.id, release.id)
    return release


def record_export(
    actor: User, report: Report, fmt: str, release: Release, table: str | None = None
) -> None:
    """Audit one export of a report's figures (committed)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format: {fmt}")
    details: dict[str, object] = {
        "format": fmt,
        "release_id": release.id,
        "content_sha256": release.content_hash,
    }
    if table is not None:
        details["table"] = table
    _record(AuditEvent.REPORT_RECORD_EXPORT, actor, report, **details)
    db.session.commit()


# --- vignettes -----------------------------------------------------------------------------


def propose_vignette(actor: User, report: Report, text: str) -> Vignette:
    """Add a proposed vignette to a draft report. Not committed and not audited here: the
    caller (the case side, which checked the case's consent) records the case's entry and
    commits, so that the proposal and its entry are one transaction. The row holds the text
    and the report, nothing that leads to the case."""
    _may(actor, Permission.REPORTS_WRITE)
    _draft(actor, report)
    vignette = Vignette(
        report_id=report.id,
        text=_vignette_text(text),
        status=VignetteStatus.PROPOSED.value,
        proposed_by=actor.id,
        proposed_on=clock.today(),
    )
    db.session.add(vignette)
    db.session.flush()
    return vignette


def _reviewable(actor: User, report: Report, vignette: Vignette) -> None:
    _may(actor, Permission.REPORTS_REVIEW)
    _draft(actor, report)
    if vignette.report_id != report.id:
        raise ReportError(str(_l("Diese Vignette gehört nicht zu diesem Bericht.")))
    if vignette.status != VignetteStatus.PROPOSED.value:
        raise ReportError(str(_l("Über diese Vignette ist bereits entschieden.")))
    if vignette.proposed_by == actor.id:
        raise ReportError(
            str(
                _l(
                    "Vier Augen: Sie haben diese Vignette vorgeschlagen. Eine andere Leitung "
                    "muss sie prüfen."
                )
            )
        )


def accept_vignette(actor: User, report: Report, vignette: Vignette, text: str) -> None:
    """Accept a vignette, with the reviewer's edits to its text."""
    _reviewable(actor, report, vignette)
    text = _vignette_text(text)
    edited = text != vignette.text
    vignette.text = text
    vignette.status = VignetteStatus.ACCEPTED.value
    vignette.reviewed_by = actor.id
    vignette.reviewed_at = clock.now()
    _record(AuditEvent.REPORT_VIGNETTE_ACCEPT, actor, report, vignette=vignette.id, edited=edited)
    db.session.commit()


def refuse_vignette(actor: User, report: Report, vignette: Vignette, reason: str) -> None:
    """Refuse a vignette with a reason; it never appears in the report, and its text is
    deleted (a text is mostly refused because someone could be recognised in it)."""
    _reviewable(actor, report, vignette)
    reason = _text(
        reason,
        REASON_MAX,
        str(_l("Die Begründung ist zu lang (höchstens %(max)d Zeichen).", max=REASON_MAX)),
        str(_l("Bitte geben Sie eine Begründung an.")),
    )
    vignette.status = VignetteStatus.REFUSED.value
    vignette.text = ""
    vignette.refusal_reason = reason
    vignette.reviewed_by = actor.id
    vignette.reviewed_at = clock.now()
    _record(AuditEvent.REPORT_VIGNETTE_REFUSE, actor, report, vignette=vignette.id)
    db.session.commit()


# --- policy demands ------------------------------------------------------------------------


def _demands(report: Report) -> list[PolicyDemand]:
    return list(
        db.session.scalars(
            sa.select(PolicyDemand)
            .where(PolicyDemand.report_id == report.id)
            .order_by(PolicyDemand.position, PolicyDemand.id)
        )
    )


def _editable(actor: User, report: Report, demand: PolicyDemand | None = None) -> None:
    _may(actor, Permission.REPORTS_WRITE)
    _draft(actor, report)
    if demand is not None and demand.report_id != report.id:
        raise ReportError(str(_l("Diese Forderung gehört nicht zu diesem Bericht.")))


def add_demand(actor: User, report: Report, title: str, text: str) -> PolicyDemand:
    """A new policy demand, last in the report's list."""
    _editable(actor, report)
    title, text = _demand_parts(title, text)
    existing = _demands(report)
    demand = PolicyDemand(
        report_id=report.id,
        position=(existing[-1].position + 1) if existing else 1,
        title=title,
        text=text,
        created_by=actor.id,
        created_at=clock.now(),
    )
    db.session.add(demand)
    db.session.flush()
    _record(AuditEvent.REPORT_DEMAND_ADD, actor, report, demand=demand.id)
    db.session.commit()
    return demand


def update_demand(actor: User, report: Report, demand: PolicyDemand, title: str, text: str) -> None:
    """Change a demand's title and text (the audit names the changed fields)."""
    _editable(actor, report, demand)
    title, text = _demand_parts(title, text)
    changed = [
        name
        for name, old, new in (("title", demand.title, title), ("text", demand.text, text))
        if old != new
    ]
    demand.title = title
    demand.text = text
    _record(AuditEvent.REPORT_DEMAND_UPDATE, actor, report, demand=demand.id, fields=changed)
    db.session.commit()


def move_demand(actor: User, report: Report, demand: PolicyDemand, step: int) -> None:
    """Move a demand one place up (-1) or down (+1); at the end of the list nothing moves."""
    _editable(actor, report, demand)
    if step not in (-1, 1):
        raise ReportError(str(_l("Eine Forderung rückt um genau einen Platz.")))
    demands = _demands(report)
    index = next(i for i, row in enumerate(demands) if row.id == demand.id)
    target = min(max(index + step, 0), len(demands) - 1)
    demands[index], demands[target] = demands[target], demands[index]
    for position, row in enumerate(demands, start=1):
        row.position = position
    _record(AuditEvent.REPORT_DEMAND_MOVE, actor, report, demand=demand.id, position=target + 1)
    db.session.commit()


def delete_demand(actor: User, report: Report, demand: PolicyDemand) -> None:
    """Delete a demand; the others close up."""
    _editable(actor, report, demand)
    demand_id = demand.id
    db.session.delete(demand)
    db.session.flush()
    for position, row in enumerate(_demands(report), start=1):
        row.position = position
    _record(AuditEvent.REPORT_DEMAND_DELETE, actor, report, demand=demand_id)
    db.session.commit()
