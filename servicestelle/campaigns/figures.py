"""Figures of a release's content, as campaign planning names and uses them.

Pure functions of the frozen content (stats/content.py): a figure's label, the published
value of a key, the figures a campaign can rest on, and the targets a key names. A
suppressed figure is null in the content and stays None here: never a number, never 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from servicestelle.stats.presentation import cell_label
from servicestelle.stats.tables import DISTRICT, NO_ANSWER, OTHER

#: The table of totals (opened and closed cases): no campaign target in it.
TOTALS_TABLE = "faelle"
#: Repeated respondents by life area: suggested as clusters of their own.
REPEATED_TABLE = "wiederholte_verursachende"
DISTRICT_TABLE = "stadtteile"
GENERIC = frozenset({NO_ANSWER, OTHER})


@dataclass(frozen=True)
class Figure:
    key: str
    #: None: suppressed ("•").
    value: int | None
    table_id: str
    #: "table title: row / column" (German: the content's own labels).
    label: str
    row: str | None
    col: str | None


@dataclass(frozen=True)
class Targets:
    grounds: list[str] = field(default_factory=list)
    life_areas: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)


def _figure(table: Mapping[str, Any], figure: Mapping[str, Any]) -> Figure:
    label = f"{table['title']}: {cell_label(table, figure['row'], figure['col'])}"
    return Figure(figure["key"], figure["value"], table["id"], label, figure["row"], figure["col"])


def figures(content: Mapping[str, Any]) -> Iterator[Figure]:
    """Every figure, each key once (where it first appears), in table order."""
    seen: set[str] = set()
    for table in content["tables"]:
        for figure in table["figures"]:
            if figure["key"] in seen:
                continue
            seen.add(figure["key"])
            yield _figure(table, figure)


def find(content: Mapping[str, Any], key: str) -> Figure | None:
    """The figure with this key (its first appearance); None if the release lacks it."""
    return next((figure for figure in figures(content) if figure.key == key), None)


def conditions(key: str) -> list[tuple[str, str]]:
    """The ``dimension=code`` parts of a key text (no parsing of the basis: any text works)."""
    parts = key.split("|")[1:]
    return [(name, code) for name, _sep, code in (part.partition("=") for part in parts)]


def is_detail(table: Mapping[str, Any], figure: Mapping[str, Any]) -> bool:
    """A cell of a detail table: not the totals table, not a total or margin, not
    ``keine_angabe`` or ``anderes``."""
    if table["id"] in (TOTALS_TABLE, REPEATED_TABLE):
        return False
    if figure["row"] is None or (table["cols"] and figure["col"] is None):
        return False
    return not any(code in GENERIC for _name, code in conditions(figure["key"]))


def details(content: Mapping[str, Any]) -> Iterator[Figure]:
    """The detail cells (is_detail), each key once."""
    seen: set[str] = set()
    for table in content["tables"]:
        for figure in table["figures"]:
            if figure["key"] in seen or not is_detail(table, figure):
                continue
            seen.add(figure["key"])
            yield _figure(table, figure)


def targets(key: str) -> Targets:
    """The campaign targets a figure names: its grounds (a racism sub-form as itself), life
    areas and district. A coordinator's regions are no district of a centre: left out."""
    found = Targets()
    for name, code in conditions(key):
        if code in GENERIC:
            continue
        if name in ("grounds", "ground_subs"):
            found.grounds.append(code)
        elif name == "life_areas":
            found.life_areas.append(code)
        elif name == DISTRICT:
            found.districts.append(code)
    return found


def grouped(content: Mapping[str, Any], *, published_only: bool) -> list[tuple[str, list[Figure]]]:
    """Figures by table (title, figures), for a choice of one: each key once."""
    by_table: dict[str, tuple[str, list[Figure]]] = {
        table["id"]: (table["title"], []) for table in content["tables"]
    }
    for figure in figures(content):
        if published_only and figure.value is None:
            continue
        by_table[figure.table_id][1].append(figure)
    return [(title, items) for title, items in by_table.values() if items]
