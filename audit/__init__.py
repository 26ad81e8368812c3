"""Tamper-evident, append-only audit log; framework-free.

The library knows nothing of Flask or of the application's models. It takes an object that
executes SQLAlchemy statements in the caller's transaction (a ``Connection`` or ``Session``),
the time, and keys, and never commits.

- ``record(executor, event, outcome, now=..., ...)`` appends one hash-linked entry;
- ``create_checkpoint(executor, signing_key, now)`` signs the head with Ed25519;
- ``verify(executor, public_key, external=...)`` checks every hash, link and checkpoint.
"""

from audit.chain import GENESIS_HASH, Entry, escape_text
from audit.checkpoint import (
    Checkpoint,
    create_checkpoint,
    from_json,
    generate_signing_key,
    key_id,
    latest_checkpoint,
    load_public_key,
    load_signing_key,
    public_key_pem,
    to_json,
)
from audit.errors import AuditError, CheckpointError
from audit.events import AuditEvent, Outcome, Purpose
from audit.store import (
    audit_append_lock,
    audit_checkpoint,
    audit_entry,
    head,
    lock_appends,
    metadata,
    record,
)
from audit.verify import Problem, Verification, verify

__all__ = [
    "GENESIS_HASH",
    "AuditError",
    "AuditEvent",
    "Checkpoint",
    "CheckpointError",
    "Entry",
    "Outcome",
    "Problem",
    "Purpose",
    "Verification",
    "audit_append_lock",
    "audit_checkpoint",
    "audit_entry",
    "create_checkpoint",
    "escape_text",
    "from_json",
    "generate_signing_key",
    "head",
    "key_id",
    "latest_checkpoint",
    "load_public_key",
    "load_signing_key",
    "lock_appends",
    "metadata",
    "public_key_pem",
    "record",
    "to_json",
    "verify",
]
