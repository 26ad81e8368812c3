"""A case's data key: created with the case, opened to read it, destroyed to shred it.

Every sealed column of a case (and of its contacts, interventions, deadlines, documents) is
encrypted under the case's own 256-bit data key, bound to (table, column, row). The data key
is stored only wrapped by a key-encryption key of the keyring (``case_keys``); deleting that
row makes every copy of the case's content unreadable — in the database, its WAL, a dump —
once no backup still holds the wrapped key (SECURITY.md, "Crypto-shredding").

Nothing here writes an audit entry: the operations that call it do, in the same transaction.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from crypto import Binding, DecryptionError, Keyring, KeyringError
from crypto.envelope import new_key, seal, unseal, unwrap_key, wrap_key
from servicestelle import clock, services
from servicestelle.cases.models import CaseKey
from servicestelle.database import rowcount
from servicestelle.extensions import db

log = logging.getLogger(__name__)


class CaseUnreadable(Exception):
    """The case's content cannot be opened: shredded, a retired key, or tampered bytes.

    Deliberately without detail: which one it was is for the operator's log (ids only).
    """


def key_binding(case_id: int) -> Binding:
    return Binding("case_keys", "wrapped_key", str(case_id))


@dataclass(frozen=True)
class CaseVault:
    """Seals and opens the content of one case; holds its data key for one operation."""

    case_id: int
    data_key: bytes = field(repr=False)

    def seal_bytes(self, table: str, column: str, record_id: int, plaintext: bytes) -> bytes:
        # The key id of a field ciphertext names its data key: the key of this case.
        return seal(self.data_key, self.case_id, plaintext, Binding(table, column, str(record_id)))

    def open_bytes(self, table: str, column: str, record_id: int, blob: bytes) -> bytes:
        try:
            return unseal(self.data_key, blob, Binding(table, column, str(record_id)))
        except DecryptionError:
            log.error(
                "sealed %s.%s of row %s in case %s does not open",
                table,
                column,
                record_id,
                self.case_id,
            )
            raise CaseUnreadable from None

    def seal_json(self, table: str, column: str, record_id: int, value: Any) -> bytes:
        encoded = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return self.seal_bytes(table, column, record_id, encoded.encode("utf-8"))

    def open_json(self, table: str, column: str, record_id: int, blob: bytes) -> Any:
        return json.loads(self.open_bytes(table, column, record_id, blob))


def create(case_id: int) -> CaseVault:
    """A new data key for a new case, wrapped under the primary key (added to the session)."""
    keyring = services.keyring()
    data_key = new_key()
    wrapped = wrap_key(
        keyring.key(keyring.primary), keyring.primary, data_key, key_binding(case_id)
    )
    db.session.add(
        CaseKey(
            case_id=case_id, kek_id=keyring.primary, wrapped_key=wrapped, created_at=clock.now()
        )
    )
    return CaseVault(case_id, data_key)


def open_vault(case_id: int) -> CaseVault:
    """The vault of an existing case; CaseUnreadable when its key is gone or does not open."""
    row = db.session.get(CaseKey, case_id)
    if row is None:
        log.error("case %s has no data key (shredded?)", case_id)
        raise CaseUnreadable
    return _unwrapped(services.keyring, case_id, row.kek_id, row.wrapped_key)


def open_vaults(case_ids: Iterable[int]) -> dict[int, CaseVault]:
    """The vaults of many cases with one SELECT of their keys (``open_vault`` is one per
    case). A case whose key is gone or does not open is left out, logged as there."""
    wanted = list(dict.fromkeys(case_ids))
    if not wanted:
        return {}
    rows = db.session.execute(
        sa.select(CaseKey.case_id, CaseKey.kek_id, CaseKey.wrapped_key).where(
            CaseKey.case_id.in_(wanted)
        )
    ).all()
    found = {case_id: (kek_id, wrapped) for case_id, kek_id, wrapped in rows}
    # Looked up once for the batch (it checks the keyring file); a failure is not cached.
    keyring = functools.cache(services.keyring)
    vaults: dict[int, CaseVault] = {}
    for case_id in wanted:
        if case_id not in found:
            log.error("case %s has no data key (shredded?)", case_id)
            continue
        try:
            vaults[case_id] = _unwrapped(keyring, case_id, *found[case_id])
        except CaseUnreadable:
            continue
    return vaults


def _unwrapped(
    keyring: Callable[[], Keyring], case_id: int, kek_id: int, wrapped: bytes
) -> CaseVault:
    try:
        kek = keyring().key(kek_id)
        return CaseVault(case_id, unwrap_key(kek, wrapped, key_binding(case_id)))
    except (KeyringError, DecryptionError):
        log.error("the data key of case %s does not open (key %s)", case_id, kek_id)
        raise CaseUnreadable from None


def shred(case_id: int) -> bool:
    """Destroy the case's data key (in the caller's transaction); True if there was one."""
    return rowcount(db.session.execute(sa.delete(CaseKey).where(CaseKey.case_id == case_id))) > 0
