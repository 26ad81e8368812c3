"""The campaign calendar: a month as a list of days (no JavaScript needed), and an iCalendar
export of every campaign (an all-day event over its period) and activity.

UIDs are stable per object ("campaign-<id>@…", "campaign-activity-<id>@…"), so a calendar
program that subscribes to the export updates its events instead of duplicating them.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import icalendar

from servicestelle.activities.queries import activities_between
from servicestelle.campaigns.models import Campaign, CampaignActivity

PRODID = "-//Servicestelle//Kampagnenplanung//DE"
MONTH_PATTERN = "%Y-%m"


@dataclass(frozen=True)
class Entry:
    """One thing on the calendar: a campaign, one of its activities, or another activity of
    the centre (the activities module)."""

    kind: str  # "campaign", "activity" or "other"
    title: str
    first: date
    last: date
    #: The campaign's, the activity's or the other activity's id.
    object_id: int
    campaign_id: int | None = None
    #: The campaign an activity belongs to (its title).
    context: str | None = None

    def on(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Day:
    day: date
    entries: list[Entry]


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    #: The days of the month with at least one entry.
    days: list[Day]

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, _calendar.monthrange(self.year, self.month)[1])

    @property
    def code(self) -> str:
        return self.first.strftime(MONTH_PATTERN)

    @property
    def previous(self) -> str:
        return (self.first - timedelta(days=1)).strftime(MONTH_PATTERN)

    @property
    def next(self) -> str:
        return (self.last + timedelta(days=1)).strftime(MONTH_PATTERN)


def parse_month(text: str | None, today: date) -> tuple[int, int] | None:
    """ "YYYY-MM" → (year, month); the current month for no text; None for anything else."""
    if not text:
        return today.year, today.month
    try:
        parsed = datetime.strptime(text, MONTH_PATTERN)
    except ValueError:
        return None
    if not 2000 <= parsed.year <= 2100:
        return None
    return parsed.year, parsed.month


def campaign_entries(
    campaigns: Iterable[Campaign], activities: Iterable[CampaignActivity]
) -> list[Entry]:
    entries = [Entry("campaign", c.title, c.starts_on, c.ends_on, c.id, c.id) for c in campaigns]
    entries += [
        Entry(
            "activity",
            a.title,
            a.starts_on,
            a.last_day,
            a.id,
            a.campaign_id,
            a.campaign.title,
        )
        for a in activities
    ]
    return entries


def month_view(year: int, month: int, entries: Iterable[Entry]) -> Month:
    """The month's days that have entries, each with its entries (campaigns first)."""
    order = {"campaign": 0, "activity": 1, "other": 2}
    listed = sorted(entries, key=lambda e: (order[e.kind], e.first, e.title))
    first = date(year, month, 1)
    days = []
    for offset in range(_calendar.monthrange(year, month)[1]):
        day = first + timedelta(days=offset)
        on_day = [entry for entry in listed if entry.on(day)]
        if on_day:
            days.append(Day(day, on_day))
    return Month(year, month, days)


# --- other activities of the centre (the activities module) -------------------------------


def other_activities(centre_id: int, first: date, last: date) -> list[Entry]:
    """The centre's activities beyond cases (activities/) between ``first`` and ``last``."""
    return [
        Entry("other", item.title, item.starts_on, item.ends_on or item.starts_on, item.id)
        for item in activities_between(centre_id, first, last)
    ]


# --- iCalendar ------------------------------------------------------------------------------


def _event(uid: str, summary: str, first: date, last: date, stamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", first)
    # All-day events end on the day after (RFC 5545 3.6.1: DTEND is exclusive).
    event.add("dtend", last + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    return event


def ics(
    domain: str,
    campaigns: Iterable[Campaign],
    others: Iterable[Entry],
    url_of: Callable[[int], str],
    stamp: datetime,
) -> bytes:
    """The iCalendar document: every campaign over its period, each of its activities, and
    the centre's other activities."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Kampagnen")
    for campaign in campaigns:
        event = _event(
            f"campaign-{campaign.id}@{domain}",
            campaign.title,
            campaign.starts_on,
            campaign.ends_on,
            stamp,
        )
        event.add("categories", ["Kampagne"])
        event.add("url", url_of(campaign.id))
        cal.add_component(event)
        for activity in campaign.activities:
            event = _event(
                f"campaign-activity-{activity.id}@{domain}",
                f"{activity.title} ({campaign.title})",
                activity.starts_on,
                activity.last_day,
                stamp,
            )
            event.add("categories", ["Kampagnenaktivität"])
            event.add("url", url_of(campaign.id))
            cal.add_component(event)
    for entry in others:
        cal.add_component(
            _event(
                f"activity-{entry.object_id}@{domain}",
                entry.title,
                entry.first,
                entry.last,
                stamp,
            )
        )
    return cal.to_ical()
