"""Statutory deadlines: BGB month arithmetic, urgency on the list, and the retention date.

Every expected date in the tables was worked out by hand from BGB §§187(1), 188(2), 188(3):
same day number in the last month, or that month's last day if it has no such day.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from servicestelle.cases.deadlines import (
    DEFAULT_MONTHS,
    DUE_SOON_DAYS,
    Deadline,
    DeadlineKind,
    Urgency,
    add_months,
    compute,
    follow_up_kind,
    retention_due_on,
    urgency,
)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        # Ordinary days keep their number.
        (date(2026, 3, 15), 2, date(2026, 5, 15)),
        (date(2026, 1, 1), 2, date(2026, 3, 1)),
        (date(2026, 5, 31), 3, date(2026, 8, 31)),  # August has a 31st
        (date(2026, 2, 28), 1, date(2026, 3, 28)),  # not "end of month → end of month"
        (date(2026, 4, 30), 1, date(2026, 5, 30)),
        # Over the turn of the year.
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 10, 31), 2, date(2026, 12, 31)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 1, 15), 24, date(2028, 1, 15)),
        # §188(3): the day is missing in the last month → that month's last day.
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # 2024 is a leap year
        (date(2026, 1, 30), 1, date(2026, 2, 28)),
        (date(2026, 1, 29), 1, date(2026, 2, 28)),
        (date(2024, 1, 29), 1, date(2024, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
        (date(2023, 12, 31), 2, date(2024, 2, 29)),
        (date(2099, 12, 31), 2, date(2100, 2, 28)),  # 2100: divisible by 100, not by 400
        (date(1999, 12, 31), 2, date(2000, 2, 29)),  # 2000: divisible by 400
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # a reformed 6-month period
        # A leap day as the trigger.
        (date(2024, 2, 29), 2, date(2024, 4, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
    ],
)
def test_add_months_follows_bgb_188(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


SATURDAY, SUNDAY, FRIDAY = 5, 6, 4


@pytest.mark.parametrize(
    ("start", "months", "expected", "weekday"),
    [
        (date(2026, 1, 7), 2, date(2026, 3, 7), SATURDAY),
        (date(2026, 2, 8), 1, date(2026, 3, 8), SUNDAY),
        (date(2026, 3, 1), 2, date(2026, 5, 1), FRIDAY),  # Tag der Arbeit
        (date(2026, 10, 25), 2, date(2026, 12, 25), FRIDAY),  # 1. Weihnachtstag
    ],
)
def test_weekends_and_holidays_are_not_skipped(
    start: date, months: int, expected: date, weekday: int
) -> None:
    # BGB §193 would move these to the next working day; we deliberately do not.
    assert add_months(start, months) == expected
    assert expected.weekday() == weekday


@pytest.mark.parametrize("months", [0, -1, -12])
def test_a_period_is_at_least_one_month(months: int) -> None:
    with pytest.raises(ValueError, match="at least one month"):
        add_months(date(2026, 1, 1), months)


def test_add_months_is_the_bgb_rule_on_every_day_of_three_years() -> None:
    # Independent of the table: the three facts that define §188(2)/(3) checked for each
    # trigger in 2023–2025 (which includes a leap year) and durations up to 14 months.
    day = date(2023, 1, 1)
    previous_due: dict[int, date] = {}
    while day.year < 2026:
        for months in range(1, 15):
            due = add_months(day, months)
            # The due date lies exactly ``months`` calendar months later …
            assert (due.year * 12 + due.month) - (day.year * 12 + day.month) == months
            # … on the same day number, or on the month's last day when that is earlier.
            month_end = (due + timedelta(days=1)).day == 1
            assert due.day == day.day or (month_end and due.day < day.day)
            # A later trigger never gives an earlier deadline.
            assert due >= previous_due.get(months, due)
            previous_due[months] = due
        day += timedelta(days=1)


def test_default_durations_cover_every_kind_and_cannot_be_changed_in_place() -> None:
    assert dict(DEFAULT_MONTHS) == {
        DeadlineKind.AGG_15_4: 2,
        DeadlineKind.AGG_21_5: 2,
        DeadlineKind.ARBGG_61B: 3,
    }
    with pytest.raises(TypeError):
        DEFAULT_MONTHS[DeadlineKind.AGG_15_4] = 6  # type: ignore[index]


@pytest.mark.parametrize(
    ("kind", "trigger_on", "uncertain", "due_on"),
    [
        (DeadlineKind.AGG_15_4, date(2026, 3, 31), False, date(2026, 5, 31)),
        (DeadlineKind.AGG_15_4, date(2025, 12, 31), False, date(2026, 2, 28)),
        (DeadlineKind.AGG_21_5, date(2026, 6, 10), True, date(2026, 8, 10)),
        (DeadlineKind.ARBGG_61B, date(2026, 5, 29), False, date(2026, 8, 29)),
        (DeadlineKind.ARBGG_61B, date(2023, 11, 30), False, date(2024, 2, 29)),
    ],
)
def test_compute_uses_the_default_durations(
    kind: DeadlineKind, trigger_on: date, uncertain: bool, due_on: date
) -> None:
    assert compute(kind, trigger_on, uncertain=uncertain) == Deadline(
        kind=kind, trigger_on=trigger_on, uncertain=uncertain, due_on=due_on
    )


def test_compute_with_configured_durations() -> None:
    reformed = {**DEFAULT_MONTHS, DeadlineKind.AGG_21_5: 6}
    deadline = compute(DeadlineKind.AGG_21_5, date(2026, 8, 31), uncertain=True, months=reformed)
    assert deadline.due_on == date(2027, 2, 28)
    assert deadline.uncertain is True


def test_compute_refuses_a_missing_or_empty_duration() -> None:
    with pytest.raises(KeyError):
        compute(DeadlineKind.ARBGG_61B, date(2026, 1, 1), uncertain=False, months={})
    with pytest.raises(ValueError, match="at least one month"):
        compute(
            DeadlineKind.AGG_15_4,
            date(2026, 1, 1),
            uncertain=False,
            months={DeadlineKind.AGG_15_4: 0},
        )


def test_deadline_is_immutable() -> None:
    deadline = compute(DeadlineKind.AGG_15_4, date(2026, 1, 1), uncertain=False)
    with pytest.raises(AttributeError):
        deadline.due_on = date(2027, 1, 1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kind", "follow_up"),
    [
        (DeadlineKind.AGG_15_4, DeadlineKind.ARBGG_61B),
        (DeadlineKind.AGG_21_5, None),
        (DeadlineKind.ARBGG_61B, None),
    ],
)
def test_follow_up_kind(kind: DeadlineKind, follow_up: DeadlineKind | None) -> None:
    assert follow_up_kind(kind) is follow_up


def test_suit_deadline_runs_from_the_assertion_not_from_the_rejection() -> None:
    rejection = compute(DeadlineKind.AGG_15_4, date(2026, 1, 31), uncertain=False)
    assert rejection.due_on == date(2026, 3, 31)
    follow_up = follow_up_kind(rejection.kind)
    assert follow_up is not None
    suit = compute(follow_up, date(2026, 3, 20), uncertain=False)  # asserted on 20 March
    assert suit.due_on == date(2026, 6, 20)


DUE = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("today", "done", "expected"),
    [
        (date(2026, 5, 31), False, Urgency.LATER),  # 15 days before
        (date(2026, 6, 1), False, Urgency.DUE_SOON),  # exactly 14 days before
        (date(2026, 6, 14), False, Urgency.DUE_SOON),
        (date(2026, 6, 15), False, Urgency.DUE_SOON),  # the due day itself
        (date(2026, 6, 16), False, Urgency.OVERDUE),  # the day after
        (date(2027, 1, 1), False, Urgency.OVERDUE),
        (date(2026, 6, 16), True, Urgency.DONE),  # done overrides overdue
        (date(2026, 6, 10), True, Urgency.DONE),
        (date(2026, 1, 1), True, Urgency.DONE),
    ],
)
def test_urgency_boundaries(today: date, done: bool, expected: Urgency) -> None:
    assert urgency(DUE, today, done=done) is expected


def test_urgency_window_is_two_weeks_by_default_and_configurable() -> None:
    assert DUE_SOON_DAYS == 14
    assert urgency(date(2027, 1, 5), date(2026, 12, 22)) is Urgency.DUE_SOON  # across New Year
    assert urgency(DUE, date(2026, 6, 14), window_days=0) is Urgency.LATER
    assert urgency(DUE, DUE, window_days=0) is Urgency.DUE_SOON
    assert urgency(DUE, date(2026, 5, 16), window_days=30) is Urgency.DUE_SOON
    with pytest.raises(ValueError, match="negative"):
        urgency(DUE, DUE, window_days=-1)


@pytest.mark.parametrize(
    ("closed_on", "years", "expected"),
    [
        (date(2026, 12, 31), 3, date(2030, 1, 1)),  # last day of the closing year
        (date(2026, 1, 1), 3, date(2030, 1, 1)),  # first day: the same date
        (date(2024, 2, 29), 3, date(2028, 1, 1)),
        (date(2026, 6, 15), 0, date(2027, 1, 1)),  # end of the closing year itself
        (date(2026, 6, 15), 10, date(2037, 1, 1)),
    ],
)
def test_retention_counts_from_the_end_of_the_closing_year(
    closed_on: date, years: int, expected: date
) -> None:
    assert retention_due_on(closed_on, years) == expected


def test_retention_period_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        retention_due_on(date(2026, 1, 1), -1)


def test_kinds_and_urgencies_are_stored_by_value() -> None:
    assert [kind.value for kind in DeadlineKind] == ["agg_15_4", "agg_21_5", "arbgg_61b"]
    assert [level.value for level in Urgency] == ["overdue", "due_soon", "later", "done"]
