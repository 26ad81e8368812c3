"""Figure keys: which number a figure is, independent of the table that shows it.

``opened|grounds=geschlecht|life_areas=arbeit`` is the number of cases opened in a period
with the ground "Geschlecht" and the life area "Arbeit". The same key in two tables, or in
two releases, is the same number; the disclosure model links them through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from servicestelle.stats.tables import NO_ANSWER, Basis, Dimensions, Table

Condition = tuple[str, str]


@dataclass(frozen=True, order=True)
class Key:
    basis: Basis
    #: (dimension, code) pairs, sorted by dimension, at most one per dimension.
    conditions: tuple[Condition, ...] = ()

    @classmethod
    def of(cls, basis: Basis, conditions: Iterable[Condition] = ()) -> Key:
        ordered = tuple(sorted(conditions))
        if len({name for name, _ in ordered}) != len(ordered):
            raise ValueError("one condition per dimension")
        return cls(basis, ordered)

    @property
    def text(self) -> str:
        return "|".join([self.basis.value, *(f"{name}={code}" for name, code in self.conditions)])

    @classmethod
    def parse(cls, text: str) -> Key:
        basis, *parts = text.split("|")
        return cls.of(Basis(basis), (tuple(part.split("=", 1)) for part in parts))  # type: ignore[misc]

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.conditions)

    def code(self, name: str) -> str | None:
        return dict(self.conditions).get(name)

    def without(self, name: str) -> Key:
        return Key(self.basis, tuple(c for c in self.conditions if c[0] != name))

    def with_(self, name: str, code: str) -> Key:
        return Key.of(self.basis, (*self.without(name).conditions, (name, code)))


@dataclass(frozen=True)
class Layout:
    """A table laid out: row and column codes, and the key of every figure it shows."""

    table: Table
    row_codes: tuple[str, ...]
    col_codes: tuple[str, ...]
    #: (row code or None, column code or None) → key; None stands for the margin/total.
    keys: dict[tuple[str | None, str | None], Key]

    def all_keys(self) -> list[Key]:
        return list(dict.fromkeys(self.keys.values()))


def layout(table: Table, dims: Dimensions) -> Layout:
    """Every figure a table shows, by position."""
    keys: dict[tuple[str | None, str | None], Key] = {}
    if table.totals and table.cols is None:
        # A table of totals: one row per basis (opened and closed cases).
        for basis in table.totals:
            keys[(basis.value, None)] = Key.of(basis)
        return Layout(table, tuple(b.value for b in table.totals), (), keys)
    if table.totals:
        # Repeated respondents: one row per threshold, life areas as columns.
        cols = dims[table.cols or ""]
        for basis in table.totals:
            keys[(basis.value, None)] = Key.of(basis)
            for code in cols.codes:
                keys[(basis.value, code)] = Key.of(basis, [(cols.name, code)])
        return Layout(table, tuple(b.value for b in table.totals), cols.codes, keys)
    rows = dims[table.rows or ""]
    total = Key.of(table.basis)
    if rows.parent is not None and rows.parent_of:
        # Sub-items: the table's total is the cases with their parent code.
        (top,) = set(rows.parent_of.values())
        total = Key.of(table.basis, [(rows.parent, top)])
    keys[(None, None)] = total
    for code in rows.codes:
        keys[(code, None)] = Key.of(table.basis, [(rows.name, code)])
    if table.cols is None:
        return Layout(table, rows.codes, (), keys)
    cols = dims[table.cols]
    col_codes = tuple(code for code in cols.codes if code not in table.hidden_cols)
    for col in col_codes:
        keys[(None, col)] = total.with_(cols.name, col)
        for row in rows.codes:
            if cols.combination_of == rows.name and row == NO_ANSWER:
                continue  # no ground recorded: neither alone nor combined with another
            keys[(row, col)] = Key.of(table.basis, [(rows.name, row), (cols.name, col)])
    return Layout(table, rows.codes, col_codes, keys)
