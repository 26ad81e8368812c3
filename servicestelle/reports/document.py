"""A report's content as its pages, PDF, CSV and API show it: sections of release tables and
the few key figures read from them.

Pure functions of a release's frozen content (stats/content.py): every number here is a cell
of the release, or a share that ``stats.content.share`` allows (both figures published, base
at least 20), or the sum of published cells of one single-select table (state actors) —
shown as "•" as soon as one summand is suppressed, because a sum of published figures
discloses nothing new and any other sum might. Nothing is counted here; nothing reads the
statistics store or a case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from servicestelle import catalogue
from servicestelle.centres import profiles
from servicestelle.stats.charts import BarChart, bar_chart
from servicestelle.stats.content import share
from servicestelle.stats.presentation import TableDiff, TableView, table_diffs, table_view

Position = tuple[str | None, str | None]

#: The intersectional table (rows: grounds; columns: ``ground_combination``).
INTERSECTIONAL = "mehrfachdiskriminierung"
SEVERAL_GROUNDS = "mehrfach"
DISTRICTS = "stadtteile"
REGIONS = "regionen"
RESPONDENTS = "verursachende"


@dataclass(frozen=True)
class SectionSpec:
    id: str
    title: LazyString
    intro: LazyString
    tables: tuple[str, ...]


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "faelle",
        _l("Fälle im Zeitraum"),
        _l("Wie viele Fälle neu aufgenommen und wie viele abgeschlossen wurden."),
        ("faelle",),
    ),
    SectionSpec(
        "merkmale",
        _l("Diskriminierungsmerkmale"),
        _l(
            "Nach welchen Merkmalen Menschen benachteiligt wurden; rassistische Diskriminierung "
            "nach Unterformen, Antisemitismus in einer eigenen Zeile."
        ),
        ("merkmale", "rassismus"),
    ),
    SectionSpec(
        "lebensbereiche",
        _l("Lebensbereiche"),
        _l("Wo die Diskriminierung geschah, auch gekreuzt mit dem Merkmal."),
        ("lebensbereiche", "merkmal_lebensbereich"),
    ),
    SectionSpec(
        "ebene",
        _l("Individuelle, institutionelle und strukturelle Diskriminierung"),
        _l("Auf welcher Ebene die Diskriminierung lag."),
        ("ebene",),
    ),
    SectionSpec(
        "verursachende",
        _l("Staatliche Stellen und andere Verursachende"),
        _l(
            "Wer diskriminiert hat. Staatliche Stellen (Behörden, Polizei) stehen dem Schutz "
            "des AGG weitgehend nicht offen und werden eigens gezählt."
        ),
        (RESPONDENTS,),
    ),
    SectionSpec(
        "agg",
        _l("AGG-Relevanz, Gerichtsverfahren und Fälle außerhalb des AGG"),
        _l(
            "Die AGG-Relevanz ist die Einschätzung der Beratung, keine rechtliche Feststellung. "
            "Gegenübergestellt: wie viele abgeschlossene Fälle vor Gericht gingen."
        ),
        ("agg_relevanz", "agg_gericht"),
    ),
    SectionSpec(
        "formen", _l("Diskriminierungsformen"), _l("Wie diskriminiert wurde."), ("formen",)
    ),
    SectionSpec(
        "interventionen",
        _l("Interventionen und Ergebnisse"),
        _l("Was die Beratung unternommen hat und wie abgeschlossene Fälle ausgingen."),
        ("interventionen", "ergebnisse"),
    ),
    SectionSpec(
        "mehrfach",
        _l("Mehrfachdiskriminierung"),
        _l("Fälle, in denen zwei oder mehr Merkmale zusammenkamen (intersektional)."),
        (INTERSECTIONAL,),
    ),
    SectionSpec(
        "wiederholt",
        _l("Wiederholt genannte Verursachende"),
        _l("Verursachende, die in mehreren Fällen des Zeitraums genannt wurden."),
        ("wiederholte_verursachende",),
    ),
    SectionSpec(
        "gebiete",
        _l("Stadtteile und Kreise"),
        _l("Wo die Fälle verortet sind; je 10.000 Einwohner*innen, wo Einwohnerzahlen vorliegen."),
        (DISTRICTS,),
    ),
    SectionSpec(
        "ratsuchende",
        _l("Ratsuchende"),
        _l("Wer Rat gesucht hat und wie die Menschen die Beratungsstelle erreicht haben."),
        ("alter", "geschlecht", "zugang", "vermittlung"),
    ),
)

#: On a coordinator the district section counts by region (coordinator/counts.py).
REGION_SECTION = SectionSpec(
    "gebiete",
    _l("Regionen"),
    _l("Landesweite Fälle nach der Region der meldenden Beratungsstellen."),
    (REGIONS,),
)
OTHER_SECTION = SectionSpec(
    "weitere",
    _l("Weitere Tabellen der Statistik"),
    _l("Tabellen der Statistik, die keinem Abschnitt oben zugeordnet sind."),
    (),
)


@dataclass(frozen=True)
class Figure:
    """A key figure: one cell of the release (or a sum of published cells), its share."""

    label: str
    value: int | None  # None: suppressed, shown as "•"
    share: float | None
    #: What the share is a share of ("aller neu aufgenommenen Fälle").
    base_label: str


@dataclass(frozen=True)
class Rate:
    label: str
    count: int | None
    population: int | None
    per_10000: float | None


@dataclass(frozen=True)
class Rates:
    year: int  # the profile year the populations come from
    rows: tuple[Rate, ...]


@dataclass(frozen=True)
class ReportTable:
    view: TableView
    #: The release's table as stored (the CSV is made from it).
    source: Mapping[str, Any]
    chart: BarChart | None
    #: None: no comparison at all (no previous release).
    diff: TableDiff | None

    @property
    def changed_only(self) -> TableDiff | None:
        """The comparison with only the cells that changed (both figures published): what
        the PDF prints, where a list of every cell of a cross table fills pages."""
        if self.diff is None or not self.diff.compared:
            return self.diff
        return TableDiff(True, [change for change in self.diff.changes if change.changed])


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str
    tables: tuple[ReportTable, ...]
    #: Titles (or ids) of the section's tables the release does not contain.
    missing: tuple[str, ...]
    figures: tuple[Figure, ...] = ()
    rates: Rates | None = None
    #: True where populations were looked for but none are known.
    rates_unknown: bool = False


def cells(table: Mapping[str, Any]) -> dict[Position, int | None]:
    return {(f["row"], f["col"]): f["value"] for f in table["figures"]}


def _figure(
    table: Mapping[str, Any],
    label: str,
    cell: Position,
    base: Position,
    base_label: str,
) -> Figure | None:
    """A cell and its share of another cell of the same table; None if the table lacks it."""
    values = cells(table)
    if cell not in values:
        return None
    value = values[cell]
    return Figure(label, value, share(value, values.get(base)), base_label)


def group_sum(table: Mapping[str, Any], codes: Sequence[str]) -> int | None:
    """The sum of some rows of a single-select table: only if every summand is published."""
    values = cells(table)
    summands = [values.get((code, None)) for code in codes if (code, None) in values]
    if not summands or any(value is None for value in summands):
        return None
    return sum(value for value in summands if value is not None)


STATE_ACTORS = tuple(entry.code for entry in catalogue.RESPONDENT_TYPES.codes if entry.state_actor)
OTHER_RESPONDENTS = tuple(
    entry.code for entry in catalogue.RESPONDENT_TYPES.codes if not entry.state_actor
)


def _respondent_figures(table: Mapping[str, Any]) -> list[Figure]:
    """State actors vs. the others: sums of the table's rows ("anderes" and "keine Angabe"
    in neither group). The respondent type is single-select, so each sum counts cases."""
    values = cells(table)
    total = values.get((None, None))
    every = _("aller neu aufgenommenen Fälle")
    figures = []
    for label, codes in (
        (_("Staatliche Stellen (Behörde, Polizei)"), STATE_ACTORS),
        (_("Andere Verursachende (nicht als staatlich erfasst)"), OTHER_RESPONDENTS),
    ):
        value = group_sum(table, codes)
        figures.append(Figure(label, value, share(value, total), every))
    return figures


def _key_figures(table_id: str, table: Mapping[str, Any]) -> list[Figure]:
    every_opened = _("aller neu aufgenommenen Fälle")
    every_closed = _("aller abgeschlossenen Fälle")
    found: list[Figure | None] = []
    if table_id == "rassismus":
        found.append(
            _figure(
                table,
                _("Antisemitismus"),
                ("antisemitismus", None),
                (None, None),
                _("der Fälle mit dem Merkmal Rassismus, Antisemitismus oder Herkunft"),
            )
        )
    elif table_id == RESPONDENTS:
        found.extend(_respondent_figures(table))
    elif table_id == "agg_relevanz":
        found.append(
            _figure(
                table,
                _("Außerhalb des AGG (nicht AGG-relevant)"),
                ("nicht_agg_relevant", None),
                (None, None),
                every_opened,
            )
        )
    elif table_id == "agg_gericht":
        found.append(
            _figure(table, _("Mit Gerichtsverfahren"), (None, "ja"), (None, None), every_closed)
        )
        found.append(
            _figure(
                table,
                _("AGG-relevant und mit Gerichtsverfahren"),
                ("agg_relevant", "ja"),
                ("agg_relevant", None),
                _("der abgeschlossenen AGG-relevanten Fälle"),
            )
        )
    elif table_id == INTERSECTIONAL:
        found.append(
            _figure(
                table,
                _("Fälle mit zwei oder mehr Merkmalen"),
                (None, SEVERAL_GROUNDS),
                (None, None),
                every_opened,
            )
        )
    return [figure for figure in found if figure is not None]


def _rates(table: Mapping[str, Any], centre_id: int, year: int) -> Rates | None:
    """Cases per 10,000 residents by district, where the count is published and the
    population of the district known (centres/profiles.py)."""
    populations = profiles.populations(centre_id, year)
    if populations is None:
        return None
    values = cells(table)
    rows = []
    for row in table["rows"]:
        if row["code"] == catalogue.KEINE_ANGABE.code:
            continue
        count = values.get((row["code"], None))
        population = populations.by_district.get(row["code"])
        rows.append(Rate(row["label"], count, population, profiles.per_10000(count, population)))
    return Rates(populations.year, tuple(rows))


@dataclass(frozen=True)
class Document:
    sections: tuple[Section, ...]
    period_label: str

    @property
    def tables(self) -> list[ReportTable]:
        return [table for section in self.sections for table in section.tables]

    def table(self, table_id: str) -> ReportTable | None:
        return next((t for t in self.tables if t.view.id == table_id), None)


def build(
    content: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    *,
    centre_id: int,
    year: int,
    period_label: str,
) -> Document:
    """The report's sections from a published release (and the one before, for the trend)."""
    tables = {table["id"]: table for table in content["tables"]}
    diffs = table_diffs(content, previous) if previous is not None else None
    specs = [
        REGION_SECTION if spec.id == "gebiete" and REGIONS in tables else spec for spec in SECTIONS
    ]
    placed = {table_id for spec in specs for table_id in spec.tables}
    rest = tuple(table["id"] for table in content["tables"] if table["id"] not in placed)
    if rest:
        specs.append(SectionSpec(OTHER_SECTION.id, OTHER_SECTION.title, OTHER_SECTION.intro, rest))
    sections = []
    for spec in specs:
        shown = [tables[table_id] for table_id in spec.tables if table_id in tables]
        missing = tuple(table_id for table_id in spec.tables if table_id not in tables)
        report_tables = []
        figures: list[Figure] = []
        for table in shown:
            view = table_view(table)
            report_tables.append(
                ReportTable(
                    view,
                    table,
                    bar_chart(view, period_label),
                    diffs.get(table["id"]) if diffs is not None else None,
                )
            )
            figures.extend(_key_figures(table["id"], table))
        rates = (
            _rates(tables[DISTRICTS], centre_id, year)
            if DISTRICTS in spec.tables and DISTRICTS in tables
            else None
        )
        sections.append(
            Section(
                spec.id,
                str(spec.title),
                str(spec.intro),
                tuple(report_tables),
                missing,
                tuple(figures),
                rates,
                rates_unknown=DISTRICTS in tables and DISTRICTS in spec.tables and rates is None,
            )
        )
    return Document(tuple(sections), period_label)


def missing_titles(section: Section) -> list[str]:
    """The titles of the section's tables the release lacks (their catalogue titles)."""
    from servicestelle.stats.tables import TABLES_BY_ID

    titles = []
    for table_id in section.missing:
        table = TABLES_BY_ID.get(table_id)
        titles.append(str(table.title) if table is not None else _missing_label(table_id))
    return titles


def _missing_label(table_id: str) -> str:
    if table_id == INTERSECTIONAL:
        return _("Mehrfachdiskriminierung (Merkmal nach Anzahl der Merkmale)")
    if table_id == REGIONS:
        return _("Fälle nach Region")
    return table_id
