"""Reports under /berichte: the list and a new report, a report's page, its PDF and CSV, and
finalising it. Demands and vignette reviews are in views_parts.py (registered below).

Every handler is load → check → act: the guard checks the permission (``reports:read`` to
read, ``reports:write`` to write, ``reports:review`` to decide), queries.get_report_or_404
answers 404 (audited) for another centre's report, and the operations refuse in German.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from servicestelle import clock, pdf
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.reports import operations, queries
from servicestelle.reports.forms import ReportForm
from servicestelle.reports.views_common import (
    STATUS_LABELS,
    ReportView,
    bp,
    load_view,
    me,
    period_label,
    template_context,
)
from servicestelle.stats import downloads, exports
from servicestelle.stats.release_models import Release

__all__ = ["bp"]

NO_PDF = _l(
    "Die PDF-Ausgabe ist auf diesem Server nicht eingerichtet. Die Tabellen des Berichts "
    "können Sie als CSV herunterladen."
)


# --- the list and a new report -------------------------------------------------------------


@bp.get("")
@require(Permission.REPORTS_READ)
def index() -> ResponseReturnValue:
    """The centre's reports; a new one for those who write them."""
    return _index_page(ReportForm(clock.today(), formdata=None))


def _index_page(form: ReportForm, status: int = 200) -> ResponseReturnValue:
    reports = queries.reports_of(me())
    page = render_template(
        "reports/index.html",
        reports=reports,
        form=form if me().can(Permission.REPORTS_WRITE) else None,
        status_labels=STATUS_LABELS,
        period_label=period_label,
        names=queries.display_names([report.created_by for report in reports]),
    )
    return page, status


@bp.post("/neu")
@require(Permission.REPORTS_WRITE)
def new() -> ResponseReturnValue:
    """Create a draft report for a period."""
    form = ReportForm(clock.today())
    if not form.validate():
        return _index_page(form, 400)
    try:
        report = operations.create_report(me(), form.title.data or "", form.period())
    except operations.ReportError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _index_page(form, 400)
    flash(_l("Der Bericht ist angelegt."), "success")
    return redirect(url_for("reports.show", report_id=report.id))


# --- a report ------------------------------------------------------------------------------


@bp.get("/<int:report_id>")
@require(Permission.REPORTS_READ)
def show(report_id: int) -> ResponseReturnValue:
    """The report: its release's figures, charts and trend, vignettes and demands."""
    view = load_view(queries.get_report_or_404(report_id, me()))
    return render_template(
        "reports/show.html",
        may_write=me().can(Permission.REPORTS_WRITE),
        **template_context(view),
    )


def _with_release(report_id: int) -> tuple[ReportView, Release, dict[str, Any]]:
    """A report whose period has a published release (else nothing to export: 404)."""
    view = load_view(queries.get_report_or_404(report_id, me()))
    if view.release is None or view.content is None:
        abort(404)
    return view, view.release, view.content


def _name(view: ReportView, suffix: str) -> str:
    code = queries.centre_code(view.report.centre_id)
    return downloads.filename(code, view.report.period, f"-bericht-{view.report.id}{suffix}")


@bp.get("/<int:report_id>/bericht.pdf")
@require(Permission.REPORTS_READ)
def export_pdf(report_id: int) -> ResponseReturnValue:
    """The report as PDF (WeasyPrint; audited); 503 where the PDF engine cannot run."""
    view, release, _content = _with_release(report_id)
    html = render_template("reports/pdf.html", **template_context(view))
    try:
        body = pdf.render_pdf(html)
    except pdf.PdfUnavailable:
        page = render_template(
            "errors/error.html",
            status=503,
            message=str(NO_PDF),
            request_id=g.get("request_id"),
        )
        return page, 503
    operations.record_export(me(), view.report, "pdf", release)
    return downloads.response(body, "application/pdf", _name(view, ".pdf"))


@bp.get("/<int:report_id>/tabellen/<table_id>.csv")
@require(Permission.REPORTS_READ)
def export_table(report_id: int, table_id: str) -> ResponseReturnValue:
    """One table of the report as CSV (the release's cells; "•" where suppressed)."""
    view, release, content = _with_release(report_id)
    table = next((t for t in content["tables"] if t["id"] == table_id), None)
    if table is None:
        abort(404)
    operations.record_export(me(), view.report, "csv", release, table=table["id"])
    return downloads.response(
        downloads.csv_bytes(exports.table_csv(table)),
        downloads.CSV_MEDIA_TYPE,
        _name(view, f"-{table['id']}.csv"),
    )


@bp.get("/<int:report_id>/tabellen.zip")
@require(Permission.REPORTS_READ)
def export_zip(report_id: int) -> ResponseReturnValue:
    """Every table of the report as CSV, in one ZIP."""
    view, release, content = _with_release(report_id)
    published_at = release.decided_at or release.drafted_at
    code = queries.centre_code(view.report.centre_id)
    body = downloads.tables_zip(content, code, published_at)
    operations.record_export(me(), view.report, "zip", release)
    return downloads.response(body, "application/zip", _name(view, "-tabellen.zip"))


@bp.post("/<int:report_id>/abschliessen")
@require(Permission.REPORTS_REVIEW)
def finalise(report_id: int) -> ResponseReturnValue:
    """Finalise the report: vignettes and demands are frozen."""
    report = queries.get_report_or_404(report_id, me())
    try:
        operations.finalise_report(me(), report)
    except operations.ReportError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("reports.edit", report_id=report_id, _anchor="abschluss"))
    flash(_l("Der Bericht ist abgeschlossen."), "success")
    return redirect(url_for("reports.show", report_id=report_id))


# The demand and vignette pages register themselves on ``bp``; imported last, when it exists.
from servicestelle.reports import views_parts as _parts  # noqa: E402, F401
