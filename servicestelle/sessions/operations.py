"""Ending sessions: on logout, password or second-factor change, role change, disabling."""

from __future__ import annotations

from sqlalchemy import delete

from servicestelle.database import rowcount
from servicestelle.extensions import db
from servicestelle.sessions.interface import token_hash
from servicestelle.sessions.models import UserSession


def end_user_sessions(user_id: int, *, keep_token: str | None = None) -> int:
    """Delete every session of a user except ``keep_token``'s (in the caller's transaction)."""
    statement = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_token is not None:
        statement = statement.where(UserSession.token_hash != token_hash(keep_token))
    result = db.session.execute(statement)
    return rowcount(result)
