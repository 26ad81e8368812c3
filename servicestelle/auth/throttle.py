"""Growing delays and temporary locks after failed logins.

Two keys are counted for every attempt: the submitted username (whether or not such a user
exists, so the answer never tells which names are real) and the client address. Keys are
stored as HMACs, never in clear.

Parallel requests must not multiply an attacker's guesses, so:

- an attempt *claims* its account key before the (slow) password or code check; while one
  attempt for a name is in flight, others for the same name are refused at once;
- failures are counted with one atomic upsert (``failures = failures + 1``), never as a
  read-modify-write that parallel requests could overwrite.

The client-address counter is exact as well, but not serialised: an office behind one NAT
may log in in parallel. A burst from one address can therefore exceed its threshold by at
most the number of server threads before its lock applies.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from servicestelle.auth.models import LoginThrottle
from servicestelle.config import ThrottlePolicy
from servicestelle.extensions import db

ACCOUNT = "account"
CLIENT = "client"
#: Rows quiet for longer than this are purged.
PURGE_AFTER = timedelta(days=2)
#: A claim older than this is stale (its request died without releasing it).
CLAIM_LIFETIME = timedelta(seconds=30)


@dataclass(frozen=True)
class ThrottleKey:
    scope: str
    key_hash: str
    policy: ThrottlePolicy


def make_key(secret_key: bytes, scope: str, value: str, policy: ThrottlePolicy) -> ThrottleKey:
    digest = hmac.new(secret_key, f"throttle|{scope}|{value}".encode(), hashlib.sha256)
    return ThrottleKey(scope=scope, key_hash=digest.hexdigest(), policy=policy)


def _insert() -> Any:
    """INSERT … ON CONFLICT for the backend in use (both speak the same upsert)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(LoginThrottle)


def _where_key(key: ThrottleKey) -> Any:
    return (LoginThrottle.scope == key.scope) & (LoginThrottle.key_hash == key.key_hash)


def blocked_until(keys: list[ThrottleKey], now: datetime) -> datetime | None:
    """The moment the next attempt is allowed, if any key is still waiting or locked."""
    latest: datetime | None = None
    for key in keys:
        row = db.session.scalar(select(LoginThrottle).where(_where_key(key)))
        if row is None or now - row.last_failure_at > timedelta(
            seconds=key.policy.forget_after_seconds
        ):
            continue
        for until in (row.locked_until, row.next_attempt_at):
            if until is not None and until > now and (latest is None or until > latest):
                latest = until
    return latest


def claim(key: ThrottleKey, now: datetime) -> bool:
    """Mark an attempt for this key as in flight; False if another one already is.

    The caller commits right after, so that parallel requests see the claim.
    """
    statement = (
        _insert()
        .values(
            scope=key.scope,
            key_hash=key.key_hash,
            failures=0,
            last_failure_at=now,
            in_flight_until=now + CLAIM_LIFETIME,
        )
        .on_conflict_do_update(
            index_elements=["scope", "key_hash"],
            set_={"in_flight_until": now + CLAIM_LIFETIME},
            where=or_(
                LoginThrottle.in_flight_until.is_(None), LoginThrottle.in_flight_until <= now
            ),
        )
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT.
        .returning(LoginThrottle.id)
    )
    return db.session.execute(statement).first() is not None


def release(key: ThrottleKey) -> None:
    db.session.execute(update(LoginThrottle).where(_where_key(key)).values(in_flight_until=None))


def delay_after(failures: int, policy: ThrottlePolicy) -> int:
    """Seconds to wait after ``failures`` consecutive failures (0 while still free)."""
    excess = failures - policy.free_failures
    if excess <= 0:
        return 0
    return int(min(policy.base_delay_seconds * 2 ** (excess - 1), policy.max_delay_seconds))


def lock_after(failures: int, policy: ThrottlePolicy) -> int:
    """Seconds of lock imposed by this failure: at every lock_after-th failure, doubling
    each time up to max_lock_seconds, so that a day allows well under 100 guesses."""
    if failures < policy.lock_after or failures % policy.lock_after:
        return 0
    locks = failures // policy.lock_after
    return int(min(policy.lock_seconds * 2 ** (locks - 1), policy.max_lock_seconds))


@dataclass(frozen=True)
class FailureOutcome:
    #: The scopes (ACCOUNT, CLIENT) whose key this failure locked; usually none.
    locked_scopes: frozenset[str] = frozenset()

    @property
    def locked(self) -> bool:
        """Whether this failure locked any key."""
        return bool(self.locked_scopes)


def record_failure(keys: list[ThrottleKey], now: datetime) -> FailureOutcome:
    """Count a failure on every key (atomically) and set the resulting wait or lock."""
    locked: set[str] = set()
    for key in keys:
        forgotten = LoginThrottle.last_failure_at < now - timedelta(
            seconds=key.policy.forget_after_seconds
        )
        statement = (
            _insert()
            .values(scope=key.scope, key_hash=key.key_hash, failures=1, last_failure_at=now)
            .on_conflict_do_update(
                index_elements=["scope", "key_hash"],
                set_={
                    "failures": case((forgotten, 1), else_=LoginThrottle.failures + 1),
                    "last_failure_at": now,
                    "in_flight_until": None,
                },
            )
            .returning(LoginThrottle.failures)
        )
        failures = int(db.session.execute(statement).scalar_one())
        changes: dict[str, Any] = {
            "next_attempt_at": now + timedelta(seconds=delay_after(failures, key.policy))
        }
        lock_seconds = lock_after(failures, key.policy)
        if lock_seconds:
            changes["locked_until"] = now + timedelta(seconds=lock_seconds)
            locked.add(key.scope)
        db.session.execute(update(LoginThrottle).where(_where_key(key)).values(**changes))
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - PURGE_AFTER)
    )
    return FailureOutcome(locked_scopes=frozenset(locked))


def reset(key: ThrottleKey) -> None:
    """Forget an account's failures (and its claim) after a complete, successful login."""
    db.session.execute(delete(LoginThrottle).where(_where_key(key)))
