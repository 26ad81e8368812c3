"""Verification of a long log reports its progress (the command line draws a bar from it)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit import AuditEvent, Outcome

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_progress_is_reported_every_so_many_entries(backend, monkeypatch):
    # audit.verify is the function (re-exported by the package); patch its module.
    monkeypatch.setattr(sys.modules["audit.verify"], "PROGRESS_EVERY", 3)
    engine = sa.create_engine(backend.url)
    try:
        with engine.begin() as connection:
            for _ in range(7):
                audit.record(connection, AuditEvent.AUTH_LOGOUT, Outcome.SUCCESS, now=NOW)
        seen: list[int] = []
        with engine.connect() as connection:
            result = audit.verify(
                connection, Ed25519PrivateKey.generate().public_key(), progress=seen.append
            )
    finally:
        engine.dispose()
    assert result.intact and result.entries == 7
    assert seen == [3, 6]
