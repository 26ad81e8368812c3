"""District profiles (Sozialraum context): the figures a city statistics office publishes per
district and year — population, and optional shares and age groups.

Public statistics about places, not about people: every column is classified "none".

Versioning: a centre has at most one *current* profile per year. Importing the year again
adds a new version and makes it current; the replaced version keeps its summary (when, by
whom, how many districts, total population, the file's SHA-256) but loses its figures — they
are the statistics office's publication, available there, and keeping two sets of figures
for one year would invite reports that quote the wrong one.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, relationship

from servicestelle.centres.models import DISTRICT_CODE_MAX
from servicestelle.db import Base, UTCDateTime, classified, intpk, timestamp


class DistrictProfile(Base):
    """One import of one year's figures; the current one has ``replaced_at`` None."""

    __tablename__ = "district_profiles"
    __table_args__ = (
        UniqueConstraint(
            "centre_id", "year", "version", name="uq_district_profiles_centre_year_version"
        ),
    )

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("centres.id"), index=True)
    #: The year the figures describe (usually the population on 31 December of that year).
    year: Mapped[int] = classified("none", Integer)
    #: 1 for the first import of the year, then counting up with every re-import.
    version: Mapped[int] = classified("none", Integer)
    #: The optional columns of this import, codes in file order, comma-separated.
    columns: Mapped[str] = classified("none", String(400))
    district_count: Mapped[int] = classified("none", Integer)
    #: The sum of the districts' populations: up to MAX_ROWS × the per-row limit
    #: (profile_import.py), beyond a 32-bit INTEGER — a BIGINT.
    population_total: Mapped[int] = classified("none", BigInteger)
    #: SHA-256 (hex) of the imported file's bytes: which publication this was.
    source_sha256: Mapped[str] = classified("none", String(64))
    imported_by: Mapped[int] = classified("none", ForeignKey("users.id"))
    imported_at: Mapped[timestamp]
    #: Set when a later import of the same year replaced this one (its figures are gone).
    replaced_at: Mapped[datetime | None] = classified("none", UTCDateTime(), nullable=True)

    figures: Mapped[list[DistrictFigure]] = relationship(
        back_populates="profile",
        cascade="all, delete-orphan",
        order_by="DistrictFigure.id",
    )

    @property
    def column_list(self) -> list[str]:
        return [code for code in self.columns.split(",") if code]

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None


class DistrictFigure(Base):
    """One district's figures in one profile."""

    __tablename__ = "district_figures"
    __table_args__ = (
        UniqueConstraint("profile_id", "district_code", name="uq_district_figures_profile_code"),
    )

    id: Mapped[intpk]
    profile_id: Mapped[int] = classified(
        "none", ForeignKey("district_profiles.id", ondelete="CASCADE"), index=True
    )
    #: The district's code in the centre's register (centres.models.District.code).
    district_code: Mapped[str] = classified("none", String(DISTRICT_CODE_MAX))
    #: Residents (Einwohnerinnen und Einwohner).
    population: Mapped[int] = classified("none", Integer)
    #: The optional columns as JSON: column code → decimal as text (exact, e.g. "23.4").
    extra: Mapped[str] = classified("none", Text, default="{}")

    profile: Mapped[DistrictProfile] = relationship(back_populates="figures")

    @property
    def extra_values(self) -> dict[str, Decimal]:
        return {code: Decimal(text) for code, text in json.loads(self.extra or "{}").items()}
