"""The application's signer: remembers what it signed, and refuses to contradict itself."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

import audit
from audit import AuditEvent, signer_state
from audit.store import entry_at
from servicestelle import audit_trail
from servicestelle.extensions import db
from tests.support.audit_log import owner_without_triggers, rewrite_from


def _state_file(app):
    return signer_state.state_path(app.extensions["servicestelle.settings"].audit_signing_key_path)


def _record(app, count: int = 1) -> None:
    with app.app_context():
        for _ in range(count):
            audit_trail.record(AuditEvent.AUTH_LOGOUT, object_type="user", object_id=1)
        db.session.commit()


def _rewrite_history(backend) -> None:
    """An owner of the database edits entry 1, recomputes every hash after it and removes
    the stored checkpoints — a log consistent in itself, but not with what was signed."""
    with owner_without_triggers(backend) as connection:
        connection.execute(sa.delete(audit.audit_checkpoint))
        rewrite_from(connection, 1, request_id="rewritten")


def test_a_committed_checkpoint_is_remembered_beside_the_key(app):
    _record(app)  # the first entry brings the first scheduled checkpoint
    state = json.loads(_state_file(app).read_text())
    with app.app_context():
        latest = audit.latest_checkpoint(db.session, audit_trail.public_key())
    assert latest is not None
    assert state == {"seq": latest.seq, "head_hash": latest.head_hash}
    assert _state_file(app).stat().st_mode & 0o777 == 0o600


def test_a_rolled_back_checkpoint_is_not_remembered(app):
    _record(app)
    before = _state_file(app).read_text()
    with app.app_context():
        audit_trail.record(AuditEvent.AUTH_LOGOUT)
        audit_trail.create_checkpoint(None)
        db.session.rollback()
        audit_trail.record(AuditEvent.AUTH_LOGOUT)
        db.session.commit()  # a later commit of the same session must not write it either
    assert _state_file(app).read_text() == before


def test_the_signer_refuses_a_log_rewritten_after_its_last_signature(app, backend, clock):
    _record(app, 3)
    with app.app_context():
        signed = audit.latest_checkpoint(db.session)
        assert signed is not None
    _rewrite_history(backend)

    with app.app_context():
        assert entry_at(db.session, signed.seq).entry_hash != signed.head_hash
        with pytest.raises(audit.CheckpointError, match="no longer extends"):
            audit_trail.create_checkpoint(None)
        db.session.rollback()
        assert audit.latest_checkpoint(db.session) is None  # nothing was signed


def test_a_refused_scheduled_checkpoint_does_not_stop_the_operation(app, backend, clock, caplog):
    _record(app, 2)
    _rewrite_history(backend)
    clock.advance(hours=2)  # a scheduled checkpoint is due
    with caplog.at_level(logging.ERROR, logger="servicestelle.audit_trail"):
        _record(app)
    with app.app_context():
        actions = (
            db.session.execute(
                sa.select(audit.audit_entry.c.action).order_by(audit.audit_entry.c.seq)
            )
            .scalars()
            .all()
        )
        assert audit.latest_checkpoint(db.session) is None
    assert actions[-1] == AuditEvent.AUTH_LOGOUT.value  # the operation's entry is there
    assert AuditEvent.AUDIT_CHECKPOINT_CREATE.value not in actions[-2:]
    assert "scheduled audit checkpoint refused" in caplog.text
