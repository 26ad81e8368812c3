"""Statewide figures from the centres' packages (stats.model.Counts), and the statewide
catalogue: no district table, a region table instead.

A statewide figure of a period is the sum of that figure over the packages of exactly that
period (a year is never summed from quarter packages: repeated respondents do not add up
over quarters). A package's tables are complete (the import checks each against the
catalogue), so a figure a package covers is there, zeros included; a figure no table of a
package covers is refused rather than counted as 0. A region's figure sums the packages of
the centres registered in that region; every centre is in exactly one region, so the region
dimension is single-select and complete.

Repeated respondents statewide are the sums of the centres' figures: "repeated" means
repeated within one centre. Respondent tokens are keyed per centre and cannot be matched
across centres, so a respondent named at two centres counts at each (the table says so).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from servicestelle.coordinator.models import ImportedPackage, RegisteredCentre
from servicestelle.extensions import db
from servicestelle.stats.keys import Key
from servicestelle.stats.operations import ReleaseError
from servicestelle.stats.periods import Period
from servicestelle.stats.tables import TABLES, Basis, Dimension, Dimensions, Table

REGION = "region"

REGION_TABLE = Table(
    "regionen",
    _l("Fälle nach Region"),
    Basis.OPENED,
    rows=REGION,
    note=_l(
        "Jede Stelle zählt in ihrer Region. Die Region wird mit keinem anderen Merkmal gekreuzt."
    ),
)

REPEATED_NOTE = _l(
    "Gezählt werden Verursachende, nicht Fälle; im Lebensbereich zählen nur die Fälle dieses "
    "Lebensbereichs. Landesweit ist jede Zahl die Summe der Zahlen der Stellen: „wiederholt“ "
    "heißt wiederholt innerhalb einer Stelle. Verursachende, die bei zwei Stellen genannt "
    "wurden, lassen sich nicht erkennen (die Kennungen sind je Stelle verschlüsselt) und "
    "zählen bei jeder Stelle."
)


def _statewide(table: Table) -> Table:
    if table.rows == "district":
        return REGION_TABLE
    if table.id == "wiederholte_verursachende":
        return dataclasses.replace(table, note=REPEATED_NOTE)
    return table


#: The catalogue on a coordinator: the district table's place taken by the region table.
STATEWIDE_TABLES: tuple[Table, ...] = tuple(_statewide(table) for table in TABLES)


def region_dimension() -> Dimension:
    """The regions of the registry, by name."""
    rows = db.session.execute(
        sa.select(RegisteredCentre.region_code, RegisteredCentre.region_name)
        .distinct()
        .order_by(RegisteredCentre.region_name, RegisteredCentre.region_code)
    )
    labels = {code: name for code, name in rows}
    return Dimension(
        REGION, _l("Region"), multiple=False, codes=tuple(labels), labels=labels, complete=True
    )


@dataclass(frozen=True)
class _Package:
    centre: str
    region: str
    values: dict[Key, int]


def _packages(period: Period) -> list[_Package]:
    rows = db.session.execute(
        sa.select(RegisteredCentre.code, RegisteredCentre.region_code, ImportedPackage.content)
        .join(RegisteredCentre, ImportedPackage.centre_id == RegisteredCentre.id)
        .where(ImportedPackage.period == period.code)
        .order_by(RegisteredCentre.code)
    )
    packages = []
    for code, region, content in rows:
        values = {
            Key.parse(figure["key"]): figure["value"]
            for table in json.loads(content)["tables"]
            for figure in table["figures"]
        }
        packages.append(_Package(code, region, values))
    return packages


class PackageCounts:
    """Figure values summed over the imported packages (stats.model.Counts)."""

    def sensitive(self, keys: Iterable[Key], period: Period) -> set[Key]:
        """No rule beyond k yet (stats.model.Counts)."""
        return set()

    def figures(
        self, keys: Iterable[Key], periods: Iterable[Period]
    ) -> dict[tuple[Key, Period], int]:
        wanted = list(dict.fromkeys(keys))
        result: dict[tuple[Key, Period], int] = {}
        for period in dict.fromkeys(periods):
            packages = _packages(period)
            if not packages:
                raise ReleaseError(
                    str(
                        _l(
                            "Für %(period)s ist noch kein Paket einer Beratungsstelle eingespielt.",
                            period=period.label(),
                        )
                    )
                )
            for key in wanted:
                result[(key, period)] = _sum(key, period, packages)
        return result


def _sum(key: Key, period: Period, packages: list[_Package]) -> int:
    region = key.code(REGION)
    figure = key.without(REGION) if region is not None else key
    total = 0
    for package in packages:
        if region is not None and package.region != region:
            continue
        value = package.values.get(figure)
        if value is None:
            raise ReleaseError(
                str(
                    _l(
                        "Das Paket von %(centre)s für %(period)s enthält nicht jede gewählte "
                        "Tabelle. Bitte wählen Sie weniger Tabellen oder bitten Sie die Stelle "
                        "um ein vollständiges Paket.",
                        centre=package.centre,
                        period=period.label(),
                    )
                )
            )
        total += value
    return total


def sources() -> tuple[PackageCounts, Dimensions, tuple[Table, ...]]:
    """What a statewide draft counts: the packages, the regions, the statewide catalogue."""
    return PackageCounts(), Dimensions([region_dimension()]), STATEWIDE_TABLES
