"""Seal small secrets (TOTP seeds) in their database row.

AES-256-GCM (crypto/envelope.py) under the keyring's named "second-factor" key, bound by
associated data to table, column and row, so a sealed seed copied to another user does not
open. Seeds sealed by earlier versions under a key derived from the instance secret key still
open, and are sealed anew under the keyring at the holder's next accepted code (login or
re-authentication, ``auth.operations``). From then on rotating the secret key no longer costs
them their second factor; someone who has not logged in since still depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto import Binding, DecryptionError
from crypto.envelope import seal as envelope_seal
from crypto.envelope import unseal as envelope_unseal

KEY_NAME = "second-factor"
#: Key id written into the blob: a named key, not a versioned key-encryption key.
_KEY_ID = 0
_LEGACY_VERSION = b"\x01"
_LEGACY_NONCE_BYTES = 12


class SealError(Exception):
    """A sealed value could not be opened (wrong key, wrong row or tampered)."""


def seal(key: bytes, plaintext: bytes, *, table: str, column: str, row_id: int) -> bytes:
    return envelope_seal(key, _KEY_ID, plaintext, Binding(table, column, str(row_id)))


@dataclass(frozen=True)
class Unsealed:
    plaintext: bytes = field(repr=False)
    #: Opened with the key derived from the secret key: the caller should seal it anew.
    legacy: bool


def open_sealed(
    key: bytes, blob: bytes, *, table: str, column: str, row_id: int, legacy_secret: bytes
) -> Unsealed:
    """The plaintext, and whether it was sealed the legacy way; SealError if it does not open."""
    try:
        return Unsealed(envelope_unseal(key, blob, Binding(table, column, str(row_id))), False)
    except DecryptionError:
        plaintext = _legacy_unseal(legacy_secret, blob, table=table, column=column, row_id=row_id)
        return Unsealed(plaintext, True)


def unseal(
    key: bytes, blob: bytes, *, table: str, column: str, row_id: int, legacy_secret: bytes
) -> bytes:
    """The plaintext, however it was sealed; SealError if it does not open."""
    return open_sealed(
        key, blob, table=table, column=column, row_id=row_id, legacy_secret=legacy_secret
    ).plaintext


def _legacy_unseal(
    secret_key: bytes, blob: bytes, *, table: str, column: str, row_id: int
) -> bytes:
    """Seeds sealed before the keyring existed: HKDF of the secret key, format byte 0x01."""
    if len(blob) < 1 + _LEGACY_NONCE_BYTES + 16 or blob[:1] != _LEGACY_VERSION:
        raise SealError("sealed value does not open")
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"servicestelle/totp-seed/v1"
    ).derive(secret_key)
    nonce, sealed = blob[1 : 1 + _LEGACY_NONCE_BYTES], blob[1 + _LEGACY_NONCE_BYTES :]
    associated = _LEGACY_VERSION + f"{table}|{column}|{row_id}".encode()
    try:
        return AESGCM(key).decrypt(nonce, sealed, associated)
    except InvalidTag:
        raise SealError("sealed value does not open") from None
