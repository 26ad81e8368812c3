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
- ``keine_angabe`` is never counted beside another code of the same dimension (a case
  counted under it has no other code there);
- a sub-item dimension counts only its own codes (a case may have none);
- a combination dimension (``ground_combination``) reads the column of the dimension it
  counts: ``keine_angabe`` where that dimension counts only ``keine_angabe``, ``einzeln``
  where it counts one code, ``mehrfach`` where two or more.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from servicestelle.extensions import db
from servicestelle.stats.keys import Key
from servicestelle.stats.models import StatsRecord
from servicestelle.stats.periods import Period, Quarter, quarter_of_month
from servicestelle.stats.tables import (
    NO_ANSWER,
    OTHER,
    SEVERAL,
    SINGLE,
    Basis,
    Dimension,
    Dimensions,
)

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


def combination_code(stored: str | None, counted: Dimension) -> str:
    """How many codes of ``counted`` a stored value counts under, as a combination code."""
    codes = codes_of(stored, counted)
    if codes == (NO_ANSWER,):
        return NO_ANSWER
    return SINGLE if len(codes) == 1 else SEVERAL


def _codes(stored: str | None, dim: Dimension, dims: Dimensions) -> tuple[str, ...]:
    if dim.combination_of is not None:
        return (combination_code(stored, dims[dim.combination_of]),)
    return codes_of(stored, dim)


Group = tuple[Basis, tuple[str, ...]]


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
    groups: dict[Group, set[Key]] = defaultdict(set)
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
    answered_by = query_plan(groups, dims)
    for query_group in dict.fromkeys(answered_by.values()):
        basis, names = query_group
        month = table.c[_MONTH_COLUMN[basis]]
        columns = [table.c[dims[name].column] for name in names]
        query = (
            sa.select(month, *columns, sa.func.count())
            .where(table.c.centre_id == centre_id, month >= first, month <= last)
            .group_by(month, *columns)
        )
        rows = [tuple(row) for row in db.session.execute(query)]
        for group, by in answered_by.items():
            if by == query_group:
                summed = _by_quarter(rows, names, group[1], quarter_set)
                _add_counts(result, groups[group], group, summed, dims)
    return result


def _add_counts(
    result: dict[tuple[Key, Quarter], int],
    wanted: set[Key],
    group: Group,
    summed: Iterable[tuple[Quarter, tuple[str, ...], int]],
    dims: Dimensions,
) -> None:
    """Add the counts of stored values to the keys of ``group`` they count under."""
    basis, names = group
    by_column = [dims[name] for name in names]
    for quarter, values, count in summed:
        per_dim = [_codes(value, dim, dims) for value, dim in zip(values, by_column, strict=True)]
        for combination in itertools.product(*per_dim):
            key = Key(basis, tuple(zip(names, combination, strict=True)))
            if key in wanted:
                result[(key, quarter)] += count


#: Single-select dimensions share one GROUP BY while the product of their code counts (plus
#: one, for a retired code) stays below this: at most that many groups per month come back.
SMALL_COMBINATIONS = 1_000


def query_plan(groups: Iterable[Group], dims: Dimensions | None = None) -> dict[Group, Group]:
    """For each (basis, dimensions), the GROUP BY that answers it: its own, or one of the same
    basis grouping by more columns. Each record falls into one group of stored values, so the
    counts of fewer columns are sums over the others' groups (before the values are split into
    codes): a table's margins and total come from its cells' query, one full pass instead of
    four. With ``dims``, single-select dimensions of the same basis are also grouped by
    together while their combinations stay few (SMALL_COMBINATIONS): a pass less each."""
    widest_first = sorted(set(groups), key=lambda group: (-len(group[1]), group))
    queried: list[Group] = []
    answered_by: dict[Group, Group] = {}
    for basis, names in widest_first:
        host = next((q for q in queried if q[0] == basis and set(names) <= set(q[1])), None)
        if host is None:
            host = (basis, names)
            queried.append(host)
        answered_by[(basis, names)] = host
    if dims is not None:
        merged = _merged_single_selects(queried, dims)
        answered_by = {group: merged.get(host, host) for group, host in answered_by.items()}
    return answered_by


def _merged_single_selects(queried: list[Group], dims: Dimensions) -> dict[Group, Group]:
    """Queries over single-select dimensions only, bundled per basis in order while the
    bundle's combinations stay below SMALL_COMBINATIONS: each query -> its bundle's query."""
    bundles: list[tuple[Basis, set[str]]] = []
    for basis, names in sorted(queried):
        # A combination dimension reads a multi-select column: many distinct values.
        if not names or any(dims[n].multiple or dims[n].combination_of for n in names):
            continue
        last = bundles[-1] if bundles else None
        if last is not None and last[0] == basis:
            together = last[1] | set(names)
            if math.prod(len(dims[name].codes) + 1 for name in together) <= SMALL_COMBINATIONS:
                last[1].update(names)
                continue
        bundles.append((basis, set(names)))
    merged: dict[Group, Group] = {}
    for basis, names in queried:
        for bundle_basis, bundle in bundles:
            if bundle_basis == basis and names and set(names) <= bundle:
                merged[(basis, names)] = (basis, tuple(sorted(bundle)))
                break
    return merged


def _by_quarter(
    rows: list[tuple[Any, ...]],
    columns: tuple[str, ...],
    wanted: tuple[str, ...],
    quarters: set[Quarter],
) -> Iterable[tuple[Quarter, tuple[str, ...], int]]:
    """The (month, values…, count) rows of a GROUP BY over ``columns``, summed by quarter over
    the ``wanted`` columns only."""
    where = [columns.index(name) + 1 for name in wanted]
    summed: Counter[tuple[Quarter, tuple[str, ...]]] = Counter()
    for row in rows:
        quarter = quarter_of_month(row[0])
        if quarter in quarters:
            summed[(quarter, tuple(row[i] for i in where))] += row[-1]
    return ((quarter, values, count) for (quarter, values), count in summed.items())


def repeated_counts(
    centre_id: int, keys: Iterable[Key], period: Period, dims: Dimensions
) -> dict[Key, int]:
    """Respondents (pseudonymous tokens) with at least n cases opened in the period, overall
    and within each life area."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    table = StatsRecord.__table__
    first, last = period.months
    in_period = sa.and_(
        table.c.centre_id == centre_id,
        table.c.opened_month >= first,
        table.c.opened_month <= last,
        table.c.respondent_token.is_not(None),
    )
    # Which stored values count under which life area is codes_of's to say (retired codes,
    # "keine_angabe"): it is asked once per distinct stored value, and the database counts
    # each token's records in an area as those holding one of the area's stored values.
    areas = {area for key in wanted if (area := key.code("life_areas")) is not None}
    stored_in: dict[str, list[str]] = {area: [] for area in areas}
    for value in db.session.scalars(sa.select(table.c.life_areas).where(in_period).distinct()):
        for area in codes_of(value, dims["life_areas"]):
            if area in stored_in:
                stored_in[area].append(value)
    counted = {area: values for area, values in stored_in.items() if values}
    # One pass: per token its cases overall and per area, kept when it has enough overall (a
    # token has no more cases in an area than overall); then per key, the tokens with >= n.
    per_area = [
        sa.func.sum(sa.case((table.c.life_areas.in_(values), 1), else_=0)).label(f"area_{i}")
        for i, values in enumerate(counted.values())
    ]
    per_token = (
        sa.select(sa.func.count().label("overall"), *per_area)
        .where(in_period)
        .group_by(table.c.respondent_token)
        .having(sa.func.count() >= min(key.basis.threshold for key in wanted))
        .subquery()
    )
    column_of = dict(zip(counted, per_token.c[1:], strict=True))
    column_of[_OVERALL] = per_token.c.overall
    countable = [key for key in wanted if (key.code("life_areas") or _OVERALL) in column_of]
    tallies = [
        sa.func.sum(
            sa.case(
                (column_of[key.code("life_areas") or _OVERALL] >= key.basis.threshold, 1), else_=0
            )
        )
        for key in countable
    ]
    result = dict.fromkeys(wanted, 0)
    if tallies:
        row = db.session.execute(sa.select(*tallies).select_from(per_token)).one()
        result.update({key: int(value or 0) for key, value in zip(countable, row, strict=True)})
    return result


#: The count over all life areas, beside the areas' codes (never a code itself).
_OVERALL = ""


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
