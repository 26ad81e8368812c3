"""Envelope encryption, the keyring and blind indexes (framework-free).

- ``envelope``: AES-256-GCM fields bound to (version, table, column, record id, key id);
  data keys wrapped under key-encryption keys the same way; one opaque DecryptionError.
- ``keyring``: versioned key-encryption keys with a primary, rotation and retirement, plus a
  few named keys, stored in a file encrypted under an Argon2id-derived passphrase key.
- ``blind_index``: truncated HMACs that find equal values without storing them.

Key custody at start-up lives in the application (servicestelle/keyring_custody.py).
"""

from crypto.envelope import Binding
from crypto.errors import DecryptionError, KeyringError
from crypto.keyring import Keyring

__all__ = ["Binding", "DecryptionError", "Keyring", "KeyringError"]
