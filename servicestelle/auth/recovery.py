"""One-time recovery codes for a lost second factor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

COUNT = 10
CODE_BYTES = 10  # 80 random bits: brute force is hopeless, so SHA-256 storage suffices


def new_codes() -> list[str]:
    """Ten codes formatted for reading aloud: ``abcd-efgh-ijkl-mnop``."""
    codes = []
    for _ in range(COUNT):
        raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii").lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("ascii", "ignore")).hexdigest()


def matches(code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_code(code), stored_hash)


def looks_like_recovery_code(code: str) -> bool:
    return len(normalise(code)) == 16
