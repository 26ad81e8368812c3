"""The coordinator's writers that take counts away: withdraw an imported package so that the
centre can send a corrected one, and purge the counts of old years (retention). Each is
audited; the package's row — centre, period, region, hash, signature, import — always stays.

A withdrawal is refused once a statewide release of the package's period is out (published
or revoked): its figures are known, a corrected package would change them, and the
difference between the old and the new figures would show the correction — the reason
stats.operations refuses a draft whose published figures changed. It is refused too while
a draft of that period waits (the draft counts the package; reject it first). A
replacement must have been approved by the centre after the withdrawn package
(coordinator.operations.import_package), so the withdrawn file cannot come back.

The purge deletes the counts of the packages of years before a limit, never of a year not
yet over, and only while no statewide draft of those years waits: every release of them is
then published, revoked or rejected, and none is to come (releases link within a year only,
so no later draft needs them; one of those years would be refused, its counts gone).

Both write first and check after: on PostgreSQL a draft counting the packages holds a share
lock on their rows until it commits (coordinator.counts), so the write waits for it and the
check sees it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from audit import AuditEvent, Outcome
from servicestelle import clock
from servicestelle.audit_trail import record
from servicestelle.auth.models import User
from servicestelle.coordinator.models import ImportedPackage
from servicestelle.coordinator.operations import (
    PACKAGE_OBJECT,
    CoordinatorError,
    _require_coordinator,
)
from servicestelle.extensions import db
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import OUT, REASON_MAX, Release, ReleaseKind, ReleaseStatus

log = logging.getLogger(__name__)


class WithdrawalRefusal(StrEnum):
    WITHDRAWN = "withdrawn"  # already withdrawn
    PUBLISHED = "published"  # a statewide release of the period is out
    DRAFT = "draft"  # a statewide draft of the period waits


def _statewide(
    *, periods: set[str] | None = None, years: set[int] | None = None
) -> sa.Select[str, int, str]:
    """Period, year and status of the statewide releases that were not rejected."""
    query = sa.select(Release.period, Release.year, Release.status).where(
        Release.kind == ReleaseKind.RELEASE.value,
        Release.status != ReleaseStatus.REJECTED.value,
    )
    if periods is not None:
        query = query.where(Release.period.in_(periods))
    if years is not None:
        query = query.where(Release.year.in_(years))
    return query


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise CoordinatorError(str(_l("Bitte geben Sie eine Begründung an.")))
    if len(reason) > REASON_MAX:
        raise CoordinatorError(str(_l("Die Begründung ist zu lang.")))
    return reason


def _refuse(
    actor: User | None, package_id: int, refusal: WithdrawalRefusal, message: str
) -> CoordinatorError:
    """Undo the withdrawal, audit the refusal (committed) and return the error to raise."""
    db.session.rollback()
    record(
        AuditEvent.COORDINATOR_PACKAGE_WITHDRAW,
        Outcome.FAILURE,
        actor=actor,
        object_type=PACKAGE_OBJECT,
        object_id=package_id,
        details={"reason": refusal.value},
    )
    db.session.commit()
    log.info("package withdrawal refused: id=%s %s", package_id, refusal.value)
    return CoordinatorError(message)


def withdraw_package(actor: User | None, package: ImportedPackage, reason: str) -> None:
    """Withdraw an imported package with a reason (committed): its counts are deleted, its
    row stays, and the centre may send a corrected package for the period. ``actor`` None:
    the operator on the command line."""
    _require_coordinator()
    text = _reason(reason)
    package_id, centre_id, period = package.id, package.centre_id, Period.parse(package.period)
    moved = db.session.execute(
        sa.update(ImportedPackage)
        .where(ImportedPackage.id == package_id, ImportedPackage.withdrawn_at.is_(None))
        .values(
            withdrawn_at=clock.now(),
            withdrawn_by=actor.id if actor is not None else None,
            withdrawal_reason=text,
            content=None,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise _refuse(
            actor,
            package_id,
            WithdrawalRefusal.WITHDRAWN,
            str(_l("Dieses Paket ist bereits zurückgezogen.")),
        )
    statuses = {row.status for row in db.session.execute(_statewide(periods={period.code}))}
    if statuses & {status.value for status in OUT}:
        raise _refuse(
            actor,
            package_id,
            WithdrawalRefusal.PUBLISHED,
            str(
                _l(
                    "Aus den Paketen für %(period)s ist bereits eine Landesstatistik "
                    "veröffentlicht worden. Ihre Zahlen sind bekannt; ein berichtigtes Paket "
                    "würde sie ändern, und der Unterschied legte die Berichtigung offen. Das "
                    "Paket kann daher nicht mehr zurückgezogen werden.",
                    period=period.label(),
                )
            ),
        )
    if ReleaseStatus.DRAFT.value in statuses:
        raise _refuse(
            actor,
            package_id,
            WithdrawalRefusal.DRAFT,
            str(
                _l(
                    "Ein Entwurf einer Landesstatistik für %(period)s zählt dieses Paket. "
                    "Bitte lehnen Sie den Entwurf zuerst ab.",
                    period=period.label(),
                )
            ),
        )
    record(
        AuditEvent.COORDINATOR_PACKAGE_WITHDRAW,
        actor=actor,
        object_type=PACKAGE_OBJECT,
        object_id=package_id,
        details={"centre": centre_id, "period": period.code},
    )
    db.session.commit()
    db.session.expire(package)
    log.info("package withdrawn: id=%s period=%s", package_id, period.code)


@dataclass(frozen=True)
class Purge:
    """What a purge deleted (or, in a dry run, would delete)."""

    package_ids: tuple[int, ...]
    years: tuple[int, ...]


def purge_packages(actor: User | None, before: int, *, dry_run: bool = False) -> Purge:
    """Delete the counts of every package of a year before ``before`` (committed, audited;
    the rows stay). ``actor`` None: the operator on the command line."""
    _require_coordinator()
    if before > clock.now().year:
        raise CoordinatorError(str(_l("Gelöscht werden nur die Zahlen abgeschlossener Jahre.")))
    found = [
        (package_id, Period.parse(code).year)
        for package_id, code in db.session.execute(
            sa.select(ImportedPackage.id, ImportedPackage.period)
            .where(ImportedPackage.content.is_not(None))
            .order_by(ImportedPackage.id)
        )
        if Period.parse(code).year < before
    ]
    purge = Purge(
        tuple(package_id for package_id, _year in found),
        tuple(sorted({year for _package_id, year in found})),
    )
    if not dry_run and purge.package_ids:
        db.session.execute(
            sa.update(ImportedPackage)
            .where(ImportedPackage.id.in_(purge.package_ids))
            .values(content=None, purged_at=clock.now())
            .execution_options(synchronize_session=False)
        )
    waiting = _waiting_years(set(purge.years))
    if waiting:
        db.session.rollback()
        raise CoordinatorError(
            str(
                _l(
                    "Für %(years)s wartet noch ein Entwurf einer Landesstatistik. Bitte geben "
                    "Sie ihn frei oder lehnen Sie ihn ab; erst dann werden die Zahlen gelöscht.",
                    years=", ".join(str(year) for year in waiting),
                )
            )
        )
    if dry_run:
        return purge
    record(
        AuditEvent.COORDINATOR_PACKAGE_PURGE,
        actor=actor,
        details={
            "before": before,
            "packages": list(purge.package_ids),
            "years": list(purge.years),
        },
    )
    db.session.commit()
    db.session.expire_all()
    log.info("package counts purged: before=%s packages=%s", before, len(purge.package_ids))
    return purge


def _waiting_years(years: set[int]) -> list[int]:
    """The years among these with a statewide draft waiting."""
    if not years:
        return []
    rows = db.session.execute(_statewide(years=years))
    return sorted({row.year for row in rows if row.status == ReleaseStatus.DRAFT.value})
