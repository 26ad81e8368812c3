"""The annual activity report for the funder (Sachbericht-style), as data every output — the
page, the PDF, the CSV — is rendered from.

- Activities of the year (by first day): by Eckpunkt, by type and Eckpunkt, by Aufgabenfeld
  or Servicefunktion; counts, and participants summed over the activities that give a figure.
- Case figures only from the centre's published release of the whole year (``faelle``:
  opened and closed). A suppressed figure is "•"; without a published year release the
  report says so and shows no case figure at all. Cases are never read.
- Campaigns of the year and their review (report_campaigns.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import LazyString

from servicestelle.activities import codes
from servicestelle.activities.models import Activity
from servicestelle.activities.queries import activities_of_year
from servicestelle.activities.report_campaigns import CampaignLine, campaigns_of_year
from servicestelle.extensions import db
from servicestelle.stats.content import published_values
from servicestelle.stats.exports import SUPPRESSED
from servicestelle.stats.keys import Key
from servicestelle.stats.release_models import Release, ReleaseKind, ReleaseStatus
from servicestelle.stats.tables import Basis

#: The release table with the cases opened and closed.
CASES_TABLE = "faelle"


@dataclass
class Tally:
    count: int = 0
    #: Sum over the activities that give a number of participants.
    participants: int = 0
    #: How many activities give one.
    with_participants: int = 0

    def add(self, activity: Activity) -> None:
        self.count += 1
        if activity.participants is not None:
            self.participants += activity.participants
            self.with_participants += 1


@dataclass(frozen=True)
class Line:
    code: str
    label: str
    tally: Tally


@dataclass(frozen=True)
class CaseFigures:
    """The case figures of the published year release; a value None is suppressed."""

    release_id: int
    period_code: str
    published_at: datetime | None
    content_sha256: str
    #: Whether the release has the cases table at all.
    has_table: bool
    opened: int | None
    closed: int | None

    def shown(self, value: int | None) -> str:
        return SUPPRESSED if value is None else str(value)


@dataclass(frozen=True)
class AnnualReport:
    year: int
    activities: list[Activity]
    total: Tally
    by_eckpunkt: list[Line]
    by_type: list[Line]
    #: (type, eckpunkt) → count, for the cross table.
    type_by_eckpunkt: dict[tuple[str, str], int]
    by_task: list[Line]
    #: None: no published release of the whole year.
    cases: CaseFigures | None
    campaigns: list[CampaignLine] = field(default_factory=list)


def _lines(
    activities: Iterable[Activity], attribute: str, labels: dict[str, LazyString]
) -> list[Line]:
    """One line per code in the list's order (every code, zero where none), then codes the
    list no longer has."""
    tallies: dict[str, Tally] = {code: Tally() for code in labels}
    for activity in activities:
        value = getattr(activity, attribute)
        if value is not None:
            tallies.setdefault(value, Tally()).add(activity)
    return [Line(code, codes.label(labels, code), tally) for code, tally in tallies.items()]


def published_year_release(centre_id: int, year: int) -> Release | None:
    """The centre's published statistics release of the whole year (the latest approved,
    should there be a second after a revocation); a revoked one does not count."""
    return db.session.scalar(
        sa.select(Release)
        .where(
            Release.centre_id == centre_id,
            Release.kind == ReleaseKind.RELEASE.value,
            Release.period == str(year),
            Release.status == ReleaseStatus.PUBLISHED.value,
        )
        .order_by(Release.decided_at.desc(), Release.id.desc())
        .limit(1)
    )


def case_figures(release: Release) -> CaseFigures:
    values = published_values(json.loads(release.content))
    return CaseFigures(
        release_id=release.id,
        period_code=release.period,
        published_at=release.decided_at,
        content_sha256=release.content_hash,
        has_table=CASES_TABLE in release.table_list,
        opened=values.get(Key.of(Basis.OPENED)),
        closed=values.get(Key.of(Basis.CLOSED)),
    )


def build(centre_id: int, year: int) -> AnnualReport:
    activities = activities_of_year(centre_id, year)
    total = Tally()
    for activity in activities:
        total.add(activity)
    crossed: dict[tuple[str, str], int] = {}
    for activity in activities:
        key = (activity.type, activity.eckpunkt)
        crossed[key] = crossed.get(key, 0) + 1
    release = published_year_release(centre_id, year)
    return AnnualReport(
        year=year,
        activities=activities,
        total=total,
        by_eckpunkt=_lines(activities, "eckpunkt", codes.ECKPUNKTE),
        by_type=_lines(activities, "type", codes.TYPES),
        type_by_eckpunkt=crossed,
        by_task=_lines(activities, "task", codes.TASKS),
        cases=None if release is None else case_figures(release),
        campaigns=campaigns_of_year(centre_id, year),
    )
