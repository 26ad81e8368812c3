"""Counting the statistics store: figures by key and quarter (or period).

One GROUP BY per combination of basis and dimensions (a table's cells, its row margins, its
column margins and its total are separate queries: with multiple answers a margin is not the
sum of its cells). The database groups by month and the stored code strings; the few
distinct combinations are then split into codes here.

How stored codes are read (documented, and the disclosure model relies on it):
- a multi-select column holds codes joined by ';' — a case counts once under each;
- an empty value of a complete dimension counts as ``keine_angabe``; a code the current
  catalogue does not know (retired since) counts as ``anderes`` where the list has it, else
  as ``keine_angabe`` — so every case counts under at least one code of every complete
  dimension, and under exactly one of a single-select dimension;
- a sub-item dimension counts only its own codes (a case may have none).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from servicestelle.extensions import db
from servicestelle.stats.keys import Key
from servicestelle.stats.models import StatsRecord
from servicestelle.stats.periods import Period, Quarter, quarter_of_month
from servicestelle.stats.tables import NO_ANSWER, OTHER, Basis, Dimension, Dimensions

_MONTH_COLUMN = {Basis.OPENED: "opened_month", Basis.CLOSED: "closed_month"}


def codes_of(stored: str | None, dim: Dimension) -> tuple[str, ...]:
    """The codes a stored value counts under in a dimension (see the module docstring)."""
    raw = [code for code in (stored or "").split(";") if code]
    known = set(dim.codes)
    if not dim.complete:
        return tuple(code for code in dict.fromkeys(raw) if code in known)
    fallback = OTHER if OTHER in known else NO_ANSWER
    codes = tuple(dict.fromkeys(code if code in known else fallback for code in raw))
    if len(codes) > 1 and NO_ANSWER in codes:
        # "keine Angabe" stands alone (catalogue.CodeList.validate refuses it with others),
        # and the disclosure model relies on it: never counted beside another code.
        codes = tuple(code for code in codes if code != NO_ANSWER)
    if not codes:
        return (NO_ANSWER,)
    return codes if dim.multiple else codes[:1]


def case_counts(
    centre_id: int,
    keys: Iterable[Key],
    quarters: Iterable[Quarter],
    dims: Dimensions,
) -> dict[tuple[Key, Quarter], int]:
    """Per quarter, the number of cases under each key (bases counted per quarter only).

    Keys without a case are present with 0.
    """
    wanted_quarters = sorted(set(quarters))
    groups: dict[tuple[Basis, tuple[str, ...]], set[Key]] = defaultdict(set)
    for key in keys:
        if not key.basis.per_quarter:
            raise ValueError(f"{key.text} is not counted per quarter")
        groups[(key.basis, key.dimensions)].add(key)
    result = {(key, q): 0 for group in groups.values() for key in group for q in wanted_quarters}
    if not wanted_quarters:
        return result
    first, last = wanted_quarters[0].months[0], wanted_quarters[-1].months[1]
    quarter_set = set(wanted_quarters)
    table = StatsRecord.__table__
    for (basis, names), group in groups.items():
        month = table.c[_MONTH_COLUMN[basis]]
        columns = [table.c[name] for name in names]
        query = (
            sa.select(month, *columns, sa.func.count())
            .where(table.c.centre_id == centre_id, month >= first, month <= last)
            .group_by(month, *columns)
        )
        by_column = [dims[name] for name in names]
        for row in db.session.execute(query):
            quarter = quarter_of_month(row[0])
            if quarter not in quarter_set:
                continue
            count = row[-1]
            per_dim = [
                codes_of(value, dim) for value, dim in zip(row[1:-1], by_column, strict=True)
            ]
            for combination in itertools.product(*per_dim):
                key = Key(basis, tuple(zip(names, combination, strict=True)))
                if key in group:
                    result[(key, quarter)] += count
    return result


def repeated_counts(
    centre_id: int, keys: Iterable[Key], period: Period, dims: Dimensions
) -> dict[Key, int]:
    """Respondents (pseudonymous tokens) with at least n cases opened in the period, overall
    and within each life area."""
    wanted = list(keys)
    table = StatsRecord.__table__
    first, last = period.months
    query = sa.select(table.c.respondent_token, table.c.life_areas).where(
        table.c.centre_id == centre_id,
        table.c.opened_month >= first,
        table.c.opened_month <= last,
        table.c.respondent_token.is_not(None),
    )
    overall: Counter[bytes] = Counter()
    by_area: Counter[tuple[bytes, str]] = Counter()
    life_areas = dims["life_areas"]
    for token, areas in db.session.execute(query):
        overall[token] += 1
        for area in codes_of(areas, life_areas):
            by_area[(token, area)] += 1
    result: dict[Key, int] = {}
    for key in wanted:
        n = key.basis.threshold
        within = key.code("life_areas")
        if within is None:
            result[key] = sum(1 for count in overall.values() if count >= n)
        else:
            result[key] = sum(1 for (_, a), count in by_area.items() if a == within and count >= n)
    return result


class StoreCounts:
    """Figure values of one centre from its statistics store (stats.model.Counts)."""

    def __init__(self, centre_id: int, dims: Dimensions) -> None:
        self.centre_id = centre_id
        self.dims = dims

    def figures(
        self, keys: Iterable[Key], periods: Iterable[Period]
    ) -> dict[tuple[Key, Period], int]:
        wanted, spans = list(dict.fromkeys(keys)), list(dict.fromkeys(periods))
        per_quarter = [key for key in wanted if key.basis.per_quarter]
        repeated = [key for key in wanted if not key.basis.per_quarter]
        quarters = {q for period in spans for q in period.quarters}
        counts = case_counts(self.centre_id, per_quarter, quarters, self.dims)
        result: dict[tuple[Key, Period], int] = {}
        for period in spans:
            for key in per_quarter:
                result[(key, period)] = sum(counts[(key, q)] for q in period.quarters)
            if repeated:
                for key, value in repeated_counts(
                    self.centre_id, repeated, period, self.dims
                ).items():
                    result[(key, period)] = value
        return result

    def sensitive(self, keys: Iterable[Key], period: Period) -> set[Key]:
        """One centre's counts have no rule beyond k (stats.model.Counts)."""
        return set()
