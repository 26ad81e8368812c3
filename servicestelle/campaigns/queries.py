"""Reads for campaign planning: the centre's campaigns, its team, and its published releases.

Campaign planning reads statistics only from *published* releases of the user's own centre
(a draft may still change, a revoked release no longer holds). Another centre's campaign is
a 404, audited (security.deny_out_of_scope).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import contains_eager, selectinload

from servicestelle.auth.models import User
from servicestelle.campaigns import figures
from servicestelle.campaigns.models import (
    Campaign,
    CampaignActivity,
    CampaignEvidence,
    CampaignIndicator,
)
from servicestelle.extensions import db
from servicestelle.permissions import Permission
from servicestelle.security import deny_out_of_scope
from servicestelle.stats.content import localised
from servicestelle.stats.operations import OBJECT_TYPE as RELEASE_OBJECT_TYPE
from servicestelle.stats.periods import Period, PeriodKind
from servicestelle.stats.release_models import Release, ReleaseKind, ReleaseStatus

OBJECT_TYPE = "campaign"
ACTIVITY_OBJECT_TYPE = "campaign_activity"
EVIDENCE_OBJECT_TYPE = "campaign_evidence"
INDICATOR_OBJECT_TYPE = "campaign_indicator"

#: Longer periods first where two end on the same day: their counts are larger, so fewer
#: cells are suppressed.
_KIND_ORDER = {PeriodKind.YEAR: 0, PeriodKind.HALF: 1, PeriodKind.QUARTER: 2}


# --- campaigns ------------------------------------------------------------------------------


def campaigns_of(centre_id: int, *, with_activities: bool = False) -> list[Campaign]:
    """The centre's campaigns, the latest start first; ``with_activities`` loads their
    activities in one more query (the iCalendar export lists them all)."""
    query = (
        sa.select(Campaign)
        .where(Campaign.centre_id == centre_id)
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    )
    if with_activities:
        query = query.options(selectinload(Campaign.activities))
    return list(db.session.scalars(query))


def campaigns_between(centre_id: int, first: date, last: date) -> list[Campaign]:
    """The centre's campaigns whose period overlaps ``first``..``last`` (inclusive)."""
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(
                Campaign.centre_id == centre_id,
                Campaign.starts_on <= last,
                Campaign.ends_on >= first,
            )
            .order_by(Campaign.starts_on, Campaign.id)
        )
    )


def campaigns_in_year(centre_id: int, year: int) -> list[Campaign]:
    """The centre's campaigns whose period overlaps the calendar year (the annual activity
    report lists them with their review)."""
    return campaigns_between(centre_id, date(year, 1, 1), date(year, 12, 31))


def campaign_activities_between(centre_id: int, first: date, last: date) -> list[CampaignActivity]:
    """Activities of the centre's campaigns on a day of ``first``..``last``."""
    ends = sa.func.coalesce(CampaignActivity.ends_on, CampaignActivity.starts_on)
    return list(
        db.session.scalars(
            sa.select(CampaignActivity)
            .join(Campaign, Campaign.id == CampaignActivity.campaign_id)
            .where(
                Campaign.centre_id == centre_id,
                CampaignActivity.starts_on <= last,
                ends >= first,
            )
            .options(contains_eager(CampaignActivity.campaign))  # the calendar shows its title
            .order_by(CampaignActivity.starts_on, CampaignActivity.id)
        )
    )


def get_campaign_or_404(campaign_id: int, user: User) -> Campaign:
    """A campaign of the user's centre; another centre's is a 404, audited."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    if campaign.centre_id != user.centre_id:
        deny_out_of_scope(OBJECT_TYPE, campaign.id, centre_id=campaign.centre_id)
    return campaign


#: The parts of a campaign, each with ``campaign_id`` and its ``campaign``.
_Part = TypeVar("_Part", CampaignActivity, CampaignEvidence, CampaignIndicator)


def _part_or_404(model: type[_Part], object_type: str, campaign: Campaign, part_id: int) -> _Part:
    """A part of this campaign; one of another centre's campaign is a 404, audited (one of
    another campaign of the same centre is a plain 404)."""
    part = db.session.get(model, part_id)
    if part is None:
        abort(404)
    if part.campaign_id != campaign.id:
        owner = part.campaign.centre_id
        if owner != campaign.centre_id:
            deny_out_of_scope(object_type, part.id, centre_id=owner)
        abort(404)
    return part


def get_activity_or_404(campaign: Campaign, activity_id: int) -> CampaignActivity:
    return _part_or_404(CampaignActivity, ACTIVITY_OBJECT_TYPE, campaign, activity_id)


def get_evidence_or_404(campaign: Campaign, evidence_id: int) -> CampaignEvidence:
    return _part_or_404(CampaignEvidence, EVIDENCE_OBJECT_TYPE, campaign, evidence_id)


def get_indicator_or_404(campaign: Campaign, indicator_id: int) -> CampaignIndicator:
    return _part_or_404(CampaignIndicator, INDICATOR_OBJECT_TYPE, campaign, indicator_id)


# --- the team -------------------------------------------------------------------------------


def team_of(centre_id: int) -> list[User]:
    """Active users of the centre who plan campaigns: who can be responsible for an activity."""
    users = db.session.scalars(
        sa.select(User)
        .where(User.centre_id == centre_id, User.is_active.is_(True))
        .order_by(User.display_name, User.id)
    )
    return [user for user in users if user.can(Permission.CAMPAIGNS_MANAGE)]


def display_names(ids: list[int | None]) -> dict[int, str]:
    wanted = {user_id for user_id in ids if user_id is not None}
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


# --- published releases ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedRelease:
    """A published release with its parsed period and content."""

    release: Release
    period: Period
    content: dict[str, Any]

    @property
    def id(self) -> int:
        return self.release.id

    @property
    def first_day(self) -> date:
        first = self.period.quarters[0].months[0]
        return date(int(first[:4]), int(first[5:7]), 1)

    @property
    def last_day(self) -> date:
        return self.period.last_day


def published(release: Release) -> PublishedRelease:
    # For pages: labels in the reader's language (what operations store comes from the
    # release itself, operations._published_content).
    content = localised(json.loads(release.content))
    return PublishedRelease(release, Period.parse(release.period), content)


def published_releases(centre_id: int) -> list[PublishedRelease]:
    """The latest published release of each period of the centre, the latest period end
    first (a year before its half-years and quarters ending the same day)."""
    rows = db.session.scalars(
        sa.select(Release)
        .where(
            Release.centre_id == centre_id,
            Release.kind == ReleaseKind.RELEASE.value,
            Release.status == ReleaseStatus.PUBLISHED.value,
        )
        .order_by(Release.decided_at.desc(), Release.id.desc())
    )
    latest: dict[str, Release] = {}
    for release in rows:
        latest.setdefault(release.period, release)
    found = [published(release) for release in latest.values()]
    found.sort(key=lambda item: (-item.last_day.toordinal(), _KIND_ORDER[item.period.kind]))
    return found


@dataclass(frozen=True)
class EvidenceShown:
    """A campaign's evidence as the pages show it, with the release it comes from."""

    evidence: CampaignEvidence
    release: Release
    #: The value the release publishes, read from the release; None when the release is no
    #: longer published (revoked: its figures are withdrawn, the copy stored when the
    #: evidence was linked included) or, which linking rules out, the figure is suppressed.
    value: int | None

    @property
    def is_withdrawn(self) -> bool:
        return self.release.status != ReleaseStatus.PUBLISHED.value


def evidence_shown(campaign: Campaign) -> list[EvidenceShown]:
    """The campaign's evidence with its values from the releases, each release read once."""
    wanted = {item.release_id for item in campaign.evidence}
    if not wanted:
        return []
    releases = {
        release.id: release
        for release in db.session.scalars(sa.select(Release).where(Release.id.in_(wanted)))
    }
    contents = {
        release_id: json.loads(release.content)
        for release_id, release in releases.items()
        if release.status == ReleaseStatus.PUBLISHED.value
    }
    shown = []
    for item in campaign.evidence:
        content = contents.get(item.release_id)
        figure = None if content is None else figures.find(content, item.key)
        value = None if figure is None else figure.value
        shown.append(EvidenceShown(item, releases[item.release_id], value))
    return shown


def default_release(releases: list[PublishedRelease]) -> PublishedRelease | None:
    """The latest year release, else the latest release."""
    years = [item for item in releases if item.period.kind is PeriodKind.YEAR]
    if years:
        return years[0]
    return releases[0] if releases else None


def find_published_release(centre_id: int | None, release_id: int) -> PublishedRelease | None:
    """A published release of the centre by id; None for anything else (no answer tells a
    draft, a revoked, another centre's or a missing release apart)."""
    release = db.session.get(Release, release_id)
    if (
        release is None
        or release.kind != ReleaseKind.RELEASE.value
        or release.centre_id != centre_id
        or release.status != ReleaseStatus.PUBLISHED.value
    ):
        return None
    return published(release)


def get_published_release_or_404(release_id: int, user: User) -> PublishedRelease:
    """A published release of the user's centre; another centre's is a 404, audited; a
    draft, rejected or revoked one of the own centre a plain 404."""
    release = db.session.get(Release, release_id)
    if release is None or release.kind != ReleaseKind.RELEASE.value:
        abort(404)
    if release.centre_id != user.centre_id:
        deny_out_of_scope(RELEASE_OBJECT_TYPE, release.id, centre_id=release.centre_id)
    if release.status != ReleaseStatus.PUBLISHED.value:
        abort(404)
    return published(release)
