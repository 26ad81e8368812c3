"""Statutory deadlines of a discrimination case, their urgency, and when a closed case may go.

The durations are configuration, not law baked into code: a reform of the AGG is pending
(EU directives 2024/1499 and 2024/1500; practice asks for 6 months instead of 2), so every
caller may pass its own ``months`` mapping. The defaults are the law as read in DOMAIN.md (b).

Everything here is a pure function of dates: no clock, no database, no framework. The caller
passes ``today`` (from the injectable application clock, in the centre's time zone).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType


class DeadlineKind(StrEnum):
    """Which rule sets the deadline; stored by value."""

    #: AGG §15(4): assert a claim against the employer in writing ("Geltendmachung").
    #: Runs from receipt of a rejection, otherwise from knowledge of the disadvantage.
    AGG_15_4 = "agg_15_4"
    #: AGG §21(5): assert a civil-law claim (goods, services, housing), no form required.
    #: Its start is disputed (knowledge vs. end of the violation): callers count from the
    #: earlier date, the incident, and mark the deadline uncertain.
    AGG_21_5 = "agg_21_5"
    #: ArbGG §61b(1): sue for AGG §15 compensation after the written assertion.
    ARBGG_61B = "arbgg_61b"


#: Months per kind. Read-only so that no caller changes the defaults for everyone else.
DEFAULT_MONTHS: Mapping[DeadlineKind, int] = MappingProxyType(
    {DeadlineKind.AGG_15_4: 2, DeadlineKind.AGG_21_5: 2, DeadlineKind.ARBGG_61B: 3}
)

# A written assertion under AGG §15(4) starts the ArbGG §61b suit deadline; AGG §21(5)
# has no separate suit deadline.
_FOLLOW_UP: Mapping[DeadlineKind, DeadlineKind] = MappingProxyType(
    {DeadlineKind.AGG_15_4: DeadlineKind.ARBGG_61B}
)


def add_months(start: date, months: int) -> date:
    """The last day of a period of ``months`` months triggered by an event on ``start``.

    BGB §187(1): the day of the event is not counted. §188(2): the period ends at the end of
    the day of the last month that has the same number as the day of the event (15 March +
    2 months → 15 May). §188(3): if the last month has no such day, it ends on that month's
    last day (31 December + 2 months → 28 February, or 29 February in a leap year).

    The date is deliberately not moved off a Saturday, Sunday or public holiday. BGB §193
    would extend the period to the next working day, but whether it applies depends on the
    kind of declaration and the holidays of the place; an earlier date shown to a counsellor
    is harmless, a later one that turns out wrong loses the client's claim.

    Raises ``ValueError`` for fewer than one month.
    """
    if months < 1:
        raise ValueError("a deadline runs for at least one month")
    # Count months from year 0 so that December + 1 rolls into January of the next year.
    year, month_index = divmod(start.year * 12 + start.month - 1 + months, 12)
    month = month_index + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


@dataclass(frozen=True)
class Deadline:
    """One computed deadline of a case."""

    kind: DeadlineKind
    #: The date the counsellor entered: rejection received, knowledge, written assertion …
    trigger_on: date
    #: The trigger date is approximate (the incident date is not exact, or the start of the
    #: period is disputed): shown as "Frist unsicher".
    uncertain: bool
    #: Last day on which the client can still act (see ``add_months``).
    due_on: date


def compute(
    kind: DeadlineKind,
    trigger_on: date,
    *,
    uncertain: bool,
    months: Mapping[DeadlineKind, int] = DEFAULT_MONTHS,
) -> Deadline:
    """The deadline of ``kind`` triggered on ``trigger_on``, with the configured duration.

    Raises ``KeyError`` if ``months`` has no duration for ``kind`` (a configuration error
    that must not be papered over with a guess) and ``ValueError`` for a duration below one.
    """
    return Deadline(
        kind=kind,
        trigger_on=trigger_on,
        uncertain=uncertain,
        due_on=add_months(trigger_on, months[kind]),
    )


def follow_up_kind(kind: DeadlineKind) -> DeadlineKind | None:
    """The deadline that the act meeting ``kind`` starts, counted from the date of that act.

    After the written assertion under AGG §15(4) the ArbGG §61b suit deadline runs from the
    assertion date; the other kinds start nothing further.
    """
    return _FOLLOW_UP.get(kind)


class Urgency(StrEnum):
    """How a deadline is shown on the counsellor's list."""

    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    LATER = "later"
    DONE = "done"


#: Two weeks leave time for an appointment, a letter and its delivery before the last day.
DUE_SOON_DAYS = 14


def urgency(
    due_on: date, today: date, *, done: bool = False, window_days: int = DUE_SOON_DAYS
) -> Urgency:
    """Where a deadline due on ``due_on`` stands on ``today``.

    ``done`` wins over everything (the claim was asserted or the suit filed, so a passed date
    no longer matters). The due day itself still counts as "due soon", not overdue: the
    period ends at the end of that day.
    """
    if window_days < 0:
        raise ValueError("the warning window cannot be negative")
    if done:
        return Urgency.DONE
    if today > due_on:
        return Urgency.OVERDUE
    if (due_on - today).days <= window_days:
        return Urgency.DUE_SOON
    return Urgency.LATER


def retention_due_on(closed_on: date, years: int) -> date:
    """The first day on which a case closed on ``closed_on`` may be deleted.

    No statute sets a period for counselling files; the default (DOMAIN.md b, "Retention") is
    ``years`` = 3 after the end of the year of closure, after the regular limitation of
    BGB §§195, 199, which also counts from the end of a year. So a case closed at any time in
    2026 with 3 years may go on 1 January 2030. ``years`` = 0 means the end of the closing
    year itself. Raises ``ValueError`` for a negative number of years.
    """
    if years < 0:
        raise ValueError("a retention period cannot be negative")
    return date(closed_on.year + years + 1, 1, 1)
