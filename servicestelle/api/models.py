from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, relationship

from servicestelle.auth.models import User
from servicestelle.db import Base, UTCDateTime, classified, intpk, timestamp


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = classified(
        "none", ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: Label chosen by the owner, e.g. "Auswertungsskript".
    name: Mapped[str] = classified("none", String(80))
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = classified("secret", String(64), unique=True)
    created_at: Mapped[timestamp]
    expires_at: Mapped[timestamp]
    revoked_at: Mapped[datetime | None] = classified("none", UTCDateTime())
    last_used_at: Mapped[datetime | None] = classified("none", UTCDateTime())

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at and self.user.is_active
