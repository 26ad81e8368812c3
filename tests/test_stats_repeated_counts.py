"""``aggregate.repeated_counts`` counts in SQL: it must give what counting every record in
Python gives, on records made to hit the corners of how stored life areas are read
(``codes_of``): several areas, a code repeated, a retired code, "keine_angabe" beside a code,
empty values, records outside the period or of another centre, no respondent."""

from __future__ import annotations

import random
from collections import Counter

import sqlalchemy as sa

from servicestelle.centres.operations import create_centre
from servicestelle.extensions import db
from servicestelle.stats import aggregate
from servicestelle.stats.keys import Key
from servicestelle.stats.models import StatsRecord
from servicestelle.stats.periods import Period
from servicestelle.stats.tables import REPEATED, Dimensions
from tests.support.stats import add_records

DIMS = Dimensions.of_centre({})
PERIOD = Period.parse("2026-Q1")
STORED_AREAS = [
    "wohnen",
    "arbeit",
    "arbeit;wohnen",
    "wohnen;arbeit;wohnen",
    "bildung",
    "keine_angabe",
    "keine_angabe;arbeit",
    "",
    "abgeschafft",  # a code retired since: read as "anderes" (or "keine_angabe")
    "abgeschafft;bildung",
]
MONTHS = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]


def _reference(centre: int, keys: list[Key]) -> dict[Key, int]:
    """The count as the definition says it, one record at a time."""
    first, last = PERIOD.months
    records = db.session.execute(
        sa.select(
            StatsRecord.respondent_token, StatsRecord.life_areas, StatsRecord.opened_month
        ).where(StatsRecord.centre_id == centre)
    ).all()
    overall: Counter[bytes] = Counter()
    by_area: Counter[tuple[bytes, str]] = Counter()
    for token, areas, month in records:
        if token is None or not first <= month <= last:
            continue
        overall[token] += 1
        for area in aggregate.codes_of(areas, DIMS["life_areas"]):
            by_area[(token, area)] += 1
    result = {}
    for key in keys:
        within, n = key.code("life_areas"), key.basis.threshold
        if within is None:
            result[key] = sum(1 for count in overall.values() if count >= n)
        else:
            result[key] = sum(1 for (_, a), c in by_area.items() if a == within and c >= n)
    return result


def _all_keys() -> list[Key]:
    areas = [None, *DIMS["life_areas"].codes]
    return [
        Key.of(basis, [] if area is None else [("life_areas", area)])
        for basis in REPEATED
        for area in areas
    ]


def test_repeated_counts_equal_a_count_record_by_record(app, centre):
    rng = random.Random(20261206)  # noqa: S311 - reproducible test data, not a secret
    tokens = [bytes([i]) * 16 for i in range(12)]
    with app.app_context():
        elsewhere = create_centre("ANDERS", "Andere Stelle").id
        for _ in range(160):
            add_records(
                rng.choice([centre, centre, centre, elsewhere]),
                rng.choice([1, 1, 2]),
                respondent_token=rng.choice([*tokens, None]),
                life_areas=rng.choice(STORED_AREAS),
                opened_month=rng.choice(MONTHS),
            )
        keys = _all_keys()
        expected = _reference(centre, keys)
        counted = aggregate.repeated_counts(centre, keys, PERIOD, DIMS)

    assert counted == expected
    # The data must exercise the count: some areas and thresholds non-zero, not all alike.
    assert sum(1 for key in keys if expected[key] and key.code("life_areas")) >= 6
    assert len(set(expected.values())) >= 4


def test_repeated_counts_without_records_or_keys(app, centre):
    keys = _all_keys()
    with app.app_context():
        add_records(centre, 3, respondent_token=None, life_areas="wohnen")
        add_records(centre, 3, respondent_token=b"x" * 16, opened_month="2025-01")
        assert aggregate.repeated_counts(centre, keys, PERIOD, DIMS) == dict.fromkeys(keys, 0)
        assert aggregate.repeated_counts(centre, [], PERIOD, DIMS) == {}
