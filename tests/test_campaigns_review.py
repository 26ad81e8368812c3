"""The review (Wirkungsdialog): the releases before and after a campaign, its indicators in
both ("•" and no change where either is suppressed), the outputs; and the query the annual
activity report uses."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from servicestelle.auth.models import User
from servicestelle.campaigns import operations
from servicestelle.campaigns.models import Campaign
from servicestelle.campaigns.queries import PublishedRelease, campaigns_in_year
from servicestelle.campaigns.review import release_after, release_before, review
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats.periods import Period
from tests import conftest
from tests.support.releases import content_of, populate
from tests.support.stats import AFTER_2026
from tests.test_campaigns import new_campaign, publish, text

ARBEIT = "opened|life_areas=arbeit"
GESCHLECHT = "opened|grounds=geschlecht"  # suppressed (complementary) in these releases


@pytest.fixture
def clock() -> conftest.FrozenClock:
    return conftest.FrozenClock(AFTER_2026)


@pytest.fixture
def three_years(app, centre, make_user, login_as):  # type: ignore[no-untyped-def]
    for year, scale in (("2024", 1), ("2025", 1), ("2026", 2)):
        populate(app, centre, month=f"{year}-02", scale=scale)
    second = make_user(Role.SUPERVISOR, username="leitung.b")
    user = login_as(Role.SUPERVISOR, username="leitung.a")
    return SimpleNamespace(
        user=user,
        **{f"y{year}": publish(app, user.id, second.id, year) for year in ("2024", "2025", "2026")},
    )


def with_indicators(app, user_id: int, release_id: int, starts: date, ends: date) -> int:  # type: ignore[no-untyped-def]
    campaign_id = new_campaign(app, user_id, starts_on=starts, ends_on=ends)
    with app.app_context():
        actor = db.session.get(User, user_id)
        campaign = db.session.get(Campaign, campaign_id)
        operations.add_indicator(actor, campaign, release_id, ARBEIT, "senken")
        operations.add_indicator(actor, campaign, release_id, GESCHLECHT, "sichtbar_machen")
    return campaign_id


def test_review_compares_the_release_before_with_the_first_after(app, client, three_years):
    assert content_of(app, three_years.y2026)["tables"]  # sanity: the releases exist
    campaign_id = with_indicators(
        app, three_years.user.id, three_years.y2026, date(2025, 3, 1), date(2025, 10, 31)
    )
    with app.app_context():
        result = review(db.session.get(Campaign, campaign_id))
    assert result.ended
    assert result.before is not None and result.after is not None
    assert (result.before.id, result.after.id) == (three_years.y2024, three_years.y2026)
    arbeit, geschlecht = result.indicators
    assert (arbeit.before, arbeit.after, arbeit.change, arbeit.as_wanted) == (30, 60, 30, False)
    assert (geschlecht.before, geschlecht.after, geschlecht.change) == (None, None, None)
    assert geschlecht.before_known and geschlecht.after_known  # suppressed, not missing

    page = text(client.get(f"/kampagnen/{campaign_id}"))
    assert f"Statistik Jahr 2024 (Nr. {three_years.y2024})" in page
    assert f"Statistik Jahr 2026 (Nr. {three_years.y2026})" in page
    row = page[page.index(f'<tr data-key="{GESCHLECHT}">', page.index("review-caption")) :]
    row = row[: row.index("</tr>")]
    assert row.count("•") == 2 and "kein Vergleich möglich" in row and "+" not in row
    arbeit_row = page[page.index(f'<tr data-key="{ARBEIT}">', page.index("review-caption")) :]
    assert "+30" in arbeit_row[: arbeit_row.index("</tr>")]


def test_review_says_so_when_a_release_is_missing_or_the_campaign_runs(app, client, three_years):
    after_all = with_indicators(
        app, three_years.user.id, three_years.y2026, date(2026, 3, 1), date(2026, 5, 31)
    )
    page = text(client.get(f"/kampagnen/{after_all}"))
    assert f"Statistik Jahr 2025 (Nr. {three_years.y2025})" in page
    assert "Noch keine veröffentlichte Statistik nach dem Ende der Kampagne." in page

    before_all = new_campaign(
        app, three_years.user.id, starts_on=date(2024, 1, 1), ends_on=date(2024, 3, 1)
    )
    assert "Keine veröffentlichte Statistik vor Beginn der Kampagne." in text(
        client.get(f"/kampagnen/{before_all}")
    )
    running = new_campaign(
        app, three_years.user.id, starts_on=date(2026, 12, 1), ends_on=date(2027, 2, 1)
    )
    page = text(client.get(f"/kampagnen/{running}"))
    assert "Der Vergleich ist erst danach möglich." in page


def test_only_published_releases_count(app, client, three_years, make_user):
    from servicestelle.stats import operations as stats_operations
    from servicestelle.stats.release_models import Release

    with app.app_context():
        stats_operations.revoke_release(
            db.session.get(User, three_years.user.id),
            db.session.get(Release, three_years.y2024),
            "Fehler",
        )
    campaign_id = new_campaign(
        app, three_years.user.id, starts_on=date(2025, 3, 1), ends_on=date(2025, 4, 1)
    )
    with app.app_context():
        result = review(db.session.get(Campaign, campaign_id))
    assert result.before is None
    assert result.after is not None and result.after.id == three_years.y2026


def published_release(code: str, release_id: int) -> PublishedRelease:
    return PublishedRelease(
        SimpleNamespace(id=release_id),  # type: ignore[arg-type]
        Period.parse(code),
        {"tables": []},
    )


def test_before_prefers_the_latest_end_then_the_longest_period_and_after_keeps_its_kind():
    releases = [
        published_release(code, number)
        for number, code in enumerate(
            ["2025", "2025-H2", "2025-Q4", "2025-Q3", "2026-Q1", "2026-H1", "2027", "2026-Q2"], 1
        )
    ]
    before = release_before(releases, date(2026, 1, 15))
    assert before is not None and before.period.code == "2025"
    assert release_before(releases, date(2025, 12, 31)) is not None
    assert release_before(releases, date(2025, 12, 31)).period.code == "2025-Q3"  # type: ignore[union-attr]
    after = release_after(releases, date(2026, 2, 1), before.period.kind)
    assert after is not None and after.period.code == "2027"  # a year, not 2026-Q2
    quarter = release_after(
        releases, date(2026, 2, 1), release_before(releases, date(2025, 12, 31)).period.kind
    )  # type: ignore[union-attr]
    assert quarter is not None and quarter.period.code == "2026-Q2"
    assert release_after(releases, date(2027, 1, 1), None) is None


def test_campaigns_in_year_are_those_whose_period_overlaps_it(app, make_user):
    user = make_user(Role.COUNSELLOR)
    inside = new_campaign(app, user.id, starts_on=date(2026, 3, 1), ends_on=date(2026, 4, 1))
    across = new_campaign(app, user.id, starts_on=date(2025, 11, 1), ends_on=date(2026, 1, 1))
    new_campaign(app, user.id, starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    new_campaign(app, user.id, starts_on=date(2027, 1, 1), ends_on=date(2027, 2, 1))
    with app.app_context():
        found = campaigns_in_year(db.session.get(User, user.id).centre_id, 2026)
        assert sorted(campaign.id for campaign in found) == sorted([inside, across])
