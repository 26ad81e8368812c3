"""The disclosure-control engine: attacker intervals, primary and complementary suppression."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from itertools import product
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from servicestelle.stats.disclosure import (
    Audit,
    CellAudit,
    Figure,
    InconsistentProblemError,
    Problem,
    Relation,
    attack,
    primary,
    protect,
)

FIXTURE = Path(__file__).resolve().parents[2] / "shared/fixtures/sdc-4x4.json"
Cells = Mapping[tuple[str, str], int]


def table(cells: Cells, *, totals_as_variables: bool = False, fixed: Sequence[str] = ()) -> Problem:
    """A two-way table with row, column and grand totals, named "r|c", "row r", "col c",
    "total". Totals are either figures summing the cell unknowns or unknowns of their own
    tied to the cells by equality relations."""
    rows = sorted({r for r, _ in cells})
    cols = sorted({c for _, c in cells})
    var = {key: number for number, key in enumerate(cells)}
    relations: list[Relation] = []
    if totals_as_variables:
        for key in [*(("row", r) for r in rows), *(("col", c) for c in cols), ("total", "")]:
            var[key] = len(var)
        for r in rows:
            members = [(var[r, c], -1.0) for c in cols]
            relations.append(Relation(((var["row", r], 1.0), *members), True))
        for c in cols:
            members = [(var[r, c], -1.0) for r in rows]
            relations.append(Relation(((var["col", c], 1.0), *members), True))
        members = [(var["row", r], -1.0) for r in rows]
        relations.append(Relation(((var["total", ""], 1.0), *members), True))

    def terms(total: tuple[str, str], parts: list[tuple[str, str]]) -> tuple[int, ...]:
        return (var[total],) if totals_as_variables else tuple(var[p] for p in parts)

    def figure(name: str, total: tuple[str, str], parts: list[tuple[str, str]]) -> Figure:
        return Figure(name, terms(total, parts), sum(cells[p] for p in parts), name in fixed)

    figures = [figure(f"{r}|{c}", (r, c), [(r, c)]) for r, c in cells]
    figures += [figure(f"row {r}", ("row", r), [(r, c) for c in cols]) for r in rows]
    figures += [figure(f"col {c}", ("col", c), [(r, c) for r in rows]) for c in cols]
    figures.append(figure("total", ("total", ""), list(cells)))
    return Problem(len(var), tuple(relations), tuple(figures))


def fixture_table(totals_as_variables: bool = False) -> tuple[Problem, dict[str, list[str]]]:
    data = json.loads(FIXTURE.read_text())
    cells = {tuple(key.split("|")): value for key, value in data["cells"].items()}
    problem = table(cells, totals_as_variables=totals_as_variables)
    # The fixture's own margins agree with the sums the model derives.
    by_name = {f.name: f.value for f in problem.figures}
    assert {r: by_name[f"row {r}"] for r in data["rows"]} == data["row_totals"]
    assert {c: by_name[f"col {c}"] for c in data["cols"]} == data["col_totals"]
    assert by_name["total"] == data["grand_total"]
    return problem, {k: data[k] for k in ("suppressed_unsafe", "suppressed_safe")}


def cell(audit: Audit, name: str) -> CellAudit:
    return next(c for c in audit.cells if c.name == name)


def oracle(
    problem: Problem, suppressed: set[str], name: str, *, zeros_published: bool = True
) -> tuple[int, float]:
    """The attacker's interval from one dense LP over the whole problem: no components, no
    propagation, no shortcuts — what the engine must agree with. With ``zeros_published``
    every suppressed positive figure is known to be at least 1."""
    n = problem.n_variables
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for relation in problem.relations:
        row = np.zeros(n)
        for index, coefficient in relation.coefficients:
            row[index] = coefficient
        (a_eq if relation.equality else a_ub).append(row)
        (b_eq if relation.equality else b_ub).append(0.0)
    target = np.zeros(n)
    for figure in problem.figures:
        row = np.zeros(n)
        row[list(figure.terms)] = 1.0
        if figure.name == name:
            target = row
        if figure.name not in suppressed:
            a_eq.append(row)
            b_eq.append(figure.value)
        elif zeros_published and figure.value > 0:
            a_ub.append(-row)
            b_ub.append(-1.0)
    kwargs = {
        "A_eq": np.array(a_eq) if a_eq else None,
        "b_eq": b_eq or None,
        "A_ub": np.array(a_ub) if a_ub else None,
        "b_ub": b_ub or None,
        "bounds": (0, None),
        "method": "highs",
        "options": {"presolve": False},  # a second path through HiGHS (see the presolve test)
    }
    low = linprog(target, **kwargs)
    high = linprog(-target, **kwargs)
    assert low.status == 0 and high.status in (0, 3)
    upper = math.inf if high.status == 3 else math.floor(-high.fun + 1e-6)
    return math.ceil(low.fun - 1e-6), upper


# --- the regression fixture (sdcTable's test-simpleheuristic.R) ------------------------


@pytest.mark.parametrize("totals_as_variables", [False, True])
def test_fixture_pattern_with_two_per_row_and_column_still_reveals_w_b(totals_as_variables):
    problem, patterns = fixture_table(totals_as_variables)

    audit = attack(problem, patterns["suppressed_unsafe"], 5)

    assert not audit.passed
    assert audit.unsafe == ("w|b",)
    assert (cell(audit, "w|b").low, cell(audit, "w|b").high) == (47, 47)


@pytest.mark.parametrize("totals_as_variables", [False, True])
def test_fixture_pattern_with_the_extra_suppression_passes(totals_as_variables):
    problem, patterns = fixture_table(totals_as_variables)

    audit = attack(problem, patterns["suppressed_safe"], 5)
    textbook = attack(problem, patterns["suppressed_safe"], 5, zeros_published=False)

    assert audit.passed and textbook.passed
    # sdcTable's attacker: [0, 141]; ours also knows that a "•" is never a zero.
    assert (cell(textbook, "w|b").low, cell(textbook, "w|b").high) == (0, 141)
    assert (cell(audit, "w|b").low, cell(audit, "w|b").high) == (1, 139)
    assert [c.name for c in audit.cells] == [
        f.name for f in problem.figures if f.name in patterns["suppressed_safe"]
    ]


@pytest.mark.parametrize("totals_as_variables", [False, True])
def test_protect_repairs_the_unsafe_fixture_pattern(totals_as_variables):
    problem, patterns = fixture_table(totals_as_variables)

    protection = protect(problem, 5, forced=patterns["suppressed_unsafe"])

    assert protection.passed and protection.reason is None
    assert protection.primary == frozenset()  # no fixture cell holds 1 to 4
    assert protection.forced == frozenset(patterns["suppressed_unsafe"])
    assert protection.complementary and set(protection.protects.values()) == {"w|b"}
    assert set(protection.protects) == protection.complementary
    assert attack(problem, protection.suppressed, 5) == protection.audit


def test_protect_closes_a_rectangle_around_a_single_cell():
    problem, _ = fixture_table()

    protection = protect(problem, 5, forced=["w|b"])

    assert protection.passed
    # Three more cells forming a rectangle with w|b are the least a two-way table allows.
    assert len(protection.complementary) == 3
    assert all(name.count("|") == 1 for name in protection.complementary)
    assert protection.protects == {name: "w|b" for name in protection.complementary}
    assert protect(problem, 5, forced=["w|b"]) == protection


# --- simple attacks ---------------------------------------------------------------------

SMALL = {("a", "x"): 2, ("a", "y"): 9, ("b", "x"): 8, ("b", "y"): 7}


@pytest.mark.parametrize("totals_as_variables", [False, True])
def test_a_single_suppression_in_a_row_is_recomputed(totals_as_variables):
    problem = table(SMALL, totals_as_variables=totals_as_variables)

    audit = attack(problem, ["a|x"], 3)

    assert not audit.passed
    assert audit.cells == (CellAudit("a|x", 2, 2, 2, False),)


def test_a_rectangle_hides_the_small_cell():
    problem = table(SMALL)

    audit = attack(problem, ["a|x", "a|y", "b|x", "b|y"], 3)

    assert audit.passed
    # Column x holds 10 and b|x is a "•", so at least 1: a|x is at most 9.
    assert (cell(audit, "a|x").low, cell(audit, "a|x").high) == (1, 9)


def test_primary_flags_one_to_k_minus_one_and_never_zeros_or_fixed_figures():
    cells = {("a", "x"): 0, ("a", "y"): 1, ("b", "x"): 4, ("b", "y"): 5}
    problem = table(cells, fixed=["b|x"])

    assert primary(problem, 5) == {"a|y", "row a", "col x"}
    assert primary(problem, 6) == {"a|y", "row a", "col x", "b|y"}


def test_an_unconstrained_unknown_is_unbounded_and_safe():
    problem = Problem(2, (), (Figure("alone", (0,), 1, False), Figure("other", (1,), 4, False)))

    audit = attack(problem, ["alone"], 3)

    assert audit.cells == (CellAudit("alone", 1, 1, math.inf, True),)


# --- what the attacker knows of a "•": never a zero --------------------------------------


def pair(a: int, b: int) -> Problem:
    """Two cells and their published total."""
    figures = (Figure("a", (0,), a, False), Figure("b", (1,), b, False))
    return Problem(2, (), (*figures, Figure("total", (0, 1), a + b, False)))


def test_a_suppressed_cell_is_known_to_be_at_least_one():
    problem = pair(1, 5)

    ours = attack(problem, ["a", "b"], 5)
    textbook = attack(problem, ["a", "b"], 5, zeros_published=False)

    # The textbook attacker sees a in [0, 6]: "safe". Zeros are always published, so a
    # real reader knows a >= 1 and b >= 1: a in [1, 5], fewer than 5 values apart.
    assert textbook.passed and cell(textbook, "a") == CellAudit("a", 1, 0, 6, True)
    assert cell(ours, "a") == CellAudit("a", 1, 1, 5, False)
    assert not ours.passed


def test_protect_does_not_stop_where_only_a_zero_would_hide_the_cell():
    # b, the smallest candidate, is enough for the textbook attacker (a in [0, 6]) but not
    # for ours (above): the total has to go instead (a in [1, inf)).
    problem = pair(1, 5)

    protection = protect(problem, 5)
    textbook = protect(problem, 5, zeros_published=False)

    assert textbook.passed and textbook.suppressed == {"a", "b"}
    assert protection.passed and protection.suppressed == {"a", "total"}
    assert protection.protects == {"total": "a"}


def test_a_forced_zero_gets_no_lower_bound():
    # An earlier release's "•" that is zero today: ">= 1" would be false, and the engine
    # would call the model inconsistent instead of auditing the cell.
    problem = pair(0, 6)

    audit = attack(problem, ["a", "b"], 5)

    assert cell(audit, "a") == CellAudit("a", 0, 0, 5, True)
    assert cell(audit, "b") == CellAudit("b", 6, 1, 6, True)


# --- multi-select relations: inequalities give intervals --------------------------------


def grounds(total: int, counts: Sequence[int], *, multi_select: bool) -> Problem:
    """Cases by ground: ground counts g_i and the number of cases T. With multi-select a case
    may name several grounds (g_i <= T <= Σ g_i); without, Σ g_i == T."""
    t = len(counts)
    ground_terms = tuple((i, 1.0) for i in range(t))
    if multi_select:
        relations = [Relation(((i, 1.0), (t, -1.0)), False) for i in range(t)]
        relations.append(Relation(((t, 1.0), *((i, -1.0) for i in range(t))), False))
    else:
        relations = [Relation(((t, -1.0), *ground_terms), True)]
    figures = [Figure(f"g{i}", (i,), v, False) for i, v in enumerate(counts)]
    figures.append(Figure("cases", (t,), total, False))
    return Problem(t + 1, tuple(relations), tuple(figures))


def test_multi_select_inequalities_leave_an_interval():
    problem = grounds(10, [6, 3, 4], multi_select=True)

    audit = attack(problem, ["g1"], 5)

    assert audit.cells == (CellAudit("g1", 3, 1, 10, True),)


def test_safe_means_values_at_least_k_apart():
    problem = grounds(10, [6, 3, 4], multi_select=True)  # g1 in [1, 10]

    assert attack(problem, ["g1"], 9).passed
    assert not attack(problem, ["g1"], 10).passed


def test_fractional_bounds_are_rounded_inwards():
    # 2·a <= b with b = 7: the LP says a <= 3.5, an attacker who knows counts says a <= 3.
    problem = Problem(
        2,
        (Relation(((0, 2.0), (1, -1.0)), False),),
        (Figure("a", (0,), 3, False), Figure("b", (1,), 7, False)),
    )

    textbook = {"zeros_published": False}  # a lower bound of 0 leaves room to round
    assert attack(problem, ["a"], 3, **textbook).cells == (CellAudit("a", 3, 0, 3, True),)
    assert attack(problem, ["a"], 4, **textbook).cells == (CellAudit("a", 3, 0, 3, False),)


def test_single_select_equality_pins_the_same_cell():
    problem = grounds(10, [6, 3, 1], multi_select=False)

    audit = attack(problem, ["g1"], 5)

    assert audit.cells == (CellAudit("g1", 3, 3, 3, False),)


# --- figures of an earlier release ------------------------------------------------------

YEAR = {  # quarters of each year cell; w|a (3 cases in the year) is the sensitive one
    ("w", "a"): (1, 0, 1, 1),
    ("w", "b"): (3, 2, 4, 5),
    ("w", "c"): (6, 5, 7, 5),
    ("x", "a"): (2, 3, 2, 5),
    ("x", "b"): (4, 4, 3, 5),
    ("x", "c"): (5, 6, 6, 7),
}
RECTANGLE = ["w|a", "w|b", "x|a", "x|b"]


def year_and_quarters(fixed_quarters: Sequence[int], *, with_quarters: bool = True) -> Problem:
    """A year table (cells, margins) over quarter unknowns, and the quarter cells as figures:
    those of ``fixed_quarters`` were published earlier, the others are in this draft."""
    var = {(r, c, q): i for i, (r, c, q) in enumerate(product("wx", "abc", range(4)))}
    figures = []
    for (r, c), quarters in YEAR.items():
        terms = tuple(var[r, c, q] for q in range(4))
        figures.append(Figure(f"{r}|{c}", terms, sum(quarters), False))
    for r in "wx":
        terms = tuple(var[r, c, q] for c in "abc" for q in range(4))
        figures.append(Figure(f"row {r}", terms, sum(sum(YEAR[r, c]) for c in "abc"), False))
    for c in "abc":
        terms = tuple(var[r, c, q] for r in "wx" for q in range(4))
        figures.append(Figure(f"col {c}", terms, sum(sum(YEAR[r, c]) for r in "wx"), False))
    if with_quarters:
        for (r, c), quarters in YEAR.items():
            for q, value in enumerate(quarters):
                figures.append(
                    Figure(f"Q{q + 1} {r}|{c}", (var[r, c, q],), value, q in fixed_quarters)
                )
    return Problem(len(var), (), tuple(figures))


def test_the_year_table_alone_is_protected_by_the_rectangle():
    assert attack(year_and_quarters([], with_quarters=False), RECTANGLE, 5).passed


def test_quarters_published_earlier_reveal_the_year_cell_by_subtraction():
    problem = year_and_quarters([0, 1, 2, 3])

    audit = attack(problem, RECTANGLE, 5)

    assert not audit.passed
    assert (cell(audit, "w|a").low, cell(audit, "w|a").high) == (3, 3)


def test_protect_reports_a_cell_that_earlier_releases_already_give_away():
    problem = year_and_quarters([0, 1, 2, 3])

    protection = protect(problem, 5)

    assert protection.primary == {"w|a"}
    assert not protection.passed
    assert protection.unprotectable == ("w|a",)
    assert protection.reason is not None and "w|a" in protection.reason
    assert not any(f.fixed for f in problem.figures if f.name in protection.suppressed)
    # Nothing was suppressed in vain for a cell nothing can protect.
    assert "w|a" not in protection.protects.values()


def test_protect_hides_the_draft_quarter_that_would_complete_the_subtraction():
    problem = year_and_quarters([0, 1, 2])

    assert not attack(problem, RECTANGLE, 5).passed
    protection = protect(problem, 5, forced=RECTANGLE)

    assert protection.primary == {"w|a", "Q4 w|a"}
    assert protection.passed
    assert any(name.startswith("Q4 ") for name in protection.complementary)
    assert not any(f.fixed for f in problem.figures if f.name in protection.suppressed)
    assert attack(problem, protection.suppressed, 5).passed


# --- zeros ------------------------------------------------------------------------------


def test_a_forced_zero_is_audited_and_protected_with_non_zero_cells():
    cells = {
        ("a", "x"): 0,
        ("a", "y"): 9,
        ("b", "x"): 8,
        ("b", "y"): 7,
        ("c", "x"): 0,
        ("c", "y"): 6,
    }
    problem = table(cells)

    assert primary(problem, 3) == frozenset()
    assert not attack(problem, ["a|x"], 3).passed
    protection = protect(problem, 3, forced=["a|x"])

    assert protection.passed
    assert cell(protection.audit, "a|x").value == 0
    values = {f.name: f.value for f in problem.figures}
    assert all(values[name] > 0 for name in protection.complementary)


# --- random tables ----------------------------------------------------------------------


@st.composite
def random_tables(draw: st.DrawFn) -> tuple[Problem, int]:
    n_rows = draw(st.integers(2, 4))
    n_cols = draw(st.integers(2, 4))
    counts = st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 9, 14, 30])
    cells = {(f"r{r}", f"c{c}"): draw(counts) for r in range(n_rows) for c in range(n_cols)}
    names = [f"r{r}|c{c}" for r in range(n_rows) for c in range(n_cols)]
    names += [f"row r{r}" for r in range(n_rows)] + [f"col c{c}" for c in range(n_cols)]
    fixed = draw(st.lists(st.sampled_from([*names, "total"]), max_size=3))
    problem = table(cells, totals_as_variables=draw(st.booleans()), fixed=fixed)
    return problem, draw(st.sampled_from([3, 5]))


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(random_tables())
def test_protect_on_random_tables(case):
    problem, k = case
    values = {f.name: f.value for f in problem.figures}
    fixed = {f.name for f in problem.figures if f.fixed}

    protection = protect(problem, k)

    assert protection.primary == {n for n, v in values.items() if n not in fixed and 1 <= v < k}
    assert protection.suppressed == protection.primary | protection.complementary
    assert not protection.suppressed & fixed
    for name, value in values.items():
        assert name in fixed or value == 0 or value >= k or name in protection.suppressed
    assert all(values[name] > 0 for name in protection.complementary)
    assert set(protection.protects) == protection.complementary
    assert set(protection.protects.values()) <= protection.suppressed
    again = attack(problem, protection.suppressed, k)
    assert again == protection.audit
    assert again.passed == protection.passed
    if not protection.passed:
        assert protection.reason and protection.unprotectable
    for audit in protection.audit.cells:
        assert (audit.low, audit.high) == oracle(problem, set(protection.suppressed), audit.name)
    assert protect(problem, k) == protection


@st.composite
def random_multi_select(draw: st.DrawFn) -> tuple[Problem, list[str]]:
    """Cases by life area with one to three grounds each: ground cells x[a][g] <= cases T[a]
    <= Σ_g x[a][g], cells and margins published, some suppressed."""
    n_areas, n_grounds = draw(st.integers(1, 3)), draw(st.integers(2, 3))
    cases = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_areas - 1), st.sets(st.integers(0, n_grounds - 1), min_size=1)
            ),
            max_size=25,
        )
    )
    x = {(a, g): i for i, (a, g) in enumerate(product(range(n_areas), range(n_grounds)))}
    t = {a: len(x) + a for a in range(n_areas)}
    value = dict.fromkeys([*x.values(), *t.values()], 0)
    for area, chosen in cases:
        value[t[area]] += 1
        for g in chosen:
            value[x[area, g]] += 1
    relations = [Relation(((x[a, g], 1.0), (t[a], -1.0)), False) for a, g in x]
    for a in range(n_areas):
        relations.append(
            Relation(((t[a], 1.0), *((x[a, g], -1.0) for g in range(n_grounds))), False)
        )
    figures = [Figure(f"x{a}{g}", (i,), value[i], False) for (a, g), i in x.items()]
    figures += [Figure(f"T{a}", (i,), value[i], False) for a, i in t.items()]
    for g in range(n_grounds):
        terms = tuple(x[a, g] for a in range(n_areas))
        figures.append(Figure(f"G{g}", terms, sum(value[i] for i in terms), False))
    figures.append(Figure("N", tuple(t.values()), len(cases), False))
    names = [f.name for f in figures]
    suppressed = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    return Problem(len(value), tuple(relations), tuple(figures)), suppressed


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(random_multi_select())
def test_attack_agrees_with_one_dense_lp(case):
    problem, suppressed = case

    audit = attack(problem, suppressed, 3)

    assert [c.name for c in audit.cells] == [
        f.name for f in problem.figures if f.name in suppressed
    ]
    for result in audit.cells:
        assert (result.low, result.high) == oracle(problem, set(suppressed), result.name)
        assert result.safe == (result.high - result.low >= 3)
    assert attack(problem, suppressed, 3) == audit


@settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(random_multi_select(), st.sampled_from([3, 5]))
def test_protect_with_multi_select_relations(case, k):
    problem, _ = case
    values = {f.name: f.value for f in problem.figures}

    protection = protect(problem, k)

    assert protection.primary == {name for name, value in values.items() if 1 <= value < k}
    assert all(values[name] > 0 for name in protection.complementary)
    assert attack(problem, protection.suppressed, k) == protection.audit
    assert protection.passed or protection.unprotectable
    for result in protection.audit.cells:
        assert (result.low, result.high) == oracle(problem, set(protection.suppressed), result.name)


def test_an_unbounded_maximum_is_not_mistaken_for_an_inconsistency():
    # Found by the test above: HiGHS's presolve called this maximum of T0 "infeasible".
    # One case in area 0 with all three grounds; area 1 is empty.
    counts = {"x00": 1, "x01": 1, "x02": 1, "x10": 0, "x11": 0, "x12": 0, "T0": 1, "T1": 0}
    relations = [Relation(((i, 1.0), (6 + i // 3, -1.0)), False) for i in range(6)]
    relations += [
        Relation(((6 + a, 1.0), *((3 * a + g, -1.0) for g in range(3))), False) for a in range(2)
    ]
    figures = [Figure(name, (i,), v, False) for i, (name, v) in enumerate(counts.items())]
    figures += [Figure(f"G{g}", (g, 3 + g), 1, False) for g in range(3)] + [
        Figure("N", (6, 7), 1, False)
    ]
    problem = Problem(8, tuple(relations), tuple(figures))
    suppressed = ["x00", "T0", "T1", "G1", "x01", "x02", "x10", "N"]

    audit = attack(problem, suppressed, 3)

    assert cell(audit, "T0") == CellAudit("T0", 1, 1, math.inf, True)
    for result in audit.cells:
        assert (result.low, result.high) == oracle(problem, set(suppressed), result.name)


# --- the audit's JSON form --------------------------------------------------------------


def test_audit_json_round_trips_with_an_explicit_unbounded_flag():
    problem = Problem(
        3,
        (Relation(((0, 1.0), (1, -1.0)), False),),
        (Figure("a", (0,), 2, False), Figure("b", (1,), 6, False), Figure("free", (2,), 1, False)),
    )
    audit = attack(problem, ["a", "free"], 3)

    text = json.dumps(audit.to_json(), allow_nan=False)
    data = json.loads(text)

    assert data["cells"][1] == {
        "name": "free",
        "value": 1,
        "low": 1,
        "high": None,
        "unbounded": True,
        "safe": True,
    }
    assert Audit.from_json(data) == audit
    assert audit.cells[0] == CellAudit("a", 2, 1, 6, True)
    data["passed"] = not data["passed"]
    with pytest.raises(ValueError, match="verdict"):
        Audit.from_json(data)


def test_protection_json_says_why_each_cell_is_hidden():
    problem, _ = fixture_table()
    protection = protect(problem, 5, forced=["w|b"])

    data = json.loads(json.dumps(protection.to_json(), allow_nan=False))

    assert data["passed"] is True and data["forced"] == ["w|b"]
    assert data["protects"] == {name: "w|b" for name in sorted(protection.complementary)}
    assert Audit.from_json(data["audit"]) == protection.audit


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 0, True, 3.0])
def test_thresholds_below_three_are_refused(k):
    problem = table(SMALL)
    with pytest.raises(ValueError, match="threshold"):
        primary(problem, k)
    with pytest.raises(ValueError, match="threshold"):
        attack(problem, ["a|x"], k)
    with pytest.raises(ValueError, match="threshold"):
        protect(problem, k)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Problem(2, (), (Figure("a", (2,), 1, False),)), "out of range"),
        (lambda: Problem(2, (Relation(((5, 1.0),), True),), ()), "out of range"),
        (lambda: Figure("a", (-1,), 1, False), "negative"),
        (lambda: Figure("a", (0.5,), 1, False), "not a variable index"),
        (lambda: Figure("a", (True,), 1, False), "not a variable index"),
        (lambda: Figure("a", (), 1, False), "distinct terms"),
        (lambda: Figure("a", (0, 0), 1, False), "distinct terms"),
        (lambda: Figure("a", (0,), -1, False), "count"),
        (lambda: Figure("a", (0,), 1.0, False), "count"),
        (lambda: Figure("a", (0,), True, False), "count"),
        (lambda: Figure("", (0,), 1, False), "name"),
        (lambda: Figure("a", (0,), 1, 0), "fixed must be a bool"),
        (lambda: Relation(((0, 1.0),), 1), "equality must be a bool"),
        (lambda: Problem(-1, (), ()), "n_variables"),
        (lambda: Relation((), True), "without terms"),
        (lambda: Relation(((0, 1.0), (0, -1.0)), True), "twice"),
        (lambda: Relation(((0, math.inf),), True), "non-finite"),
        (
            lambda: Problem(1, (), (Figure("a", (0,), 1, False), Figure("a", (0,), 1, False))),
            "not unique: a",
        ),
        (lambda: Problem(1, (), ("a",)), "Figure"),
    ],
)
def test_malformed_models_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_suppressions_must_name_draft_figures():
    problem = table(SMALL, fixed=["row a"])

    with pytest.raises(ValueError, match="no figure named 'nope'"):
        attack(problem, ["nope"], 3)
    with pytest.raises(ValueError, match="published earlier"):
        attack(problem, ["row a"], 3)
    with pytest.raises(ValueError, match="published earlier"):
        protect(problem, 3, forced=["row a"])
    with pytest.raises(ValueError, match="collection"):
        attack(problem, "a|x", 3)


def test_a_published_sum_that_contradicts_its_parts_raises():
    problem = Problem(
        2,
        (),
        (
            Figure("a", (0,), 3, False),
            Figure("b", (1,), 4, False),
            Figure("sum", (0, 1), 10, False),
        ),
    )
    with pytest.raises(InconsistentProblemError, match=r"'a'.*excludes the true value"):
        attack(problem, ["a"], 3)


def test_known_figures_violating_a_relation_raise():
    problem = Problem(
        3,
        (Relation(((0, 1.0), (1, -1.0)), True),),
        (Figure("a", (0,), 3, False), Figure("b", (1,), 5, False), Figure("c", (2,), 1, False)),
    )
    with pytest.raises(InconsistentProblemError, match="contradict"):
        attack(problem, ["c"], 3)


def test_an_infeasible_attacker_lp_raises_instead_of_calling_the_cell_safe():
    # x0 <= x1 but x0 = 5 and x1 + x2 = 3: no solution, which only the LP notices.
    problem = Problem(
        3,
        (Relation(((0, 1.0), (1, -1.0)), False),),
        (Figure("a", (0,), 5, False), Figure("b", (1, 2), 3, False), Figure("s", (2,), 1, False)),
    )
    with pytest.raises(InconsistentProblemError, match=r"'s'.*infeasible"):
        attack(problem, ["s"], 3)


def test_an_equation_forcing_a_negative_count_raises():
    problem = Problem(
        2,
        (),
        (
            Figure("part", (0,), 5, False),
            Figure("sum", (0, 1), 3, False),
            Figure("s", (1,), 0, False),
        ),
    )
    with pytest.raises(InconsistentProblemError, match="below zero"):
        attack(problem, ["s"], 3)


def test_a_figure_can_be_held_to_its_own_threshold():
    problem = pair(2, 3)  # a, b hidden: a in [1, 4]

    assert not attack(problem, ["a", "b"], 5).passed
    own = attack(problem, ["a", "b"], 5, thresholds={"a": 3, "b": 3})
    assert own.passed and own.k == 5
    assert not attack(problem, ["a", "b"], 5, thresholds={"a": 3}).passed  # b still at 5
    with pytest.raises(ValueError, match="no figure named"):
        attack(problem, ["a"], 5, thresholds={"nope": 3})
    with pytest.raises(ValueError, match="threshold k"):
        protect(problem, 5, thresholds={"a": 2})
