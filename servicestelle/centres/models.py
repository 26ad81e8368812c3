"""Centres (Beratungsstellen): the tenants every user and, later, every case belongs to."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped

from servicestelle.db import Base, classified, intpk, timestamp


class Centre(Base):
    __tablename__ = "centres"

    id: Mapped[intpk]
    #: Short code used on the command line and in reference numbers, e.g. "DO-NORD".
    code: Mapped[str] = classified("none", String(32), unique=True)
    #: Name of the counselling centre (an organisation, not a person).
    name: Mapped[str] = classified("none", String(200))
    created_at: Mapped[timestamp]


#: Limits of a district's code and name (operations, forms and the migration share them).
DISTRICT_CODE_MAX = 32
DISTRICT_NAME_MAX = 80


class District(Base):
    """A district (Stadtteil, Stadtbezirk or Kreis) of a centre's area: what a case's incident
    is coded by for the statistics (``incident.district_code`` in the sealed payload).

    Districts are never deleted: a retired one stays for the cases that name it, and is not
    offered for new ones.
    """

    __tablename__ = "districts"
    __table_args__ = (
        UniqueConstraint("centre_id", "code", name="uq_districts_centre_code"),
        UniqueConstraint("centre_id", "name", name="uq_districts_centre_name"),
    )

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("centres.id"), index=True)
    #: Stable code, e.g. "innenstadt_nord"; later population figures are imported by it.
    code: Mapped[str] = classified("none", String(DISTRICT_CODE_MAX))
    #: German display name of a place, e.g. "Innenstadt-Nord" (names no person).
    name: Mapped[str] = classified("none", String(DISTRICT_NAME_MAX))
    is_active: Mapped[bool] = classified("none", Boolean, default=True)
    created_at: Mapped[timestamp]
