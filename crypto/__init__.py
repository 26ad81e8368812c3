"""Envelope encryption, keyring and blind indexes (framework-free; arrives with case records)."""
