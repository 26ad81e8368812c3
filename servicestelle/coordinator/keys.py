"""The coordinator's package key: X25519, derived from the keyring's named key
"coordinator-package" (keyring_custody.NAMED_KEYS).

Centres encrypt their packages to its public key (``SERVICESTELLE_COORDINATOR_PUBLIC_KEY``
on their side; `servicestelle coordinator public-key` prints it). The private key is never
stored: HKDF derives it from the named key, so a keyring backup restores it and rotating the
case KEKs leaves it alone.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from servicestelle import services

KEY_NAME = "coordinator-package"


def private_key(master: bytes | None = None) -> X25519PrivateKey:
    master = master if master is not None else services.keyring().named_key(KEY_NAME)
    seed = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"servicestelle coordinator package key",
    ).derive(master)
    return X25519PrivateKey.from_private_bytes(seed)


def public_key(master: bytes | None = None) -> bytes:
    """The raw 32-byte X25519 public key."""
    return private_key(master).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_text(master: bytes | None = None) -> str:
    """The public key as centres configure it (base64)."""
    return base64.b64encode(public_key(master)).decode()
