"""The centre's release key: Ed25519, derived from the keyring, one per centre.

A published release is signed over a canonical document (its content hash, centre, period,
catalogue version, k and publication time), so that a coordinator or a reader of the JSON
export can check that the figures are the ones the centre approved, byte for byte. A
revocation is signed by the same key over a document of its own format (centre, period,
content hash, publication and revocation time, a keyed commitment to the reason).

The private key is never stored: it is derived with HKDF from the keyring's named
``release-signing`` key and the centre's code, so a keyring backup restores it and rotating
the case KEKs does not change it. The public key is stored with every release and is what a
coordinator registers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from servicestelle import services

KEY_NAME = "release-signing"
DOCUMENT_FORMAT = "servicestelle.release-signature/1"
#: A revocation is signed over a document of its own format: neither signature ever passes
#: for the other (nor for a coordinator package's, package_format.SIGNATURE_FORMAT).
REVOCATION_FORMAT = "servicestelle.release-revocation/1"
#: Bytes of the random key of a revocation reason's commitment (reason_commitment).
REASON_SALT_BYTES = 16


def canonical(value: Any) -> bytes:
    """The one byte form of a JSON value that is hashed and signed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(content: Any) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def _private_key(centre_code: str, master: bytes | None = None) -> Ed25519PrivateKey:
    master = master if master is not None else services.keyring().named_key(KEY_NAME)
    seed = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"servicestelle release signing|{centre_code}".encode(),
    ).derive(master)
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key(centre_code: str, master: bytes | None = None) -> bytes:
    """The centre's release public key, raw (32 bytes)."""
    return (
        _private_key(centre_code, master).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def signed_document(
    *,
    centre_code: str,
    period: str,
    catalogue_version: int,
    k: int,
    content_hash: str,
    published_at: str,
) -> bytes:
    return canonical(
        {
            "format": DOCUMENT_FORMAT,
            "centre": centre_code,
            "period": period,
            "catalogue_version": catalogue_version,
            "k": k,
            "content_sha256": content_hash,
            "published_at": published_at,
        }
    )


def reason_commitment(salt: bytes, reason: str) -> str:
    """HMAC-SHA256 (hex) of a revocation reason under a random per-revocation key.

    A reason may name a person, so the signed revocation carries this commitment, never the
    text. A bare SHA-256 would let any reader of an export confirm a guessed reason; without
    the salt (kept in the centre's database) a reader learns nothing, and the centre can
    still prove which reason it signed by showing reason and salt to an auditor."""
    return hmac.new(salt, reason.encode(), hashlib.sha256).hexdigest()


def revocation_document(
    *,
    centre_code: str,
    period: str,
    content_hash: str,
    published_at: str,
    revoked_at: str,
    reason_hmac: str,
) -> bytes:
    """The signed statement that the release with this content hash is revoked."""
    return canonical(
        {
            "format": REVOCATION_FORMAT,
            "centre": centre_code,
            "period": period,
            "content_sha256": content_hash,
            "published_at": published_at,
            "revoked_at": revoked_at,
            "reason_hmac_sha256": reason_hmac,
        }
    )


def sign(centre_code: str, document: bytes) -> tuple[bytes, bytes]:
    """(signature, public key) of a document under the centre's release key."""
    key = _private_key(centre_code)
    return key.sign(document), public_key(centre_code)


def verify(public: bytes, signature: bytes, document: bytes) -> bool:
    """Whether ``signature`` is the centre's signature of exactly ``document``."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, document)
    except (InvalidSignature, ValueError):
        return False
    return True
