"""Disclosure control for released counts: cell suppression proven safe by an attacker's LPs.

The model is domain-independent. There are ``n_variables`` non-negative unknowns (true counts
in the finest cells the caller's model uses), homogeneous structural ``Relation``s between them
and ``Figure``s: each figure is the sum of some unknowns and has a true value. A ``fixed`` figure
belongs to an earlier release and is known to everyone; a draft figure is published or
suppressed.

The attacker knows every relation, every fixed figure, every published draft figure and that
the unknowns are non-negative. For each suppressed figure they solve two linear programs (HiGHS
through ``scipy.optimize.linprog``): the smallest and largest value the figure can take
(Fischetti & Salazar's feasibility interval, sdcTable's ``attack()``). Counts are integers, so
the interval is rounded inwards. A suppressed figure is *safe* when its interval holds values at
least ``k`` apart: the attacker can neither recompute it nor tell a count below the threshold
from one at or above it. Every suppressed figure is held to this rule, complementary ones
included: a dot that can be recomputed hides nothing.

Zeros: a zero reveals no person, so zeros are published and are never primary suppressions. Nor
are they ever chosen as complementary suppressions: hiding a cell everyone can guess is zero
protects nothing in practice. A zero the caller suppresses through ``forced`` is still audited
like every other suppressed figure.

An infeasible attacker LP, or an interval that excludes the true value, means the true values
contradict the model: that is a bug upstream and raises ``InconsistentProblemError`` — it is
never reported as "safe".

Speed: the known constraints split into connected components (unknowns linked through
relations and known figures); a target's LPs run over its own component only, whose sparse
matrices are built once and reused by every target in it. Unknowns the known figures pin to
one value (a published cell, a published zero, the last unknown of a published sum) are
turned into constants first, which shrinks the LPs and splits components further. A minimum
is taken from an earlier optimal solution when that already has the target's unknowns at zero.
"""

from __future__ import annotations

import math
import operator
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

#: The smallest threshold we accept: one or two cases may never be recomputable (security §5).
MIN_K = 3
#: Relative slack for the float answers of HiGHS before intervals are rounded to integers.
_TOLERANCE = 1e-6

_Sparse = Any  # scipy.sparse ships no type information
_Indices = npt.NDArray[np.intp]
_Mask = npt.NDArray[np.bool_]
_Floats = npt.NDArray[np.float64]


class InconsistentProblemError(ValueError):
    """The true values contradict the relations or sums of the model: a bug upstream."""


class SolverError(RuntimeError):
    """HiGHS gave no usable answer; the audit fails closed instead of calling a cell safe."""


def _index(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what}: {value!r} is not a variable index")
    try:
        index = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{what}: {value!r} is not a variable index") from None
    if index < 0:
        raise ValueError(f"{what}: negative variable index {index}")
    return index


@dataclass(frozen=True)
class Relation:
    """Σ coefficient·x == 0 (``equality``) or Σ coefficient·x <= 0, e.g. total − Σ cells == 0."""

    coefficients: tuple[tuple[int, float], ...]
    equality: bool

    def __post_init__(self) -> None:
        terms = tuple(
            (_index(index, "relation"), float(coefficient))
            for index, coefficient in self.coefficients
        )
        if not terms:
            raise ValueError("relation without terms")
        if len({index for index, _ in terms}) != len(terms):
            raise ValueError("relation names a variable twice")
        if not all(math.isfinite(coefficient) for _, coefficient in terms):
            raise ValueError("relation with a non-finite coefficient")
        if not isinstance(self.equality, bool):
            raise ValueError("relation: equality must be a bool")
        object.__setattr__(self, "coefficients", terms)


@dataclass(frozen=True)
class Figure:
    """A number of the release: the sum of the unknowns ``terms``, true value ``value``."""

    name: str
    terms: tuple[int, ...]
    value: int
    fixed: bool  # published in an earlier release: known, can never be suppressed now

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"figure name must be a non-empty string, not {self.name!r}")
        terms = tuple(_index(index, f"figure {self.name!r}") for index in self.terms)
        if not terms or len(set(terms)) != len(terms):
            raise ValueError(f"figure {self.name!r} needs distinct terms")
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value < 0:
            raise ValueError(f"figure {self.name!r}: value must be a count (int >= 0)")
        if not isinstance(self.fixed, bool):
            raise ValueError(f"figure {self.name!r}: fixed must be a bool")
        object.__setattr__(self, "terms", terms)


@dataclass(frozen=True)
class Problem:
    """Unknowns, relations and figures of one release, with everything published before it."""

    n_variables: int
    relations: tuple[Relation, ...]
    figures: tuple[Figure, ...]

    def __post_init__(self) -> None:
        n = self.n_variables
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError("n_variables must be an int >= 0")
        object.__setattr__(self, "relations", tuple(self.relations))
        object.__setattr__(self, "figures", tuple(self.figures))
        if not all(isinstance(relation, Relation) for relation in self.relations):
            raise ValueError("relations must be Relation objects")
        if not all(isinstance(figure, Figure) for figure in self.figures):
            raise ValueError("figures must be Figure objects")
        for number, relation in enumerate(self.relations):
            if any(index >= self.n_variables for index, _ in relation.coefficients):
                raise ValueError(f"relation {number}: variable index out of range")
        for figure in self.figures:
            if any(index >= self.n_variables for index in figure.terms):
                raise ValueError(f"figure {figure.name!r}: variable index out of range")
        names = [figure.name for figure in self.figures]
        if len(set(names)) != len(names):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            raise ValueError(f"figure names are not unique: {', '.join(duplicates)}")

    @cached_property
    def _model(self) -> _Model:
        return _Model(self)


@dataclass(frozen=True)
class CellAudit:
    """The attacker's integer interval for one suppressed figure; ``high`` may be ``math.inf``."""

    name: str
    value: int
    low: int
    high: int | float
    safe: bool

    def to_json(self) -> dict[str, object]:
        unbounded = math.isinf(self.high)
        return {
            "name": self.name,
            "value": self.value,
            "low": self.low,
            "high": None if unbounded else int(self.high),
            "unbounded": unbounded,
            "safe": self.safe,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CellAudit:
        name, unbounded, safe = data["name"], data["unbounded"], data["safe"]
        if not isinstance(name, str) or not isinstance(unbounded, bool):
            raise ValueError("malformed cell audit")
        if not isinstance(safe, bool):
            raise ValueError("malformed cell audit")
        high = math.inf if unbounded else _json_int(data, "high")
        return cls(name, _json_int(data, "value"), _json_int(data, "low"), high, safe)


@dataclass(frozen=True)
class Audit:
    """One attack on a suppression pattern: a ``CellAudit`` per suppressed figure."""

    k: int
    cells: tuple[CellAudit, ...]

    @property
    def passed(self) -> bool:
        return all(cell.safe for cell in self.cells)

    @property
    def unsafe(self) -> tuple[str, ...]:
        return tuple(cell.name for cell in self.cells if not cell.safe)

    def to_json(self) -> dict[str, object]:
        """JSON-compatible form (no NaN or Infinity: an unbounded high is null plus a flag)."""
        return {
            "k": self.k,
            "passed": self.passed,
            "cells": [cell.to_json() for cell in self.cells],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Audit:
        cells = data["cells"]
        if not isinstance(cells, list):
            raise ValueError("malformed audit")
        audit = cls(_json_int(data, "k"), tuple(CellAudit.from_json(cell) for cell in cells))
        if data["passed"] is not audit.passed:
            raise ValueError("audit's stored verdict contradicts its cells")
        return audit


@dataclass(frozen=True)
class Protection:
    """A suppression pattern, why each complementary cell is in it, and its final audit."""

    suppressed: frozenset[str]
    primary: frozenset[str]
    complementary: frozenset[str]
    audit: Audit
    forced: frozenset[str] = frozenset()
    #: complementary figure → the unsafe figure it was suppressed for (the approver's "why")
    protects: Mapping[str, str] = field(default_factory=dict)
    #: figures that no suppression within reach could make safe
    unprotectable: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def passed(self) -> bool:
        return self.audit.passed

    def to_json(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "reason": self.reason,
            "primary": sorted(self.primary),
            "forced": sorted(self.forced),
            "complementary": sorted(self.complementary),
            "protects": dict(sorted(self.protects.items())),
            "unprotectable": list(self.unprotectable),
            "audit": self.audit.to_json(),
        }


def _json_int(data: Mapping[str, object], key: str) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"malformed audit: {key} must be an int")
    return value


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < MIN_K:
        raise ValueError(f"threshold k must be an int >= {MIN_K}, not {k!r}")


def primary(problem: Problem, k: int) -> frozenset[str]:
    """The draft figures of 1 to k−1 cases: too few to publish. Zeros are not sensitive."""
    _check_k(k)
    return frozenset(f.name for f in problem.figures if not f.fixed and 1 <= f.value < k)


def attack(problem: Problem, suppressed: Collection[str], k: int) -> Audit:
    """Every suppressed figure's interval as the best-informed attacker computes it."""
    _check_k(k)
    model = problem._model
    mask = model.mask(suppressed, "suppressed")
    knowledge = _Knowledge(model, mask)
    return Audit(k, tuple(knowledge.audit(int(f), k) for f in np.flatnonzero(mask)))


def protect(problem: Problem, k: int, *, forced: Collection[str] = ()) -> Protection:
    """Primary suppression plus ``forced``, then greedy complementary suppression until safe.

    For an unsafe figure the candidates are the draft, published, non-zero figures linked to
    it: those sharing an unknown with it, or with a figure or relation that shares one (two
    steps in the figure/relation graph) — or, when those cannot protect it even all together,
    every eligible figure connected to it. They are tried one at a time in ascending value; the
    first that makes the figure safe is taken. If none does alone, one is suppressed as a
    step and the search goes on: the smallest of those that share the most published sums
    in which the figure is still the only hidden one (sdcTable's "row with a single
    suppression"), which is simply the smallest candidate once no such sum is left. If even
    suppressing every candidate would leave the figure unsafe, it is reported as
    unprotectable instead and nothing is suppressed for it. Suppressing more only widens
    intervals, so a figure once safe stays safe; complementary figures are audited too.
    """
    _check_k(k)
    model = problem._model
    primary_names = primary(problem, k)
    forced_mask = model.mask(forced, "forced")
    mask = model.mask(primary_names, "primary") | forced_mask
    knowledge = _Knowledge(model, mask)
    protects: dict[int, int] = {}
    unprotectable: list[int] = []
    queue = deque(int(f) for f in np.flatnonzero(mask))
    while queue:
        target = queue.popleft()
        if knowledge.audit(target, k).safe:
            continue
        pool = model.linked(target)
        if not knowledge.suppressing(pool).audit(target, k).safe:
            # What gives it away may lie further off (a published zero, a margin and the
            # total pin a cell three steps away): widen to everything connected to it.
            pool = model.linked(target, everything_reachable=True)
            if not knowledge.suppressing(pool).audit(target, k).safe:
                unprotectable.append(target)
                continue
        safe = False
        while not safe:
            step = _complement(knowledge, target, pool, k)
            if step is None:  # pragma: no cover - only if the solver contradicts monotonicity
                unprotectable.append(target)
                break
            knowledge, chosen, safe = step
            protects[chosen] = target
            queue.append(chosen)

    names = [figure.name for figure in problem.figures]
    suppressed = frozenset(names[f] for f in np.flatnonzero(knowledge.suppressed))
    audit = attack(problem, suppressed, k)
    reason = None
    if unprotectable:
        reason = (
            "no suppression of a linked draft figure can protect "
            + ", ".join(names[f] for f in unprotectable)
            + " (the figures that reveal it are fixed, zero or suppressed already)"
        )
    elif not audit.passed:  # pragma: no cover - only if the solver contradicts monotonicity
        reason = "still unsafe after complementary suppression: " + ", ".join(audit.unsafe)
    forced_names = frozenset(names[f] for f in np.flatnonzero(forced_mask))
    return Protection(
        suppressed=suppressed,
        primary=primary_names,
        complementary=suppressed - primary_names - forced_names,
        audit=audit,
        forced=forced_names,
        protects={names[c]: names[t] for c, t in protects.items()},
        unprotectable=tuple(names[f] for f in unprotectable),
        reason=reason,
    )


def _complement(
    knowledge: _Knowledge, target: int, pool: _Indices, k: int
) -> tuple[_Knowledge, int, bool] | None:
    """Suppress one more candidate for ``target``: the first that suffices, else a step."""
    model = knowledge.model
    free = knowledge.constraining(target, pool[~knowledge.suppressed[pool]])
    if not free.size:
        return None
    free = free[np.lexsort((free, model.values[free]))]
    for candidate in free.tolist():
        trial = knowledge.suppressing([candidate])
        if trial.audit(target, k).safe:
            return trial, candidate, True
    lone = model.lone_constraints(target, free, knowledge.suppressed)
    step = int(free[np.lexsort((free, model.values[free], -lone))[0]])
    return knowledge.suppressing([step]), step, False


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


class _Model:
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

    def mask(self, names: Collection[str], what: str) -> _Mask:
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

    def linked(self, figure: int, *, everything_reachable: bool = False) -> _Indices:
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

    def lone_constraints(self, figure: int, candidates: _Indices, hidden: _Mask) -> _Indices:
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


class _Knowledge:
    """What the attacker knows under one suppression pattern, in independent components."""

    def __init__(self, model: _Model, suppressed: _Mask) -> None:
        self.model = model
        self.suppressed = suppressed
        n = model.n_variables
        known = np.flatnonzero(~suppressed)
        n_relations = model.relation_eq.shape[0]
        a_eq = sparse.vstack([model.relation_eq, model.figure_rows[known]], format="csr")
        b_eq = np.concatenate([np.zeros(n_relations), model.values[known]])
        a_ub, b_ub = model.relation_ub, np.zeros(model.relation_ub.shape[0])
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

    def suppressing(self, figures: Iterable[int]) -> _Knowledge:
        suppressed = self.suppressed.copy()
        suppressed[list(figures)] = True
        return _Knowledge(self.model, suppressed)

    def constraining(self, target: int, candidates: _Indices) -> _Indices:
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

    def audit(self, figure: int, k: int) -> CellAudit:
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
        low_int = math.ceil(low - _TOLERANCE * max(1.0, abs(low)))
        high_int = high if math.isinf(high) else math.floor(high + _TOLERANCE * max(1.0, high))
        if not low_int <= value <= high_int:
            raise InconsistentProblemError(
                f"figure {name!r}: the attacker's interval excludes the true value;"
                " the figures or relations of the model contradict each other"
            )
        return CellAudit(name, value, low_int, high_int, high_int - low_int >= k)


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
        self.tolerance = _TOLERANCE * np.maximum(1.0, np.abs(rhs))

    def pinned(self, pinned: _Floats) -> tuple[_Indices, _Floats]:
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
            if np.any(value < -_TOLERANCE * np.maximum(1.0, np.abs(value))):
                raise InconsistentProblemError("an equation forces a count below zero")
            columns.append(self.column[single])
            values.append(np.maximum(value, 0.0))
        return np.concatenate(columns), np.concatenate(values)


def _reduce(
    matrix: _Sparse, rhs: _Floats, free: _Indices, *, equality: bool
) -> tuple[_Sparse, _Floats]:
    """The constraints on the free unknowns; the rows without any are checked and dropped."""
    reduced = matrix[:, free].tocsr()
    reduced.eliminate_zeros()
    empty = np.diff(reduced.indptr) == 0
    tolerance = _TOLERANCE * np.maximum(1.0, np.abs(rhs[empty]))
    violated = np.abs(rhs[empty]) > tolerance if equality else rhs[empty] < -tolerance
    if np.any(violated):
        raise InconsistentProblemError("the known figures contradict a relation or each other")
    keep = np.flatnonzero(~empty)
    return reduced[keep], rhs[keep]


class _Component:
    """One connected component's constraints, reused for every target inside it."""

    def __init__(
        self,
        variables: _Indices,
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

    def bounds(self, terms: _Indices) -> tuple[float, float]:
        """Min and max of the sum of the unknowns ``terms`` (reduced indices)."""
        if self.a_eq is None and self.a_ub is None:
            return 0.0, math.inf  # nothing constrains these unknowns
        local = np.searchsorted(self.variables, terms)
        objective = np.zeros(len(self.variables))
        objective[local] = 1.0
        high = -self._optimum(-objective)
        # x >= 0, so a solution found earlier with these unknowns at zero proves the minimum
        # (and, like any minimum, that the constraints can be met at all).
        if any(np.all(point[local] <= _TOLERANCE) for point in self.points):
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
