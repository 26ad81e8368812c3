"""Seal small secrets (TOTP seeds) in their database row.

AES-256-GCM under a key derived with HKDF from the instance secret key, bound by associated
data to the table, column and row, so a sealed seed copied to another user does not open.
The keyring of crypto/ replaces the derived key once case encryption lands; rotating the
secret key today means every user enrols their second factor again.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12


class SealError(Exception):
    """A sealed value could not be opened (wrong key, wrong row or tampered)."""


def _key(secret_key: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"servicestelle/totp-seed/v1"
    ).derive(secret_key)


def _associated_data(table: str, column: str, row_id: int) -> bytes:
    return FORMAT_VERSION + f"{table}|{column}|{row_id}".encode()


def seal(secret_key: bytes, plaintext: bytes, *, table: str, column: str, row_id: int) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(secret_key)).encrypt(
        nonce, plaintext, _associated_data(table, column, row_id)
    )
    return FORMAT_VERSION + nonce + sealed


def unseal(secret_key: bytes, blob: bytes, *, table: str, column: str, row_id: int) -> bytes:
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_VERSION:
        raise SealError("malformed sealed value")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(_key(secret_key)).decrypt(
            nonce, sealed, _associated_data(table, column, row_id)
        )
    except InvalidTag:
        raise SealError("sealed value does not open") from None
