"""The reports blueprint and what its view modules share: the current user, labels, and the
report as its pages show it (loaded once per request from the report and its releases)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicestelle.auth.models import User
from servicestelle.reports import document, queries
from servicestelle.reports.models import (
    PolicyDemand,
    Report,
    ReportStatus,
    Vignette,
    VignetteStatus,
)
from servicestelle.stats import presentation
from servicestelle.stats.content import localised
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release

bp = Blueprint("reports", __name__, url_prefix="/berichte")

STATUS_LABELS = {
    ReportStatus.DRAFT.value: _l("Entwurf"),
    ReportStatus.FINAL.value: _l("abgeschlossen"),
}
VIGNETTE_STATUS_LABELS = {
    VignetteStatus.PROPOSED.value: _l("wartet auf Prüfung"),
    VignetteStatus.ACCEPTED.value: _l("angenommen"),
    VignetteStatus.REFUSED.value: _l("abgelehnt"),
}


def me() -> User:
    return current_user


def period_label(code: str) -> str:
    return Period.parse(code).label()


@dataclass(frozen=True)
class ReportView:
    """A report with what it shows: its release's tables (if one is published), the
    accepted vignettes and the demands."""

    report: Report
    period: Period
    sources: queries.Sources
    content: dict[str, Any] | None
    document: document.Document | None
    vignettes: list[Vignette]
    demands: list[PolicyDemand]

    @property
    def release(self) -> Release | None:
        return self.sources.release

    @property
    def is_draft(self) -> bool:
        return self.report.status == ReportStatus.DRAFT.value


def load_view(report: Report) -> ReportView:
    sources = queries.sources_of(report)
    period = Period.parse(report.period)
    content = localised(json.loads(sources.release.content)) if sources.release else None
    built = None
    if content is not None:
        previous = localised(json.loads(sources.previous.content)) if sources.previous else None
        built = document.build(
            content,
            previous,
            centre_id=report.centre_id,
            year=period.year,
            period_label=period.label(),
        )
    return ReportView(
        report,
        period,
        sources,
        content,
        built,
        queries.vignettes_of(report, VignetteStatus.ACCEPTED),
        queries.demands_of(report),
    )


def template_context(view: ReportView) -> dict[str, Any]:
    """What reports/_body.html needs (the page and the PDF alike)."""
    release, previous = view.sources.release, view.sources.previous
    names = queries.display_names(
        [
            view.report.created_by,
            view.report.finalised_by,
            release.decided_by if release else None,
        ]
    )
    return {
        "view": view,
        "report": view.report,
        "period": view.period,
        "release": release,
        "previous": previous,
        "previous_label": period_label(previous.period) if previous else None,
        "previous_period_label": _previous_label(view.period),
        "doc": view.document,
        "names": names,
        "status_labels": STATUS_LABELS,
        "percent": presentation.percent,
        "shown": presentation.shown,
        "missing_titles": document.missing_titles,
    }


def _previous_label(period: Period) -> str | None:
    try:
        return period.previous().label()
    except ValueError:
        return None
