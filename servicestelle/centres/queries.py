"""Reads of centres and their district registers."""

from __future__ import annotations

import unicodedata

from flask import abort
from sqlalchemy import select

from servicestelle.centres.models import Centre, District
from servicestelle.extensions import db
from servicestelle.security import deny_out_of_scope


def get_centre_by_code(code: str) -> Centre | None:
    return db.session.scalar(select(Centre).where(Centre.code == code.strip().upper()))


def list_centres() -> list[Centre]:
    return list(db.session.scalars(select(Centre).order_by(Centre.code)))


# --- the district register ------------------------------------------------------------------


def districts_of(centre_id: int, *, active_only: bool = False) -> list[District]:
    """The centre's districts by name (the retired ones too, unless ``active_only``)."""
    statement = select(District).where(District.centre_id == centre_id)
    if active_only:
        statement = statement.where(District.is_active.is_(True))
    return sorted(
        db.session.scalars(statement), key=lambda district: (_sort_key(district.name), district.id)
    )


def _sort_key(name: str) -> str:
    """Alphabetical as in a German index: "Ückendorf" between "Tremonia" and "Vorhalle"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def get_district_by_code(centre_id: int, code: str) -> District | None:
    """The centre's district with this code; another centre's never."""
    return db.session.scalar(
        select(District).where(District.centre_id == centre_id, District.code == code)
    )


def get_district_in_centre_or_404(district_id: int, centre_id: int) -> District:
    """A district of the given centre; another centre's is a 404 (and audited)."""
    district = db.session.get(District, district_id)
    if district is None:
        abort(404)
    if district.centre_id != centre_id:
        deny_out_of_scope("district", district.id, centre_id=district.centre_id)
    return district


def district_names(centre_id: int) -> dict[str, str]:
    """Code → display name of every district of the centre (pages show names, not codes)."""
    return {district.code: district.name for district in districts_of(centre_id)}
