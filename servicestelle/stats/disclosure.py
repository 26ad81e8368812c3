"""Disclosure control for released counts: cell suppression proven safe by an attacker's LPs.

The model is domain-independent. There are ``n_variables`` non-negative unknowns (true counts
in the finest cells the caller's model uses), homogeneous structural ``Relation``s between them
and ``Figure``s: each figure is the sum of some unknowns and has a true value. A ``fixed`` figure
belongs to an earlier release and is known to everyone; a draft figure is published or
suppressed.

The attacker knows every relation, every fixed figure, every published draft figure and that
the unknowns are non-negative — and, with ``zeros_published`` (the default, and what
releases do), that every suppressed figure is at least 1: zeros are always published, so a
"•" is never a zero. For each suppressed figure they solve two linear programs (HiGHS
through ``scipy.optimize.linprog``): the smallest and largest value the figure can take
(Fischetti & Salazar's feasibility interval, sdcTable's ``attack()``). Counts are integers, so
the interval is rounded inwards. A suppressed figure is *safe* when its interval holds values at
least ``k`` apart: the attacker can neither recompute it nor tell a count below the threshold
from one at or above it. Every suppressed figure is held to this rule, complementary ones
included: a dot that can be recomputed hides nothing.

Zeros: a zero reveals no person, so zeros are published and are never primary suppressions. Nor
are they ever chosen as complementary suppressions: hiding a cell everyone can guess is zero
protects nothing in practice. The attacker knows this policy, so each suppressed figure with
a positive count is modelled as ">= 1" (``zeros_published``; switch it off for the textbook
attacker of the literature). A zero the caller suppresses through ``forced`` gets no such
bound (it would be false) and is audited like every other suppressed figure.

Suppressing one more figure replaces what the attacker knew of it ("= v", v >= 1) by less
(">= 1"), so every interval can only widen: the greedy protection stays monotone.

An infeasible attacker LP, or an interval that excludes the true value, means the true values
contradict the model: that is a bug upstream and raises ``InconsistentProblemError`` — it is
never reported as "safe". How the LPs are built and kept fast: ``stats.attacker``.
"""

from __future__ import annotations

import math
import operator
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from servicestelle.stats.attacker import (
    InconsistentProblemError,
    Indices,
    Knowledge,
    Model,
    SolverError,
)

__all__ = [
    "Audit",
    "CellAudit",
    "Figure",
    "InconsistentProblemError",
    "Problem",
    "Protection",
    "Relation",
    "SolverError",
    "attack",
    "primary",
    "protect",
]

#: Each figure's threshold, by figure position.
_Ks = npt.NDArray[np.int64]

#: The smallest threshold we accept: one or two cases may never be recomputable (security §5).
MIN_K = 3


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
    def _model(self) -> Model:
        return Model(self)


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


def attack(
    problem: Problem,
    suppressed: Collection[str],
    k: int,
    *,
    zeros_published: bool = True,
    thresholds: Mapping[str, int] | None = None,
) -> Audit:
    """Every suppressed figure's interval as the best-informed attacker computes it.
    ``thresholds``: figures held to another k than ``k`` (an earlier release's hidden cells
    keep the k they were published with)."""
    _check_k(k)
    model = problem._model
    ks = _thresholds(model, k, thresholds)
    mask = model.mask(suppressed, "suppressed")
    knowledge = Knowledge(model, mask, zeros_published=zeros_published)
    return Audit(k, tuple(_audit(knowledge, int(f), ks) for f in np.flatnonzero(mask)))


def _thresholds(model: Model, k: int, thresholds: Mapping[str, int] | None) -> _Ks:
    ks = np.full(len(model.names), k, dtype=np.int64)
    for name, own in (thresholds or {}).items():
        _check_k(own)
        if name not in model.position:
            raise ValueError(f"thresholds: no figure named {name!r}")
        ks[model.position[name]] = own
    return ks


def protect(
    problem: Problem,
    k: int,
    *,
    forced: Collection[str] = (),
    zeros_published: bool = True,
    thresholds: Mapping[str, int] | None = None,
) -> Protection:
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
    ks = _thresholds(model, k, thresholds)
    primary_names = primary(problem, k)
    forced_mask = model.mask(forced, "forced")
    mask = model.mask(primary_names, "primary") | forced_mask
    knowledge = Knowledge(model, mask, zeros_published=zeros_published)
    protects: dict[int, int] = {}
    unprotectable: list[int] = []
    queue = deque(int(f) for f in np.flatnonzero(mask))
    while queue:
        target = queue.popleft()
        if _audit(knowledge, target, ks).safe:
            continue
        pool = model.linked(target)
        if not _audit(knowledge.suppressing(pool), target, ks).safe:
            # What gives it away may lie further off (a published zero, a margin and the
            # total pin a cell three steps away): widen to everything connected to it.
            pool = model.linked(target, everything_reachable=True)
            if not _audit(knowledge.suppressing(pool), target, ks).safe:
                unprotectable.append(target)
                continue
        safe = False
        while not safe:
            step = _complement(knowledge, target, pool, ks)
            if step is None:  # pragma: no cover - only if the solver contradicts monotonicity
                unprotectable.append(target)
                break
            knowledge, chosen, safe = step
            protects[chosen] = target
            queue.append(chosen)

    names = [figure.name for figure in problem.figures]
    suppressed = frozenset(names[f] for f in np.flatnonzero(knowledge.suppressed))
    # The final pattern's knowledge has most intervals already: attack() without new LPs.
    audit = Audit(
        k, tuple(_audit(knowledge, int(f), ks) for f in np.flatnonzero(knowledge.suppressed))
    )
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
    knowledge: Knowledge, target: int, pool: Indices, ks: _Ks
) -> tuple[Knowledge, int, bool] | None:
    """Suppress one more candidate for ``target``: the first that suffices, else a step."""
    model = knowledge.model
    free = knowledge.constraining(target, pool[~knowledge.suppressed[pool]])
    if not free.size:
        return None
    free = free[np.lexsort((free, model.values[free]))]
    for candidate in free.tolist():
        trial = knowledge.suppressing([candidate])
        if _audit(trial, target, ks).safe:
            return trial, candidate, True
    lone = model.lone_constraints(target, free, knowledge.suppressed)
    step = int(free[np.lexsort((free, model.values[free], -lone))[0]])
    return knowledge.suppressing([step]), step, False


def _audit(knowledge: Knowledge, figure: int, ks: _Ks) -> CellAudit:
    low, high = knowledge.interval(figure)
    model = knowledge.model
    safe = high - low >= int(ks[figure])
    return CellAudit(model.names[figure], int(model.values[figure]), low, high, safe)
