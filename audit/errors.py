"""Errors of the audit library. Messages name fields and rules, never the values given."""

from __future__ import annotations


class AuditError(ValueError):
    """An entry was refused before it was written (a programming error in the caller)."""


class CheckpointError(ValueError):
    """A checkpoint file or signing key cannot be read; the message says what is wrong."""
