"""District profiles (Sozialraum context): population figures per district and year, as
city statistics offices publish them. Being built (issue 6): this is the interface reports
and campaign suggestions read.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    return None


def per_10000(count: int | None, population: int | None) -> float | None:
    """Cases per 10,000 residents, only where the count is published and the population
    known (and positive); one decimal."""
    if count is None or not population or population <= 0:
        return None
    return round(count * 10_000 / population, 1)
