"""Properties over generated populations: whatever the cases, a published release shows only
0, counts >= k or "•"; an independent attack on it finds every suppressed cell protected;
its export round-trips through the schema and verifies."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import aggregate, content, disclosure, exports, model, operations
from servicestelle.stats.models import StatsRecord
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release
from servicestelle.stats.tables import Dimensions
from tests import conftest
from tests.support.stats import AFTER_2026, add_records

TABLES = ["faelle", "alter", "merkmale", "lebensbereiche", "merkmal_lebensbereich", "agg_gericht"]
GROUNDS = [
    "geschlecht",
    "lebensalter",
    "religion_weltanschauung",
    "rassismus_antisemitismus_herkunft",
]
AREAS = ["arbeit", "wohnen", "bildung"]

record = st.fixed_dictionaries(
    {
        "age_band": st.sampled_from(["u18", "18_26", "27_45", "65_plus", "keine_angabe"]),
        "grounds": st.lists(st.sampled_from(GROUNDS), min_size=1, max_size=2, unique=True).map(
            lambda codes: ";".join(sorted(codes))
        ),
        "life_areas": st.lists(st.sampled_from(AREAS), max_size=2, unique=True).map(
            lambda codes: ";".join(sorted(codes))
        ),
        "opened_month": st.sampled_from(["2026-01", "2026-02", "2026-03"]),
        "closed_month": st.sampled_from([None, "2026-03"]),
        "agg_relevance": st.sampled_from(["agg_relevant", "nicht_agg_relevant", "unklar"]),
        "went_to_court": st.sampled_from(["ja", "nein"]),
    }
)
# Groups of identical records: populations with large and small cells alike.
population = st.lists(st.tuples(record, st.integers(1, 12)), min_size=1, max_size=12)


@pytest.fixture
def clock() -> conftest.FrozenClock:
    """After 2026: drafting refuses a period that has not ended, and these draft 2026-Q1."""
    return conftest.FrozenClock(AFTER_2026)


@pytest.fixture
def people(app, make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.SUPERVISOR).id, make_user(Role.SUPERVISOR).id


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(groups=population)
def test_every_published_release_is_safe_and_round_trips(app, centre, people, groups):
    k = 5
    with app.app_context():
        db.session.execute(sa.delete(Release))
        db.session.execute(sa.delete(StatsRecord))
        db.session.commit()
        for values, count in groups:
            add_records(centre, count, **values)
        drafter, approver = (db.session.get(User, i) for i in people)
        release = operations.draft_release(drafter, Period.parse("2026-Q1"), TABLES)
        assert release.audit_passed
        operations.approve_release(approver, release)
        published = db.session.get(Release, release.id)
        document = json.loads(published.content)

        figures = [f for table in document["tables"] for f in table["figures"]]
        assert all(f["value"] is None or f["value"] == 0 or f["value"] >= k for f in figures)

        # An attack of its own, from the store, on exactly what was published.
        dims = Dimensions.of_centre({})
        keys = list(dict.fromkeys(content.published_keys(document)))
        hidden = list(dict.fromkeys(content.suppressed_keys(document)))
        rebuilt = model.build(
            aggregate.StoreCounts(centre, dims), Period.parse("2026-Q1"), keys + hidden, [], dims
        )
        audit = disclosure.attack(rebuilt.problem, [key.text for key in hidden], k)
        assert audit.passed
        for key in keys:
            value = next(f["value"] for f in figures if f["key"] == key.text)
            assert value == rebuilt.values[key]

        exported = json.loads(json.dumps(exports.export_json(published, "TEST")))
        loaded = exports.verify_export(exported)
        assert exports.ReleaseExportSchema().dump(loaded) == exported
