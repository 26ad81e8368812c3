"""Statewide figures from the centres' packages (stats.model.Counts), and the statewide
catalogue: no district table, a region table instead.

A statewide figure of a period is the sum of that figure over the packages of exactly that
period (a year is never summed from quarter packages: repeated respondents do not add up
over quarters). A package's tables are complete (the import checks each against the
catalogue), so a figure a package covers is there, zeros included; a figure no table of a
package covers is refused rather than counted as 0. A region's figure sums the packages
imported in that region: the region is frozen on the package when it is imported, so moving
a centre later changes no figure of a period already imported. Every package is in exactly
one region, so the region dimension is single-select and complete. Withdrawn packages count
nowhere; a period whose counts were purged (retention) cannot be counted again.

A statewide figure to which fewer than ``SERVICESTELLE_COORDINATOR_MIN_CENTRES`` centres
contribute a positive count is (nearly) one centre's own count, which that centre's own
release may have suppressed: ``PackageCounts.sensitive`` names those cells, and the draft
suppresses them whatever their size.

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

from servicestelle import services
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
        "Jede Stelle zählt in der Region, in der sie registriert war, als ihr Paket für den "
        "Zeitraum eingespielt wurde. Die Region wird mit keinem anderen Merkmal gekreuzt."
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
    """The regions of the registry and of the packages counted (a region all of whose
    centres moved away keeps the figures imported in it), by name."""
    registry = db.session.execute(
        sa.select(RegisteredCentre.region_code, RegisteredCentre.region_name).distinct()
    )
    imported = db.session.execute(
        sa.select(ImportedPackage.region_code, ImportedPackage.region_name)
        .where(ImportedPackage.withdrawn_at.is_(None))
        .distinct()
    )
    labels = {code: name for code, name in imported}
    labels.update({code: name for code, name in registry})  # the registry's name wins
    ordered = dict(sorted(labels.items(), key=lambda item: (item[1], item[0])))
    return Dimension(
        REGION, _l("Region"), multiple=False, codes=tuple(ordered), labels=ordered, complete=True
    )


@dataclass(frozen=True)
class _Package:
    centre: str
    region: str
    values: dict[Key, int]


def _packages(period: Period) -> list[_Package]:
    """The counted packages of exactly this period, each in the region it was imported in.

    On PostgreSQL the rows are share-locked until the draft commits: a withdrawal or purge
    running meanwhile waits, then sees the draft and refuses (coordinator.operations)."""
    rows = db.session.execute(
        sa.select(RegisteredCentre.code, ImportedPackage.region_code, ImportedPackage.content)
        .join(RegisteredCentre, ImportedPackage.centre_id == RegisteredCentre.id)
        .where(ImportedPackage.period == period.code, ImportedPackage.withdrawn_at.is_(None))
        .order_by(RegisteredCentre.code)
        .with_for_update(read=True, of=ImportedPackage)
    )
    packages = []
    for code, region, content in rows:
        if content is None:
            raise ReleaseError(
                str(
                    _l(
                        "Die Zahlen der Pakete für %(period)s sind nach Ablauf der "
                        "Aufbewahrungsfrist gelöscht; dieser Zeitraum lässt sich nicht mehr "
                        "auswerten.",
                        period=period.label(),
                    )
                )
            )
        values = {
            Key.parse(figure["key"]): figure["value"]
            for table in json.loads(content)["tables"]
            for figure in table["figures"]
        }
        packages.append(_Package(code, region, values))
    if not packages:
        raise ReleaseError(
            str(
                _l(
                    "Für %(period)s ist noch kein Paket einer Beratungsstelle eingespielt.",
                    period=period.label(),
                )
            )
        )
    return packages


class PackageCounts:
    """Figure values summed over the imported packages (stats.model.Counts)."""

    def sensitive(self, keys: Iterable[Key], period: Period) -> set[Key]:
        """The keys of the period whose positive figure
        - comes from fewer centres than ``SERVICESTELLE_COORDINATOR_MIN_CENTRES``, or
        - is dominated by one centre: the others together counted 1 to k−1, which the
          largest contributor learns by subtracting its own count (a threshold rule alone
          would publish 20 + 1 + 1 and tell the first centre that the other two counted 2).
        A zero is not sensitive: it says of every centre that it counted nobody, and zeros
        are published anyway."""
        settings = services.settings()
        minimum, k = settings.coordinator_min_centres, settings.statistics_k
        packages = _packages(period)
        flagged = set()
        for key in dict.fromkeys(keys):
            counted = [value for value in _contributions(key, period, packages) if value > 0]
            if not counted:
                continue
            others = sum(counted) - max(counted)
            if len(counted) < minimum or others < k:
                flagged.add(key)
        return flagged

    def figures(
        self, keys: Iterable[Key], periods: Iterable[Period]
    ) -> dict[tuple[Key, Period], int]:
        wanted = list(dict.fromkeys(keys))
        result: dict[tuple[Key, Period], int] = {}
        for period in dict.fromkeys(periods):
            packages = _packages(period)
            for key in wanted:
                result[(key, period)] = sum(_contributions(key, period, packages))
        return result


def _contributions(key: Key, period: Period, packages: list[_Package]) -> list[int]:
    """Each counted package's value of the figure (only the packages of the key's region)."""
    region = key.code(REGION)
    figure = key.without(REGION) if region is not None else key
    values = []
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
        values.append(value)
    return values


def sources() -> tuple[PackageCounts, Dimensions, tuple[Table, ...]]:
    """What a statewide draft counts: the packages, the regions, the statewide catalogue."""
    return PackageCounts(), Dimensions([region_dimension()]), STATEWIDE_TABLES
