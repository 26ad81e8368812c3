"""Personal API tokens: shown once, stored as SHA-256, expiring, revocable (the writers)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from audit import AuditEvent
from servicestelle import audit_trail, clock, services
from servicestelle.api.models import ApiToken
from servicestelle.auth.models import User
from servicestelle.database import rowcount
from servicestelle.extensions import db

log = logging.getLogger(__name__)

PREFIX = "sst_"
NAME_MAX = 80
#: last_used_at is written at most this often, so reading the API is not a write per call.
TOUCH_INTERVAL = timedelta(minutes=5)


class TokenError(ValueError):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "ignore")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str


def create_token(user: User, name: str, days: int | None = None) -> IssuedToken:
    """Issue a token for ``user``; the plaintext is returned once and never stored."""
    settings = services.settings()
    lifetime = settings.api_token_default_days if days is None else days
    if not 1 <= lifetime <= settings.api_token_max_days:
        raise TokenError(
            str(_l("Gültigkeit: 1 bis %(max)s Tage.", max=settings.api_token_max_days))
        )
    label = name.strip() or "API"
    if len(label) > NAME_MAX or any(ord(ch) < 32 or ord(ch) == 127 for ch in label):
        raise TokenError(str(_l("Bezeichnung: höchstens 80 Zeichen, keine Steuerzeichen.")))
    if not user.is_active:
        raise TokenError(str(_l("Für ein deaktiviertes Konto gibt es keine Tokens.")))
    plaintext = PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(
        user_id=user.id,
        name=label,
        token_hash=hash_token(plaintext),
        created_at=now,
        expires_at=now + timedelta(days=lifetime),
    )
    db.session.add(token)
    db.session.flush()
    audit_trail.record(
        AuditEvent.API_TOKEN_CREATE,
        object_type="api_token",
        object_id=token.id,
        # Explicit: from the command line there is no actor whose centre could be taken.
        centre_id=user.centre_id,
        details={"user_id": user.id, "days": lifetime},
    )
    db.session.commit()
    log.info("api token created: token_id=%s user_id=%s", token.id, user.id)
    return IssuedToken(token=token, plaintext=plaintext)


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        audit_trail.record(
            AuditEvent.API_TOKEN_REVOKE,
            object_type="api_token",
            object_id=token.id,
            centre_id=token.user.centre_id,
            details={"user_id": token.user_id},
        )
        db.session.commit()
        log.info("api token revoked: token_id=%s user_id=%s", token.id, token.user_id)


def authenticate_token(plaintext: str) -> User | None:
    """The active user a presented token belongs to, or None (unknown, expired, revoked)."""
    if not plaintext.startswith(PREFIX) or len(plaintext) > 100:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    now = clock.now()
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL:
        token.last_used_at = now
        db.session.commit()
    return token.user


def rename_token(token: ApiToken, name: str) -> None:
    label = name.strip()
    if not label or len(label) > NAME_MAX:
        raise TokenError(str(_l("Bezeichnung: höchstens 80 Zeichen, keine Steuerzeichen.")))
    token.name = label
    audit_trail.record(
        AuditEvent.API_TOKEN_RENAME,
        object_type="api_token",
        object_id=token.id,
        centre_id=token.user.centre_id,
        details={"user_id": token.user_id},
    )
    db.session.commit()


def revoke_tokens_of(user_id: int) -> int:
    """Revoke every live token of a user, in the caller's transaction (account resets)."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return rowcount(result)
