"""Envelope encryption: AES-256-GCM sealed fields, each bound to where it belongs.

A sealed blob is ``version (1 byte) ‖ key id (4 bytes, big-endian) ‖ nonce (12) ‖ ciphertext
‖ tag (16)``. The associated data binds it to (format version, table, column, record id, key
id), length-prefixed so no two bindings encode alike: a blob copied to another row, column or
key fails to open. Data keys are wrapped the same way under a key-encryption key, bound to
their own row, so rotation re-wraps data keys without touching any field ciphertext.

Nonces are random: a data key seals the fields of one case (far below the 2^32 messages
NIST SP 800-38D allows per key under random nonces).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionError

FORMAT_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_HEADER = struct.Struct(">BI")  # version, key id
MAX_KEY_ID = 2**32 - 1

#: Where randomness comes from; tests pass their own to make outputs reproducible.
Random = Callable[[int], bytes]


@dataclass(frozen=True)
class Binding:
    """Where a ciphertext belongs. Record ids are strings so any primary key fits."""

    table: str
    column: str
    record_id: str


def associated_data(binding: Binding, key_id: int, version: int = FORMAT_VERSION) -> bytes:
    """Length-prefixed encoding of everything a ciphertext is bound to."""
    parts = [
        str(version).encode(),
        binding.table.encode(),
        binding.column.encode(),
        binding.record_id.encode(),
        str(key_id).encode(),
    ]
    return b"".join(struct.pack(">I", len(part)) + part for part in parts)


def new_key(random: Random = os.urandom) -> bytes:
    """A fresh 256-bit key (a case's data key, or a key-encryption key)."""
    return _checked_key(random(KEY_BYTES))


def _checked_key(key: bytes) -> bytes:
    if len(key) != KEY_BYTES:
        raise ValueError("keys are 32 bytes (AES-256)")
    return key


def seal(
    key: bytes, key_id: int, plaintext: bytes, binding: Binding, *, random: Random = os.urandom
) -> bytes:
    """Encrypt ``plaintext`` under ``key`` (known as ``key_id``) for ``binding``."""
    if not 0 <= key_id <= MAX_KEY_ID:
        raise ValueError("key ids are unsigned 32-bit numbers")
    nonce = random(NONCE_BYTES)
    if len(nonce) != NONCE_BYTES:
        raise ValueError("the randomness source returned a short nonce")
    sealed = AESGCM(_checked_key(key)).encrypt(nonce, plaintext, associated_data(binding, key_id))
    return _HEADER.pack(FORMAT_VERSION, key_id) + nonce + sealed


def key_id_of(blob: bytes) -> int:
    """The id of the key a blob was sealed with (to pick the key); DecryptionError if no blob."""
    if len(blob) < _HEADER.size + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError
    version, key_id = _HEADER.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise DecryptionError
    return int(key_id)


def unseal(key: bytes, blob: bytes, binding: Binding) -> bytes:
    """The plaintext, or DecryptionError for anything wrong (key, binding, any changed byte)."""
    key_id = key_id_of(blob)
    nonce = blob[_HEADER.size : _HEADER.size + NONCE_BYTES]
    try:
        return AESGCM(_checked_key(key)).decrypt(
            nonce, blob[_HEADER.size + NONCE_BYTES :], associated_data(binding, key_id)
        )
    except (InvalidTag, ValueError):
        raise DecryptionError from None


def wrap_key(
    kek: bytes, kek_id: int, data_key: bytes, binding: Binding, *, random: Random = os.urandom
) -> bytes:
    """A data key sealed under a key-encryption key, bound to the data key's own row."""
    return seal(kek, kek_id, _checked_key(data_key), binding, random=random)


def unwrap_key(kek: bytes, wrapped: bytes, binding: Binding) -> bytes:
    data_key = unseal(kek, wrapped, binding)
    if len(data_key) != KEY_BYTES:
        raise DecryptionError
    return data_key
