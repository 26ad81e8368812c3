from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, relationship

from servicestelle.centres.models import Centre
from servicestelle.coordinator import mode
from servicestelle.db import Base, UTCDateTime, classified, intpk, timestamp
from servicestelle.permissions import Permission, as_permission, permissions_for
from servicestelle.roles import Role


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("centres.id"), index=True)
    #: Login name; staff member's chosen handle (personal data of staff).
    username: Mapped[str] = classified("personal", String(64), unique=True)
    #: Name shown in the UI and, later, in audit reports for the DPO.
    display_name: Mapped[str] = classified("personal", String(120))
    #: argon2id PHC string.
    password_hash: Mapped[str] = classified("secret", String(255))
    is_active: Mapped[bool] = classified("none", Boolean, default=True)
    must_change_password: Mapped[bool] = classified("none", Boolean, default=False)
    #: TOTP seed in use, sealed with AES-GCM (see auth/sealing.py); None before enrolment.
    totp_secret_sealed: Mapped[bytes | None] = classified("secret", LargeBinary)
    #: Seed being enrolled, not yet confirmed with a code.
    totp_pending_sealed: Mapped[bytes | None] = classified("secret", LargeBinary)
    #: Last accepted 30-second step: a code of this step or earlier is never accepted again.
    totp_last_step: Mapped[int] = classified("none", Integer, default=0)
    totp_enrolled_at: Mapped[datetime | None] = classified("none", UTCDateTime())
    created_at: Mapped[timestamp]
    password_changed_at: Mapped[timestamp]
    disabled_at: Mapped[datetime | None] = classified("none", UTCDateTime())

    centre: Mapped[Centre] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows)

    @property
    def permissions(self) -> frozenset[Permission]:
        # A coordinator has no case module: nobody there holds a case permission.
        return permissions_for(self.roles) - mode.withheld_permissions()

    def can(self, permission: str) -> bool:
        return as_permission(permission) in self.permissions

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret_sealed is not None

    # flask-login's user protocol (only fully authenticated users are ever loaded).
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = classified(
        "none", ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = classified("none", String(32))

    user: Mapped[User] = relationship(back_populates="role_rows")


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[intpk]
    user_id: Mapped[int] = classified(
        "none", ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the normalised code; the codes carry 80 random bits, so a fast hash suffices.
    code_hash: Mapped[str] = classified("secret", String(64))
    created_at: Mapped[timestamp]
    used_at: Mapped[datetime | None] = classified("none", UTCDateTime())


class LoginThrottle(Base):
    """Failed-login counters per submitted username and per client address."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key_hash"),)

    id: Mapped[intpk]
    scope: Mapped[str] = classified("none", String(16))  # "account" or "client"
    #: HMAC of the username or address under the secret key: counts without storing either.
    key_hash: Mapped[str] = classified("personal", String(64))
    failures: Mapped[int] = classified("none", Integer, default=0)
    last_failure_at: Mapped[datetime] = classified("none", UTCDateTime(), index=True)
    next_attempt_at: Mapped[datetime | None] = classified("none", UTCDateTime())
    locked_until: Mapped[datetime | None] = classified("none", UTCDateTime())
    #: Set while an attempt for this key is being checked (see throttle.claim).
    in_flight_until: Mapped[datetime | None] = classified("none", UTCDateTime())
