"""Loads a bounded period of the log and runs the anomaly rules on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from audit import AuditEvent, Entry
from servicestelle.dpo import anomalies, queries


@dataclass(frozen=True)
class Findings:
    since: datetime
    days: int
    thresholds: anomalies.Thresholds
    mass_reads: list[anomalies.ReadBurst]
    off_hours: list[Entry]
    login_bursts: list[anomalies.LoginFailureBurst]
    break_glass: list[Entry]
    reads_after_reset: list[anomalies.ReadsAfterReset] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    #: The written reason of each waiting opening, by its seq (None: no longer there).
    reasons: dict[int, str | None] = field(default_factory=dict)

    @property
    def open_anomalies(self) -> int:
        """Everything on the page that waits for a look (break-glass counted separately)."""
        return (
            len(self.mass_reads)
            + len(self.off_hours)
            + len(self.login_bursts)
            + len(self.reads_after_reset)
        )


def waiting_break_glass(centre_id: int) -> list[Entry]:
    """Break-glass accesses without a review, oldest first (few rows, found by an index)."""
    return anomalies.unreviewed_break_glass(queries.break_glass_and_reviews(centre_id))


def reasons_of(openings: list[Entry]) -> dict[int, str | None]:
    """The reasons given for break-glass openings (sealed under the oversight key).

    An opening names its grant in the details; the grant must belong to the same case and
    person, so a forged log row cannot make the page show another grant's reason.
    """
    from servicestelle.cases import break_glass
    from servicestelle.dpo.details import int_detail, safe_details

    reasons: dict[int, str | None] = {}
    for entry in openings:
        grant_id = int_detail(safe_details(entry), "grant")
        grant = break_glass.grant_by_id(grant_id) if grant_id is not None else None
        matches = (
            grant is not None
            and str(grant.case_id) == entry.object_id
            and grant.user_id == entry.actor_id
        )
        reasons[entry.seq] = break_glass.reason_of(grant) if matches and grant else None
    return reasons


def collect(centre_id: int, thresholds: anomalies.Thresholds, now: datetime, days: int) -> Findings:
    """Run every rule over the period: this loads each case read and failed login in it."""
    since = now - timedelta(days=days)
    recent = queries.recent(
        centre_id,
        since,
        (
            AuditEvent.CASE_CONTENT_READ,
            AuditEvent.AUTH_LOGIN_FAILURE,
            AuditEvent.AUTH_PASSWORD_RESET,
            AuditEvent.AUTH_SECOND_FACTOR_RESET,
        ),
    )
    break_glass = waiting_break_glass(centre_id)
    mass = anomalies.mass_reads(recent, thresholds)
    off_hours = anomalies.off_hours_reads(recent, thresholds)
    login_bursts = anomalies.failed_login_bursts(recent, thresholds)
    after_reset = anomalies.reads_after_reset(recent)
    people = [item.actor_id for item in mass]
    people += [item.reset.actor_id for item in after_reset] + [i.user_id for i in after_reset]
    people += [entry.actor_id for entry in (*off_hours, *break_glass)]
    # Failed logins name the targeted account by its user id.
    accounts = [item.account for item in login_bursts if item.account is not None]
    people += [int(account) for account in accounts if _is_number(account)]
    return Findings(
        since=since,
        days=days,
        thresholds=thresholds,
        mass_reads=mass,
        off_hours=off_hours,
        login_bursts=login_bursts,
        break_glass=break_glass,
        reads_after_reset=after_reset,
        names=queries.usernames(centre_id, people),
        reasons=reasons_of(break_glass),
    )


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 10
