from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from flask import abort
from sqlalchemy import func, select

from servicestelle.auth.models import RecoveryCode, User, UserRole
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.security import deny_out_of_scope

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def normalise_username(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().lower()


def get_user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def get_user_in_centre_or_404(user_id: int, centre_id: int) -> User:
    """A user of the given centre; other centres' users do not exist for the caller."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.centre_id != centre_id:
        deny_out_of_scope("user", user.id, centre_id=user.centre_id)
    return user


def users_by_id(ids: Iterable[int]) -> dict[int, User]:
    """The users with these ids; those the request has loaded already cost no query.

    A case's team is mostly the person looking at it: their User is in the session since
    the login check, and a query (with its roles) for it again is a third of a list page's
    statements.
    """
    wanted = set(ids)
    found: dict[int, User] = {}
    for user_id in wanted:
        loaded = db.session.identity_map.get(db.session.identity_key(User, user_id))
        if isinstance(loaded, User):
            found[user_id] = loaded
    missing = wanted - found.keys()
    if missing:
        found.update(
            (u.id, u) for u in db.session.scalars(select(User).where(User.id.in_(missing)))
        )
    return found


def users_of_centre(centre_id: int) -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.centre_id == centre_id).order_by(User.username))
    )


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username)))


def count_active_admins(centre_id: int) -> int:
    statement = (
        select(func.count(User.id))
        .join(UserRole)
        .where(
            User.centre_id == centre_id,
            User.is_active.is_(True),
            UserRole.role == Role.ADMIN.value,
        )
    )
    return int(db.session.scalar(statement) or 0)


def unused_recovery_codes(user_id: int) -> list[RecoveryCode]:
    return list(
        db.session.scalars(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        )
    )
