"""Campaign suggestions, ranked from one published release (and the comparable one before).

Four lists, each with the figures and the release it comes from:

- the largest cells of the detail tables;
- the fastest-growing cells against the previous comparable period, only where both figures
  are published; ranked by the increase over the earlier value, but never over less than
  ``GROWTH_BASE`` (so 1 → 3 ranks as +2 on 10, not as +200 %), and a percentage is shown only
  where the earlier value is at least ``GROWTH_BASE``;
- respondents named in repeated cases, by life area;
- districts by cases per 10,000 residents, where the count is published and the population
  of the district is known (centres/profiles.py).

Nothing is computed from a suppressed cell: it is None in the content and left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from servicestelle.campaigns import figures
from servicestelle.campaigns.queries import PublishedRelease
from servicestelle.centres import profiles
from servicestelle.stats.tables import NO_ANSWER, REPEATED, Basis

#: How many suggestions each list shows.
LIMIT = 10
#: The smallest earlier value a growth rate is taken against (and a percentage shown for).
GROWTH_BASE = 10


@dataclass(frozen=True)
class Cell:
    key: str
    label: str
    value: int


@dataclass(frozen=True)
class Growth:
    key: str
    label: str
    before: int
    now: int

    @property
    def change(self) -> int:
        return self.now - self.before

    @property
    def percent(self) -> float | None:
        """The change in percent of the earlier value; None where that is below the base."""
        if self.before < GROWTH_BASE:
            return None
        return round(100.0 * self.change / self.before, 1)

    @property
    def rate(self) -> float:
        return self.change / max(self.before, GROWTH_BASE)


@dataclass(frozen=True)
class Cluster:
    """Respondents named in at least 2 (3, 5) cases of one life area."""

    life_area: str
    label: str
    #: Basis → count; None where suppressed.
    counts: dict[Basis, int | None]

    @property
    def key(self) -> str:
        return f"{Basis.REPEATED_2.value}|life_areas={self.life_area}"


@dataclass(frozen=True)
class DistrictRate:
    district: str
    label: str
    key: str
    count: int
    population: int
    per_10000: float


@dataclass(frozen=True)
class Suggestions:
    release: PublishedRelease
    previous: PublishedRelease | None
    largest: list[Cell]
    growing: list[Growth]
    clusters: list[Cluster]
    #: None: the centre has no population figures (or the release no district table).
    districts: list[DistrictRate] | None
    population_year: int | None


def largest(release: PublishedRelease) -> list[Cell]:
    cells = [
        Cell(figure.key, figure.label, figure.value)
        for figure in figures.details(release.content)
        if figure.value is not None and figure.value > 0
    ]
    cells.sort(key=lambda cell: (-cell.value, cell.key))
    return cells[:LIMIT]


def growing(release: PublishedRelease, previous: PublishedRelease | None) -> list[Growth]:
    if previous is None:
        return []
    earlier = {
        figure.key: figure.value
        for figure in figures.figures(previous.content)
        if figure.value is not None
    }
    found = []
    for figure in figures.details(release.content):
        before = earlier.get(figure.key)
        if figure.value is None or before is None or figure.value <= before:
            continue
        found.append(Growth(figure.key, figure.label, before, figure.value))
    found.sort(key=lambda growth: (-growth.rate, -growth.change, growth.key))
    return found[:LIMIT]


def clusters(release: PublishedRelease) -> list[Cluster]:
    table = next((t for t in release.content["tables"] if t["id"] == figures.REPEATED_TABLE), None)
    if table is None:
        return []
    values = {(f["row"], f["col"]): f["value"] for f in table["figures"]}
    found = []
    for col in table["cols"]:
        code = col["code"]
        if code in figures.GENERIC:
            continue
        counts = {basis: values.get((basis.value, code)) for basis in REPEATED}
        first = counts[Basis.REPEATED_2]
        if first is None or first <= 0:
            continue
        found.append(Cluster(code, col["label"], counts))
    found.sort(key=lambda c: (*(-(c.counts[b] or 0) for b in REPEATED), c.life_area))
    return found[:LIMIT]


def district_rates(release: PublishedRelease) -> tuple[list[DistrictRate] | None, int | None]:
    table = next((t for t in release.content["tables"] if t["id"] == figures.DISTRICT_TABLE), None)
    if table is None:
        return None, None
    # Looked up at call time: the import behind this interface is another module's.
    populations = profiles.populations(release.release.centre_id, release.period.year)
    if populations is None:
        return None, None
    labels = {row["code"]: row["label"] for row in table["rows"]}
    found = []
    for figure in table["figures"]:
        code = figure["row"]
        if code is None or code == NO_ANSWER or figure["value"] is None:
            continue
        population = populations.by_district.get(code)
        rate = profiles.per_10000(figure["value"], population)
        if rate is None or population is None:
            continue
        found.append(
            DistrictRate(
                code, labels.get(code, code), figure["key"], figure["value"], population, rate
            )
        )
    found.sort(key=lambda d: (-d.per_10000, d.district))
    return found, populations.year


def suggest(release: PublishedRelease, previous: PublishedRelease | None) -> Suggestions:
    districts, population_year = district_rates(release)
    return Suggestions(
        release=release,
        previous=previous,
        largest=largest(release),
        growing=growing(release, previous),
        clusters=clusters(release),
        districts=districts,
        population_year=population_year,
    )
