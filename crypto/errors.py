"""The errors of the crypto library.

Every failure to decrypt is one opaque ``DecryptionError``: wrong key, tampered byte, a
ciphertext moved to another row or column, an unknown format — the caller learns nothing
about which, and neither does an attacker probing with modified ciphertexts.
"""

from __future__ import annotations


class DecryptionError(Exception):
    """The ciphertext cannot be opened here. Deliberately says nothing more."""

    def __init__(self) -> None:
        super().__init__("the ciphertext cannot be decrypted")


class KeyringError(ValueError):
    """The keyring cannot be used as asked; the message says what to fix (never key bytes)."""
