"""District profiles: a supervisor imports the population figures a statistics office
publishes, year by year; every malformed file is refused with its line numbers and nothing
saved; a re-import replaces the year; ``populations`` and ``per_10000`` serve the reports.
"""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from servicestelle.auth.models import User
from servicestelle.centres import operations
from servicestelle.centres.profile_import import (
    NotANumber,
    ProfileFileError,
    parse,
    parse_number,
)
from servicestelle.centres.profile_models import DistrictFigure, DistrictProfile
from servicestelle.centres.profiles import per_10000, populations
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import https_client, login
from tests.support import audit_log
from tests.support.html import csrf_token

PROFILES = "/stadtteile/profile"
REGISTER = {"nord": "Innenstadt-Nord", "huckarde": "Huckarde", "loett": "Löttringhausen"}
GOOD = (
    "\ufeffcode;name;einwohner;anteil_auslaendisch\r\n"
    "nord;Innenstadt-Nord;58.123;41,7\r\n"
    "huckarde;Huckarde;35.010;\r\n"
    "\r\n"
).encode()


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def upload(client: Any, data: bytes, year: str = "2025") -> Any:
    """The import form, posted the way a browser does (the page first, for its token)."""
    token = csrf_token(client.get(PROFILES).get_data(as_text=True))
    return client.post(
        PROFILES,
        data={"csrf_token": token, "year": year, "file": (io.BytesIO(data), "bezirke.csv")},
        headers={"Referer": f"https://localhost{PROFILES}"},
        content_type="multipart/form-data",
    )


def profile_rows(app: Any) -> list[tuple[int, int, int, bool]]:
    """(centre, year, version, current) of every profile."""
    with app.app_context():
        return [
            (p.centre_id, p.year, p.version, p.replaced_at is None)
            for p in db.session.scalars(sa.select(DistrictProfile).order_by(DistrictProfile.id))
        ]


def figure_count(app: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(DistrictFigure)) or 0)


def add_register(app: Any, supervisor_id: int, register: dict[str, str] = REGISTER) -> None:
    with app.app_context():
        actor = db.session.get(User, supervisor_id)
        for code, name in register.items():
            operations.add_district(actor, code, name)


@pytest.fixture
def supervisor(app, login_as):
    boss = login_as(Role.SUPERVISOR, username="leitung.a")
    add_register(app, boss.id)
    return boss


# --- the happy paths --------------------------------------------------------------------------


def test_a_supervisor_imports_a_year_and_sees_its_figures(app, client, supervisor, centre):
    mark = audit_log.head(app)
    response = upload(client, GOOD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{PROFILES}/2025")
    assert profile_rows(app) == [(centre, 2025, 1, True)]
    with app.app_context():
        found = populations(centre, 2025)
        profile = db.session.scalars(sa.select(DistrictProfile)).one()
        extra = {f.district_code: f.extra_values for f in profile.figures}
        assert (profile.district_count, profile.population_total) == (2, 93_133)
        assert profile.column_list == ["anteil_auslaendisch"]
    assert found is not None
    assert found.year == 2025 and found.by_district == {"nord": 58_123, "huckarde": 35_010}
    assert str(extra["nord"]["anteil_auslaendisch"]) == "41.7" and extra["huckarde"] == {}

    entry = audit_log.one(app, "org:district_profile:import", after=mark)
    details = json.loads(entry.details)
    assert details["year"] == 2025 and details["version"] == 1 and details["districts"] == 2
    assert details["columns"] == ["anteil_auslaendisch"]
    assert re.fullmatch(r"[0-9a-f]{64}", details["sha256"])
    assert entry.actor_id == supervisor.id and entry.centre_id == centre

    page = text_of(client.get(response.headers["Location"]))
    assert "Bevölkerungszahlen 2025" in page
    assert "58.123" in page and "35.010" in page and "93.133" in page and "41,7" in page
    assert "Ohne Zahlen in diesem Jahr: Löttringhausen." in page
    listing = text_of(client.get(PROFILES))
    assert f'href="{PROFILES}/2025"' in listing and "93.133" in listing


def test_comma_delimited_without_bom_with_quoted_german_and_point_decimals(app, client, supervisor):
    data = (
        b"Code,Name,Einwohnerzahl,anteil_auslaendisch,anteil_ab_65\n"
        b'nord,INNENSTADT NORD,"58.123","41,7",19.25\n'
        b"loett,Loettringhausen,7001,3.5,\n"
    )
    assert upload(client, data, year="2024").status_code == 302
    with app.app_context():
        profile = db.session.scalars(sa.select(DistrictProfile)).one()
        values = {f.district_code: (f.population, f.extra_values) for f in profile.figures}
    assert values["nord"][0] == 58_123 and values["loett"][0] == 7001
    assert {k: str(v) for k, v in values["nord"][1].items()} == {
        "anteil_auslaendisch": "41.7",
        "anteil_ab_65": "19.25",
    }
    assert {k: str(v) for k, v in values["loett"][1].items()} == {"anteil_auslaendisch": "3.5"}


def test_a_reimport_replaces_the_year_and_keeps_the_old_versions_summary(
    app, client, supervisor, centre
):
    assert upload(client, GOOD).status_code == 302
    mark = audit_log.head(app)
    second = b"code;name;einwohner\nnord;Innenstadt-Nord;60.000\n"
    response = upload(client, second)
    assert response.status_code == 302
    assert profile_rows(app) == [(centre, 2025, 1, False), (centre, 2025, 2, True)]
    assert figure_count(app) == 1  # the replaced version's figures are gone
    with app.app_context():
        found = populations(centre, 2025)
        old = db.session.scalars(
            sa.select(DistrictProfile).where(DistrictProfile.version == 1)
        ).one()
        assert (old.district_count, old.population_total) == (2, 93_133)
    assert found is not None and found.by_district == {"nord": 60_000}
    details = json.loads(audit_log.one(app, "org:district_profile:import", after=mark).details)
    assert details["version"] == 2 and details["replaced_version"] == 1
    assert details["replaced_districts"] == 2 and details["replaced_sha256"] != details["sha256"]
    page = text_of(client.get(response.headers["Location"]))
    assert "Version 2" in page and "abgelöst am" in page and "93.133" in page
    assert "Version 2 gilt jetzt" in page  # the flash says what happened


# --- every error class: German, with line numbers, nothing saved ----------------------------

HEAD = "code;name;einwohner\n"

BAD_FILES = [
    ("empty", b"", ["Die Datei ist leer."]),
    ("only blank lines", b"\n \n", ["Die Datei ist leer."]),
    (
        "only a header",
        HEAD.encode(),
        ["Unter der Kopfzeile (Zeile 1) steht keine Zeile mit Zahlen."],
    ),
    (
        "not utf-8",
        "code;name;einwohner\nloett;Löttringhausen;7001\n".encode("cp1252"),
        ["Die Datei ist nicht UTF-8-kodiert."],
    ),
    (
        "header without population",
        b"code;name;bewohner\nnord;Innenstadt-Nord;5\n",
        ["Zeile 1: Die Spalte „bewohner“ ist unbekannt.", "es fehlt: einwohner."],
    ),
    (
        "header with a duplicate column",
        b"code;name;einwohner;name\n",
        ["Zeile 1: Die Spalte „name“ steht zweimal in der Kopfzeile."],
    ),
    (
        "unknown optional column",
        b"code;name;einwohner;anteil_katzen\nnord;Innenstadt-Nord;5;3\n",
        ["Zeile 1: Die Spalte „anteil_katzen“ ist unbekannt."],
    ),
    (
        "unknown district code",
        (HEAD + "nord;Innenstadt-Nord;5\nsued;Süd;7\n").encode(),
        ["Zeile 3: Den Code „sued“ gibt es im Register Ihrer Beratungsstelle nicht."],
    ),
    (
        "name not matching the register",
        (HEAD + "nord;Huckarde;5\n").encode(),
        [
            "Zeile 2: Der Name „Huckarde“ passt nicht zum Code „nord“ (im Register: „Innenstadt-Nord“)."
        ],
    ),
    (
        "duplicate code",
        (HEAD + "nord;Innenstadt-Nord;5\nhuckarde;Huckarde;6\nnord;Innenstadt-Nord;7\n").encode(),
        ["Zeile 4: Der Code „nord“ steht schon in Zeile 2."],
    ),
    (
        "missing population",
        (HEAD + "nord;Innenstadt-Nord;\n").encode(),
        ["Zeile 2: Die Einwohnerzahl fehlt."],
    ),
    (
        "non-numeric population",
        (HEAD + "nord;Innenstadt-Nord;viele\nhuckarde;Huckarde;12,5\n").encode(),
        [
            "Zeile 2: Die Einwohnerzahl „viele“ ist keine ganze Zahl.",
            "Zeile 3: Die Einwohnerzahl „12,5“ ist keine ganze Zahl.",
        ],
    ),
    (
        "negative population",
        (HEAD + "nord;Innenstadt-Nord;-5\n").encode(),
        ["Zeile 2: Die Einwohnerzahl „-5“ ist negativ."],
    ),
    (
        "malformed optional value",
        b"code;name;einwohner;anteil_auslaendisch;einwohner_ab_65\n"
        b"nord;Innenstadt-Nord;5;ca. 40;1\nhuckarde;Huckarde;6;140;2,5\n",
        [
            "Zeile 2, Spalte anteil_auslaendisch: „ca. 40“ ist keine Zahl.",
            "Zeile 3, Spalte anteil_auslaendisch: Ein Anteil in Prozent liegt zwischen 0 und 100",
            "Zeile 3, Spalte einwohner_ab_65: „2,5“ ist keine ganze Zahl ab 0.",
        ],
    ),
    (
        "wrong number of fields",
        (HEAD + "nord;Innenstadt-Nord\nhuckarde;Huckarde;6\n").encode(),
        ["Zeile 2: 2 Felder statt 3 wie in der Kopfzeile."],
    ),
    (
        "several problems, each with its line",
        (HEAD + "nord;Innenstadt-Nord;5\n;Huckarde;6\nloett;Löttringhausen;x\n").encode(),
        ["Zeile 3: Der Code fehlt.", "Zeile 4: Die Einwohnerzahl „x“ ist keine ganze Zahl."],
    ),
]


@pytest.mark.parametrize(
    ("data", "messages"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_a_bad_file_is_refused_with_its_lines_and_nothing_is_saved(
    app, client, supervisor, data, messages
):
    mark = audit_log.head(app)
    response = upload(client, data)
    assert response.status_code == 400
    page = text_of(response)
    assert "Die Datei wurde nicht eingespielt" in page and "Es wurde nichts gespeichert." in page
    for message in messages:
        assert message in page, message
    assert "Traceback" not in page
    assert profile_rows(app) == [] and figure_count(app) == 0
    assert audit_log.entries(app, after=mark, action="org:district_profile:import") == []


def test_a_bad_reimport_leaves_the_year_as_it_was(app, client, supervisor, centre):
    assert upload(client, GOOD).status_code == 302
    assert upload(client, (HEAD + "nord;Innenstadt-Nord;-1\n").encode()).status_code == 400
    assert profile_rows(app) == [(centre, 2025, 1, True)]
    with app.app_context():
        found = populations(centre, 2025)
    assert found is not None and found.by_district == {"nord": 58_123, "huckarde": 35_010}


def test_form_errors_are_german_and_keep_the_year(app, client, supervisor):
    token = csrf_token(client.get(PROFILES).get_data(as_text=True))
    response = client.post(
        PROFILES,
        data={"csrf_token": token, "year": "2024"},
        headers={"Referer": f"https://localhost{PROFILES}"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "Bitte wählen Sie eine CSV-Datei." in page
    assert '<option selected value="2024">' in response.get_data(as_text=True)
    response = upload(client, GOOD, year="1999")
    assert response.status_code == 400
    assert "Bitte wählen Sie ein Jahr von 2000 bis 2100." in text_of(response)
    assert profile_rows(app) == []


def test_the_register_of_another_centre_does_not_count(app, client, supervisor, make_user):
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        other = create_centre("ANDERE", "Servicestelle Anderswo").id
    boss = make_user(Role.SUPERVISOR, username="leitung.b", centre_id=other)
    add_register(app, boss.id, {"fremd": "Fremdbezirk"})
    response = upload(client, (HEAD + "fremd;Fremdbezirk;100\n").encode())
    assert response.status_code == 400
    assert "Zeile 2: Den Code „fremd“ gibt es im Register" in text_of(response)


# --- reads: populations, per_10000, the pages -----------------------------------------------


def test_populations_picks_the_year_else_the_latest_earlier_one(app, client, supervisor, centre):
    assert (
        upload(client, (HEAD + "nord;Innenstadt-Nord;100\n").encode(), year="2021").status_code
        == 302
    )
    assert (
        upload(client, (HEAD + "nord;Innenstadt-Nord;300\n").encode(), year="2023").status_code
        == 302
    )
    assert (
        upload(client, (HEAD + "nord;Innenstadt-Nord;200\n").encode(), year="2022").status_code
        == 302
    )
    with app.app_context():
        picked = {year: populations(centre, year) for year in (2020, 2021, 2022, 2023, 2024, 2030)}
        assert populations(centre + 1000, 2023) is None  # another (or no) centre: none
    assert picked[2020] is None
    assert {
        year: (found.year, found.by_district["nord"]) for year, found in picked.items() if found
    } == {
        2021: (2021, 100),
        2022: (2022, 200),
        2023: (2023, 300),
        2024: (2023, 300),
        2030: (2023, 300),
    }


def test_per_10000_only_where_the_count_is_published_and_the_population_known():
    assert per_10000(7, 12_345) == 5.7
    assert per_10000(0, 12_345) == 0.0
    assert per_10000(None, 12_345) is None  # suppressed: never a rate
    assert per_10000(7, None) is None
    assert per_10000(7, 0) is None


def test_campaign_suggestions_rate_districts_from_an_imported_profile(
    app, client, supervisor, make_user, clock, centre
):
    """Through the real path: imported figures, a published release with a district table
    (one district's count suppressed), and the suggestions' rates per 10,000."""
    from servicestelle.campaigns import suggestions
    from servicestelle.campaigns.queries import find_published_release
    from tests.conftest import FrozenClock
    from tests.support.releases import content_of, publish
    from tests.support.stats import AFTER_2026, add_records

    # Population for every district, 2025's figures (the latest year up to the release's).
    data = (
        HEAD + "nord;Innenstadt-Nord;58.123\nhuckarde;Huckarde;4.000\nloett;Löttringhausen;7.001\n"
    )
    assert upload(client, data.encode(), year="2025").status_code == 302
    clock.moment = FrozenClock(AFTER_2026).moment  # only an ended period can be drafted
    with app.app_context():
        add_records(centre, 30, opened_month="2026-02", district="nord")
        add_records(centre, 20, opened_month="2026-02", district="huckarde")
        add_records(centre, 2, opened_month="2026-02", district="loett")  # below k: "•"
        # No district named: the cell the complementary suppression hides with loett's.
        add_records(centre, 9, opened_month="2026-02")
    second = make_user(Role.SUPERVISOR, username="leitung.zwei")
    release_id = publish(app, supervisor.id, second.id, "2026", ("faelle", "stadtteile"))
    published = {
        figure["row"]: figure["value"]
        for table in content_of(app, release_id)["tables"]
        if table["id"] == "stadtteile"
        for figure in table["figures"]
        if figure["row"] in REGISTER and figure["col"] is None
    }
    assert published["nord"] == 30 and published["loett"] is None
    with app.app_context():
        release = find_published_release(centre, release_id)
        assert release is not None
        rates, year = suggestions.district_rates(release)
    assert year == 2025 and rates is not None
    population = {"nord": 58_123, "huckarde": 4_000, "loett": 7_001}
    expected = sorted(
        (
            (code, count, population[code], round(count * 10_000 / population[code], 1))
            for code, count in published.items()
            if count is not None
        ),
        key=lambda row: (-row[3], row[0]),
    )
    assert [(r.district, r.count, r.population, r.per_10000) for r in rates] == expected
    assert expected[:2] == [("huckarde", 20, 4_000, 50.0), ("nord", 30, 58_123, 5.2)]
    assert "loett" not in {r.district for r in rates}  # suppressed: no rate at all


def test_the_template_lists_the_register_and_imports_once_filled(app, client, supervisor, centre):
    response = client.get(f"{PROFILES}/vorlage.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    body = response.data.decode("utf-8-sig")
    lines = body.splitlines()
    assert lines[0].startswith("code;name;einwohner;anteil_auslaendisch")
    assert {line.split(";")[0] for line in lines[1:]} == set(REGISTER)
    filled = "\n".join([lines[0]] + [line.replace(";;", ";1.000;", 1) for line in lines[1:]])
    assert upload(client, filled.encode("utf-8-sig")).status_code == 302
    with app.app_context():
        found = populations(centre, 2025)
    assert found is not None and found.by_district == dict.fromkeys(REGISTER, 1000)


def test_a_year_without_profile_and_another_centres_year_are_404(
    app, client, supervisor, make_user, clock
):
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        other = create_centre("ANDERE", "Servicestelle Anderswo").id
    boss = make_user(Role.SUPERVISOR, username="leitung.b", centre_id=other)
    add_register(app, boss.id, {"fremd": "Fremdbezirk"})
    elsewhere = https_client(app)
    login(elsewhere, boss, clock)
    assert (
        upload(elsewhere, (HEAD + "fremd;Fremdbezirk;100\n").encode(), year="2024").status_code
        == 302
    )
    assert elsewhere.get(f"{PROFILES}/2024").status_code == 200
    assert client.get(f"{PROFILES}/2024").status_code == 404
    assert client.get(f"{PROFILES}/2023").status_code == 404
    assert "Fremdbezirk" not in text_of(client.get(PROFILES))


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.DPO, Role.ADMIN], ids=lambda r: r.value)
def test_only_supervisors_reach_the_profiles(app, client, login_as, role):
    login_as(role)
    for url in (PROFILES, f"{PROFILES}/2025", f"{PROFILES}/vorlage.csv"):
        assert client.get(url).status_code == 403, url


def test_the_register_page_links_to_the_profiles(app, client, supervisor):
    assert f'href="{PROFILES}"' in client.get("/stadtteile").get_data(as_text=True)


# --- the parser on its own ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.345", "12345"),
        ("1.234.567", "1234567"),
        ("23,4", "23.4"),
        ("1.234,5", "1234.5"),
        ("23.4", "23.4"),
        ("0.25", "0.25"),
        (" 42 ", "42"),
        ("-3", "-3"),
    ],
)
def test_numbers_as_statistics_offices_write_them(text, value):
    assert str(parse_number(text)) == value


@pytest.mark.parametrize("text", ["", "12.34.5", "1,2,3", "12 345", "abc", "1e5", "12.3456,7"])
def test_what_is_not_a_number(text):
    with pytest.raises(NotANumber):
        parse_number(text)


def test_the_parser_needs_no_database():
    parsed = parse(GOOD, REGISTER)
    assert parsed.columns == ("anteil_auslaendisch",)
    assert [(row.line, row.code, row.population) for row in parsed.rows] == [
        (2, "nord", 58_123),
        (3, "huckarde", 35_010),
    ]
    with pytest.raises(ProfileFileError) as refused:
        parse(b"code;name;einwohner\nnord;Innenstadt-Nord;5\n", {})
    assert refused.value.problems == [
        "Zeile 2: Den Code „nord“ gibt es im Register Ihrer Beratungsstelle nicht."
    ]


# --- limits -----------------------------------------------------------------------------------


def test_the_total_of_a_file_at_the_row_limit_fits_the_database(app, client, supervisor, centre):
    # Each row may hold up to MAX_COUNT; 22 such rows sum to 2.2 billion, beyond a 32-bit
    # INTEGER (PostgreSQL refused the import with a 500 before population_total was BIGINT).
    from servicestelle.centres.profile_import import MAX_COUNT

    register = {f"bezirk{number:02d}": f"Bezirk {number:02d}" for number in range(22)}
    add_register(app, supervisor.id, register)
    lines = "".join(f"{code};{name};{MAX_COUNT}\n" for code, name in register.items())
    assert upload(client, (HEAD + lines).encode()).status_code == 302
    with app.app_context():
        profile = db.session.scalars(sa.select(DistrictProfile)).one()
        assert profile.population_total == 22 * MAX_COUNT > 2**31 - 1
    assert "2.200.000.000" in text_of(client.get(f"{PROFILES}/2025"))
    # One more than the limit in a row is refused.
    over = f"bezirk00;Bezirk 00;{MAX_COUNT + 1}\n"
    response = upload(client, (HEAD + over).encode(), year="2024")
    assert response.status_code == 400
    assert "Zeile 2: Die Einwohnerzahl ist unplausibel groß." in text_of(response)


@pytest.mark.parametrize("year", ["²", "²⁰²⁵", "99999999999999999999999"])
def test_a_year_that_is_no_number_is_refused_in_german(app, client, supervisor, year):
    # "²".isdigit() is True but int("²") raises: a 500 before, not the form's message.
    response = upload(client, GOOD, year=year)
    assert response.status_code == 400
    assert "Bitte wählen Sie ein Jahr von 2000 bis 2100." in text_of(response)
    assert profile_rows(app) == []
