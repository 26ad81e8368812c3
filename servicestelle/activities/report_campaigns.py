"""The campaigns section of the annual activity report: the year's campaigns and their review
(Wirkungsdialog), read through the campaigns module's own interface
(``campaigns.queries.campaigns_in_year`` and ``published_releases``, ``campaigns.review.review``)
and flattened into lines the page, the PDF and the CSV print. Figures come from published releases only; a
suppressed one is "•", a change only where both figures are published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from servicestelle.campaigns.codes import STATUS_LABELS
from servicestelle.campaigns.queries import campaigns_in_year, published_releases
from servicestelle.campaigns.review import review
from servicestelle.stats.exports import SUPPRESSED

#: A figure the release before or after does not have at all.
MISSING = "—"


@dataclass(frozen=True)
class IndicatorLine:
    label: str
    before: str
    after: str
    change: str


@dataclass(frozen=True)
class CampaignLine:
    title: str
    status: str
    starts_on: date
    ends_on: date
    ended: bool
    #: The releases compared (period codes), or None where there is none.
    before_period: str | None
    after_period: str | None
    indicators: list[IndicatorLine]
    events_held: int | None
    people_reached: int | None


def _shown(value: int | None, known: bool) -> str:
    if not known:
        return MISSING
    return SUPPRESSED if value is None else str(value)


def campaigns_of_year(centre_id: int, year: int) -> list[CampaignLine]:
    lines = []
    campaigns = campaigns_in_year(centre_id, year)
    # Read and parsed once for all the campaigns, not once for each.
    releases = published_releases(centre_id) if campaigns else []
    for campaign in campaigns:
        result = review(campaign, releases=releases)
        lines.append(
            CampaignLine(
                title=campaign.title,
                status=str(STATUS_LABELS.get(campaign.status, campaign.status)),
                starts_on=campaign.starts_on,
                ends_on=campaign.ends_on,
                ended=result.ended,
                before_period=None if result.before is None else result.before.release.period,
                after_period=None if result.after is None else result.after.release.period,
                indicators=[
                    IndicatorLine(
                        label=indicator.label,
                        before=_shown(indicator.before, indicator.before_known),
                        after=_shown(indicator.after, indicator.after_known),
                        change=MISSING if indicator.change is None else f"{indicator.change:+d}",
                    )
                    for indicator in result.indicators
                ],
                events_held=result.events_held,
                people_reached=result.people_reached,
            )
        )
    return lines
