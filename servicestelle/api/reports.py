"""Structural-discrimination reports under /api/v1/reports: the list and one report with its
figures — the same ones its page shows, read from the centre's published release of the
period. Reading a report with figures is audited as an export; another centre's report is a
404 (audited)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user

from servicestelle.api.report_schemas import ReportSchema, ReportSummarySchema
from servicestelle.api.views import bp
from servicestelle.auth.models import User
from servicestelle.permissions import Permission, require
from servicestelle.reports import operations, queries
from servicestelle.reports.document import Section
from servicestelle.reports.models import Report
from servicestelle.reports.views_common import ReportView, load_view, period_label
from servicestelle.stats.release_models import Release


def _me() -> User:
    return current_user


def _summary(report: Report, release: Release | None) -> dict[str, Any]:
    return {
        "id": report.id,
        "title": report.title,
        "period": report.period,
        "period_label": period_label(report.period),
        "status": report.status,
        "created_at": report.created_at,
        "finalised_at": report.finalised_at,
        "release_id": release.id if release is not None else None,
    }


def _release(release: Release | None) -> dict[str, Any] | None:
    if release is None:
        return None
    return {
        "id": release.id,
        "period": release.period,
        "published_at": release.decided_at,
        "content_sha256": release.content_hash,
        "k": release.k,
    }


def _section(section: Section) -> dict[str, Any]:
    from servicestelle.reports.document import missing_titles

    return {
        "id": section.id,
        "title": section.title,
        "tables": [
            {
                "table": item.source,
                "trend": (
                    [asdict(change) for change in item.diff.changes]
                    if item.diff is not None and item.diff.compared
                    else None
                ),
            }
            for item in section.tables
        ],
        "key_figures": [asdict(figure) for figure in section.figures],
        "rates": asdict(section.rates) if section.rates is not None else None,
        "missing_tables": missing_titles(section),
    }


def _document(view: ReportView) -> dict[str, Any]:
    sources = view.sources
    data: dict[str, Any] = ReportSchema().dump(
        {
            **_summary(view.report, view.release),
            "representative": False,
            "release": _release(view.release),
            "previous_release": _release(sources.previous),
            "revoked_release_ids": [release.id for release in sources.revoked],
            "finalised_on_revoked_release_id": (
                sources.finalised_on_revoked.id if sources.finalised_on_revoked else None
            ),
            "newer_release_id": sources.newer.id if sources.newer is not None else None,
            "sections": (
                [_section(section) for section in view.document.sections]
                if view.document is not None
                else []
            ),
            # The place in the report, not the row id: ids count every vignette of every
            # centre in the order proposed, and so would match the case's audit entries.
            "vignettes": [
                {"position": position, "text": v.text}
                for position, v in enumerate(view.vignettes, start=1)
            ],
            "demands": [
                {"position": d.position, "title": d.title, "text": d.text} for d in view.demands
            ],
        }
    )
    return data


@bp.get("/reports")
@require(Permission.REPORTS_READ)
def list_reports() -> ResponseReturnValue:
    """The reports of the caller's centre, newest period first.
    ---
    get:
      summary: List structural-discrimination reports
      description: >-
        Every report of the caller's centre with the published release its figures come
        from (release_id null: the period has no published release, so no figures). No
        figures here: read one report for them.
      security: [{bearer: []}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: ReportSummary}}}}
        401: {content: {application/json: {schema: Error}}}
        403: {content: {application/json: {schema: Error}}}
    """
    rows = [(report, queries.sources_of(report).release) for report in queries.reports_of(_me())]
    return jsonify(ReportSummarySchema(many=True).dump([_summary(r, rel) for r, rel in rows]))


@bp.get("/reports/<int:report_id>")
@require(Permission.REPORTS_READ)
def get_report(report_id: int) -> ResponseReturnValue:
    """A report with its figures, vignettes and demands.
    ---
    get:
      summary: Read a structural-discrimination report
      description: >-
        The report's figures: the tables of a published release of its period (in the
        release's own format, value null where suppressed), the key figures the report
        derives from them (shares only where both figures are published and the base is at
        least 20; group sums only where every summand is published), the trend against the
        previous comparable published release, and cases per 10,000 residents where
        populations are known; then the accepted vignettes (numbered by their place in the
        report) and the demands. A draft reads the centre's latest release of the period; a
        finalised report the one it was finalised on while that is published
        (newer_release_id names a later one), the latest once that one is revoked. A period
        without a published release has no sections. Not representative: the figures show
        only cases that reached the centre. A read with figures is audited as an export.
      security: [{bearer: []}]
      parameters:
        - {in: path, name: report_id, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: Report}}}
        401: {content: {application/json: {schema: Error}}}
        403: {content: {application/json: {schema: Error}}}
        404: {content: {application/json: {schema: Error}}}
    """
    view = load_view(queries.get_report_or_404(report_id, _me()))
    document = _document(view)
    if view.release is not None:
        operations.record_export(_me(), view.report, "json", view.release)
    return jsonify(document)
