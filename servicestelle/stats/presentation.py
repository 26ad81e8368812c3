"""What the release pages show, made from a release's frozen content and stored audit.

Pure functions of the JSON documents (content.py's tables, operations' stored audit): the
tables as rows and cells, the shares content.share allows, the reasons and attacker intervals
of the suppressed cells, and the comparison with an earlier release. Nothing here reads the
store or a suppressed cell's value (no release holds one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from servicestelle.stats.content import share
from servicestelle.stats.tables import DIMENSIONS, DISTRICT

#: How a suppressed cell is shown, everywhere.
SUPPRESSED = "•"
#: How a figure that does not exist (in the other release) is shown.
ABSENT = "—"
#: A coordinator's statewide tables count by region (coordinator.counts.REGION; that package
#: imports this one, so the name is repeated here).
REGION = "region"

Position = tuple[str | None, str | None]


@dataclass(frozen=True)
class Cell:
    key: str
    value: int | None
    share: float | None = None

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Row:
    code: str | None  # None: the total row
    label: str
    #: One entry per column (2-D tables); None where the table has no figure there.
    cells: tuple[Cell | None, ...]
    #: 1-D tables: the row's figure; 2-D tables: the row total ("Gesamt" column).
    margin: Cell | None


@dataclass(frozen=True)
class TableView:
    id: str
    title: str
    basis_label: str
    unit: str
    multiple_answers: bool
    note: str | None
    #: The heading of the label column: what the rows classify.
    row_heading: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    total: Row | None
    #: 2-D tables: whether there is a "Gesamt" column.
    has_margin: bool
    #: 1-D tables: whether any row has a share (else the column is left out).
    has_shares: bool

    @property
    def two_dimensional(self) -> bool:
        return bool(self.columns)

    @property
    def chartable(self) -> bool:
        """A bar chart beside the table: one-dimensional tables with at least one row."""
        return not self.columns and bool(self.rows)


def table_view(table: Mapping[str, Any]) -> TableView:
    """A content table as rows and cells, in the order the content lists them."""
    values: dict[Position, Cell] = {
        (f["row"], f["col"]): Cell(f["key"], f["value"]) for f in table["figures"]
    }
    cols = [col["code"] for col in table["cols"]]
    total_label = _("Gesamt")
    if not cols:
        base = values.get((None, None))
        rows = []
        for row in table["rows"]:
            cell = values.get((row["code"], None))
            if cell is not None and base is not None:
                cell = Cell(cell.key, cell.value, share(cell.value, base.value))
            rows.append(Row(row["code"], row["label"], (), cell))
        total = Row(None, total_label, (), base) if base is not None else None
        has_shares = any(row.margin is not None and row.margin.share is not None for row in rows)
        has_margin = False
    else:
        rows = [
            Row(
                row["code"],
                row["label"],
                tuple(values.get((row["code"], col)) for col in cols),
                values.get((row["code"], None)),
            )
            for row in table["rows"]
        ]
        has_margin = any(row.margin is not None for row in rows)
        has_total = any(row is None for row, _col in values)
        total = (
            Row(
                None,
                total_label,
                tuple(values.get((None, col)) for col in cols),
                values.get((None, None)),
            )
            if has_total
            else None
        )
        has_shares = False
    return TableView(
        id=table["id"],
        title=table["title"],
        basis_label=table["basis_label"],
        unit=table["unit"],
        multiple_answers=bool(table["multiple_answers"]),
        note=table.get("note"),
        row_heading=row_heading(table.get("row_dimension"), table["unit"]),
        columns=tuple(col["label"] for col in table["cols"]),
        rows=tuple(rows),
        total=total,
        has_margin=has_margin,
        has_shares=has_shares,
    )


def row_heading(dimension: str | None, unit: str) -> str:
    """What a table's rows are: the dimension's name; for a table of totals what it counts."""
    if dimension is None:
        return _("Verursachende") if unit == "respondents" else _("Zählung")
    if dimension == DISTRICT:
        return _("Stadtteil oder Kreis")
    if dimension == REGION:
        return _("Region")
    known = DIMENSIONS.get(dimension)
    return str(known.label) if known is not None else dimension


def shown(value: int | None) -> str:
    return SUPPRESSED if value is None else str(value)


def percent(value: float | None) -> str:
    """A share in the reader's language: "12,5 %" in German, "12.5 %" in English."""
    if value is None:
        return ABSENT
    return format_decimal(value, "0.0") + "\u00a0%"


# --- naming cells --------------------------------------------------------------------------


def _labels(table: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    rows = {row["code"]: row["label"] for row in table["rows"]}
    cols = {col["code"]: col["label"] for col in table["cols"]}
    return rows, cols


def cell_label(table: Mapping[str, Any], row: str | None, col: str | None) -> str:
    """A figure named by its table row and column labels ("Gesamt" for a margin)."""
    rows, cols = _labels(table)
    total = _("Gesamt")
    row_label = rows.get(row, row) if row is not None else total
    if not table["cols"]:
        return row_label or total
    col_label = cols.get(col, col) if col is not None else total
    return f"{row_label} / {col_label}"


def locate(content: Mapping[str, Any], key: str, prefer: str | None = None) -> str | None:
    """Where a key appears in a release: "cell label" in the preferred table, else
    "cell label (in „title“)"; None if the release does not show it."""
    found: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = [
        (table, figure)
        for table in content["tables"]
        for figure in table["figures"]
        if figure["key"] == key
    ]
    if not found:
        return None
    for table, figure in found:
        if table["id"] == prefer:
            return cell_label(table, figure["row"], figure["col"])
    table, figure = found[0]
    return _(
        "%(cell)s (in „%(title)s“)",
        cell=cell_label(table, figure["row"], figure["col"]),
        title=table["title"],
    )


# --- the audit -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditedCell:
    label: str
    reason: str
    interval: str
    safe: bool | None


@dataclass(frozen=True)
class AuditView:
    passed: bool
    k: int
    #: Table id → its suppressed cells, in table order.
    by_table: dict[str, list[AuditedCell]]
    #: Suppressed cells of earlier releases, checked again against this draft.
    earlier: list[AuditedCell]
    #: Cells that could not be protected (the audit fails with them).
    unprotectable: list[str]
    #: Suppressed cells the attacker can narrow below k.
    unsafe: list[str]


def interval_text(cell: Mapping[str, Any] | None) -> str:
    if cell is None:
        return ABSENT
    if cell.get("low") is None:
        return _("enger als k: nicht geschützt")
    if cell.get("unbounded") or cell.get("high") is None:
        return _("mindestens %(low)s, nach oben offen", low=cell["low"])
    return _("zwischen %(low)s und %(high)s", low=cell["low"], high=cell["high"])


def _split(name: str) -> tuple[int | None, str]:
    """An audit name: "<release id>:<key>" for an earlier release's cell, else the key."""
    head, sep, rest = name.partition(":")
    if sep and head.isdigit():
        return int(head), rest
    return None, name


def audit_view(
    content: Mapping[str, Any],
    audit: Mapping[str, Any],
    earlier: Mapping[int, tuple[str, Mapping[str, Any]]],
) -> AuditView:
    """The stored audit, per table of ``content``. ``earlier``: release id → (period label,
    content) of the earlier releases the audit names."""
    k = int(audit.get("audit", {}).get("k") or content["k"])
    cells = {cell["name"]: cell for cell in audit.get("audit", {}).get("cells", [])}
    primary = set(audit.get("primary", []))
    complementary = set(audit.get("complementary", []))
    forced = set(audit.get("forced", []))
    sensitive = set(audit.get("sensitive", []))
    protects: Mapping[str, str] = audit.get("protects", {})

    def name_of(name: str, prefer: str | None) -> str:
        release_id, key = _split(name)
        if release_id is None:
            return locate(content, key, prefer) or key
        period_label, other = earlier.get(release_id, (str(release_id), None))
        where = (locate(other, key) if other is not None else None) or key
        return _("%(cell)s der Veröffentlichung %(period)s", cell=where, period=period_label)

    def reason(name: str, unit: str, prefer: str | None) -> str:
        if name in primary:
            if unit == "respondents":
                return _("weniger als %(k)s Verursachende", k=k)
            return _("weniger als %(k)s Fälle", k=k)
        if name in complementary:
            protected = protects.get(name)
            if protected is None:
                return _("ergänzend gesperrt")
            return _("schützt Zelle „%(cell)s“", cell=name_of(protected, prefer))
        if name in sensitive:
            return _("zu wenige Beratungsstellen tragen bei, oder eine überwiegt")
        if name in forced:
            return _("bleibt gesperrt wie in der früheren Veröffentlichung")
        return _("gesperrt")

    def audited(name: str, label: str, unit: str, prefer: str | None) -> AuditedCell:
        cell = cells.get(name)
        safe = None if cell is None else bool(cell.get("safe"))
        return AuditedCell(label, reason(name, unit, prefer), interval_text(cell), safe)

    by_table: dict[str, list[AuditedCell]] = {}
    for table in content["tables"]:
        by_table[table["id"]] = [
            audited(
                figure["key"],
                cell_label(table, figure["row"], figure["col"]),
                table["unit"],
                table["id"],
            )
            for figure in table["figures"]
            if figure["value"] is None
        ]
    earlier_cells = [
        audited(name, name_of(name, None), "cases", None)
        for name in sorted(cells)
        if _split(name)[0] is not None
    ]
    return AuditView(
        passed=bool(audit.get("passed")),
        k=k,
        by_table=by_table,
        earlier=earlier_cells,
        unprotectable=[name_of(name, None) for name in audit.get("unprotectable", [])],
        unsafe=[name_of(name, None) for name, cell in cells.items() if not cell.get("safe")],
    )


def earlier_release_ids(audit: Mapping[str, Any]) -> set[int]:
    """The earlier releases an audit names."""
    names: Iterable[str] = [
        *(cell["name"] for cell in audit.get("audit", {}).get("cells", [])),
        *audit.get("protects", {}).values(),
        *audit.get("unprotectable", []),
    ]
    return {release_id for release_id, _key in map(_split, names) if release_id is not None}


# --- the comparison with the previous release ----------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    now: str
    change: str
    changed: bool


@dataclass(frozen=True)
class TableDiff:
    #: False: the earlier release did not contain this table.
    compared: bool
    changes: list[Change]

    @property
    def changed(self) -> int:
        return sum(1 for change in self.changes if change.changed)


def _difference(before: int | None, now: int | None, known: bool) -> str:
    if not known:
        return ABSENT
    if before is None or now is None:
        return SUPPRESSED
    delta = now - before
    if delta == 0:
        return "±0"
    return f"+{delta}" if delta > 0 else f"−{-delta}"


def table_diffs(content: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, TableDiff]:
    """Per table and cell: the earlier value, the current one and the change — a change only
    where both are published ("•" where either is suppressed, "—" where the earlier release
    did not have the figure)."""
    earlier_tables = {table["id"]: table for table in previous["tables"]}
    diffs: dict[str, TableDiff] = {}
    for table in content["tables"]:
        other = earlier_tables.get(table["id"])
        if other is None:
            diffs[table["id"]] = TableDiff(False, [])
            continue
        before = {figure["key"]: figure["value"] for figure in other["figures"]}
        changes = []
        for figure in _ordered(table):
            known = figure["key"] in before
            old = before.get(figure["key"])
            delta = _difference(old, figure["value"], known)
            changes.append(
                Change(
                    label=cell_label(table, figure["row"], figure["col"]),
                    before=shown(old) if known else ABSENT,
                    now=shown(figure["value"]),
                    change=delta,
                    changed=delta not in ("±0", SUPPRESSED, ABSENT),
                )
            )
        diffs[table["id"]] = TableDiff(True, changes)
    return diffs


def _ordered(table: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    """Figures row by row as the table shows them, the totals last."""
    order_rows = {row["code"]: index for index, row in enumerate(table["rows"])}
    order_cols = {col["code"]: index for index, col in enumerate(table["cols"])}
    last = len(order_rows) + len(order_cols) + 1

    def position(figure: Mapping[str, Any]) -> tuple[int, int]:
        row = order_rows.get(figure["row"], last) if figure["row"] is not None else last
        col = order_cols.get(figure["col"], last) if figure["col"] is not None else last
        return row, col

    return sorted(table["figures"], key=position)
