"""What the attacker can compute: the sparse model and the linear programs of an audit.

``disclosure`` states the rules (which figures are suppressed, when a figure is safe); this
module answers its one question — the smallest and largest value a suppressed figure can take,
given what is known — as fast as it can without ever answering wrongly:

- the known constraints split into connected components (unknowns linked through relations
  and known figures); a target's LPs run over its own component only, whose sparse matrices
  are built once and reused by every target in it;
- unknowns the known figures pin to one value (a published cell, a published zero, the last
  unknown of a published sum) are turned into constants first, which shrinks the LPs and
  splits components further;
- a minimum is taken from an earlier optimal solution when that already has the target's
  unknowns at zero.

An infeasible LP, or an interval that excludes the true value, raises
``InconsistentProblemError``; a solver without an answer raises ``SolverError``: the audit
fails closed, it never calls a figure safe it could not bound.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

if TYPE_CHECKING:  # disclosure imports this module: the types only, not at run time
    from servicestelle.stats.disclosure import Problem

#: Relative slack for the float answers of HiGHS before intervals are rounded to integers.
TOLERANCE = 1e-6

_Sparse = Any  # scipy.sparse ships no type information
Indices = npt.NDArray[np.intp]
Mask = npt.NDArray[np.bool_]
_Floats = npt.NDArray[np.float64]


class InconsistentProblemError(ValueError):
    """The true values contradict the relations or sums of the model: a bug upstream."""


class SolverError(RuntimeError):
    """HiGHS gave no usable answer; the audit fails closed instead of calling a cell safe."""


def _matrix(rows: Sequence[Iterable[tuple[int, float]]], n_columns: int) -> _Sparse:
    row_ids: list[int] = []
    columns: list[int] = []
    data: list[float] = []
    for number, row in enumerate(rows):
        for column, coefficient in row:
            row_ids.append(number)
            columns.append(column)
            data.append(coefficient)
    matrix = sparse.csr_array((data, (row_ids, columns)), shape=(len(rows), n_columns))
    matrix.eliminate_zeros()
    return matrix


class Model:
    """The sparse matrices of a problem, built once and shared by all its audits."""

    def __init__(self, problem: Problem) -> None:
        self.n_variables = n = problem.n_variables
        figures = problem.figures
        self.names = [figure.name for figure in figures]
        self.position = {name: number for number, name in enumerate(self.names)}
        self.values = np.array([figure.value for figure in figures], dtype=np.float64)
        self.fixed = np.array([figure.fixed for figure in figures], dtype=np.bool_)
        self.terms = [np.array(figure.terms, dtype=np.intp) for figure in figures]
        self.figure_rows = _matrix([[(i, 1.0) for i in f.terms] for f in figures], n)
        relations = problem.relations
        self.relation_eq = _matrix([r.coefficients for r in relations if r.equality], n)
        self.relation_ub = _matrix([r.coefficients for r in relations if not r.equality], n)
        # Linkage ignores coefficients: every figure and relation is a set of unknowns.
        edges = sparse.vstack([self.figure_rows, self.relation_eq, self.relation_ub], format="csr")
        self.edges = (edges != 0).astype(np.float64)
        self.eligible = ~self.fixed & (self.values > 0)

    def mask(self, names: Collection[str], what: str) -> Mask:
        if isinstance(names, str):
            raise ValueError(f"{what}: expected a collection of figure names, not a string")
        mask = np.zeros(len(self.names), dtype=np.bool_)
        for name in names:
            number = self.position.get(name)
            if number is None:
                raise ValueError(f"{what}: no figure named {name!r}")
            if self.fixed[number]:
                raise ValueError(f"{what}: {name!r} was published earlier and cannot be hidden")
            mask[number] = True
        return mask

    def linked(self, figure: int, *, everything_reachable: bool = False) -> Indices:
        """Eligible candidates within two steps of ``figure`` in the figure/relation graph,
        or, with ``everything_reachable``, anywhere in its connected part of the graph."""
        own = np.zeros(self.n_variables)
        own[self.terms[figure]] = 1.0
        reach = own > 0
        while True:
            touching = self.edges @ reach.astype(np.float64) > 0
            wider = self.edges.T @ touching.astype(np.float64) > 0
            if not everything_reachable or np.array_equal(wider, reach):
                reach = wider
                break
            reach = wider
        linked = self.eligible & (self.figure_rows @ reach.astype(np.float64) > 0)
        linked[figure] = False
        return np.flatnonzero(linked)

    def lone_constraints(self, figure: int, candidates: Indices, hidden: Mask) -> Indices:
        """For each candidate, the known figures and relations it shares with ``figure`` in
        which ``figure`` is the only hidden one: the sums that still give it away (sdcTable's
        "a row with a single suppression"). A candidate there beats one across the table."""
        own = np.zeros(self.n_variables)
        own[self.terms[figure]] = 1.0
        known = np.concatenate([~hidden, np.ones(self.edges.shape[0] - len(hidden), np.bool_)])
        hidden_per_edge = (self.edges @ self.figure_rows[np.flatnonzero(hidden)].T) != 0
        lone = (self.edges @ own > 0) & known & (hidden_per_edge.sum(axis=1) == 1)
        counts = (self.figure_rows[candidates] @ self.edges[np.flatnonzero(lone)].T) != 0
        shared = np.asarray(counts.sum(axis=1), dtype=np.intp).reshape(-1)
        own_row = np.asarray(lone[candidates], dtype=np.intp)  # no constraint shared with itself
        return shared - own_row


class Knowledge:
    """What the attacker knows under one suppression pattern, in independent components."""

    def __init__(self, model: Model, suppressed: Mask, *, zeros_published: bool) -> None:
        self.model = model
        self.suppressed = suppressed
        self.zeros_published = zeros_published
        n = model.n_variables
        known = np.flatnonzero(~suppressed)
        n_relations = model.relation_eq.shape[0]
        a_eq = sparse.vstack([model.relation_eq, model.figure_rows[known]], format="csr")
        b_eq = np.concatenate([np.zeros(n_relations), model.values[known]])
        a_ub, b_ub = model.relation_ub, np.zeros(model.relation_ub.shape[0])
        if zeros_published:
            # A "•" is never a zero: -Σ terms <= -1 for every suppressed positive figure.
            positive = np.flatnonzero(suppressed & (model.values > 0))
            a_ub = sparse.vstack([a_ub, -model.figure_rows[positive]], format="csr")
            b_ub = np.concatenate([b_ub, -np.ones(len(positive))])
        # Which unknowns each known figure can constrain at all: no other candidate can matter.
        _, labels = _components(sparse.vstack([a_eq, a_ub]), n)
        self.reach = labels[:n]
        self.figure_reach = np.full(len(suppressed), -1)
        self.figure_reach[known] = labels[n + n_relations : n + a_eq.shape[0]]
        # Unknowns the known figures pin to one value become constants: smaller LPs, and
        # components that fall apart where they were joined only through a constant.
        self.pinned = _pin(a_eq, b_eq, a_ub, b_ub)
        constants = np.nan_to_num(self.pinned)
        self.free = np.flatnonzero(np.isnan(self.pinned))
        self.a_eq, self.b_eq = _reduce(a_eq, b_eq - a_eq @ constants, self.free, equality=True)
        self.a_ub, self.b_ub = _reduce(a_ub, b_ub - a_ub @ constants, self.free, equality=False)
        count, labels = _components(sparse.vstack([self.a_eq, self.a_ub]), len(self.free))
        self.labels = labels
        self.order = np.argsort(labels, kind="stable")
        self.starts = np.searchsorted(labels[self.order], np.arange(count + 1))
        self.components: dict[int, _Component] = {}
        self.intervals: dict[int, tuple[int, int | float]] = {}

    def suppressing(self, figures: Iterable[int]) -> Knowledge:
        suppressed = self.suppressed.copy()
        suppressed[list(figures)] = True
        return Knowledge(self.model, suppressed, zeros_published=self.zeros_published)

    def constraining(self, target: int, candidates: Indices) -> Indices:
        """The known ``candidates`` that reach an unknown of ``target``."""
        reach = self.reach[self.model.terms[target]]
        return candidates[np.isin(self.figure_reach[candidates], reach)]

    def component(self, label: int) -> _Component:
        component = self.components.get(label)
        if component is None:
            n, n_eq = len(self.free), self.a_eq.shape[0]
            members = self.order[self.starts[label] : self.starts[label + 1]]
            variables = members[members < n]
            eq = members[(members >= n) & (members < n + n_eq)] - n
            ub = members[members >= n + n_eq] - n - n_eq
            component = _Component(
                variables,
                (self.a_eq[eq][:, variables], self.b_eq[eq]),
                (self.a_ub[ub][:, variables], self.b_ub[ub]),
            )
            self.components[label] = component
        return component

    def interval(self, figure: int) -> tuple[int, int | float]:
        """The smallest and largest value of ``figure``, rounded inwards to integers; the
        largest may be ``math.inf``. Kept: the final audit of a protection asks again."""
        known = self.intervals.get(figure)
        if known is None:
            known = self.intervals[figure] = self._interval(figure)
        return known

    def _interval(self, figure: int) -> tuple[int, int | float]:
        model = self.model
        name, value = model.names[figure], int(model.values[figure])
        pinned = self.pinned[model.terms[figure]]
        low = high = float(pinned[~np.isnan(pinned)].sum())
        terms = np.searchsorted(self.free, model.terms[figure][np.isnan(pinned)])
        term_labels = self.labels[terms]
        try:
            for label in np.unique(term_labels).tolist():
                part = self.component(label).bounds(terms[term_labels == label])
                low, high = low + part[0], high + part[1]
        except InconsistentProblemError as error:
            raise InconsistentProblemError(f"figure {name!r}: {error}") from None
        low_int = math.ceil(low - TOLERANCE * max(1.0, abs(low)))
        high_int = high if math.isinf(high) else math.floor(high + TOLERANCE * max(1.0, high))
        if not low_int <= value <= high_int:
            raise InconsistentProblemError(
                f"figure {name!r}: the attacker's interval excludes the true value;"
                " the figures or relations of the model contradict each other"
            )
        return low_int, high_int


def _components(rows: _Sparse, n: int) -> tuple[int, npt.NDArray[np.int32]]:
    """Connected components of the bipartite graph unknowns–constraints: labels of the n
    unknowns, then of the rows."""
    coo = rows.tocoo()
    size = n + coo.shape[0]
    graph = sparse.coo_array((np.ones(coo.nnz), (coo.col, coo.row + n)), shape=(size, size))
    count, labels = connected_components(graph, directed=False)
    return int(count), labels


def _pin(a_eq: _Sparse, b_eq: _Floats, a_ub: _Sparse, b_ub: _Floats) -> _Floats:
    """Values of the unknowns the constraints pin down (NaN for the others), by propagation:
    the only unknown left in an equation, and every unknown left in a constraint whose
    unknowns all have positive coefficients and whose right-hand side is used up (x >= 0)."""
    pinned = np.full(a_eq.shape[1], np.nan)
    equations = [_Rows(a_eq, b_eq, equality=True), _Rows(a_ub, b_ub, equality=False)]
    changed = True
    while changed:
        changed = False
        for rows in equations:
            columns, values = rows.pinned(pinned)
            if columns.size:
                pinned[columns] = values
                changed = True
    return pinned


class _Rows:
    """One constraint block in coordinate form, for the propagation of ``_pin``."""

    def __init__(self, matrix: _Sparse, rhs: _Floats, *, equality: bool) -> None:
        coo = matrix.tocoo()
        self.row, self.column, self.data = coo.row, coo.col, coo.data
        self.rhs, self.equality, self.size = rhs, equality, matrix.shape[0]
        self.tolerance = TOLERANCE * np.maximum(1.0, np.abs(rhs))

    def pinned(self, pinned: _Floats) -> tuple[Indices, _Floats]:
        free = np.isnan(pinned[self.column])
        known = np.where(free, 0.0, self.data * np.nan_to_num(pinned[self.column]))
        rest = self.rhs - np.bincount(self.row, weights=known, minlength=self.size)
        count = np.bincount(self.row[free], minlength=self.size)
        negative = np.bincount(self.row[free & (self.data < 0)], minlength=self.size)
        used_up = (count > 0) & (negative == 0) & (np.abs(rest) <= self.tolerance)
        zero = free & used_up[self.row]
        columns, values = [self.column[zero]], [np.zeros(int(zero.sum()))]
        if self.equality:
            single = free & (count == 1)[self.row] & ~zero
            value = rest[self.row[single]] / self.data[single]
            if np.any(value < -TOLERANCE * np.maximum(1.0, np.abs(value))):
                raise InconsistentProblemError("an equation forces a count below zero")
            columns.append(self.column[single])
            values.append(np.maximum(value, 0.0))
        return np.concatenate(columns), np.concatenate(values)


def _reduce(
    matrix: _Sparse, rhs: _Floats, free: Indices, *, equality: bool
) -> tuple[_Sparse, _Floats]:
    """The constraints on the free unknowns; the rows without any are checked and dropped."""
    reduced = matrix[:, free].tocsr()
    reduced.eliminate_zeros()
    empty = np.diff(reduced.indptr) == 0
    tolerance = TOLERANCE * np.maximum(1.0, np.abs(rhs[empty]))
    violated = np.abs(rhs[empty]) > tolerance if equality else rhs[empty] < -tolerance
    if np.any(violated):
        raise InconsistentProblemError("the known figures contradict a relation or each other")
    keep = np.flatnonzero(~empty)
    return reduced[keep], rhs[keep]


class _Component:
    """One connected component's constraints, reused for every target inside it."""

    def __init__(
        self,
        variables: Indices,
        equalities: tuple[_Sparse, _Floats],
        inequalities: tuple[_Sparse, _Floats],
    ) -> None:
        self.variables = variables
        self.points: list[_Floats] = []  # optimal solutions found so far: feasible points
        self.a_eq: _Sparse | None = None
        self.b_eq: _Floats | None = None
        self.a_ub: _Sparse | None = None
        self.b_ub: _Floats | None = None
        if equalities[0].shape[0]:  # linprog wants None, not an empty matrix
            self.a_eq, self.b_eq = equalities
        if inequalities[0].shape[0]:
            self.a_ub, self.b_ub = inequalities

    def bounds(self, terms: Indices) -> tuple[float, float]:
        """Min and max of the sum of the unknowns ``terms`` (reduced indices)."""
        if self.a_eq is None and self.a_ub is None:
            return 0.0, math.inf  # nothing constrains these unknowns
        local = np.searchsorted(self.variables, terms)
        objective = np.zeros(len(self.variables))
        objective[local] = 1.0
        high = -self._optimum(-objective)
        # x >= 0, so a solution found earlier with these unknowns at zero proves the minimum
        # (and, like any minimum, that the constraints can be met at all).
        if any(np.all(point[local] <= TOLERANCE) for point in self.points):
            return 0.0, high
        return self._optimum(objective), high

    def _optimum(self, objective: _Floats) -> float:
        """min objective·x over x >= 0; −inf when unbounded (only a maximum can be)."""
        for presolve in (True, False):
            result = linprog(
                objective,
                A_ub=self.a_ub,
                b_ub=self.b_ub,
                A_eq=self.a_eq,
                b_eq=self.b_eq,
                bounds=(0, None),
                method="highs",
                options={"presolve": presolve},
            )
            if result.status == 0:
                self.points.append(result.x)
                return float(result.fun)
            if result.status == 3:
                return -math.inf  # bounds() proves feasibility with the minimum
            # HiGHS's presolve may leave "unbounded or infeasible" open (status 4) and has been
            # seen to call an unbounded LP infeasible (1.12): only the answer without it counts.
        if result.status == 2:
            raise InconsistentProblemError("the attacker's linear program is infeasible")
        raise SolverError(f"HiGHS found no answer: {result.message}")
