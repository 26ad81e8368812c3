"""``aggregate.case_counts`` answers a table's margins and total from the GROUP BY of its
cells (``query_plan``): the counts must be what counting every record by itself gives, for
every key of every catalogue table, on records made to hit the corners of how stored codes
are read (several codes, a code twice, a retired code, "keine_angabe" beside a code, empty
values, months outside the quarters, another centre)."""

from __future__ import annotations

import random
from collections import Counter

import sqlalchemy as sa

from servicestelle.centres.operations import create_centre
from servicestelle.extensions import db
from servicestelle.stats import aggregate, tables
from servicestelle.stats.keys import Key, layout
from servicestelle.stats.models import StatsRecord
from servicestelle.stats.periods import Quarter, quarter_of_month
from servicestelle.stats.tables import Basis
from tests.support.stats import add_records

DIMS = tables.Dimensions.of_centre({})
QUARTERS = [quarter_of_month("2026-01"), quarter_of_month("2026-04")]
MONTHS = ["2025-12", "2026-01", "2026-03", "2026-05", "2026-07"]


def _keys() -> list[Key]:
    every = (key for table in tables.TABLES for key in layout(table, DIMS).all_keys())
    return [key for key in dict.fromkeys(every) if key.basis.per_quarter]


def _stored(rng: random.Random, name: str) -> str:
    codes = list(DIMS[name].codes)
    picked = rng.choice(
        [
            [rng.choice(codes)],
            [rng.choice(codes)],
            rng.sample(codes, min(2, len(codes))),
            [rng.choice(codes)] * 2,
            [],
            ["abgeschafft"],
            ["keine_angabe", rng.choice(codes)],
        ]
    )
    return ";".join(picked)


def _reference(centre: int, keys: list[Key]) -> dict[tuple[Key, Quarter], int]:
    """The count as the definition says it, one record at a time."""
    names = sorted({DIMS[name].column for key in keys for name in key.dimensions})
    month_of = {Basis.OPENED: StatsRecord.opened_month, Basis.CLOSED: StatsRecord.closed_month}
    columns = [StatsRecord.__table__.c[name] for name in names]
    counted: Counter[tuple[Key, Quarter]] = Counter()
    for basis, month in month_of.items():
        rows = db.session.execute(
            sa.select(month, *columns).where(StatsRecord.centre_id == centre)
        ).all()
        for row in rows:
            if row[0] is None or (quarter := quarter_of_month(row[0])) not in QUARTERS:
                continue
            codes = {
                name: set(aggregate.codes_of(value, DIMS[name]))
                for name, value in zip(names, row[1:], strict=True)
            }
            # The number of grounds: none recorded, one, or two and more.
            grounds = codes["grounds"]
            codes["ground_combination"] = (
                {"keine_angabe"}
                if grounds == {"keine_angabe"}
                else {"einzeln" if len(grounds) == 1 else "mehrfach"}
            )
            for key in keys:
                if key.basis == basis and all(code in codes[n] for n, code in key.conditions):
                    counted[(key, quarter)] += 1
    return {(key, q): counted[(key, q)] for key in keys for q in QUARTERS}


def test_case_counts_equal_a_count_record_by_record(app, centre):
    rng = random.Random(20261206)  # noqa: S311 - reproducible test data, not a secret
    names = sorted({DIMS[name].column for key in _keys() for name in key.dimensions})
    with app.app_context():
        elsewhere = create_centre("ANDERS", "Andere Stelle").id
        for _ in range(150):
            closed = rng.random() < 0.5
            add_records(
                rng.choice([centre, centre, centre, elsewhere]),
                opened_month=rng.choice(MONTHS),
                closed_month=rng.choice(MONTHS) if closed else None,
                status="closed" if closed else "open",
                **{name: _stored(rng, name) for name in names if name != "went_to_court"},
                went_to_court=rng.choice(["ja", "nein"]),
            )
        keys = _keys()
        expected = _reference(centre, keys)
        counted = aggregate.case_counts(centre, keys, QUARTERS, DIMS)

    assert counted == expected
    # The records must exercise the count: margins, totals and cells of both bases.
    assert sum(1 for value in expected.values() if value) >= len(expected) // 3
    assert {key.basis for (key, _), value in expected.items() if value} == {
        Basis.OPENED,
        Basis.CLOSED,
    }


def test_margins_and_totals_are_answered_by_the_cells_query():
    opened, closed = Basis.OPENED, Basis.CLOSED
    plan = aggregate.query_plan(
        [
            (opened, ()),
            (opened, ("grounds",)),
            (opened, ("life_areas",)),
            (opened, ("grounds", "life_areas")),
            (opened, ("forms",)),
            (closed, ()),
        ]
    )
    cells = (opened, ("grounds", "life_areas"))
    assert plan == {
        (opened, ()): cells,
        (opened, ("grounds",)): cells,
        (opened, ("life_areas",)): cells,
        cells: cells,
        (opened, ("forms",)): (opened, ("forms",)),
        (closed, ()): (closed, ()),
    }


def test_single_select_dimensions_share_a_query_while_their_combinations_stay_few():
    opened = Basis.OPENED
    groups = [
        (opened, ("age_band",)),
        (opened, ("gender",)),
        (opened, ("grounds",)),  # multi-select: never bundled
        (opened, ("respondent_type",)),
        (opened, ("channel",)),
    ]
    plan = aggregate.query_plan(groups, DIMS)
    sizes = {name: len(DIMS[name].codes) + 1 for name in ("age_band", "gender", "channel")}
    # age_band × channel × gender fit; respondent_type (the next in order) would not.
    assert sizes["age_band"] * sizes["channel"] * sizes["gender"] <= aggregate.SMALL_COMBINATIONS
    bundle = (opened, ("age_band", "channel", "gender"))
    assert plan == {
        (opened, ("age_band",)): bundle,
        (opened, ("gender",)): bundle,
        (opened, ("channel",)): bundle,
        (opened, ("grounds",)): (opened, ("grounds",)),
        (opened, ("respondent_type",)): (opened, ("respondent_type",)),
    }
