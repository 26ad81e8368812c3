from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped

from servicestelle.db import Base, UTCDateTime, classified, timestamp


class UserSession(Base):
    __tablename__ = "user_sessions"

    #: SHA-256 of the cookie token: a stolen database does not yield usable cookies.
    token_hash: Mapped[str] = classified("secret", String(64), primary_key=True)
    #: Set once a user is logged in (or half-way, between password and code).
    user_id: Mapped[int | None] = classified(
        "none", ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: Serialised Flask session: CSRF token, login state, language; no case content.
    data: Mapped[bytes] = classified("secret", LargeBinary)
    created_at: Mapped[timestamp]
    #: Indexed for purging expired sessions.
    last_seen_at: Mapped[datetime] = classified("none", UTCDateTime(), index=True)
