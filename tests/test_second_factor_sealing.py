"""TOTP seeds are sealed under the keyring; seeds sealed under the old derived key still open."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from servicestelle.auth import sealing

KEY = os.urandom(32)
SECRET = b"instance secret key of at least thirty-two bytes"
ROW = {"table": "users", "column": "totp_secret_sealed", "row_id": 7}


def legacy_blob(seed: bytes, row_id: int = 7) -> bytes:
    """A seed as versions before the keyring sealed it (HKDF of the secret key)."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"servicestelle/totp-seed/v1"
    ).derive(SECRET)
    nonce = os.urandom(12)
    associated = b"\x01" + f"users|totp_secret_sealed|{row_id}".encode()
    return b"\x01" + nonce + AESGCM(key).encrypt(nonce, seed, associated)


def test_a_seed_sealed_under_the_keyring_opens_only_in_its_row():
    blob = sealing.seal(KEY, b"seed-bytes-0123456789", **ROW)
    assert b"seed-bytes" not in blob
    assert sealing.unseal(KEY, blob, **ROW, legacy_secret=SECRET) == b"seed-bytes-0123456789"
    with pytest.raises(sealing.SealError):
        sealing.unseal(KEY, blob, **{**ROW, "row_id": 8}, legacy_secret=SECRET)
    with pytest.raises(sealing.SealError):
        sealing.unseal(os.urandom(32), blob, **ROW, legacy_secret=SECRET)


def test_a_seed_sealed_by_an_earlier_version_still_opens_in_its_row_only():
    blob = legacy_blob(b"old seed")
    assert sealing.unseal(KEY, blob, **ROW, legacy_secret=SECRET) == b"old seed"
    with pytest.raises(sealing.SealError):
        sealing.unseal(KEY, legacy_blob(b"old seed", row_id=8), **ROW, legacy_secret=SECRET)
    with pytest.raises(sealing.SealError):
        sealing.unseal(KEY, blob, **ROW, legacy_secret=b"another secret key, also long enough")


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x02" + bytes(40), bytes(60)])
def test_anything_else_is_refused(blob):
    with pytest.raises(sealing.SealError):
        sealing.unseal(KEY, blob, **ROW, legacy_secret=SECRET)
