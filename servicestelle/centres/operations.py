"""Writers for centres."""

from __future__ import annotations

import re

from sqlalchemy import select

from audit import AuditEvent
from servicestelle import audit_trail, clock
from servicestelle.centres.models import Centre
from servicestelle.extensions import db

CENTRE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


class CentreError(ValueError):
    pass


def create_centre(code: str, name: str) -> Centre:
    """Add a centre (committed); codes are upper-case letters, digits and dashes."""
    code = code.strip().upper()
    name = name.strip()
    if not CENTRE_CODE.match(code):
        raise CentreError("centre code: 2–32 characters, A–Z, 0–9 and '-'")
    if not name or len(name) > 200:
        raise CentreError("centre name: 1–200 characters")
    if db.session.scalar(select(Centre).where(Centre.code == code)) is not None:
        raise CentreError(f"centre {code} exists already")
    centre = Centre(code=code, name=name, created_at=clock.now())
    db.session.add(centre)
    db.session.flush()
    audit_trail.record(
        AuditEvent.ORG_CENTRE_CREATE, object_type="centre", object_id=centre.id, centre_id=centre.id
    )
    db.session.commit()
    return centre
