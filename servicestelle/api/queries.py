"""Reads of API tokens."""

from __future__ import annotations

from sqlalchemy import select

from servicestelle.api.models import ApiToken
from servicestelle.auth.models import User
from servicestelle.extensions import db


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )


def get_own_token(user: User, token_id: int) -> ApiToken | None:
    token = db.session.get(ApiToken, token_id)
    return token if token is not None and token.user_id == user.id else None
