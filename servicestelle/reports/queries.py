"""Reads of reports: the centre's list, one by id, its parts, and the releases it reads.

A report never reads the statistics store or a case: its figures come from the centre's
published release of its period (``sources_of``), looked up whenever the report is shown — a
draft the latest one, a finalised report the one it was finalised on while that stands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NoReturn

import sqlalchemy as sa
from flask import abort

from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.reports.models import (
    PolicyDemand,
    Report,
    ReportStatus,
    Vignette,
    VignetteStatus,
)
from servicestelle.security import deny_out_of_scope
from servicestelle.stats import queries as stats_queries
from servicestelle.stats.release_models import Release, ReleaseKind, ReleaseStatus

OBJECT_TYPE = "report"
VIGNETTE_OBJECT_TYPE = "report_vignette"
DEMAND_OBJECT_TYPE = "report_demand"


def reports_of(user: User) -> list[Report]:
    """The reports of the user's centre, newest period first."""
    if user.centre_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Report)
            .where(Report.centre_id == user.centre_id)
            .order_by(Report.period.desc(), Report.id.desc())
        )
    )


def draft_reports(centre_id: int | None) -> list[Report]:
    """The centre's draft reports: where a vignette may still be proposed."""
    if centre_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Report)
            .where(Report.centre_id == centre_id, Report.status == ReportStatus.DRAFT.value)
            .order_by(Report.period.desc(), Report.id.desc())
        )
    )


def get_report_or_404(report_id: int, user: User) -> Report:
    """A report of the user's centre; another centre's is a 404, audited."""
    report = db.session.get(Report, report_id)
    if report is None:
        abort(404)
    if report.centre_id != user.centre_id:
        deny_out_of_scope(OBJECT_TYPE, report.id, centre_id=report.centre_id)
    return report


def vignettes_of(report: Report, status: VignetteStatus | None = None) -> list[Vignette]:
    query = sa.select(Vignette).where(Vignette.report_id == report.id)
    if status is not None:
        query = query.where(Vignette.status == status.value)
    return list(db.session.scalars(query.order_by(Vignette.id)))


def _out_of_scope(object_type: str, child_id: int, owner_id: int, report: Report) -> NoReturn:
    """A part of another report: 404; audited, for the DPO of its centre, where that report
    belongs to another centre than ``report`` (whose centre get_report_or_404 checked)."""
    owner = db.session.get(Report, owner_id)
    if owner is not None and owner.centre_id != report.centre_id:
        deny_out_of_scope(object_type, child_id, centre_id=owner.centre_id)
    abort(404)


def get_vignette_or_404(report: Report, vignette_id: int) -> Vignette:
    """A vignette of ``report``; one of another centre's report is a 404, audited."""
    vignette = db.session.get(Vignette, vignette_id)
    if vignette is None:
        abort(404)
    if vignette.report_id != report.id:
        _out_of_scope(VIGNETTE_OBJECT_TYPE, vignette.id, vignette.report_id, report)
    return vignette


def demands_of(report: Report) -> list[PolicyDemand]:
    return list(
        db.session.scalars(
            sa.select(PolicyDemand)
            .where(PolicyDemand.report_id == report.id)
            .order_by(PolicyDemand.position, PolicyDemand.id)
        )
    )


def get_demand_or_404(report: Report, demand_id: int) -> PolicyDemand:
    """A demand of ``report``; one of another centre's report is a 404, audited."""
    demand = db.session.get(PolicyDemand, demand_id)
    if demand is None:
        abort(404)
    if demand.report_id != report.id:
        _out_of_scope(DEMAND_OBJECT_TYPE, demand.id, demand.report_id, report)
    return demand


# --- the releases a report reads -----------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    """What a report's figures come from, looked up now."""

    #: The published release the figures come from; None: no figures. A draft reads the
    #: latest of its centre and period; a finalised report the one it was finalised on while
    #: that is published (a second release of the period does not change it silently), the
    #: latest once that one is revoked.
    release: Release | None
    #: The comparable published release before it (the trend); None: no comparison.
    previous: Release | None
    #: Releases of the period that were revoked (never used; the page says so).
    revoked: tuple[Release, ...]
    #: The release the report showed when it was finalised, if that one is revoked since.
    finalised_on_revoked: Release | None
    #: A newer published release of the period than the one a finalised report reads (the
    #: page says so); None for a draft, which reads the latest anyway.
    newer: Release | None = None


def _of_period(centre_id: int, period: str, status: ReleaseStatus) -> list[Release]:
    return list(
        db.session.scalars(
            sa.select(Release)
            .where(
                Release.centre_id == centre_id,
                Release.kind == ReleaseKind.RELEASE.value,
                Release.period == period,
                Release.status == status.value,
            )
            .order_by(Release.decided_at.desc(), Release.id.desc())
        )
    )


def sources_of(report: Report) -> Sources:
    published = _of_period(report.centre_id, report.period, ReleaseStatus.PUBLISHED)
    revoked = _of_period(report.centre_id, report.period, ReleaseStatus.REVOKED)
    latest = published[0] if published else None
    release, newer = latest, None
    if report.status == ReportStatus.FINAL.value:
        finalised = next((r for r in published if r.id == report.release_id), None)
        if finalised is not None:
            release = finalised
            newer = latest if latest is not None and latest.id != finalised.id else None
    previous = stats_queries.previous_published(release) if release is not None else None
    finalised_on = next((r for r in revoked if r.id == report.release_id), None)
    return Sources(release, previous, tuple(revoked), finalised_on, newer)


def display_names(ids: Iterable[int | None]) -> dict[int, str]:
    return stats_queries.display_names(ids)


def centre_code(centre_id: int) -> str:
    return stats_queries.centre_code(centre_id)
