"""The review of a campaign (Wirkungsdialog): its indicators before and after, from published
releases, and the outputs the team entered.

- before: the latest published release whose period ends before the campaign starts (where
  several end on the same day, the longest period: its counts are larger);
- after: the earliest published release of the same period kind whose period starts after
  the campaign ends (without a release before: of any kind, the longest first).

A figure suppressed in either release shows "•" and no change; a release that is missing is
said to be missing. Counts that reached the centre are not the discrimination that happened:
the page says so, and a change is never called an effect.

Works without a request (the annual activity report calls ``review``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from servicestelle import clock
from servicestelle.campaigns import figures
from servicestelle.campaigns.models import Campaign, Direction
from servicestelle.campaigns.queries import PublishedRelease, published_releases
from servicestelle.stats.content import localised_label
from servicestelle.stats.periods import PeriodKind

_KIND_ORDER = {PeriodKind.YEAR: 0, PeriodKind.HALF: 1, PeriodKind.QUARTER: 2}


@dataclass(frozen=True)
class IndicatorReview:
    key: str
    label: str
    direction: str
    #: None: suppressed in that release, or the release lacks the figure (see ``*_known``).
    before: int | None
    after: int | None
    before_known: bool
    after_known: bool

    @property
    def change(self) -> int | None:
        """After minus before, only where both are published."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def as_wanted(self) -> bool | None:
        """Whether the figure moved the way the campaign wanted (None: not comparable)."""
        change = self.change
        if change is None:
            return None
        if self.direction == Direction.LOWER:
            return change < 0
        return change > 0


@dataclass(frozen=True)
class Review:
    campaign_id: int
    #: Whether the campaign's period is over (before that the comparison is not made).
    ended: bool
    before: PublishedRelease | None
    after: PublishedRelease | None
    indicators: list[IndicatorReview]
    events_held: int | None
    people_reached: int | None
    outputs_note: str


def release_before(releases: list[PublishedRelease], starts_on: date) -> PublishedRelease | None:
    candidates = [item for item in releases if item.last_day < starts_on]
    candidates.sort(key=lambda item: (-item.last_day.toordinal(), _KIND_ORDER[item.period.kind]))
    return candidates[0] if candidates else None


def release_after(
    releases: list[PublishedRelease], ends_on: date, kind: PeriodKind | None
) -> PublishedRelease | None:
    candidates = [
        item
        for item in releases
        if item.first_day > ends_on and (kind is None or item.period.kind is kind)
    ]
    candidates.sort(key=lambda item: (item.first_day, _KIND_ORDER[item.period.kind]))
    return candidates[0] if candidates else None


def _value(release: PublishedRelease | None, key: str) -> tuple[int | None, bool]:
    if release is None:
        return None, False
    figure = figures.find(release.content, key)
    if figure is None:
        return None, False
    return figure.value, True


def review(
    campaign: Campaign,
    today: date | None = None,
    releases: list[PublishedRelease] | None = None,
) -> Review:
    """The before/after view of a campaign's indicators and its outputs. ``releases``: the
    centre's published releases (``published_releases``), for a caller that reviews several
    campaigns and reads them once; read here when not given."""
    today = today or clock.today()
    if releases is None:
        releases = published_releases(campaign.centre_id)
    before = release_before(releases, campaign.starts_on)
    after = release_after(
        releases, campaign.ends_on, before.period.kind if before is not None else None
    )
    rows = []
    for indicator in campaign.indicators:
        before_value, before_known = _value(before, indicator.key)
        after_value, after_known = _value(after, indicator.key)
        rows.append(
            IndicatorReview(
                indicator.key,
                localised_label(indicator.label),
                indicator.direction,
                before_value,
                after_value,
                before_known,
                after_known,
            )
        )
    return Review(
        campaign_id=campaign.id,
        ended=today > campaign.ends_on,
        before=before,
        after=after,
        indicators=rows,
        events_held=campaign.events_held,
        people_reached=campaign.people_reached,
        outputs_note=campaign.outputs_note,
    )
