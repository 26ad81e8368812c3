"""The application's one way into the audit log: fills in who, where and which request.

Operations call ``record(...)`` just before they commit, so that the entry and the change are
one transaction: if the entry cannot be written, the operation fails with it. The signing key
for checkpoints is loaded on first use; the demo and the test suite create one in the instance
folder, production gets it from ``servicestelle init`` (or a configured file).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app, g, has_request_context
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

import audit
from audit import AuditEvent, Outcome, Purpose, signer_state
from servicestelle import clock, services
from servicestelle.config import ConfigError
from servicestelle.extensions import db

if TYPE_CHECKING:
    from servicestelle.auth.models import User

log = logging.getLogger(__name__)

KEY_EXTENSION = "servicestelle.audit_signing_key"
#: When the next scheduled checkpoint is due, as last read from the database (per process).
CHECKPOINT_DUE_EXTENSION = "servicestelle.audit_checkpoint_due"


class _Actor(Enum):
    CURRENT = "current"


#: ``actor=CURRENT`` (the default) means the logged-in user of this request, if any.
CURRENT = _Actor.CURRENT
#: The type of that default, for callers passing ``actor`` through.
CurrentActor = Literal[_Actor.CURRENT]
#: The role written for commands run by the operator on the server.
OPERATOR_ROLE = "operator"


def _current_actor() -> User | None:
    if has_request_context() and current_user.is_authenticated:
        user: User = current_user._get_current_object()
        return user
    return None


def role_of(user: User | None) -> str | None:
    """All roles of the actor, sorted and joined ("counsellor+supervisor")."""
    if user is None:
        return None if has_request_context() else OPERATOR_ROLE
    return "+".join(sorted(role.value for role in user.roles)) or None


def record(
    event: AuditEvent,
    outcome: Outcome = Outcome.SUCCESS,
    *,
    actor: User | CurrentActor | None = CURRENT,
    object_type: str | None = None,
    object_id: str | int | None = None,
    purpose: Purpose | None = None,
    details: dict[str, object] | None = None,
    centre_id: int | None = None,
) -> audit.Entry:
    """Append an entry to the current transaction; the caller commits (or fails) with it."""
    user = _current_actor() if actor is CURRENT else actor
    entry = _append(
        event,
        outcome,
        user,
        object_type=object_type,
        object_id=object_id,
        purpose=purpose,
        details=details,
        centre_id=centre_id,
    )
    _checkpoint_if_due()
    return entry


def _append(
    event: AuditEvent,
    outcome: Outcome,
    user: User | None,
    *,
    object_type: str | None = None,
    object_id: str | int | None = None,
    purpose: Purpose | None = None,
    details: dict[str, object] | None = None,
    centre_id: int | None = None,
) -> audit.Entry:
    return audit.record(
        db.session,
        event,
        outcome,
        now=clock.now(),
        actor_id=None if user is None else user.id,
        role=role_of(user),
        centre_id=centre_id if centre_id is not None or user is None else user.centre_id,
        object_type=object_type,
        object_id=object_id,
        purpose=purpose,
        request_id=g.get("request_id") if has_request_context() else None,
        details=details,
    )


# --- checkpoints --------------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    """The checkpoint signing key; demo and test instances create theirs on first use."""
    cached: Ed25519PrivateKey | None = current_app.extensions.get(KEY_EXTENSION)
    if cached is not None:
        return cached
    settings = services.settings()
    path = settings.audit_signing_key_path
    try:
        if path.exists() or settings.is_production:
            key = audit.load_signing_key(path)
        else:
            key = audit.generate_signing_key(path)
    except audit.CheckpointError as exc:
        raise ConfigError(
            f"{exc} (`servicestelle init` creates the key; SERVICESTELLE_AUDIT_SIGNING_KEY_FILE "
            "names another file)"
        ) from None
    current_app.extensions[KEY_EXTENSION] = key
    return key


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_id() -> str:
    return audit.key_id(public_key())


def create_checkpoint(actor: User | None = None) -> audit.Checkpoint:
    """Sign the head now and record that it was done (same transaction; the caller commits).

    Raises audit.CheckpointError, signing nothing, when the log no longer extends the head
    signed last (kept in a file beside the key, out of reach of whoever edits the database).
    """
    state = signer_state.state_path(services.settings().audit_signing_key_path)
    checkpoint = audit.create_checkpoint(
        db.session, signing_key(), clock.now(), last_signed=signer_state.read_state(state)
    )
    _after_commit(lambda: signer_state.write_state(state, checkpoint.seq, checkpoint.head_hash))
    _append(
        AuditEvent.AUDIT_CHECKPOINT_CREATE,
        Outcome.SUCCESS,
        actor,
        object_type="audit_checkpoint",
        object_id=checkpoint.seq,
        details={"seq": checkpoint.seq, "key_id": checkpoint.key_id},
    )
    return checkpoint


def _after_commit(action: Callable[[], None]) -> None:
    """Run ``action`` once the current transaction commits; never if it rolls back."""
    session = db.session.registry()
    done = [False]

    def committed(_session: Session) -> None:
        if not done[0]:
            done[0] = True
            action()

    def rolled_back(_session: Session) -> None:
        done[0] = True

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)


def _checkpoint_if_due() -> None:
    minutes = services.settings().audit_checkpoint_minutes
    if not minutes:
        return
    now, interval = clock.now(), timedelta(minutes=minutes)
    # Every audited request would otherwise read the latest checkpoints and verify a
    # signature only to learn that the next one is not due yet (bench/load: the audit
    # append is on every case page). The time is remembered per process from a verified
    # checkpoint once the transaction that read it commits, so it never runs ahead of what
    # the database holds.
    due: datetime | None = current_app.extensions.get(CHECKPOINT_DUE_EXTENSION)
    if due is not None and now < due:
        return
    try:
        key = signing_key()
    except ConfigError as exc:
        # The entry itself is written; only the scheduled signature is missing, and the DPO's
        # start page shows how old the latest checkpoint is.
        log.warning("scheduled audit checkpoint skipped: %s", exc)
        return
    # Only a checkpoint this key signed counts: a row inserted with a far-future time must
    # not switch the schedule off.
    latest = audit.latest_checkpoint(db.session, key.public_key())
    if latest is not None and now - latest.signed_at < interval:
        if latest.signed_at <= now:
            # Once committed: the checkpoint read may be this transaction's own, not yet saved.
            next_due = latest.signed_at + interval

            def remember() -> None:
                current_app.extensions[CHECKPOINT_DUE_EXTENSION] = next_due

            _after_commit(remember)
        return
    try:
        create_checkpoint(None)  # refuses before it writes anything
    except audit.CheckpointError as exc:
        # The operation goes on; the DPO sees the missing checkpoint and verify says why.
        log.error("scheduled audit checkpoint refused: %s", exc)
