"""District profiles (Sozialraum context): population figures per district and year, as
city statistics offices publish them (imported by profile_operations.py).

This is the interface reports and campaign suggestions read: ``populations`` for a year and
``per_10000`` for a rate, next to the reads of the profile pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from servicestelle.centres.profile_models import DistrictProfile
from servicestelle.extensions import db


@dataclass(frozen=True)
class Populations:
    """The population per district of one profile year."""

    #: The profile year the figures come from (the report's year or the latest before it).
    year: int
    #: District code → residents.
    by_district: dict[str, int]


def populations(centre_id: int, year: int) -> Populations | None:
    """The centre's district populations for ``year``: its profile of that year, else the
    latest earlier one; None when the centre has imported none."""
    profile = db.session.scalar(
        sa.select(DistrictProfile)
        .where(
            DistrictProfile.centre_id == centre_id,
            DistrictProfile.year <= year,
            DistrictProfile.replaced_at.is_(None),
        )
        .order_by(DistrictProfile.year.desc(), DistrictProfile.version.desc())
        .limit(1)
    )
    if profile is None:
        return None
    return Populations(
        year=profile.year,
        by_district={figure.district_code: figure.population for figure in profile.figures},
    )


def per_10000(count: int | None, population: int | None) -> float | None:
    """Cases per 10,000 residents, only where the count is published and the population
    known (and positive); one decimal."""
    if count is None or not population or population <= 0:
        return None
    return round(count * 10_000 / population, 1)


# --- the profile pages ------------------------------------------------------------------------


def current_profiles(centre_id: int) -> list[DistrictProfile]:
    """The centre's current profile of every year, newest year first."""
    return list(
        db.session.scalars(
            sa.select(DistrictProfile)
            .where(DistrictProfile.centre_id == centre_id, DistrictProfile.replaced_at.is_(None))
            .order_by(DistrictProfile.year.desc())
        )
    )


def versions_of(centre_id: int, year: int) -> list[DistrictProfile]:
    """Every import of the centre's year, the current (latest) first."""
    return list(
        db.session.scalars(
            sa.select(DistrictProfile)
            .where(DistrictProfile.centre_id == centre_id, DistrictProfile.year == year)
            .order_by(DistrictProfile.version.desc())
        )
    )
