"""The release workflow, four eyes: draft → approve (another supervisor) or reject →
published (signed, immutable) → revoked only with a reason. Every step is audited.

A draft is frozen when it is made: its content (counts after disclosure control), the content
hash and the attacker audit are stored; the approver sees exactly that. A draft whose audit
failed cannot be approved, and neither can one drafted before another release of the same
centre and year came out (its audit did not know those figures).

A coordinator package (stats/packages.py) is approved the same way, but signed over its own
document format, and it is never one of the releases a later draft must take into account:
it is not published, it goes to the coordinator only. On a coordinator, drafts count the
imported packages instead of a store (``sources``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from audit import AuditEvent
from servicestelle import clock, services
from servicestelle.audit_trail import record
from servicestelle.auth.models import User
from servicestelle.centres.models import Centre, District
from servicestelle.extensions import db
from servicestelle.permissions import Permission
from servicestelle.stats import aggregate, disclosure, model, package_format, signing
from servicestelle.stats import content as release_content
from servicestelle.stats.keys import Key, layout
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import (
    OUT,
    REASON_MAX,
    Release,
    ReleaseKind,
    ReleaseStatus,
)
from servicestelle.stats.tables import CATALOGUE_VERSION, TABLES, Dimensions, Table

log = logging.getLogger(__name__)

OBJECT_TYPE = "stats_release"


class ReleaseError(ValueError):
    """A step of the workflow refused; the message is German and fit for the user."""


def districts_of(centre_id: int) -> dict[str, str]:
    """The centre's district register, code → name (retired ones too: old cases name them)."""
    rows = db.session.execute(
        sa.select(District.code, District.name)
        .where(District.centre_id == centre_id)
        .order_by(District.name)
    )
    return {code: name for code, name in rows}


def _earlier(centre_id: int, year: int, besides: int | None = None) -> list[model.Earlier]:
    releases = db.session.scalars(
        sa.select(Release).where(
            Release.centre_id == centre_id,
            Release.kind == ReleaseKind.RELEASE.value,  # a package is never published
            Release.year == year,
            Release.status.in_([status.value for status in OUT]),
        )
    )
    earlier = []
    for release in releases:
        if release.id == besides:
            continue
        content = json.loads(release.content)
        earlier.append(
            model.Earlier(
                release.id,
                Period.parse(release.period),
                release_content.published_keys(content),
                release_content.suppressed_keys(content),
                release_content.published_values(content),
                release.k,
            )
        )
    return earlier


def release_k(centre_id: int, year: int) -> tuple[int, int]:
    """(k for a new draft, the setting): the setting, raised to the k of every earlier
    published or revoked release of the centre and year. Lowering the setting later must not
    re-audit cells those releases suppressed with a smaller k: their neighbours would then
    be published with less protection than the earlier release promised."""
    setting = services.settings().statistics_k
    earlier = db.session.scalar(
        sa.select(sa.func.max(Release.k)).where(
            Release.centre_id == centre_id,
            Release.kind == ReleaseKind.RELEASE.value,
            Release.year == year,
            Release.status.in_([status.value for status in OUT]),
        )
    )
    return max(setting, earlier or 0), setting


def refuse_unfinished(period: Period) -> None:
    """A period that has not ended (the centre's local date) is not drafted: its figures
    will still change, and a change after publication blocks every later release of the
    year that overlaps it (_refuse_changed)."""
    if period.has_ended(clock.today()):
        return
    raise ReleaseError(
        str(
            _l(
                "%(period)s ist noch nicht abgeschlossen. Seine Zahlen ändern sich noch; "
                "ändern sie sich nach einer Veröffentlichung, kann danach keine Statistik "
                "dieses Jahres, die den Zeitraum einschließt, mehr veröffentlicht werden. "
                "Bitte entwerfen Sie erst nach dem Ende des Zeitraums.",
                period=period.label(),
            )
        )
    )


def _check_supervisor(actor: User) -> None:
    if not actor.can(Permission.STATS_RELEASE) or actor.centre_id is None:
        raise ReleaseError(str(_l("Nur die Leitung einer Beratungsstelle gibt Statistiken frei.")))


def sources(centre_id: int) -> tuple[model.Counts, Dimensions, tuple[Table, ...]]:
    """Where a draft's figures come from, by instance mode: a centre's statistics store, its
    districts and the catalogue; a coordinator's imported packages, its regions and the
    statewide catalogue (coordinator.counts)."""
    if services.settings().is_coordinator:
        from servicestelle.coordinator import counts  # imports this module: not at the top

        return counts.sources()
    dims = Dimensions.of_centre(districts_of(centre_id))
    return aggregate.StoreCounts(centre_id, dims), dims, TABLES


def catalogue() -> tuple[Table, ...]:
    """The tables a release may contain on this instance (a coordinator has no districts
    but regions)."""
    if services.settings().is_coordinator:
        from servicestelle.coordinator import counts

        return counts.STATEWIDE_TABLES
    return TABLES


def _refuse_changed(changed: Sequence[tuple[int, Key]], earlier: Sequence[model.Earlier]) -> None:
    """Figures already published differ from today's: refuse, naming the periods (never a
    value or a code — the supervisor learns where, the log what)."""
    periods = sorted(
        {
            other.period.code
            for other in earlier
            for release_id, _ in changed
            if other.release_id == release_id
        }
    )
    log.info(
        "draft refused: %s published figures changed since (releases %s)",
        len(changed),
        sorted({release_id for release_id, _ in changed}),
    )
    raise ReleaseError(
        str(
            _l(
                "Seit der Veröffentlichung für %(periods)s haben sich Fälle dieses Zeitraums "
                "geändert (nachgetragen, umgeschlüsselt, widerrufen oder gelöscht). Eine "
                "weitere Veröffentlichung, die ihn einschließt, würde diese Änderungen durch "
                "Differenzbildung offenlegen und ist daher nicht möglich.",
                periods=", ".join(periods),
            )
        )
    )


def draft_release(actor: User, period: Period, table_ids: Sequence[str]) -> Release:
    """Freeze a draft: count, suppress, audit (committed)."""
    _check_supervisor(actor)
    refuse_unfinished(period)
    centre = db.session.get_one(Centre, actor.centre_id)  # a user's centre exists (FK)
    counts, dims, tables = sources(centre.id)
    chosen = [table for table in tables if table.id in set(table_ids)]
    if not chosen or len(chosen) != len(set(table_ids)):
        raise ReleaseError(str(_l("Bitte wählen Sie mindestens eine Tabelle aus dem Katalog.")))
    layouts = [layout(table, dims) for table in chosen]
    keys = list(dict.fromkeys(key for lay in layouts for key in lay.all_keys()))
    # Taken before the earlier releases are read: one approved while this draft is computed
    # is then newer than the draft, and its approval check refuses the draft.
    now = clock.now()
    earlier = _earlier(centre.id, period.year)
    k, k_setting = release_k(centre.id, period.year)
    draft_model = model.build(counts, period, keys, earlier, dims)
    # Only figures of periods this draft overlaps can be differenced against it.
    overlapping = {other.release_id for other in earlier if other.period.overlaps(period)}
    changed = [(rid, key) for rid, key in draft_model.changed if rid in overlapping]
    if changed:
        _refuse_changed(changed, earlier)
    try:
        # Cells the source flags (a coordinator's cells with too few centres) are suppressed
        # whatever their count, and audited like every other suppressed cell.
        sensitive = [key.text for key in counts.sensitive(keys, period)]
        forced = [*draft_model.protected, *sensitive]
        protection = disclosure.protect(
            draft_model.problem, k, forced=forced, thresholds=draft_model.thresholds
        )
    except disclosure.SolverError:
        log.error("draft %s: the LP solver gave no answer", period.code)
        raise ReleaseError(
            str(
                _l(
                    "Die Prüfung auf Rückrechenbarkeit ließ sich nicht berechnen; es wurde "
                    "nichts gespeichert. Bitte versuchen Sie es später noch einmal."
                )
            )
        ) from None
    except disclosure.InconsistentProblemError:
        if not services.settings().is_coordinator:
            # One store: contradicting figures are a bug, not a situation — logged as one,
            # and the supervisor is told plainly instead of seeing an error page.
            log.error("draft %s: the model contradicts itself (a bug upstream)", period.code)
            raise ReleaseError(
                str(
                    _l(
                        "Die Prüfung auf Rückrechenbarkeit ist an einem inneren Widerspruch "
                        "gescheitert; es wurde nichts gespeichert. Bitte wenden Sie sich an "
                        "die Administration."
                    )
                )
            ) from None
        log.warning("statewide draft %s: the packages contradict each other", period.code)
        raise ReleaseError(
            str(
                _l(
                    "Die Pakete für diesen Zeitraum passen nicht zu den Paketen, aus denen "
                    "frühere Landesstatistiken desselben Jahres entstanden sind (etwa weil "
                    "Fälle seither anders erfasst wurden). So lässt sich nicht prüfen, ob "
                    "gesperrte Zahlen geschützt sind; bitte klären Sie das mit den Stellen."
                )
            )
        ) from None
    by_name = {key.text: key for key in keys}
    # The rest of protection.suppressed are earlier releases' cells, audited again.
    suppressed = {by_name[name] for name in protection.suppressed if name in by_name}
    content = release_content.build(
        centre_code=centre.code,
        period=period,
        k=k,
        layouts=layouts,
        values=draft_model.values,
        suppressed=suppressed,
        dims=dims,
    )
    release = Release(
        centre_id=centre.id,
        period=period.code,
        year=period.year,
        catalogue_version=CATALOGUE_VERSION,
        table_ids=",".join(table.id for table in chosen),
        k=k,
        status=ReleaseStatus.DRAFT.value,
        content=signing.canonical(content).decode(),
        content_hash=signing.content_hash(content),
        audit=json.dumps(
            {
                **_stored_audit(protection, k_setting, sensitive),
                # What the audit knew: approval refuses if the year's releases differ by then.
                "modelled": sorted(other.release_id for other in earlier),
            },
            sort_keys=True,
        ),
        audit_passed=protection.audit.passed,
        drafted_by=actor.id,
        drafted_at=now,
    )
    db.session.add(release)
    db.session.flush()
    _record(
        AuditEvent.STATS_RELEASE_DRAFT,
        actor,
        release,
        period=period.code,
        tables=len(chosen),
        suppressed=len(suppressed),
        audit_passed=protection.audit.passed,
        k=k,
        content_sha256=release.content_hash,
    )
    db.session.commit()
    log.info(
        "release drafted: id=%s period=%s k=%s (setting %s) suppressed=%s passed=%s",
        release.id,
        period.code,
        k,
        k_setting,
        len(suppressed),
        protection.audit.passed,
    )
    return release


def _stored_audit(
    protection: disclosure.Protection, k_setting: int, sensitive: Sequence[str] = ()
) -> dict[str, Any]:
    """The audit as stored and shown: intervals and reasons, never a suppressed value; the
    k setting of the day (the audit's k is higher where an earlier release's was); and the
    cells the source flagged (a coordinator's: too few centres, or one dominating)."""
    stored: dict[str, Any] = protection.to_json()
    stored["k_setting"] = k_setting
    stored["sensitive"] = sorted(sensitive)
    for cell in stored["audit"]["cells"]:
        del cell["value"]
        if not cell["safe"]:
            # An interval narrower than k may be the value itself ([2, 2]): not stored.
            cell["low"] = cell["high"] = None
            cell["unbounded"] = False
    return stored


def _record(event: AuditEvent, actor: User, release: Release, **details: object) -> None:
    record(
        event,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=release.id,
        centre_id=release.centre_id,
        details=details,
    )


def _own_release(actor: User, release: Release) -> None:
    _check_supervisor(actor)
    if release.centre_id != actor.centre_id:
        raise ReleaseError(str(_l("Diese Freigabe gehört zu einer anderen Beratungsstelle.")))


def _lock_centre(centre_id: int) -> Centre:
    """Serialise approvals of one centre: on PostgreSQL a row lock; on SQLite a no-op write
    of the centre's row, which takes the database's write lock (the driver opens its deferred
    transaction at the first write, so every read after it sees whatever an approval that
    held the lock before us committed, and nobody commits until we do)."""
    if db.session.get_bind().dialect.name == "sqlite":
        try:
            db.session.execute(
                sa.update(Centre)
                .where(Centre.id == centre_id)
                .values(id=Centre.id)
                .execution_options(synchronize_session=False)
            )
        except sa.exc.OperationalError:
            # "database is locked" after the busy timeout, or a stale snapshot: no value in it.
            db.session.rollback()
            log.warning("approval: the SQLite write lock was not free; refused, try again")
            raise ReleaseError(
                str(
                    _l(
                        "Gerade wird eine andere Freigabe gespeichert. Bitte versuchen Sie "
                        "es in einem Moment noch einmal."
                    )
                )
            ) from None
        return db.session.scalars(sa.select(Centre).where(Centre.id == centre_id)).one()
    return db.session.scalars(
        sa.select(Centre).where(Centre.id == centre_id).with_for_update()
    ).one()


def _out_since_drafted(release: Release) -> bool:
    """Whether a release of the same centre and year came out that the draft's audit did not
    model. Compared by id, under the approval lock: a release approved while the draft was
    being computed counts, whatever the clocks said."""
    out_now = set(
        db.session.scalars(
            sa.select(Release.id).where(
                Release.centre_id == release.centre_id,
                Release.kind == ReleaseKind.RELEASE.value,
                Release.year == release.year,
                Release.id != release.id,
                Release.status.in_([status.value for status in OUT]),
            )
        )
    )
    modelled = json.loads(release.audit).get("modelled")
    if modelled is None:  # drafted before the ids were stored: redraft if anything is out
        return bool(out_now)
    return out_now != set(modelled)


def approve_release(actor: User, release: Release) -> None:
    """Publish a draft: another supervisor, a passed audit, nothing published meanwhile,
    the content as frozen; signed with the centre's release key (committed)."""
    _own_release(actor, release)
    if release.status != ReleaseStatus.DRAFT.value:
        raise ReleaseError(str(_l("Nur ein Entwurf kann freigegeben werden.")))
    if release.drafted_by == actor.id:
        raise ReleaseError(
            str(_l("Vier Augen: Eine andere Leitung als die entwerfende muss freigeben."))
        )
    if not release.audit_passed:
        raise ReleaseError(
            str(_l("Die Prüfung auf Rückrechenbarkeit ist nicht bestanden; bitte neu entwerfen."))
        )
    if signing.content_hash(json.loads(release.content)) != release.content_hash:
        log.error("release %s: content does not match its hash", release.id)
        raise ReleaseError(
            str(_l("Der Entwurf wurde verändert und kann nicht freigegeben werden."))
        )
    centre = _lock_centre(release.centre_id)
    is_package = release.kind == ReleaseKind.PACKAGE.value
    # A package's counts are unsuppressed: no release coming out changes what it shows.
    if not is_package and _out_since_drafted(release):
        raise ReleaseError(
            str(
                _l(
                    "Seit diesem Entwurf wurde eine andere Statistik desselben Jahres "
                    "veröffentlicht. Bitte entwerfen Sie neu, damit die Prüfung sie kennt."
                )
            )
        )
    now = clock.now()
    if is_package:
        # Its own signed format: a package's signature never passes for a release's.
        document = package_format.signed_document(
            centre_code=centre.code,
            period=release.period,
            catalogue_version=release.catalogue_version,
            content_hash=release.content_hash,
            published_at=now.isoformat(),
        )
    else:
        document = signing.signed_document(
            centre_code=centre.code,
            period=release.period,
            catalogue_version=release.catalogue_version,
            k=release.k,
            content_hash=release.content_hash,
            published_at=now.isoformat(),
        )
    signature, public = signing.sign(centre.code, document)
    _move(
        release,
        ReleaseStatus.DRAFT,
        _l("Über diesen Entwurf wurde bereits entschieden."),
        status=ReleaseStatus.PUBLISHED.value,
        decided_by=actor.id,
        decided_at=now,
        signature=signature,
        public_key=public,
    )
    event = AuditEvent.STATS_PACKAGE_APPROVE if is_package else AuditEvent.STATS_RELEASE_APPROVE
    _record(event, actor, release, period=release.period, content_sha256=release.content_hash)
    db.session.commit()
    log.info("release published: id=%s period=%s", release.id, release.period)


def _move(release: Release, expected: ReleaseStatus, refusal: LazyString, **values: Any) -> None:
    """Change a release's row only while it still has the ``expected`` status: of two
    decisions made at the same moment, the second is refused instead of overwriting the
    first (a published release that reads "rejected" would drop out of every later audit)."""
    moved = db.session.execute(
        sa.update(Release)
        .where(Release.id == release.id, Release.status == expected.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise ReleaseError(str(refusal))
    db.session.expire(release)


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise ReleaseError(str(_l("Bitte geben Sie eine Begründung an.")))
    if len(reason) > REASON_MAX:
        raise ReleaseError(str(_l("Die Begründung ist zu lang.")))
    return reason


def reject_release(actor: User, release: Release, reason: str) -> None:
    """Reject a draft with a reason (committed); the drafter may discard their own too."""
    _own_release(actor, release)
    text = _reason(reason)
    if release.status != ReleaseStatus.DRAFT.value:
        raise ReleaseError(str(_l("Nur ein Entwurf kann abgelehnt werden.")))
    _move(
        release,
        ReleaseStatus.DRAFT,
        _l("Über diesen Entwurf wurde bereits entschieden."),
        status=ReleaseStatus.REJECTED.value,
        decided_by=actor.id,
        decided_at=clock.now(),
        reason=text,
    )
    _record(
        AuditEvent.STATS_RELEASE_REJECT,
        actor,
        release,
        period=release.period,
        content_sha256=release.content_hash,
    )
    db.session.commit()


def revoke_release(actor: User, release: Release, reason: str) -> None:
    """Withdraw a published release with a reason, signing the revocation (committed). Its
    figures stay known to the disclosure model: whoever saw them still has them."""
    _own_release(actor, release)
    text = _reason(reason)
    if (
        release.status != ReleaseStatus.PUBLISHED.value
        or release.kind != ReleaseKind.RELEASE.value
        or release.decided_at is None
    ):
        raise ReleaseError(str(_l("Nur eine veröffentlichte Statistik kann widerrufen werden.")))
    centre = db.session.get_one(Centre, release.centre_id)
    now = clock.now()
    salt = os.urandom(signing.REASON_SALT_BYTES)
    document = signing.revocation_document(
        centre_code=centre.code,
        period=release.period,
        content_hash=release.content_hash,
        published_at=release.decided_at.isoformat(),
        revoked_at=now.isoformat(),
        reason_hmac=signing.reason_commitment(salt, text),
    )
    signature, public = signing.sign(centre.code, document)
    if public != release.public_key:
        # The keyring's release key is not the one that signed the release: a reader could
        # not check the revocation against the release's key.
        log.error("release %s: the release key changed since publication", release.id)
        raise ReleaseError(
            str(
                _l(
                    "Der Signaturschlüssel der Beratungsstelle ist nicht mehr der, mit dem "
                    "diese Statistik signiert wurde; der Widerruf kann nicht signiert werden. "
                    "Bitte wenden Sie sich an die Administration."
                )
            )
        )
    _move(
        release,
        ReleaseStatus.PUBLISHED,
        _l("Diese Statistik wurde bereits widerrufen."),
        status=ReleaseStatus.REVOKED.value,
        revoked_by=actor.id,
        revoked_at=now,
        reason=text,
        revocation=document.decode(),
        revocation_signature=signature,
        revocation_salt=salt,
    )
    _record(
        AuditEvent.STATS_RELEASE_REVOKE,
        actor,
        release,
        period=release.period,
        content_sha256=release.content_hash,
    )
    db.session.commit()
    log.info("release revoked: id=%s period=%s", release.id, release.period)


#: What a published release is exported as (stats/downloads.py, the API).
EXPORT_FORMATS = ("json", "csv", "zip", "dezim")


def record_export(actor: User, release: Release, fmt: str, table: str | None = None) -> None:
    """Audit one download of a published or revoked release (committed)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format: {fmt}")
    details: dict[str, object] = {"format": fmt, "content_sha256": release.content_hash}
    if table is not None:
        details["table"] = table
    _record(AuditEvent.STATS_RELEASE_EXPORT, actor, release, **details)
    db.session.commit()
