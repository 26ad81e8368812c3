"""Key rotation: re-wrap every case's data key under the primary key-encryption key.

Only data keys are touched — never a field ciphertext, never field plaintext (Vault's
``rewrap`` model): a batch reads (case id, key id, wrapped key, version) from ``case_keys``,
unwraps each data key in memory, wraps it under the primary and writes it back with a
compare-and-swap on ``version``. A row changed meanwhile (shredded, re-wrapped by another run)
is counted as a conflict and left alone; running again picks it up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from crypto import DecryptionError, Keyring, KeyringError
from crypto.envelope import unwrap_key, wrap_key
from servicestelle import clock
from servicestelle.cases.models import CaseKey
from servicestelle.cases.vault import key_binding
from servicestelle.database import rowcount
from servicestelle.extensions import db

log = logging.getLogger(__name__)

BATCH_SIZE = 500
Progress = Callable[[int], None]


@dataclass
class RewrapResult:
    rewrapped: int = 0
    conflicts: int = 0
    #: Data keys that do not open (damaged, or under a key no longer in the ring): counted
    #: and left as they are, so one bad row does not stop the others from moving.
    unreadable: int = 0


def usage() -> dict[int, int]:
    """How many data keys each key-encryption key wraps."""
    rows = db.session.execute(
        sa.select(CaseKey.kek_id, sa.func.count()).group_by(CaseKey.kek_id)
    ).all()
    return {int(kek_id): int(count) for kek_id, count in rows}


def pending(keyring: Keyring) -> int:
    """Data keys not yet wrapped by the primary."""
    return int(
        db.session.scalar(sa.select(sa.func.count()).where(CaseKey.kek_id != keyring.primary)) or 0
    )


def rewrap_all(
    keyring: Keyring, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None
) -> RewrapResult:
    """Re-wrap every data key not under the primary; commits per batch."""
    result = RewrapResult()
    primary = keyring.primary
    kek = keyring.key(primary)
    after = 0
    while True:
        batch = db.session.execute(
            sa.select(CaseKey.case_id, CaseKey.kek_id, CaseKey.wrapped_key, CaseKey.version)
            .where(CaseKey.kek_id != primary, CaseKey.case_id > after)
            .order_by(CaseKey.case_id)
            .limit(batch_size)
        ).all()
        if not batch:
            return result
        now = clock.now()
        for case_id, kek_id, wrapped, version in batch:
            after = case_id
            binding = key_binding(case_id)
            try:
                data_key = unwrap_key(keyring.key(kek_id), wrapped, binding)
            except (DecryptionError, KeyringError):
                log.error("data key of case %s does not open under key %s", case_id, kek_id)
                result.unreadable += 1
                continue
            swapped = db.session.execute(
                sa.update(CaseKey)
                .where(CaseKey.case_id == case_id, CaseKey.version == version)
                .values(
                    kek_id=primary,
                    wrapped_key=wrap_key(kek, primary, data_key, binding),
                    version=version + 1,
                    rewrapped_at=now,
                )
            )
            if rowcount(swapped) == 1:
                result.rewrapped += 1
            else:
                result.conflicts += 1
        db.session.commit()
        if progress is not None:
            progress(len(batch))
