"""Proposing an anonymised vignette from a case for one of the centre's draft reports.

Offered only while the client's consent to a vignette (purpose ``fallvignette``) is recorded
and not withdrawn; checked again when the proposal is sent. The vignette that reports/ stores
holds the text and the report, never the case: the link exists only here, for the length of
the request. The case's audit entry names the case (and the consent it relied on), never the
report or the vignette, so the log does not join them either. An emergency (break-glass)
opening is for keeping a case going, not for writing about it: it proposes nothing.

This module is the case side's operation as well as its view: the report side may not import
the case package (tests/test_stats_boundaries.py), so the proposal and the case's audit entry
are committed together here.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from audit import AuditEvent
from servicestelle import audit_trail
from servicestelle.cases.access import OBJECT_TYPE, CaseAccess, Reach
from servicestelle.cases.models import CaseConsent
from servicestelle.cases.views_common import bp, load, me, to_case
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.reports import operations as report_operations
from servicestelle.reports import queries as report_queries
from servicestelle.reports.forms import VignetteForm
from servicestelle.reports.models import Report
from servicestelle.stats.periods import Period

VIGNETTE_PURPOSE = "fallvignette"

NO_BREAK_GLASS = _l(
    "Mit einem Notfallzugriff können Sie keine Fallvignette vorschlagen. Das können nur die "
    "Beratenden, denen die Akte zugewiesen oder freigegeben ist."
)

NO_CONSENT = _l(
    "Eine Fallvignette kann nur vorgeschlagen werden, wenn die ratsuchende Person in eine "
    "anonymisierte Fallvignette eingewilligt und die Einwilligung nicht widerrufen hat."
)


def vignette_consent(case_id: int) -> CaseConsent | None:
    """The case's active consent to an anonymised vignette, if any."""
    return db.session.scalars(
        sa.select(CaseConsent)
        .where(
            CaseConsent.case_id == case_id,
            CaseConsent.purpose == VIGNETTE_PURPOSE,
            CaseConsent.withdrawn_on.is_(None),
        )
        .order_by(CaseConsent.given_on.desc(), CaseConsent.id.desc())
        .limit(1)
    ).first()


def _label(report: Report) -> str:
    return f"{report.title} ({Period.parse(report.period).label()})"


def _page(access: CaseAccess, form: VignetteForm, reports: list[Report]) -> ResponseReturnValue:
    status = 400 if form.is_submitted() else 200
    page = render_template(
        "cases/_vignette_form.html", access=access, form=form, has_reports=bool(reports)
    )
    return page, status


@bp.route("/<int:case_id>/vignette/neu", methods=["GET", "POST"])
@require(Permission.REPORTS_WRITE)
def propose_vignette(case_id: int) -> ResponseReturnValue:
    """Write an anonymised vignette of this case for a draft report (consent required)."""
    access = load(case_id, content=True)
    if access.reach is Reach.BREAK_GLASS:
        flash(NO_BREAK_GLASS, "error")
        return to_case(case_id)
    consent = vignette_consent(access.case.id)
    if consent is None:
        flash(NO_CONSENT, "error")
        return to_case(case_id, "einwilligungen")
    reports = report_queries.draft_reports(access.case.centre_id)
    form = VignetteForm()
    form.offer([(report.id, _label(report)) for report in reports])
    if not form.validate_on_submit():
        return _page(access, form, reports)
    report = next(report for report in reports if str(report.id) == form.report.data)
    try:
        report_operations.propose_vignette(me(), report, form.text.data or "")
    except report_operations.ReportError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _page(access, form, reports)
    audit_trail.record(
        AuditEvent.CASE_VIGNETTE_PROPOSE,
        actor=access.user,
        object_type=OBJECT_TYPE,
        object_id=access.case.id,
        centre_id=access.case.centre_id,
        purpose=access.purpose,
        details={"consent": consent.id},
    )
    db.session.commit()
    flash(
        _l(
            "Die Vignette ist vorgeschlagen. Eine Leitung prüft sie, bevor sie im Bericht erscheint."
        ),
        "success",
    )
    return to_case(case_id, "einwilligungen")
