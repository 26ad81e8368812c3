"""Settings changes between starts of the service are audited (which settings, never values).

The settings come from the environment and files, so there is no "save" button to hook; each
start compares a fingerprint of every setting with the one stored at the previous start. The
fingerprints are digests: the database learns that the secret key or the database password
changed, not what they are.

The database URL holds a password, which may be weak enough to guess; its fingerprint is an
HMAC keyed with the secret key, so a copy of the database alone cannot be used to test
guesses offline. (A new secret key therefore reports the database URL as changed, too.) The
secret key itself is random and long: a plain SHA-256 of it gives nothing away.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

import audit
from audit import AuditEvent
from servicestelle import audit_trail, services
from servicestelle.config import Settings
from servicestelle.extensions import db
from servicestelle.instance_state import get_fact, set_fact

FACT_PREFIX = "setting:"
#: Where the instance lives is not a setting of its behaviour.
NOT_AUDITED = frozenset({"instance_path"})
#: Audit details hold at most this many list items (audit.chain.MAX_DETAIL_LIST).
MAX_NAMES_PER_ENTRY = 32


def fingerprints(settings: Settings) -> dict[str, str]:
    """Setting name → digest of its value (the database URL keyed, password included)."""
    result: dict[str, str] = {}
    for field in dataclasses.fields(settings):
        if field.name in NOT_AUDITED:
            continue
        value = getattr(settings, field.name)
        if field.name == "database_url":
            value = hmac.new(
                settings.secret_key, f"settings|database_url|{value}".encode(), hashlib.sha256
            ).hexdigest()
        elif field.name == "secret_key":
            value = hashlib.sha256(value).hexdigest()
        material = f"{field.name}\0{value!r}".encode()
        result[field.name] = hashlib.sha256(material).hexdigest()[:32]
    result["audit_signing_key"] = audit_trail.public_key_id()
    return result


def record_changes() -> list[str]:
    """Compare with the previous start; audit and store what changed. Returns the names.

    Several server processes may start at once (behind one proxy, or a restart overlapping
    the old process): the comparison runs under the audit log's append lock, so the second
    process reads what the first stored instead of inserting the same facts again.
    """
    current = fingerprints(services.settings())
    audit.lock_appends(db.session)
    changed = sorted(
        name for name, digest in current.items() if get_fact(FACT_PREFIX + name) != digest
    )
    if not changed:
        db.session.rollback()  # releases the lock
        return []
    first_start = get_fact(FACT_PREFIX + "profile") is None
    for name in changed:
        set_fact(FACT_PREFIX + name, current[name])
    for start in range(0, len(changed), MAX_NAMES_PER_ENTRY):
        audit_trail.record(
            AuditEvent.SYSTEM_SETTINGS_CHANGE,
            object_type="instance",
            details={
                "changed": changed[start : start + MAX_NAMES_PER_ENTRY],
                "first_start": first_start,
            },
        )
    db.session.commit()
    return changed
