"""Envelope encryption and the keyring of key-encryption keys (framework-free).

- ``envelope``: AES-256-GCM fields bound to (version, table, column, record id, key id);
  data keys wrapped under key-encryption keys the same way; one opaque DecryptionError.
- ``keyring``: versioned key-encryption keys with a primary, rotation and retirement, stored
  in a file encrypted under an Argon2id-derived passphrase key.

Blind indexes, key custody at start-up and the case tables arrive with the case-records issue.
"""
