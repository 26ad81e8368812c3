"""The anomaly rules as pure functions: each fires just above its threshold, never at it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from audit import AuditEvent, Entry, Purpose
from servicestelle.config import Settings
from servicestelle.dpo.anomalies import (
    Thresholds,
    bursts,
    failed_login_bursts,
    is_off_hours,
    mass_reads,
    off_hours_reads,
    reads_after_reset,
    reviewed_seqs,
    unreviewed_break_glass,
)

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THRESHOLDS = Thresholds(
    reads_per_window=30,
    read_window=timedelta(minutes=10),
    failed_logins_per_window=10,
    failed_login_window=timedelta(minutes=10),
    working_hours_start=7,
    working_hours_end=19,
    working_days=frozenset({1, 2, 3, 4, 5}),
    timezone=ZoneInfo("Europe/Berlin"),
)

_seq = count(1)


def entry(
    action: AuditEvent = AuditEvent.CASE_CONTENT_READ,
    *,
    ts: datetime = MONDAY,
    actor_id: int | None = 1,
    object_id: str | None = "c-1",
    purpose: str | None = None,
    details: dict[str, object] | None = None,
    seq: int | None = None,
) -> Entry:
    return Entry(
        seq=next(_seq) if seq is None else seq,
        ts=ts,
        actor_id=actor_id,
        role="counsellor",
        centre_id=1,
        action=action.value,
        object_type="case",
        object_id=object_id,
        purpose=purpose
        if purpose is not None or action != AuditEvent.CASE_CONTENT_READ
        else Purpose.COUNSELLING.value,
        outcome="success",
        request_id=None,
        details=json.dumps(details or {}),
        prev_hash="0" * 64,
        entry_hash="",
    )


def reads(number: int, *, actor_id: int = 1, start: datetime = MONDAY, step_seconds: int = 5):
    return [
        entry(ts=start + timedelta(seconds=n * step_seconds), actor_id=actor_id, object_id=f"c-{n}")
        for n in range(number)
    ]


# --- bursts ------------------------------------------------------------------------------


def test_a_burst_needs_more_than_the_threshold_inside_one_window():
    window = timedelta(minutes=10)
    at_threshold = [entry(ts=MONDAY + timedelta(minutes=n)) for n in range(3)]
    assert bursts(at_threshold, 3, window) == []
    above = [*at_threshold, entry(ts=MONDAY + timedelta(minutes=9, seconds=59))]
    [burst] = bursts(above, 3, window)
    assert (burst.count, burst.peak) == (4, 4)
    assert (burst.start, burst.end) == (above[0].ts, above[-1].ts)


def test_the_window_is_half_open():
    window = timedelta(minutes=10)
    spread = [entry(ts=MONDAY + timedelta(minutes=10 * n)) for n in range(5)]
    assert bursts(spread, 1, window) == []
    spread.append(entry(ts=MONDAY + timedelta(minutes=40, seconds=1)))
    [burst] = bursts(spread, 1, window)
    assert burst.count == 2


def test_overlapping_windows_merge_and_separate_ones_do_not():
    window = timedelta(minutes=10)
    morning = reads(6, step_seconds=60)  # six in six minutes
    later = reads(6, start=MONDAY + timedelta(hours=2), step_seconds=60)
    found = bursts([*later, *morning], 3, window)
    assert [(burst.count, burst.peak) for burst in found] == [(6, 6), (6, 6)]
    assert found[0].start == MONDAY
    steady = reads(8, step_seconds=200)  # three in every ten minutes, moving along
    assert bursts(steady, 3, window) == []
    [burst] = bursts(steady, 2, window)
    assert (burst.count, burst.peak) == (8, 3)


# --- mass reads --------------------------------------------------------------------------


def test_mass_reads_fire_above_the_threshold_only():
    assert mass_reads(reads(30), THRESHOLDS) == []
    [found] = mass_reads(reads(31), THRESHOLDS)
    assert found.actor_id == 1 and found.burst.count == 31


def test_mass_reads_count_per_person_and_only_case_reads():
    mixed = reads(20, actor_id=1) + reads(20, actor_id=2)
    assert mass_reads(mixed, THRESHOLDS) == []
    logins = [entry(AuditEvent.AUTH_LOGIN_SUCCESS) for _ in range(40)]
    assert mass_reads(logins, THRESHOLDS) == []
    [found] = mass_reads(
        mixed + reads(11, actor_id=2, start=MONDAY + timedelta(seconds=1)), THRESHOLDS
    )
    assert found.actor_id == 2


def test_reads_spread_wider_than_the_window_are_no_burst():
    spread = reads(60, step_seconds=30)  # 20 per 10 minutes
    assert mass_reads(spread, THRESHOLDS) == []


# --- off hours ---------------------------------------------------------------------------


def test_off_hours_uses_the_local_time_zone():
    # 18:30 UTC is inside 7–19 in UTC, but 19:30 in Berlin (CET, UTC+1): outside.
    evening = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
    assert is_off_hours(evening, THRESHOLDS)
    # 06:30 UTC is outside 7–19 in UTC, but 07:30 in Berlin: inside.
    morning = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
    assert not is_off_hours(morning, THRESHOLDS)
    # Summer time (CEST, UTC+2): 05:30 UTC is 07:30 in Berlin.
    assert not is_off_hours(datetime(2026, 7, 1, 5, 30, tzinfo=UTC), THRESHOLDS)
    assert is_off_hours(datetime(2026, 7, 1, 4, 59, tzinfo=UTC), THRESHOLDS)


def test_off_hours_boundaries_and_weekends():
    berlin = ZoneInfo("Europe/Berlin")
    assert not is_off_hours(datetime(2026, 3, 2, 7, 0, tzinfo=berlin), THRESHOLDS)
    assert not is_off_hours(datetime(2026, 3, 2, 18, 59, tzinfo=berlin), THRESHOLDS)
    assert is_off_hours(datetime(2026, 3, 2, 19, 0, tzinfo=berlin), THRESHOLDS)
    assert is_off_hours(datetime(2026, 3, 2, 6, 59, tzinfo=berlin), THRESHOLDS)
    assert is_off_hours(datetime(2026, 3, 7, 10, 0, tzinfo=berlin), THRESHOLDS)  # Saturday
    # Saturday 23:30 UTC is already Sunday in Berlin; Sunday 23:30 UTC is Monday 00:30.
    assert is_off_hours(datetime(2026, 3, 8, 23, 30, tzinfo=UTC), THRESHOLDS)


def test_off_hours_reads_lists_only_case_reads_outside():
    night = entry(ts=datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
    day = entry(ts=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    login = entry(AuditEvent.AUTH_LOGIN_SUCCESS, ts=datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
    assert off_hours_reads([night, day, login], THRESHOLDS) == [night]


# --- failed logins -----------------------------------------------------------------------


def failures(number: int, account: str | None, start: datetime = MONDAY):
    return [
        entry(
            AuditEvent.AUTH_LOGIN_FAILURE,
            ts=start + timedelta(seconds=n),
            actor_id=None,
            object_id=account,
        )
        for n in range(number)
    ]


def test_failed_logins_fire_per_account_and_overall():
    assert failed_login_bursts(failures(10, "5"), THRESHOLDS) == []
    found = failed_login_bursts(failures(11, "5"), THRESHOLDS)
    assert sorted((item.account or "", item.burst.count) for item in found) == [
        ("", 11),
        ("5", 11),
    ]


def test_spraying_many_accounts_fires_only_overall():
    spread = failures(6, "5") + failures(5, "6") + failures(3, None)
    found = failed_login_bursts(spread, THRESHOLDS)
    assert [(item.account, item.burst.count) for item in found] == [(None, 14)]


def test_failed_logins_outside_the_window_do_not_add_up():
    early = failures(10, "5")
    late = failures(10, "5", start=MONDAY + timedelta(minutes=10))
    assert failed_login_bursts(early + late, THRESHOLDS) == []


# --- break-glass -------------------------------------------------------------------------


def opening(seq: int) -> Entry:
    return entry(AuditEvent.CASE_BREAK_GLASS_OPEN, purpose=Purpose.BREAK_GLASS.value, seq=seq)


def test_break_glass_waits_until_a_later_review_names_it():
    access = opening(100)
    ordinary = entry(seq=101)
    # A read during the window carries the purpose but is not a second item to review.
    read_under_it = entry(purpose=Purpose.BREAK_GLASS.value, seq=104)
    assert unreviewed_break_glass([access, ordinary, read_under_it]) == [access]
    wrong = entry(AuditEvent.AUDIT_BREAK_GLASS_REVIEW, details={"reviewed_seq": 99}, seq=102)
    assert unreviewed_break_glass([access, ordinary, wrong]) == [access]
    review = entry(AuditEvent.AUDIT_BREAK_GLASS_REVIEW, details={"reviewed_seq": 100}, seq=103)
    assert unreviewed_break_glass([access, ordinary, wrong, review]) == []


def test_a_review_written_before_the_access_does_not_count():
    early = entry(AuditEvent.AUDIT_BREAK_GLASS_REVIEW, details={"reviewed_seq": 200}, seq=150)
    access = opening(200)
    assert unreviewed_break_glass([early, access]) == [access]
    assert reviewed_seqs([early]) == {200: 150}


def test_review_details_that_are_not_a_number_are_ignored():
    odd = entry(AuditEvent.AUDIT_BREAK_GLASS_REVIEW, details={"reviewed_seq": True}, seq=300)
    text = entry(AuditEvent.AUDIT_BREAK_GLASS_REVIEW, details={"reviewed_seq": "5"}, seq=301)
    assert reviewed_seqs([odd, text]) == {}


@pytest.mark.parametrize(
    "details", ["[1]", "{", "null", "1", '"x"', "[" * 5000, '{"reviewed_seq": 1.0}', ""]
)
def test_reviews_whose_details_are_no_object_are_ignored(details):
    # Rows the database role wrote around the library: neither an error nor a review.
    access = opening(1)
    review = replace(entry(AuditEvent.AUDIT_BREAK_GLASS_REVIEW, seq=400), details=details)
    assert reviewed_seqs([review]) == {}
    assert unreviewed_break_glass([access, review]) == [access]


# --- thresholds from the settings ----------------------------------------------------------


def test_thresholds_come_from_the_settings(tmp_path: Path):
    settings = Settings(
        profile="test",
        instance_path=tmp_path,
        database_url="sqlite://",
        secret_key=b"test-secret-key-0123456789abcdef-0123456789",
    ).with_changes(
        anomaly_reads_per_window=5,
        anomaly_read_window_minutes=2,
        working_days=(1, 2, 3),
        local_timezone="America/New_York",
    )
    thresholds = Thresholds.from_settings(settings)
    assert thresholds.reads_per_window == 5
    assert thresholds.read_window == timedelta(minutes=2)
    assert thresholds.working_days == frozenset({1, 2, 3})
    assert thresholds.timezone == ZoneInfo("America/New_York")
    # Thursday is not a working day now.
    assert is_off_hours(datetime(2026, 3, 5, 15, 0, tzinfo=UTC), thresholds)


@pytest.mark.parametrize("threshold", [1, 5, 30])
def test_every_threshold_is_exclusive(threshold):
    at = [entry(ts=MONDAY + timedelta(seconds=n)) for n in range(threshold)]
    assert bursts(at, threshold, timedelta(minutes=1)) == []
    assert len(bursts([*at, entry(ts=MONDAY)], threshold, timedelta(minutes=1))) == 1


# --- case reads after someone else reset a person's credentials --------------------------


def reset(seq: int, subject: str = "7", by: int = 1, event=AuditEvent.AUTH_PASSWORD_RESET) -> Entry:
    return replace(entry(event, object_id=subject, seq=seq, actor_id=by), object_type="user")


def test_reads_by_the_person_within_a_week_after_a_reset_by_another_are_listed():
    by_admin = reset(10)
    read_soon = entry(actor_id=7, seq=11, ts=MONDAY + timedelta(hours=1))
    read_by_other = entry(actor_id=8, seq=12, ts=MONDAY + timedelta(hours=1))
    read_late = entry(actor_id=7, seq=13, ts=MONDAY + timedelta(days=7))
    found = reads_after_reset([by_admin, read_soon, read_by_other, read_late])
    assert [(item.user_id, item.reset.seq, [r.seq for r in item.reads]) for item in found] == [
        (7, 10, [11])
    ]


def test_own_resets_reads_before_and_malformed_subjects_are_not_listed():
    own = reset(20, subject="7", by=7, event=AuditEvent.AUTH_SECOND_FACTOR_RESET)
    before = entry(actor_id=9, seq=21)
    later_reset = reset(22, subject="9")
    odd = reset(23, subject="x9")
    after_own = entry(actor_id=7, seq=24)
    assert reads_after_reset([own, before, later_reset, odd, after_own]) == []
