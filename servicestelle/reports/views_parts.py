"""The parts people write for a report: policy demands and the review of vignettes.

The workspace (/berichte/<id>/bearbeiten) lists the demands with their forms, the vignettes
with their status, and the finalising step. A refused entry comes back on its own page with
the message next to its field and nothing typed lost (400); a saved one returns with a flash
message (POST-redirect-GET). Vignettes are proposed on the case side
(cases/views_vignettes.py): only there is the case's consent known. Until a vignette is
accepted, its text (and a refusal's reason) is for its proposer and the reviewers only: the
workspace needs only ``reports:write``, and an unreviewed text may still identify someone.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.reports import operations, queries
from servicestelle.reports.forms import AcceptForm, DemandForm, MoveForm, RefuseForm
from servicestelle.reports.models import Report, Vignette, VignetteStatus
from servicestelle.reports.views_common import (
    STATUS_LABELS,
    VIGNETTE_STATUS_LABELS,
    bp,
    me,
)


def _to_edit(report_id: int, anchor: str | None = None) -> Response:
    return redirect(url_for("reports.edit", report_id=report_id, _anchor=anchor))


def _attempt(form: DemandForm | AcceptForm | RefuseForm, action: Callable[[], object]) -> bool:
    """Run an operation; its refusal goes into the form (nothing typed is lost)."""
    try:
        action()
    except operations.ReportError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return False
    return True


@bp.get("/<int:report_id>/bearbeiten")
@require(Permission.REPORTS_WRITE)
def edit(report_id: int) -> ResponseReturnValue:
    """The workspace: demands, vignettes and (for supervisors) finalising."""
    report = queries.get_report_or_404(report_id, me())
    return _edit_page(report)


def _edit_page(
    report: Report, demand_form: DemandForm | None = None, status: int = 200
) -> ResponseReturnValue:
    vignettes = queries.vignettes_of(report)
    demands = queries.demands_of(report)
    names = queries.display_names(
        [v.proposed_by for v in vignettes] + [v.reviewed_by for v in vignettes]
    )
    may_review = me().can(Permission.REPORTS_REVIEW)
    readable = {
        v.id
        for v in vignettes
        if may_review
        or v.proposed_by == me().id
        or v.status == VignetteStatus.ACCEPTED.value  # the report shows it to every reader
    }
    page = render_template(
        "reports/edit.html",
        report=report,
        demands=demands,
        vignettes=vignettes,
        readable=readable,
        names=names,
        demand_form=demand_form or DemandForm(formdata=None),
        move_form=MoveForm(formdata=None),
        status_labels=STATUS_LABELS,
        vignette_labels=VIGNETTE_STATUS_LABELS,
        is_draft=report.status == "draft",
        may_review=may_review,
        me_id=me().id,
        release=queries.sources_of(report).release,
    )
    return page, status


# --- demands -------------------------------------------------------------------------------


@bp.post("/<int:report_id>/forderungen")
@require(Permission.REPORTS_WRITE)
def add_demand(report_id: int) -> ResponseReturnValue:
    """Add a policy demand at the end of the list."""
    report = queries.get_report_or_404(report_id, me())
    form = DemandForm()
    if form.validate() and _attempt(
        form,
        lambda: operations.add_demand(me(), report, form.title.data or "", form.text.data or ""),
    ):
        flash(_l("Die Forderung ist gespeichert."), "success")
        return _to_edit(report_id, "forderungen")
    return _edit_page(report, form, 400)


@bp.route("/<int:report_id>/forderungen/<int:demand_id>", methods=["GET", "POST"])
@require(Permission.REPORTS_WRITE)
def edit_demand(report_id: int, demand_id: int) -> ResponseReturnValue:
    """Change a demand's wording."""
    report = queries.get_report_or_404(report_id, me())
    demand = queries.get_demand_or_404(report, demand_id)
    posted = request.method == "POST"
    form = DemandForm() if posted else DemandForm(data={"title": demand.title, "text": demand.text})
    if (
        posted
        and form.validate()
        and _attempt(
            form,
            lambda: operations.update_demand(
                me(), report, demand, form.title.data or "", form.text.data or ""
            ),
        )
    ):
        flash(_l("Die Forderung ist geändert."), "success")
        return _to_edit(report_id, "forderungen")
    page = render_template("reports/demand_form.html", report=report, demand=demand, form=form)
    return page, 400 if posted else 200


@bp.post("/<int:report_id>/forderungen/<int:demand_id>/verschieben")
@require(Permission.REPORTS_WRITE)
def move_demand(report_id: int, demand_id: int) -> ResponseReturnValue:
    """Move a demand one place up or down."""
    report = queries.get_report_or_404(report_id, me())
    demand = queries.get_demand_or_404(report, demand_id)
    form = MoveForm()
    if not form.validate():
        flash(_l("Bitte wählen Sie eine Richtung."), "error")
        return _to_edit(report_id, "forderungen")
    try:
        operations.move_demand(me(), report, demand, form.step)
    except operations.ReportError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return _to_edit(report_id, "forderungen")


@bp.post("/<int:report_id>/forderungen/<int:demand_id>/loeschen")
@require(Permission.REPORTS_WRITE)
def delete_demand(report_id: int, demand_id: int) -> ResponseReturnValue:
    """Delete a demand."""
    report = queries.get_report_or_404(report_id, me())
    demand = queries.get_demand_or_404(report, demand_id)
    try:
        operations.delete_demand(me(), report, demand)
    except operations.ReportError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_l("Die Forderung ist gelöscht."), "success")
    return _to_edit(report_id, "forderungen")


# --- the review of vignettes ---------------------------------------------------------------


def _review_page(
    report: Report,
    vignette: Vignette,
    accept_form: AcceptForm | None = None,
    refuse_form: RefuseForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    page = render_template(
        "reports/review.html",
        report=report,
        vignette=vignette,
        accept_form=accept_form or AcceptForm(formdata=None, data={"text": vignette.text}),
        refuse_form=refuse_form or RefuseForm(formdata=None),
        names=queries.display_names([vignette.proposed_by]),
        is_proposer=vignette.proposed_by == me().id,
        is_open=vignette.status == VignetteStatus.PROPOSED.value and report.status == "draft",
        vignette_labels=VIGNETTE_STATUS_LABELS,
    )
    return page, status


@bp.get("/<int:report_id>/vignetten/<int:vignette_id>")
@require(Permission.REPORTS_REVIEW)
def review(report_id: int, vignette_id: int) -> ResponseReturnValue:
    """One proposed vignette: accept it (edited if need be) or refuse it with a reason."""
    report = queries.get_report_or_404(report_id, me())
    return _review_page(report, queries.get_vignette_or_404(report, vignette_id))


@bp.post("/<int:report_id>/vignetten/<int:vignette_id>/annehmen")
@require(Permission.REPORTS_REVIEW)
def accept(report_id: int, vignette_id: int) -> ResponseReturnValue:
    """Accept a vignette (another supervisor than the proposer)."""
    report = queries.get_report_or_404(report_id, me())
    vignette = queries.get_vignette_or_404(report, vignette_id)
    form = AcceptForm()
    if form.validate() and _attempt(
        form, lambda: operations.accept_vignette(me(), report, vignette, form.text.data or "")
    ):
        flash(_l("Die Vignette ist angenommen und erscheint im Bericht."), "success")
        return _to_edit(report_id, "vignetten")
    return _review_page(report, vignette, accept_form=form, status=400)


@bp.post("/<int:report_id>/vignetten/<int:vignette_id>/ablehnen")
@require(Permission.REPORTS_REVIEW)
def refuse(report_id: int, vignette_id: int) -> ResponseReturnValue:
    """Refuse a vignette with a reason; it never appears in the report."""
    report = queries.get_report_or_404(report_id, me())
    vignette = queries.get_vignette_or_404(report, vignette_id)
    form = RefuseForm()
    if form.validate() and _attempt(
        form, lambda: operations.refuse_vignette(me(), report, vignette, form.reason.data or "")
    ):
        flash(_l("Die Vignette ist abgelehnt."), "success")
        return _to_edit(report_id, "vignetten")
    return _review_page(report, vignette, refuse_form=form, status=400)
