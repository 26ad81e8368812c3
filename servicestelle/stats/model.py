"""The attacker's linear model of a draft release: every relation that holds between numbers.

Unknowns: for case counts, one per key and *slot*, the coarsest groups of quarters that no
period of the model splits (every period is a union of slots, so a year figure is the sum of
its slots' unknowns, and a year release is linked to its quarter and half-year releases by
construction). A year drafted alone has one slot; beside a published Q1 it has two, Q1 and
Q2–Q4. Per-quarter unknowns would allow the same figures and no other: every relation below
is homogeneous, so slot values spread evenly over their quarters meet all of them — slots
only make the attacker's LPs smaller. For repeated respondents, one per key and period (a
respondent with two cases in a year may have one in each half: those figures do not add up).

Relations, per basis and slot, for every key P the model holds and every dimension d
that refines it (children P+{d=c}):
- single-select, complete: the children sum to P (each case has exactly one code);
- multiple answers, complete: each child is at most P, and the children sum to at least P
  (each case has at least one code; ``keine_angabe`` fills empty selections) — cells of a
  multi-select dimension do not sum to the total; ``keine_angabe`` stands alone, so each
  other child plus the ``keine_angabe`` child is at most P;
- conditions that select the same cases (tables.SAME_CASES: "went to court" and the
  intervention group "gerichtlich") have equal counts under every P both refine;
- sub-items: each is at most its parent code (P+{parent=top});
- combinations (the number of grounds a case has): under "einzeln" the grounds sum to P,
  under "mehrfach" to at least 2P, and the cells nobody can be in ("keine Angabe" beside a
  ground) are 0 — known to every reader, shown or not;
- two conditions a, b: the Fréchet bound P+a+b >= (P+a) + (P+b) - P (cases with a and b are
  at least those with a plus those with b minus all).
Repeated respondents: the counts fall as the threshold rises (>=5 <= >=3 <= >=2); a life area's
count is at most the overall count; n respondents with >= n cases need n*k cases
(n * R_n <= cases of the period); a period's count is at least that of a period inside it.

Figures: the draft's (unknown to the attacker when suppressed); every figure already
published for the same centre in the same year (known); and every figure those releases
suppressed (unknown, and audited again: a new release must not give them away). Releases
link only within a calendar year: quarters, half-years and years never cross it. Earlier
figures are modelled with the values of the current store, which is exact only while they
equal what was published: where a published figure differs today (a case recoded, withdrawn,
deleted or entered late), old minus new would give the change away — the model reports it
(``DraftModel.changed``) and the draft is refused (stats.operations). So does a figure an
earlier release hid that is zero today: it was at least 1 then.
A revoked release counts as published: its figures are out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from servicestelle.stats.disclosure import Figure, Problem, Relation
from servicestelle.stats.keys import Key
from servicestelle.stats.periods import Period, Quarter
from servicestelle.stats.tables import (
    COMBINATION_COUNTS,
    NO_ANSWER,
    REPEATED,
    SAME_CASES,
    SEVERAL,
    SINGLE,
    Basis,
    Dimension,
    Dimensions,
)

#: Quarters that every period of a model holds all or none of (module docstring).
Slot = tuple[Quarter, ...]


@dataclass(frozen=True)
class Earlier:
    """A release already out: its id, period, the keys it published and those it suppressed
    (which must stay protected: a later release must not give them away)."""

    release_id: int
    period: Period
    published: Sequence[Key]
    suppressed: Sequence[Key] = ()
    #: The values it published, where known: a figure whose value today differs cannot be
    #: modelled by today's data (``DraftModel.changed``).
    values: Mapping[Key, int] | None = None
    #: The threshold it was published with: its hidden cells stay held to it.
    k: int | None = None


@dataclass(frozen=True)
class DraftModel:
    problem: Problem
    #: The draft's figures by key, with their true values.
    values: dict[Key, int]
    #: Figures earlier releases suppressed: to be audited as suppressed (``forced``).
    protected: tuple[str, ...] = ()
    #: Their thresholds, where their release names one (disclosure ``thresholds``): a cell
    #: hidden under k = 3 was safe with values 3 apart, and a later, larger k cannot ask
    #: more of it than its release did — those figures are out and fixed.
    thresholds: Mapping[str, int] = field(default_factory=dict)
    #: (release id, key) of published figures whose value differs today: cases of that
    #: period changed since. Publishing anything linked to them would give the change away
    #: (old figure minus new one): the caller must refuse the draft.
    changed: tuple[tuple[int, Key], ...] = ()


class _Variables:
    def __init__(self) -> None:
        self.index: dict[tuple[Key, object], int] = {}

    def __call__(self, key: Key, slot: object) -> int:
        return self.index.setdefault((key, slot), len(self.index))


def _closure(keys: Iterable[Key], dims: Dimensions) -> set[Key]:
    """The keys and every key the relations need: parents, parent codes of sub-items, the
    case counts behind repeated respondents."""
    pending, seen = list(keys), set[Key]()
    while pending:
        key = pending.pop()
        if key in seen:
            continue
        seen.add(key)
        if key.basis in REPEATED:
            pending.append(Key(key.basis, ()))
            pending.append(Key(Basis.OPENED, key.conditions))
            continue
        for name, code in key.conditions:
            parent = key.without(name)
            pending.append(parent)
            dim = dims[name]
            if dim.parent is not None and dim.parent_of is not None:
                pending.append(parent.with_(dim.parent, dim.parent_of[code]))
    return seen


def _case_relations(
    keys: set[Key], slots: Sequence[Slot], var: _Variables, dims: Dimensions
) -> list[Relation]:
    relations: list[Relation] = []
    case_keys = [key for key in keys if key.basis.per_quarter]
    # Which dimensions refine which key (P -> {d}), from the keys present.
    refinements: dict[Key, set[str]] = defaultdict(set)
    for key in case_keys:
        for name in key.dimensions:
            refinements[key.without(name)].add(name)
    for parent, names in sorted(refinements.items()):
        for name in sorted(names):
            dim = dims[name]
            children = [parent.with_(name, code) for code in dim.codes]
            present = [child for child in children if child in keys]
            impossible, counted = _combination_rules(parent, dim, dims)
            if impossible or counted is not None or dim.combination_of is not None:
                # Cells a table leaves out are still known to sum (or to be empty): every
                # child takes part, shown or not.
                present = children
            for q in slots:
                p = var(parent, q)
                relations += [
                    Relation(((var(parent.with_(name, code), q), 1.0),), equality=True)
                    for code in sorted(impossible)
                ]
                if dim.combination_of is not None and parent.code(dim.combination_of) is None:
                    # No ground recorded = the combination "keine Angabe" (tables.SAME_CASES),
                    # here also where the table leaves that column out.
                    blank = var(parent.with_(name, NO_ANSWER), q)
                    no_ground = var(parent.with_(dim.combination_of, NO_ANSWER), q)
                    relations.append(Relation(((blank, 1.0), (no_ground, -1.0)), equality=True))
                if dim.parent is not None and dim.parent_of is not None:
                    for child in present:
                        top = parent.with_(dim.parent, dim.parent_of[child.code(name) or ""])
                        relations.append(_le([(var(child, q), 1), (var(top, q), -1)]))
                    continue
                complete = len(present) == len(children)
                if dim.multiple or not complete:
                    # Each is at most the whole — with "keine Angabe" beside it, both are.
                    alone = parent.with_(name, NO_ANSWER)
                    none = [(var(alone, q), 1.0)] if alone in present else []
                    for child in present:
                        extra = none if child != alone else []
                        relations.append(_le([(var(child, q), 1), *extra, (p, -1)]))
                if not complete:
                    continue  # a partial set of codes: nothing about their sum
                terms = [(var(child, q), 1.0) for child in children]
                low, high = counted if counted is not None else (1, 1 if not dim.multiple else None)
                if high == low:
                    relations.append(Relation((*terms, (p, -float(low))), equality=True))
                else:
                    relations.append(_le([(p, float(low)), *((i, -1.0) for i, _ in terms)]))
    for key in case_keys:
        for (name, code), (twin_name, twin_code) in SAME_CASES:
            if key.code(name) != code or twin_name in key.dimensions:
                continue
            twin = key.without(name).with_(twin_name, twin_code)
            if twin in keys:
                relations += [
                    Relation(((var(key, q), 1.0), (var(twin, q), -1.0)), equality=True)
                    for q in slots
                ]
        if len(key.conditions) == 2:
            (a, _), (b, _) = key.conditions
            both, only_a, only_b = key, key.without(b), key.without(a)
            neither = only_a.without(a)
            for q in slots:
                relations.append(
                    _le(
                        [
                            (var(only_a, q), 1),
                            (var(only_b, q), 1),
                            (var(neither, q), -1),
                            (var(both, q), -1),
                        ]
                    )
                )
    return relations


def _combination_rules(
    parent: Key, dim: Dimension, dims: Dimensions
) -> tuple[set[str], tuple[int, int | None] | None]:
    """What a combination condition tells about refining ``parent`` by ``dim``: the codes no
    case under ``parent`` can have, and — where ``parent`` fixes how many codes of ``dim`` a
    case has (tables.COMBINATION_COUNTS) — that number's bounds: the children then sum to
    between low and high times ``parent`` (a case with two grounds counts in two rows)."""
    if dim.combination_of is not None:
        counted_code = parent.code(dim.combination_of)
        if counted_code is None:
            return set(), None
        possible = {NO_ANSWER} if counted_code == NO_ANSWER else {SINGLE, SEVERAL}
        return set(dim.codes) - possible, None
    for name, code in parent.conditions:
        if dims[name].combination_of == dim.name:
            if code == NO_ANSWER:
                return {c for c in dim.codes if c != NO_ANSWER}, COMBINATION_COUNTS[code]
            return {NO_ANSWER}, COMBINATION_COUNTS[code]
    return set(), None


def _slots(periods: Sequence[Period]) -> list[Slot]:
    """The coarsest partition of the periods' quarters that none of them splits: quarters
    grouped by which periods hold them."""
    quarters = sorted({q for p in periods for q in p.quarters})
    groups: dict[tuple[bool, ...], list[Quarter]] = defaultdict(list)
    for q in quarters:
        groups[tuple(q in p.quarters for p in periods)].append(q)
    return [tuple(group) for group in groups.values()]


def _slots_of(period: Period, slots: Sequence[Slot]) -> list[Slot]:
    return [slot for slot in slots if slot[0] in period.quarters]


def _repeated_relations(
    keys: set[Key], periods: Sequence[Period], slots: Sequence[Slot], var: _Variables
) -> list[Relation]:
    relations: list[Relation] = []
    repeated = [key for key in keys if key.basis in REPEATED]
    for period in periods:
        for key in repeated:
            me = var(key, period)
            stronger = REPEATED.index(key.basis) + 1
            if stronger < len(REPEATED):
                higher = Key(REPEATED[stronger], key.conditions)
                if higher in keys:
                    relations.append(_le([(var(higher, period), 1), (me, -1)]))
            if key.conditions:
                relations.append(_le([(me, 1), (var(Key(key.basis, ()), period), -1)]))
            cases = Key(Basis.OPENED, key.conditions)
            relations.append(
                _le(
                    [
                        (me, float(key.basis.threshold)),
                        *((var(cases, q), -1.0) for q in _slots_of(period, slots)),
                    ]
                )
            )
            for inner in periods:
                if inner != period and period.contains(inner):
                    relations.append(_le([(var(key, inner), 1), (me, -1)]))
    return relations


def _le(terms: Sequence[tuple[int, float]]) -> Relation:
    return Relation(tuple((i, float(c)) for i, c in terms), equality=False)


class Counts(Protocol):
    """Where figure values come from: a centre's store, or a coordinator's packages."""

    def figures(
        self, keys: Iterable[Key], periods: Iterable[Period]
    ) -> dict[tuple[Key, Period], int]: ...

    def sensitive(self, keys: Iterable[Key], period: Period) -> set[Key]:
        """Keys of ``period`` that must be suppressed whatever their count (on a coordinator:
        cells too few centres contribute to). A centre's store has none."""
        ...


def build(
    counts: Counts,
    period: Period,
    draft_keys: Sequence[Key],
    earlier: Sequence[Earlier],
    dims: Dimensions,
) -> DraftModel:
    """The model of a draft for ``period`` with ``draft_keys``, given what is already out."""
    if any(other.period.year != period.year for other in earlier):
        raise ValueError("releases link only within one calendar year")
    periods = list(dict.fromkeys([period, *(other.period for other in earlier)]))
    slots = _slots(periods)
    all_keys = list(draft_keys) + [
        key for other in earlier for key in (*other.published, *other.suppressed)
    ]
    keys = _closure(all_keys, dims)
    var = _Variables()
    relations = _case_relations(keys, slots, var, dims)
    relations += _repeated_relations(keys, periods, slots, var)

    # Values are needed only for figures; the other unknowns stay free.
    values_of = counts.figures(set(all_keys), periods)

    def terms_and_value(key: Key, of: Period) -> tuple[tuple[int, ...], int]:
        if key.basis.per_quarter:
            return tuple(var(key, q) for q in _slots_of(of, slots)), values_of[(key, of)]
        return (var(key, of),), values_of[(key, of)]

    figures: list[Figure] = []
    values: dict[Key, int] = {}
    for key in dict.fromkeys(draft_keys):
        terms, value = terms_and_value(key, period)
        values[key] = value
        figures.append(Figure(key.text, terms, value, fixed=False))
    protected: list[str] = []
    thresholds: dict[str, int] = {}
    changed: list[tuple[int, Key]] = []
    for other in earlier:
        for key in dict.fromkeys(other.published):
            terms, value = terms_and_value(key, other.period)
            if other.values is not None and other.values.get(key, value) != value:
                changed.append((other.release_id, key))
            figures.append(Figure(f"{other.release_id}:{key.text}", terms, value, fixed=True))
        for key in dict.fromkeys(other.suppressed):
            # Not known, and never to become known: audited like the draft's suppressions.
            terms, value = terms_and_value(key, other.period)
            if value == 0:
                # Hidden cells are never zero (zeros are published), so it was at least 1:
                # its cases changed since, and a reader's ">= 1" would now be false.
                changed.append((other.release_id, key))
            name = f"{other.release_id}:{key.text}"
            figures.append(Figure(name, terms, value, fixed=False))
            protected.append(name)
            if other.k is not None:
                thresholds[name] = other.k
    # Every unknown the relations name exists now (var() allocated them on the way).
    problem = Problem(len(var.index), tuple(relations), tuple(figures))
    return DraftModel(
        problem, values, tuple(protected), thresholds=thresholds, changed=tuple(changed)
    )
