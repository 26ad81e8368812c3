"""Anomaly rules for the DPO's review list: pure functions of audit entries and thresholds.

Nothing here touches the database or Flask; the views select a bounded period of entries and
hand them in, so every rule is tested with plain lists. Each rule fires when a count is
*above* its threshold, never at it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from audit import AuditEvent, Entry
from servicestelle.dpo.details import int_detail, safe_details

if TYPE_CHECKING:
    from servicestelle.config import Settings


@dataclass(frozen=True)
class Thresholds:
    """The settings the rules need, in the types they need."""

    reads_per_window: int
    read_window: timedelta
    failed_logins_per_window: int
    failed_login_window: timedelta
    working_hours_start: int
    working_hours_end: int
    working_days: frozenset[int]
    timezone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(
            reads_per_window=settings.anomaly_reads_per_window,
            read_window=timedelta(minutes=settings.anomaly_read_window_minutes),
            failed_logins_per_window=settings.anomaly_failed_logins_per_window,
            failed_login_window=timedelta(minutes=settings.anomaly_failed_login_window_minutes),
            working_hours_start=settings.working_hours_start,
            working_hours_end=settings.working_hours_end,
            working_days=frozenset(settings.working_days),
            timezone=ZoneInfo(settings.local_timezone),
        )


@dataclass(frozen=True)
class Burst:
    """Events closer together than the window, more of them than the threshold.

    ``count`` is every event of the burst, ``peak`` the most inside any one window.
    """

    start: datetime
    end: datetime
    count: int
    peak: int
    seqs: tuple[int, ...]


@dataclass(frozen=True)
class ReadBurst:
    actor_id: int | None
    burst: Burst


@dataclass(frozen=True)
class LoginFailureBurst:
    """Failed logins: for one targeted account, or (``account`` None) for all of them together."""

    account: str | None
    burst: Burst


def bursts(entries: Sequence[Entry], threshold: int, window: timedelta) -> list[Burst]:
    """Overlapping windows holding more than ``threshold`` entries, merged into bursts.

    A window is half-open: entries at t and t + window are not in the same window.
    """
    ordered = sorted(entries, key=lambda entry: (entry.ts, entry.seq))
    found: list[Burst] = []
    # The burst being built is ordered[low : high + 1]; windows overlapping it extend it.
    low = high = -1
    peak = left = 0
    for right, entry in enumerate(ordered):
        while entry.ts - ordered[left].ts >= window:
            left += 1
        size = right - left + 1
        if size <= threshold:
            continue
        if high >= 0 and left <= high:
            high, peak = right, max(peak, size)
            continue
        if high >= 0:
            found.append(_burst(ordered[low : high + 1], peak))
        low, high, peak = left, right, size
    if high >= 0:
        found.append(_burst(ordered[low : high + 1], peak))
    return found


def _burst(items: Sequence[Entry], peak: int) -> Burst:
    return Burst(
        start=items[0].ts,
        end=items[-1].ts,
        count=len(items),
        peak=peak,
        seqs=tuple(item.seq for item in items),
    )


def _case_reads(entries: Iterable[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.action == AuditEvent.CASE_CONTENT_READ.value]


def mass_reads(entries: Iterable[Entry], thresholds: Thresholds) -> list[ReadBurst]:
    """More case reads by one person within the read window than the threshold allows.

    Refused attempts count too: fifty denied reads in ten minutes are as telling as fifty
    granted ones.
    """
    by_actor: dict[int | None, list[Entry]] = defaultdict(list)
    for entry in _case_reads(entries):
        by_actor[entry.actor_id].append(entry)
    found = [
        ReadBurst(actor_id, burst)
        for actor_id, reads in by_actor.items()
        for burst in bursts(reads, thresholds.reads_per_window, thresholds.read_window)
    ]
    return sorted(found, key=lambda item: item.burst.start, reverse=True)


def is_off_hours(moment: datetime, thresholds: Thresholds) -> bool:
    """Outside the working days or hours, in the centre's local time."""
    local = moment.astimezone(thresholds.timezone)
    if local.isoweekday() not in thresholds.working_days:
        return True
    return not thresholds.working_hours_start <= local.hour < thresholds.working_hours_end


def off_hours_reads(entries: Iterable[Entry], thresholds: Thresholds) -> list[Entry]:
    """Case reads outside working hours or days, newest first."""
    found = [entry for entry in _case_reads(entries) if is_off_hours(entry.ts, thresholds)]
    return sorted(found, key=lambda entry: entry.seq, reverse=True)


def failed_login_bursts(
    entries: Iterable[Entry], thresholds: Thresholds
) -> list[LoginFailureBurst]:
    """Bursts of failed logins: over all accounts (spraying) and per targeted account."""
    failures = [entry for entry in entries if entry.action == AuditEvent.AUTH_LOGIN_FAILURE.value]
    limit, window = thresholds.failed_logins_per_window, thresholds.failed_login_window
    found = [LoginFailureBurst(None, burst) for burst in bursts(failures, limit, window)]
    by_account: dict[str, list[Entry]] = defaultdict(list)
    for entry in failures:
        if entry.object_id is not None:
            by_account[entry.object_id].append(entry)
    for account, attempts in sorted(by_account.items()):
        found.extend(LoginFailureBurst(account, burst) for burst in bursts(attempts, limit, window))
    return found


def reviewed_seqs(entries: Iterable[Entry]) -> dict[int, int]:
    """Break-glass entries marked reviewed: reviewed seq → seq of the latest review entry."""
    reviewed: dict[int, int] = {}
    for entry in entries:
        if entry.action != AuditEvent.AUDIT_BREAK_GLASS_REVIEW.value:
            continue
        target = int_detail(safe_details(entry), "reviewed_seq")
        if target is not None:
            reviewed[target] = max(entry.seq, reviewed.get(target, 0))
    return reviewed


def unreviewed_break_glass(entries: Iterable[Entry]) -> list[Entry]:
    """Break-glass openings without a later review entry naming their seq, oldest first.

    The opening is what is reviewed (who, which case, why); the reads during its window carry
    the purpose ``break_glass`` too and appear in the case's access report.
    """
    items = list(entries)
    reviews = reviewed_seqs(items)
    waiting = [
        entry
        for entry in items
        if entry.action == AuditEvent.CASE_BREAK_GLASS_OPEN.value
        and not (entry.seq in reviews and reviews[entry.seq] > entry.seq)
    ]
    return sorted(waiting, key=lambda entry: entry.seq)


#: Resets of someone else's credentials that make a later case read worth a look.
_RESETS = frozenset(
    {AuditEvent.AUTH_PASSWORD_RESET.value, AuditEvent.AUTH_SECOND_FACTOR_RESET.value}
)
#: How long after a reset the person's case reads are listed.
RESET_WATCH = timedelta(days=7)


@dataclass(frozen=True)
class ReadsAfterReset:
    """Case reads by a person whose password or second factor someone else had just reset.

    An administrator can reset a counsellor's credentials and log in as them; the person is
    not notified (SECURITY.md). Listing these reads lets the DPO ask the person whether it was
    them.
    """

    user_id: int
    reset: Entry
    reads: tuple[Entry, ...]


def reads_after_reset(
    entries: Iterable[Entry], watch: timedelta = RESET_WATCH
) -> list[ReadsAfterReset]:
    """Each reset by someone else, with the person's case reads in the following ``watch``."""
    items = sorted(entries, key=lambda entry: entry.seq)
    found = []
    for reset in items:
        subject = _user_id(reset.object_id)
        if reset.action not in _RESETS or subject is None or reset.actor_id == subject:
            continue
        reads = tuple(
            entry
            for entry in _case_reads(items)
            if entry.actor_id == subject and entry.seq > reset.seq and entry.ts - reset.ts < watch
        )
        if reads:
            found.append(ReadsAfterReset(subject, reset, reads))
    return sorted(found, key=lambda item: item.reset.seq, reverse=True)


def _user_id(object_id: str | None) -> int | None:
    if object_id is None or not (object_id.isascii() and object_id.isdigit()):
        return None
    return int(object_id[:10])
