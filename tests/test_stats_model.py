"""Counting the store and the attacker's model of a release (stats.aggregate, stats.model)."""

from __future__ import annotations

import pytest

from servicestelle.stats import aggregate, disclosure, model
from servicestelle.stats.keys import Key, layout
from servicestelle.stats.periods import Period, Quarter
from servicestelle.stats.tables import TABLES_BY_ID, Basis, Dimensions
from tests.support.stats import add_records

Q1, Q2 = Quarter(2026, 1), Quarter(2026, 2)
K = 5
NO_DISTRICTS = Dimensions.of_centre({})


def key(text: str) -> Key:
    return Key.parse(text)


def test_multi_select_codes_count_once_each_and_gaps_count_as_no_answer(app, centre):
    with app.app_context():
        add_records(centre, 2, grounds="geschlecht;lebensalter", opened_month="2026-01")
        add_records(centre, 1, grounds="", opened_month="2026-03")
        add_records(centre, 1, grounds="retired_code", opened_month="2026-02")
        add_records(centre, 3, grounds="geschlecht", opened_month="2026-04")
        wanted = [
            key(f"opened|grounds={c}")
            for c in ("geschlecht", "lebensalter", "anderes", "keine_angabe")
        ]
        counts = aggregate.case_counts(centre, [*wanted, key("opened")], [Q1, Q2], NO_DISTRICTS)
    assert counts[(key("opened|grounds=geschlecht"), Q1)] == 2
    assert counts[(key("opened|grounds=lebensalter"), Q1)] == 2
    assert counts[(key("opened|grounds=keine_angabe"), Q1)] == 1
    # A code the catalogue no longer knows counts as "anderes", never as nothing.
    assert counts[(key("opened|grounds=anderes"), Q1)] == 1
    assert counts[(key("opened"), Q1)] == 4
    assert counts[(key("opened|grounds=geschlecht"), Q2)] == 3
    assert counts[(key("opened"), Q2)] == 3


def test_cross_tables_and_closed_cases_count_by_their_own_month(app, centre):
    with app.app_context():
        add_records(
            centre,
            2,
            grounds="geschlecht",
            life_areas="arbeit;wohnen",
            opened_month="2025-11",
            closed_month="2026-02",
        )
        add_records(centre, 1, grounds="geschlecht", life_areas="arbeit", opened_month="2026-01")
        keys = [
            key("opened|grounds=geschlecht|life_areas=arbeit"),
            key("closed|grounds=geschlecht"),
        ]
        counts = aggregate.case_counts(centre, keys, [Q1], NO_DISTRICTS)
    assert counts[(keys[0], Q1)] == 1  # opened in Q1: only the third case
    assert counts[(keys[1], Q1)] == 2  # closed in Q1: the first two


def test_repeated_respondents_count_tokens_not_cases(app, centre):
    with app.app_context():
        add_records(
            centre, 3, respondent_token=b"a" * 16, life_areas="wohnen", opened_month="2026-01"
        )
        add_records(
            centre, 2, respondent_token=b"b" * 16, life_areas="arbeit", opened_month="2026-02"
        )
        add_records(
            centre, 1, respondent_token=b"b" * 16, life_areas="wohnen", opened_month="2026-02"
        )
        add_records(centre, 4, respondent_token=None, opened_month="2026-02")
        keys = [
            Key.of(Basis.REPEATED_2),
            Key.of(Basis.REPEATED_3),
            Key.of(Basis.REPEATED_5),
            Key.of(Basis.REPEATED_2, [("life_areas", "wohnen")]),
            Key.of(Basis.REPEATED_3, [("life_areas", "wohnen")]),
        ]
        counts = aggregate.repeated_counts(centre, keys, Period.parse("2026-Q1"), NO_DISTRICTS)
    assert [counts[k] for k in keys] == [2, 2, 0, 1, 1]


def _draft(centre: int, period: str, table_ids: list[str], earlier=()):  # type: ignore[no-untyped-def]
    layouts = [layout(TABLES_BY_ID[t], NO_DISTRICTS) for t in table_ids]
    keys = list(dict.fromkeys(k for lay in layouts for k in lay.all_keys()))
    counts = aggregate.StoreCounts(centre, NO_DISTRICTS)
    return model.build(counts, Period.parse(period), keys, list(earlier), NO_DISTRICTS)


def test_a_small_cell_is_suppressed_with_a_partner_and_the_audit_passes(app, centre):
    with app.app_context():
        add_records(centre, 40, age_band="27_45")
        add_records(centre, 30, age_band="46_64")
        add_records(centre, 2, age_band="u18")
        built = _draft(centre, "2026-Q1", ["alter"])
    protection = disclosure.protect(built.problem, K)
    assert "opened|age_band=u18" in protection.primary
    # Alone it would be the total minus the others: a second cell goes with it.
    assert protection.complementary
    assert protection.audit.passed
    for name in protection.suppressed:
        assert built.values[Key.parse(name)] != 0


def test_cells_of_a_multi_select_table_are_not_recomputed_from_the_total(app, centre):
    """Grounds are multiple answers: the cells do not sum to the total, so the attacker has
    inequalities only — a lone small cell is protected by them alone if the slack is wide."""
    with app.app_context():
        add_records(centre, 20, grounds="geschlecht;lebensalter")
        add_records(centre, 20, grounds="religion_weltanschauung;lebensalter")
        add_records(centre, 2, grounds="sozialer_status;lebensalter")
        built = _draft(centre, "2026-Q1", ["merkmale"])
    audit = disclosure.attack(built.problem, ["opened|grounds=sozialer_status"], K)
    (cell,) = audit.cells
    assert cell.low == 1  # a "•" is never a zero
    assert cell.high >= K + 1


def test_no_answer_stands_alone_so_the_attacker_bounds_it_by_the_other_codes(app, centre):
    """A case counted under "keine Angabe" has no other ground: with 22 of 24 cases naming a
    ground, "keine Angabe" is at most 2 — and at least 2 (the cells must cover every case)."""
    with app.app_context():
        add_records(centre, 22, grounds="geschlecht")
        add_records(centre, 2, grounds="")
        # Stored beside a code (never so by the forms), "keine Angabe" is not counted.
        add_records(centre, 1, grounds="geschlecht;keine_angabe")
        built = _draft(centre, "2026-Q1", ["merkmale"])
    assert built.values[key("opened|grounds=keine_angabe")] == 2
    assert built.values[key("opened|grounds=geschlecht")] == 23

    audit = disclosure.attack(built.problem, ["opened|grounds=keine_angabe"], K)

    assert audit.cells == (disclosure.CellAudit("opened|grounds=keine_angabe", 2, 2, 2, False),)


def test_went_to_court_and_the_court_intervention_group_are_the_same_cases(app, centre):
    """Publishing "went to court: yes" publishes the "gerichtlich" intervention group."""
    with app.app_context():
        closed = {"opened_month": "2026-01", "closed_month": "2026-02"}
        add_records(centre, 30, intervention_groups="nicht_rechtlich", **closed)
        add_records(
            centre,
            2,
            went_to_court="ja",
            intervention_groups="gerichtlich;nicht_rechtlich",
            agg_relevance="ja",
            **closed,
        )
        built = _draft(centre, "2026-Q1", ["agg_gericht", "interventionen"])
    group = "closed|intervention_groups=gerichtlich"

    audit = disclosure.attack(built.problem, [group], K)
    protection = disclosure.protect(built.problem, K)

    assert audit.cells == (disclosure.CellAudit(group, 2, 2, 2, False),)
    assert {group, "closed|went_to_court=ja"} <= protection.suppressed
    assert protection.passed


def test_the_court_group_holds_only_the_court_intervention():
    """tables.SAME_CASES is true only while this holds: a second court intervention makes
    the group larger than "went to court" (then the equation must become an inequality)."""
    from servicestelle import catalogue

    in_group = [e.code for e in catalogue.INTERVENTIONS.entries() if e.group == "gerichtlich"]
    assert in_group == [catalogue.COURT_INTERVENTION]


def test_a_year_release_protects_a_cell_its_quarter_releases_suppressed(app, centre):
    """Q1–Q4 are out, Q4's small cell suppressed; the year figure of that cell, though large,
    would give it away by subtraction — the year draft must suppress it too."""
    with app.app_context():
        for month in ("2026-01", "2026-04", "2026-07"):
            add_records(centre, 30, age_band="27_45", opened_month=month)
            add_records(centre, 10, age_band="u18", opened_month=month)
        add_records(centre, 30, age_band="27_45", opened_month="2026-10")
        add_records(centre, 10, age_band="46_64", opened_month="2026-10")
        add_records(centre, 2, age_band="u18", opened_month="2026-10")
        earlier = []
        for number in (1, 2, 3, 4):
            built = _draft(centre, f"2026-Q{number}", ["alter"], earlier)
            protection = disclosure.protect(built.problem, K, forced=built.protected)
            assert protection.audit.passed
            out = [k for k in built.values if k.text not in protection.suppressed]
            hidden = [k for k in built.values if k.text in protection.suppressed]
            earlier.append(model.Earlier(number, Period.parse(f"2026-Q{number}"), out, hidden))
        assert "opened|age_band=u18" in protection.suppressed  # Q4's 2
        year = _draft(centre, "2026", ["alter"], earlier)
    u18 = "opened|age_band=u18"
    assert year.values[Key.parse(u18)] == 32
    # Q4's suppressed cells are audited again in the year draft ...
    assert "4:opened|age_band=u18" in year.protected
    # ... and publishing the year's 32 would give Q4's 2 away (32 - 10 - 10 - 10).
    naive = disclosure.attack(year.problem, year.protected, K)
    assert not naive.passed
    assert "4:opened|age_band=u18" in naive.unsafe
    protection = disclosure.protect(year.problem, K, forced=year.protected)
    assert protection.audit.passed
    assert u18 in protection.suppressed


def test_slots_group_quarters_no_period_splits(app, centre, monkeypatch):
    """A half-year beside Q1 and a year: slots Q1, Q2, Q3–Q4 — and the attacker's intervals
    are exactly those of one unknown per quarter (the relations are homogeneous)."""
    periods = [Period.parse(code) for code in ("2026", "2026-Q1", "2026-H1")]
    assert [[q.number for q in slot] for slot in model._slots(periods)] == [[1], [2], [3, 4]]
    assert [[q.number for q in slot] for slot in model._slots(periods[:1])] == [[1, 2, 3, 4]]

    with app.app_context():
        for month, band, n in (
            ("2026-01", "u18", 3),
            ("2026-05", "u18", 4),
            ("2026-08", "18_26", 9),
        ):
            add_records(centre, n, age_band=band, opened_month=month)
        add_records(centre, 20, age_band="27_45", opened_month="2026-11", grounds="geschlecht")
        q1 = _draft(centre, "2026-Q1", ["alter", "merkmale"])
        q1_out = model.Earlier(1, Period.parse("2026-Q1"), list(q1.values), [])
        year = _draft(centre, "2026", ["alter", "merkmale"], [q1_out])
        monkeypatch.setattr(
            model, "_slots", lambda ps: [(q,) for q in Period.parse("2026").quarters]
        )
        per_quarter = _draft(centre, "2026", ["alter", "merkmale"], [q1_out])
    hidden = ["opened|age_band=u18", "opened|age_band=18_26", "opened|grounds=geschlecht"]

    assert year.problem.n_variables < per_quarter.problem.n_variables
    assert disclosure.attack(year.problem, hidden, K) == disclosure.attack(
        per_quarter.problem, hidden, K
    )


@pytest.mark.parametrize("table_id", sorted(TABLES_BY_ID))
def test_every_catalogue_table_builds_a_consistent_model(app, centre, table_id):
    with app.app_context():
        add_records(
            centre,
            7,
            grounds="geschlecht;rassismus_antisemitismus_herkunft",
            ground_subs="antisemitismus",
            life_areas="arbeit;bildung",
            went_to_court="ja",
            closed_month="2026-03",
            respondent_token=b"r" * 16,
            intervention_groups="beratung",
        )
        add_records(centre, 3, grounds="lebensalter", life_areas="wohnen")
        built = _draft(centre, "2026-Q1", [table_id])
    protection = disclosure.protect(built.problem, K, forced=built.protected)
    assert protection.audit.passed
    for name, value in ((k.text, v) for k, v in built.values.items()):
        assert value == 0 or value >= K or name in protection.suppressed


def test_a_cell_pinned_from_three_steps_away_is_protected_not_given_up(app, centre):
    """Found by the property test: 5 of 6 cases name "Lebensalter", none of those names no
    life area (a published zero), so "keine Angabe" <= 6 - 5 = 1 — through the Fréchet bound
    of a cell two relations away from the hidden one. Protection must reach that far."""
    with app.app_context():
        add_records(centre, 1, age_band="u18", grounds="geschlecht", life_areas="")
        add_records(
            centre, 5, age_band="u18", grounds="geschlecht;lebensalter", life_areas="arbeit"
        )
        built = _draft(
            centre,
            "2026-Q1",
            ["faelle", "alter", "merkmale", "lebensbereiche", "merkmal_lebensbereich"],
        )
    protection = disclosure.protect(built.problem, K, forced=built.protected)
    assert protection.audit.passed, protection.reason
    assert "opened|life_areas=keine_angabe" in protection.suppressed


def test_an_earlier_release_keeps_its_own_threshold_for_its_hidden_cells(app, centre):
    """Q1 hid two age bands under k = 3 (2 and 3 of 25, each in [1, 4]); k is 5 now.
    Publishing Q3 cannot make Q1's cells less safe than Q1 left them, so they are held to
    3, not to 5 — which no new suppression could reach (Q1's figures are fixed): every
    later release of the year would be blocked."""
    with app.app_context():
        add_records(centre, 20, age_band="27_45", opened_month="2026-02")
        add_records(centre, 2, age_band="u18", opened_month="2026-02")
        add_records(centre, 3, age_band="18_26", opened_month="2026-02")
        add_records(centre, 9, age_band="27_45", opened_month="2026-08")
        q1 = _draft(centre, "2026-Q1", ["alter"])
        first = disclosure.protect(q1.problem, 3)
        assert first.passed and first.suppressed
        out = [k for k in q1.values if k.text not in first.suppressed]
        hidden = [k for k in q1.values if k.text in first.suppressed]
        earlier = model.Earlier(1, Period.parse("2026-Q1"), out, hidden, k=3)
        q3 = _draft(centre, "2026-Q3", ["faelle"], [earlier])
    assert set(q3.thresholds) == {f"1:{k.text}" for k in hidden}
    assert set(q3.thresholds.values()) == {3}

    held_to_five = disclosure.protect(q3.problem, K, forced=q3.protected)
    own = disclosure.protect(q3.problem, K, forced=q3.protected, thresholds=q3.thresholds)

    assert not held_to_five.passed and held_to_five.unprotectable
    assert own.passed


def test_a_cell_an_earlier_release_hid_that_is_zero_now_counts_as_changed(app, centre):
    """A "•" was at least 1; recoded away since, a reader's ">= 1" would be false and the
    difference would show the recoding: the model reports it like a changed figure."""
    with app.app_context():
        add_records(centre, 20, age_band="27_45", opened_month="2026-02")
        add_records(centre, 3, age_band="18_26", opened_month="2026-02")
        out = [key("opened"), key("opened|age_band=27_45")]
        hidden = [key("opened|age_band=u18"), key("opened|age_band=18_26")]
        earlier = model.Earlier(1, Period.parse("2026-Q1"), out, hidden, k=3)
        built = _draft(centre, "2026", ["alter"], [earlier])
    assert built.changed == ((1, key("opened|age_band=u18")),)
