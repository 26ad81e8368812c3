"""Encryption of a coordinator package to the coordinator's X25519 public key.

File format ``servicestelle.package/1`` (JSON, binary values base64):
``{"format", "ephemeral_public_key", "nonce", "ciphertext"}``. The sender makes an ephemeral
X25519 key pair, agrees a shared secret with the coordinator's public key, derives a 256-bit
key with HKDF-SHA256 (salt: ephemeral public key ‖ coordinator public key, so the key is
bound to both; info: the format) and seals the plaintext with AES-256-GCM under a random
96-bit nonce, the format string as associated data. A fresh key per package means a nonce
is never reused under a key.

Whatever goes wrong when opening — not JSON, a missing field, bad base64, a low-order point,
another coordinator's key, one flipped bit — raises the one ``PackageCryptoError``: a caller
learns "does not open", never why (no oracle for an attacker probing the format).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FORMAT = "servicestelle.package/1"
KEY_BYTES = 32
NONCE_BYTES = 12
_FIELDS = frozenset({"format", "ephemeral_public_key", "nonce", "ciphertext"})


class PackageCryptoError(Exception):
    """The package does not open with this key (or is no package): one error for every cause."""


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=ephemeral + recipient,
        info=FORMAT.encode(),
    ).derive(shared)


def encrypt(
    plaintext: bytes,
    recipient_public_key: bytes,
    *,
    ephemeral: X25519PrivateKey | None = None,
    nonce: bytes | None = None,
) -> dict[str, str]:
    """The package file's JSON object; ``ephemeral`` and ``nonce`` only for tests."""
    recipient = X25519PublicKey.from_public_bytes(recipient_public_key)
    ephemeral = ephemeral or X25519PrivateKey.generate()
    nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
    if len(nonce) != NONCE_BYTES:
        raise ValueError("AES-GCM nonces are 12 bytes")
    ephemeral_public = _raw(ephemeral.public_key())
    key = _key(ephemeral.exchange(recipient), ephemeral_public, recipient_public_key)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, FORMAT.encode())
    return {
        "format": FORMAT,
        "ephemeral_public_key": base64.b64encode(ephemeral_public).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }


def decrypt(package: Mapping[str, Any], private_key: X25519PrivateKey) -> bytes:
    """The plaintext of a package file's JSON object, or ``PackageCryptoError``."""
    try:
        if set(package) != _FIELDS or package["format"] != FORMAT:
            raise PackageCryptoError
        ephemeral_public = _b64(package["ephemeral_public_key"], KEY_BYTES)
        nonce = _b64(package["nonce"], NONCE_BYTES)
        ciphertext = _b64(package["ciphertext"], None)
        recipient = _raw(private_key.public_key())
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _key(shared, ephemeral_public, recipient)
        return AESGCM(key).decrypt(nonce, ciphertext, FORMAT.encode())
    except (InvalidTag, ValueError, TypeError, KeyError, AttributeError):
        raise PackageCryptoError from None


def decrypt_file(data: bytes, private_key: X25519PrivateKey) -> bytes:
    """The plaintext of a package file's bytes (UTF-8 JSON), or ``PackageCryptoError``."""
    try:
        package = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: deep nesting
        raise PackageCryptoError from None
    if not isinstance(package, dict):
        raise PackageCryptoError
    return decrypt(package, private_key)


def _b64(value: object, length: int | None) -> bytes:
    if not isinstance(value, str):
        raise PackageCryptoError
    raw = base64.b64decode(value, validate=True)  # binascii.Error is a ValueError
    if length is not None and len(raw) != length:
        raise PackageCryptoError
    return raw
