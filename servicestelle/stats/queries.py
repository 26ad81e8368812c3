"""Reads of statistics releases: who sees which, one by id, the comparable earlier one.

Only releases of kind "release" are statistics: a coordinator package (kind "package", its
counts unsuppressed) is never listed, shown or exported here (stats/views_packages.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import abort

from servicestelle.auth.models import User
from servicestelle.centres.models import Centre
from servicestelle.extensions import db
from servicestelle.permissions import Permission
from servicestelle.security import deny_out_of_scope
from servicestelle.stats.operations import OBJECT_TYPE
from servicestelle.stats.periods import Period, PeriodError
from servicestelle.stats.release_models import OUT, Release, ReleaseKind, ReleaseStatus

#: What a reader without the release permission sees: what is out (published or revoked).
READABLE = tuple(status.value for status in OUT)


def visible_statuses(user: User) -> tuple[str, ...]:
    """Supervisors see drafts and rejected drafts too; everyone else only what is out."""
    if user.can(Permission.STATS_RELEASE):
        return tuple(status.value for status in ReleaseStatus)
    return READABLE


def may_see(user: User, release: Release) -> bool:
    return (
        release.kind == ReleaseKind.RELEASE.value
        and release.centre_id == user.centre_id
        and release.status in visible_statuses(user)
    )


def releases_visible_to(user: User) -> list[Release]:
    """The releases of the user's centre they may see, newest period first."""
    if user.centre_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Release)
            .where(
                Release.centre_id == user.centre_id,
                Release.kind == ReleaseKind.RELEASE.value,
                Release.status.in_(visible_statuses(user)),
            )
            .order_by(Release.year.desc(), Release.period.desc(), Release.id.desc())
        )
    )


def get_release_or_404(release_id: int, user: User) -> Release:
    """A release the user may see; another centre's, or a draft for a reader, is a 404
    (audited: trying ids is worth the DPO's attention)."""
    release = db.session.get(Release, release_id)
    if release is None or release.kind != ReleaseKind.RELEASE.value:
        abort(404)  # no such release (a package is not one)
    if not may_see(user, release):
        deny_out_of_scope(OBJECT_TYPE, release.id, centre_id=release.centre_id)
    return release


def previous_published(release: Release) -> Release | None:
    """The comparable release before this one (the quarter, half-year or year before), the
    latest published; None where there is none (or the period is the first allowed)."""
    try:
        previous = Period.parse(release.period).previous()
    except PeriodError:
        return None
    return db.session.scalar(
        sa.select(Release)
        .where(
            Release.centre_id == release.centre_id,
            Release.kind == ReleaseKind.RELEASE.value,
            Release.period == previous.code,
            Release.status == ReleaseStatus.PUBLISHED.value,
        )
        .order_by(Release.decided_at.desc(), Release.id.desc())
        .limit(1)
    )


def releases_by_id(centre_id: int, ids: Iterable[int]) -> dict[int, Release]:
    """Releases of one centre by id (the earlier releases an audit names)."""
    wanted = set(ids)
    if not wanted:
        return {}
    found = db.session.scalars(
        sa.select(Release).where(
            Release.centre_id == centre_id,
            Release.kind == ReleaseKind.RELEASE.value,
            Release.id.in_(wanted),
        )
    )
    return {release.id: release for release in found}


def display_names(ids: Iterable[int | None]) -> dict[int, str]:
    """User id → display name (pages name people, not ids)."""
    wanted = {user_id for user_id in ids if user_id is not None}
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def centre_code(centre_id: int) -> str:
    """The code of a release's centre (export file names and documents)."""
    code = db.session.scalar(sa.select(Centre.code).where(Centre.id == centre_id))
    if code is None:  # a release's centre exists (foreign key)
        abort(404)
    return code
