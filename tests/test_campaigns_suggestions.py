"""Campaign suggestions: ranked from published figures only, each with the exact published
value and the release it comes from; growth only where both figures are published, with a
minimum base; repeated-respondent clusters; districts per 10,000 residents."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from servicestelle.campaigns import suggestions
from servicestelle.campaigns.queries import PublishedRelease
from servicestelle.centres import profiles
from servicestelle.roles import Role
from servicestelle.stats.periods import Period
from servicestelle.stats.tables import Basis
from tests import conftest
from tests.support.releases import content_of, populate
from tests.support.stats import AFTER_2026
from tests.test_campaigns import publish, text

ROW = re.compile(r'<tr data-key="([^"]+)">(.*?)</tr>', re.S)


@pytest.fixture
def clock() -> conftest.FrozenClock:
    return conftest.FrozenClock(AFTER_2026)


def rows_of(page: str, section: str) -> list[tuple[str, list[str]]]:
    """(key, cell texts) of the table in the section with this heading id."""
    start = page.index(f'id="{section}-heading"')
    end = page.index("</section>", start)
    return [
        (
            key,
            [
                re.sub(r"<[^>]+>", "", cell).strip()
                for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
            ],
        )
        for key, row in ROW.findall(page[start:end])
    ]


def values(content: dict[str, Any]) -> dict[str, int | None]:
    return {
        figure["key"]: figure["value"] for table in content["tables"] for figure in table["figures"]
    }


@pytest.fixture
def two_years(app, centre, make_user, login_as):  # type: ignore[no-untyped-def]
    """2025 and 2026 published (2026 twice the cases); the client is a supervisor."""
    populate(app, centre, month="2025-02", scale=1)
    populate(app, centre, month="2026-02", scale=2)
    second = make_user(Role.SUPERVISOR, username="leitung.b")
    user = login_as(Role.SUPERVISOR, username="leitung.a")
    return SimpleNamespace(
        y2025=publish(app, user.id, second.id, "2025"),
        y2026=publish(app, user.id, second.id, "2026"),
        user=user,
    )


def test_the_largest_cells_are_published_detail_cells_ranked_with_their_release(
    app, client, two_years
):
    page = text(client.get("/kampagnen/vorschlaege"))
    assert f"Statistik Jahr 2026 (Nr. {two_years.y2026})" in page
    published = values(content_of(app, two_years.y2026))
    largest = rows_of(page, "largest")
    keys = [key for key, _cells in largest]
    shown = [int(cells[2]) for _key, cells in largest]
    # Exactly the published value of the release, for every row; ranked by it.
    assert all(published[key] == value for key, value in zip(keys, shown, strict=True))
    assert shown == sorted(shown, reverse=True) and shown[0] == 60
    assert set(keys[:4]) == {
        "opened|life_areas=arbeit",
        "opened|grounds=geschlecht|life_areas=arbeit",
        "opened|level=individuell",
        "opened|age_band=27_45",
    }
    assert "opened|grounds=lebensalter|life_areas=wohnen" in keys
    # Never a suppressed cell, a total, "keine Angabe" or the table of totals.
    suppressed = {key for key, value in published.items() if value is None}
    assert suppressed and not suppressed & set(keys)
    assert "opened|grounds=geschlecht" in suppressed  # complementary: a large cell, hidden
    assert "opened" not in keys
    assert not any("keine_angabe" in key or "anderes" in key for key in keys)
    assert len(keys) == len(set(keys))
    # Each row offers its campaign.
    assert page.count('href="/kampagnen/neu?release=') >= len(keys)


def test_growth_only_where_both_releases_publish_the_figure(app, client, two_years):
    page = text(client.get("/kampagnen/vorschlaege"))
    before = values(content_of(app, two_years.y2025))
    now = values(content_of(app, two_years.y2026))
    assert f"Verglichen mit Statistik Jahr 2025 (Nr. {two_years.y2025})" in page
    growing = rows_of(page, "growing")
    assert growing
    for key, cells in growing:
        assert before[key] is not None and now[key] is not None
        assert (int(cells[2]), int(cells[3]), cells[4]) == (
            before[key],
            now[key],
            f"+{now[key] - before[key]}",
        )
    by_key = dict(growing)
    assert by_key["opened|life_areas=arbeit"][2:6] == ["30", "60", "+30", "+100,0&nbsp;%"]
    published_both = {k for k in now if now[k] is not None and before.get(k) is not None}
    assert {key for key, _cells in growing} <= published_both


def test_an_older_release_can_be_chosen_and_has_nothing_to_compare(app, client, two_years):
    page = text(client.get(f"/kampagnen/vorschlaege?release={two_years.y2025}"))
    assert f"Quelle aller Zahlen dieser Seite: Statistik Jahr 2025 (Nr. {two_years.y2025})" in page
    assert "keine veröffentlichte Statistik; ein Vergleich ist nicht möglich" in page
    published = values(content_of(app, two_years.y2025))
    for key, cells in rows_of(page, "largest"):
        assert int(cells[2]) == published[key]


def test_a_draft_is_never_a_source(app, client, centre, make_user, login_as):
    populate(app, centre, month="2026-02")
    user = login_as(Role.SUPERVISOR, username="leitung.a")
    from servicestelle.auth.models import User
    from servicestelle.extensions import db
    from servicestelle.stats import operations

    with app.app_context():
        operations.draft_release(db.session.get(User, user.id), Period.parse("2026"), ["merkmale"])
    page = text(client.get("/kampagnen/vorschlaege"))
    assert "Es gibt noch keine veröffentlichte Statistik" in page
    assert "Kampagne daraus planen" not in page


# --- the rules, on content built by hand ----------------------------------------------------


def release_of(period: str, tables: list[dict[str, Any]], centre_id: int = 1) -> PublishedRelease:
    release = SimpleNamespace(id=7, centre_id=centre_id, period=period)
    return PublishedRelease(release, Period.parse(period), {"tables": tables})  # type: ignore[arg-type]


def table(
    table_id: str, rows: dict[str, int | None], dimension: str = "life_areas"
) -> dict[str, Any]:
    return {
        "id": table_id,
        "title": table_id.title(),
        "rows": [{"code": code, "label": code.title()} for code in rows],
        "cols": [],
        "figures": [
            {"row": None, "col": None, "key": "opened", "value": None},
            *(
                {"row": code, "col": None, "key": f"opened|{dimension}={code}", "value": value}
                for code, value in rows.items()
            ),
        ],
    }


def test_growth_is_ranked_against_a_minimum_base_and_gives_percentages_only_above_it():
    before = release_of(
        "2025", [table("lebensbereiche", {"a": 1, "b": 20, "c": 8, "d": None, "e": 40})]
    )
    now = release_of(
        "2026",
        [table("lebensbereiche", {"a": 3, "b": 30, "c": 12, "d": 50, "e": 39, "f": 70})],
    )
    found = suggestions.growing(now, before)
    assert [g.key.split("=")[1] for g in found] == ["b", "c", "a"]  # 10/20, 4/10, 2/10
    assert [g.percent for g in found] == [50.0, None, None]  # 1 → 3 is no "+200 %"
    assert [(g.before, g.now) for g in found] == [(20, 30), (8, 12), (1, 3)]
    # d: suppressed before; e: fell; f: not in the earlier release.
    assert suggestions.growing(now, None) == []


def test_largest_skips_generic_rows_zero_and_suppressed_cells():
    release = release_of(
        "2026",
        [
            table(
                "lebensbereiche",
                {"arbeit": 9, "keine_angabe": 50, "anderes": 40, "bildung": None, "wohnen": 0},
            )
        ],
    )
    assert [(c.key, c.value) for c in suggestions.largest(release)] == [
        ("opened|life_areas=arbeit", 9)
    ]


def test_repeated_respondent_clusters_by_life_area():
    figures = []
    counts = {
        Basis.REPEATED_2: {"arbeit": 6, "wohnen": 9, "bildung": None, "keine_angabe": 20},
        Basis.REPEATED_3: {"arbeit": 5, "wohnen": None, "bildung": None, "keine_angabe": 5},
        Basis.REPEATED_5: {"arbeit": 0, "wohnen": 0, "bildung": None, "keine_angabe": 0},
    }
    for basis, by_area in counts.items():
        figures.append({"row": basis.value, "col": None, "key": basis.value, "value": None})
        for code, value in by_area.items():
            figures.append(
                {
                    "row": basis.value,
                    "col": code,
                    "key": f"{basis.value}|life_areas={code}",
                    "value": value,
                }
            )
    repeated = {
        "id": "wiederholte_verursachende",
        "title": "Wiederholt",
        "rows": [{"code": b.value, "label": b.value} for b in counts],
        "cols": [{"code": c, "label": c.title()} for c in counts[Basis.REPEATED_2]],
        "figures": figures,
    }
    found = suggestions.clusters(release_of("2026", [repeated]))
    assert [(c.life_area, list(c.counts.values())) for c in found] == [
        ("wohnen", [9, None, 0]),
        ("arbeit", [6, 5, 0]),
    ]
    assert found[0].key == "repeated_2|life_areas=wohnen"


def test_districts_per_10000_only_where_count_and_population_are_known(monkeypatch):
    release = release_of(
        "2026",
        [
            table(
                "stadtteile",
                {"nord": 12, "sued": 30, "west": None, "ost": 8, "keine_angabe": 9},
                "district",
            )
        ],
        centre_id=3,
    )
    asked: list[tuple[int, int]] = []

    def populations(centre_id: int, year: int) -> profiles.Populations:
        asked.append((centre_id, year))
        return profiles.Populations(2025, {"nord": 8_000, "sued": 60_000, "west": 5_000})

    monkeypatch.setattr(profiles, "populations", populations)
    found, year = suggestions.district_rates(release)
    assert asked == [(3, 2026)] and year == 2025
    assert found is not None
    assert [(d.district, d.count, d.population, d.per_10000) for d in found] == [
        ("nord", 12, 8_000, 15.0),
        ("sued", 30, 60_000, 5.0),
    ]  # west: suppressed; ost: no population; keine_angabe: no district
    monkeypatch.setattr(profiles, "populations", lambda centre_id, year: None)
    assert suggestions.district_rates(release) == (None, None)


def test_the_page_shows_districts_per_10000_from_the_profiles(
    app, client, centre, make_user, login_as, monkeypatch
):
    from servicestelle.auth.models import User
    from servicestelle.centres import operations as centres
    from servicestelle.extensions import db
    from tests.support.stats import add_records

    second = make_user(Role.SUPERVISOR, username="leitung.b")
    user = login_as(Role.SUPERVISOR, username="leitung.a")
    with app.app_context():
        actor = db.session.get(User, user.id)
        centres.add_district(actor, "nord", "Nord")
        centres.add_district(actor, "sued", "Süd")
        add_records(centre, 30, opened_month="2026-02", district="nord")
        add_records(centre, 20, opened_month="2026-02", district="sued")
    from tests.support import releases

    release_id = releases.publish(app, user.id, second.id, "2026", ("faelle", "stadtteile"))
    published = values(content_of(app, release_id))
    assert published["opened|district=nord"] == 30
    monkeypatch.setattr(
        profiles,
        "populations",
        lambda centre_id, year: profiles.Populations(year, {"nord": 20_000, "sued": 4_000}),
    )
    page = text(client.get("/kampagnen/vorschlaege"))
    rows = rows_of(page, "districts")
    assert [(key, cells[:4]) for key, cells in rows] == [
        ("opened|district=sued", ["Süd", "20", "4.000", "50,0"]),
        ("opened|district=nord", ["Nord", "30", "20.000", "15,0"]),
    ]
