"""Growing delays and temporary locks after failed logins.

Two keys are counted for every attempt: the submitted username (whether or not such a user
exists, so the answer never tells which names are real) and the client address. Keys are
stored as HMACs, never in clear.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from servicestelle.auth.models import LoginThrottle
from servicestelle.config import ThrottlePolicy
from servicestelle.extensions import db

ACCOUNT = "account"
CLIENT = "client"
#: Rows quiet for longer than this are purged.
PURGE_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class ThrottleKey:
    scope: str
    key_hash: str
    policy: ThrottlePolicy


def make_key(secret_key: bytes, scope: str, value: str, policy: ThrottlePolicy) -> ThrottleKey:
    digest = hmac.new(secret_key, f"throttle|{scope}|{value}".encode(), hashlib.sha256)
    return ThrottleKey(scope=scope, key_hash=digest.hexdigest(), policy=policy)


def _row(key: ThrottleKey) -> LoginThrottle | None:
    return db.session.scalar(
        select(LoginThrottle).where(
            LoginThrottle.scope == key.scope, LoginThrottle.key_hash == key.key_hash
        )
    )


def _is_forgotten(row: LoginThrottle, policy: ThrottlePolicy, now: datetime) -> bool:
    return now - row.last_failure_at > timedelta(seconds=policy.forget_after_seconds)


def blocked_until(keys: list[ThrottleKey], now: datetime) -> datetime | None:
    """The moment the next attempt is allowed, if any key is still waiting or locked."""
    latest: datetime | None = None
    for key in keys:
        row = _row(key)
        if row is None or _is_forgotten(row, key.policy, now):
            continue
        for until in (row.locked_until, row.next_attempt_at):
            if until is not None and until > now and (latest is None or until > latest):
                latest = until
    return latest


def delay_after(failures: int, policy: ThrottlePolicy) -> int:
    """Seconds to wait after ``failures`` consecutive failures (0 while still free)."""
    excess = failures - policy.free_failures
    if excess <= 0:
        return 0
    return int(min(policy.base_delay_seconds * 2 ** (excess - 1), policy.max_delay_seconds))


@dataclass(frozen=True)
class FailureOutcome:
    locked: bool  # this failure locked at least one key


def record_failure(keys: list[ThrottleKey], now: datetime) -> FailureOutcome:
    locked = False
    for key in keys:
        row = _row(key)
        if row is None:
            row = LoginThrottle(scope=key.scope, key_hash=key.key_hash, failures=0)
            db.session.add(row)
        elif _is_forgotten(row, key.policy, now):
            row.failures = 0
            row.locked_until = None
        row.failures += 1
        row.last_failure_at = now
        row.next_attempt_at = now + timedelta(seconds=delay_after(row.failures, key.policy))
        if row.failures >= key.policy.lock_after and row.failures % key.policy.lock_after == 0:
            row.locked_until = now + timedelta(seconds=key.policy.lock_seconds)
            locked = True
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - PURGE_AFTER)
    )
    return FailureOutcome(locked=locked)


def reset(key: ThrottleKey) -> None:
    """Forget an account's failures after a complete, successful login."""
    db.session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.scope == key.scope, LoginThrottle.key_hash == key.key_hash
        )
    )
