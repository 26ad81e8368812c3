"""Structural-discrimination reports: every figure on the page is a cell of the published
release of the report's period, a suppressed cell is never a number (nor a bar, nor a sum),
a period without a published release shows no figure at all, a revoked release is not used,
and only supervisors and counsellors of the report's centre reach a report.

The helpers here (population, people, reading tables out of a page) are shared by the other
tests/test_reports_*.py modules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from audit import AuditEvent
from servicestelle.auth.models import User
from servicestelle.centres.models import District
from servicestelle.centres.operations import create_centre
from servicestelle.extensions import db
from servicestelle.reports.models import Report
from servicestelle.roles import Role
from servicestelle.stats import operations as stats_operations
from servicestelle.stats.release_models import Release
from tests import conftest
from tests.conftest import https_client, login, post_form
from tests.support.audit_log import entries
from tests.support.pdf import pdf_text as read_pdf
from tests.support.releases import ALL_TABLES, EVERY_TABLE, publish
from tests.support.stats import AFTER_2026, add_records

DENY = AuditEvent.ACCESS_REQUEST_DENY.value


@dataclass
class People:
    drafter: conftest.TestUser  # supervisor: drafts releases
    approver: conftest.TestUser  # supervisor: approves them, reviews vignettes
    counsellor: conftest.TestUser


@pytest.fixture
def clock() -> conftest.FrozenClock:
    """After 2026: the releases these tests publish are of ended periods."""
    return conftest.FrozenClock(AFTER_2026)


@pytest.fixture
def people(make_user) -> People:  # type: ignore[no-untyped-def]
    return People(
        make_user(Role.SUPERVISOR, username="leitung.a"),
        make_user(Role.SUPERVISOR, username="leitung.b"),
        make_user(Role.COUNSELLOR, username="beraterin"),
    )


def populate(app: Flask, centre: int, year: int = 2026, scale: int = 1) -> None:
    """A centre's store for ``year``: large groups and small ones (too small to publish),
    closed and open cases, state and other respondents, two districts."""
    with app.app_context():
        if not db.session.scalar(sa.select(District.id).where(District.centre_id == centre)):
            db.session.add_all(
                [
                    District(centre_id=centre, code=code, name=name, created_at=AFTER_2026)
                    for code, name in (("nord", "Nord"), ("sued", "Süd"))
                ]
            )
            db.session.commit()
        opened, closed = f"{year}-02", f"{year}-06"
        add_records(
            centre, 30 * scale, opened_month=opened, closed_month=closed, status="closed",
            age_band="27_45", grounds="geschlecht", life_areas="arbeit", level="individuell",
            respondent_type="arbeitgeber_vorgesetzte", agg_relevance="agg_relevant",
            district="nord", outcomes="ziel_erreicht",
        )  # fmt: skip
        add_records(
            centre, 12 * scale, opened_month=opened, age_band="46_64",
            grounds="lebensalter;geschlecht", life_areas="wohnen", level="institutionell",
            respondent_type="behoerde", agg_relevance="nicht_agg_relevant", district="sued",
        )  # fmt: skip
        add_records(
            centre, 9 * scale, opened_month=opened, age_band="27_45",
            grounds="rassismus_antisemitismus_herkunft", ground_subs="antisemitismus",
            life_areas="bildung", level="strukturell", respondent_type="polizei",
            agg_relevance="nicht_agg_relevant", district="nord",
        )  # fmt: skip
        add_records(
            centre, 5 * scale, opened_month=opened, age_band="27_45", grounds="geschlecht",
            life_areas="arbeit", level="individuell", respondent_type="medien_online",
            agg_relevance="agg_relevant", district="nord",
        )  # fmt: skip
        # Two children: too few to publish, in the age and the respondent tables only.
        add_records(
            centre, 2, opened_month=opened, age_band="u18", grounds="geschlecht",
            life_areas="arbeit", level="individuell", respondent_type="nachbarschaft",
            agg_relevance="agg_relevant", district="nord",
        )  # fmt: skip


def published_year(
    app: Flask,
    centre: int,
    people: People,
    year: int = 2026,
    tables: tuple[str, ...] = EVERY_TABLE,
) -> int:
    """The store populated and ``year`` published through four eyes with ``tables`` (every
    table of the catalogue, the optional intersectional one too); the release id."""
    populate(app, centre, year)
    return publish(app, people.drafter.id, people.approver.id, period=str(year), tables=tables)


def create_report(app: Flask, user: conftest.TestUser, period: str = "2026") -> int:
    from servicestelle.reports import operations
    from servicestelle.stats.periods import Period

    with app.app_context():
        actor = db.session.get_one(User, user.id)
        return operations.create_report(actor, f"Bericht {period}", Period.parse(period)).id


def browser_of(app: Flask, user: conftest.TestUser, clock: conftest.FrozenClock):  # type: ignore[no-untyped-def]
    browser = https_client(app)
    login(browser, user, clock)
    return browser


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def content_of(app: Flask, release_id: int) -> dict[str, Any]:
    with app.app_context():
        return json.loads(db.session.get_one(Release, release_id).content)


def cells(
    content: dict[str, Any], table_id: str
) -> dict[tuple[str | None, str | None], int | None]:
    table = next(t for t in content["tables"] if t["id"] == table_id)
    return {(f["row"], f["col"]): f["value"] for f in table["figures"]}


def shown(value: int | None) -> str:
    return "•" if value is None else str(value)


def pdf_text(data: bytes) -> str:
    """The text of a PDF as pypdf reads it (tests/support/pdf.py): an independent parser, so
    a PDF it cannot read fails the test. WeasyPrint compresses its text streams and writes
    glyph ids, so the bytes themselves say nothing."""
    return read_pdf(data)


# --- reading tables out of a page ----------------------------------------------------------


class Tables(HTMLParser):
    """Every table of a page by its id or its caption's id: rows of (header, cells) with the
    text a sighted reader sees (``visually-hidden`` text left out)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, list[str]]]] = {}
        self._names: list[str] = []
        self._rows: list[tuple[str, list[str]]] = []
        self._cell: list[str] | None = None
        self._cell_is_header = False
        self._row: list[tuple[bool, str]] = []
        self._hidden = 0
        self._spans: list[bool] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            self._names = [attributes.get("id") or ""]
            self._rows = []
        elif tag == "caption":
            self._names.append(attributes.get("id") or "")
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell, self._cell_is_header = [], tag == "th"
        elif tag == "span":
            hidden = "visually-hidden" in (attributes.get("class") or "")
            self._spans.append(hidden)
            self._hidden += hidden

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._spans:
            self._hidden -= self._spans.pop()
        elif tag in ("th", "td") and self._cell is not None:
            self._row.append((self._cell_is_header, " ".join("".join(self._cell).split())))
            self._cell = None
        elif tag == "tr" and self._row:
            header = self._row[0][1] if self._row[0][0] else ""
            self._rows.append((header, [value for _h, value in self._row[1:]]))
        elif tag == "table":
            for name in self._names:
                if name:
                    self.tables[name] = self._rows

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._hidden:
            self._cell.append(data)


def page_table(html: str, table_id: str) -> list[tuple[str, list[str]]]:
    """The rows of a release table on a page (its header row first)."""
    return Tables(html).tables[f"tabelle-{table_id}-caption"]


def expected_rows(content: dict[str, Any], table_id: str) -> list[tuple[str, list[str]]]:
    """What the page must show for a release table, straight from the release's cells."""
    table = next(t for t in content["tables"] if t["id"] == table_id)
    values = cells(content, table_id)
    cols = [col["code"] for col in table["cols"]]
    rows: list[tuple[str, list[str]]] = []
    for row in [*table["rows"], {"code": None, "label": "Gesamt"}]:
        code = row["code"]
        if not cols:
            if (code, None) in values:
                rows.append((row["label"], [shown(values[(code, None)])]))
            continue
        if code is None and not any(key[0] is None for key in values):
            continue
        line = [shown(values[(code, col)]) if (code, col) in values else "—" for col in cols]
        line.append(shown(values[(code, None)]) if (code, None) in values else "—")
        rows.append((row["label"], line))
    return rows


def figures_only(
    rows: list[tuple[str, list[str]]], two_dimensional: bool
) -> list[tuple[str, list[str]]]:
    """The page's rows without the header row and without the share column."""
    body = rows[1:]
    return body if two_dimensional else [(label, values[:1]) for label, values in body]


# --- the tests -----------------------------------------------------------------------------


def test_every_table_of_the_report_shows_exactly_the_cells_of_its_release(
    app, client, centre, people, clock
):
    previous = published_year(app, centre, people, 2025)
    release_id = published_year(app, centre, people, 2026)
    content = content_of(app, release_id)
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)

    page = text(client.get(f"/berichte/{report_id}"))

    # The release is named: number, checksum; and what the report is.
    assert f"Nr. {release_id}" in page
    with app.app_context():
        release = db.session.get_one(Release, release_id)
        assert release.content_hash in page
    assert "Nicht repräsentativ" in page
    assert "die die Beratungsstelle erreicht haben" in page
    assert "Jahr 2026" in page
    assert f"(Nr. {previous})" in page  # the trend's release
    for table in content["tables"]:
        rows = page_table(page, table["id"])
        assert figures_only(rows, bool(table["cols"])) == expected_rows(content, table["id"]), (
            table["id"]
        )
        # Counting basis and multiple answers are stated with every table.
        assert table["basis_label"] in page
    # Suppressed cells exist in this release and none of them is shown as a number.
    assert any(f["value"] is None for t in content["tables"] for f in t["figures"])


def test_state_actors_are_summed_only_from_published_figures(app, client, centre, people, clock):
    release_id = published_year(app, centre, people)
    content = content_of(app, release_id)
    respondents = cells(content, "verursachende")
    # The population is chosen so that both kinds of sum occur (guarded, not assumed).
    assert respondents[("behoerde", None)] == 12 and respondents[("polizei", None)] == 9
    assert respondents[("nachbarschaft", None)] is None  # 2 cases: suppressed
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)

    key = dict(
        Tables(text(client.get(f"/berichte/{report_id}"))).tables["kennzahlen-verursachende"][1:]
    )

    total = respondents[(None, None)]
    assert total is not None
    share = f"{100 * 21 / total:.1f}".replace(".", ",")
    assert key["Staatliche Stellen (Behörde, Polizei)"][:2] == ["21", f"{share} %"]
    # One summand of the other group is suppressed: its sum would disclose it.
    assert key["Andere Verursachende (nicht als staatlich erfasst)"][:2] == ["•", "—"]


def test_key_figures_are_cells_of_the_release_with_shares_only_on_a_base_of_20(
    app, client, centre, people, clock
):
    release_id = published_year(app, centre, people)
    content = content_of(app, release_id)
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)
    tables = Tables(text(client.get(f"/berichte/{report_id}"))).tables

    agg = dict(tables["kennzahlen-agg"][1:])
    relevance = cells(content, "agg_relevanz")
    outside, opened = relevance[("nicht_agg_relevant", None)], relevance[(None, None)]
    assert outside == 21 and opened is not None and opened >= 20
    assert agg["Außerhalb des AGG (nicht AGG-relevant)"][:2] == [
        "21",
        f"{100 * outside / opened:.1f}".replace(".", ",") + " %",
    ]
    court = cells(content, "agg_gericht")
    assert agg["Mit Gerichtsverfahren"][0] == shown(court[(None, "ja")])
    intersectional = cells(content, "mehrfachdiskriminierung")
    several = dict(tables["kennzahlen-mehrfach"][1:])["Fälle mit zwei oder mehr Merkmalen"]
    assert several[0] == shown(intersectional[(None, "mehrfach")]) == "12"
    racism = cells(content, "rassismus")
    antisemitism = dict(tables["kennzahlen-merkmale"][1:])["Antisemitismus"]
    # 9 of 9: a base below 20 gives no share.
    assert antisemitism[:2] == [shown(racism[("antisemitismus", None)]), "—"]


def test_a_release_without_the_intersectional_table_says_so(app, client, centre, people, clock):
    release_id = published_year(app, centre, people, tables=ALL_TABLES)
    assert "mehrfachdiskriminierung" not in {t["id"] for t in content_of(app, release_id)["tables"]}
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)
    page = text(client.get(f"/berichte/{report_id}"))
    section = page.split('id="abschnitt-mehrfach"', 1)[1].split("</section>", 1)[0]
    assert "Die Statistik enthält keine Tabelle „Mehrfachdiskriminierung" in section
    assert "kennzahlen-mehrfach" not in page and "<table" not in section


def test_a_chart_draws_no_bar_for_a_suppressed_figure(app, client, centre, people, clock):
    release_id = published_year(app, centre, people)
    content = content_of(app, release_id)
    assert cells(content, "alter")[("u18", None)] is None
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)
    page = text(client.get(f"/berichte/{report_id}"))

    chart = re.search(r'<svg[^>]*aria-labelledby="diagramm-alter-title.*?</svg>', page, re.S)
    assert chart is not None
    svg = chart.group(0)
    bars = re.findall(r"<rect[^>]*>", svg)
    published = [v for (row, _c), v in cells(content, "alter").items() if row and v]
    assert len(bars) == len(published)  # one bar per published non-zero figure, none else
    assert "Unter 18 Jahre: nicht veröffentlicht" in svg


def test_a_period_without_a_published_release_shows_no_figure(app, client, centre, people, clock):
    populate(app, centre)
    with app.app_context():  # a draft exists, but nothing is published
        stats_operations.draft_release(
            db.session.get_one(User, people.drafter.id),
            __import__("servicestelle.stats.periods", fromlist=["Period"]).Period.parse("2026"),
            ["faelle", "merkmale"],
        )
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)

    response = client.get(f"/berichte/{report_id}")

    page = text(response)
    assert response.status_code == 200
    assert "Für Jahr 2026 gibt es keine veröffentlichte Statistik" in page
    assert 'class="figures' not in page and "<svg" not in page
    # No count of the store appears anywhere on the page.
    main = page.split('<main id="main"', 1)[1]
    assert not re.search(r">\s*(44|42|30|12|9)\s*<", main)
    assert client.get(f"/berichte/{report_id}/bericht.pdf").status_code == 404
    assert client.get(f"/berichte/{report_id}/tabellen.zip").status_code == 404


def test_a_revoked_release_is_not_used_and_the_report_says_so(app, client, centre, people, clock):
    release_id = published_year(app, centre, people)
    report_id = create_report(app, people.counsellor)
    with app.app_context():
        stats_operations.revoke_release(
            db.session.get_one(User, people.approver.id),
            db.session.get_one(Release, release_id),
            "Fehler in den Zahlen",
        )
    login(client, people.counsellor, clock)

    page = text(client.get(f"/berichte/{report_id}"))

    assert "keine veröffentlichte Statistik" in page
    assert f"Die Statistik Nr. {release_id} für diesen Zeitraum wurde widerrufen" in page
    assert 'class="figures' not in page


def test_a_finalised_report_names_its_revoked_release_and_reads_the_new_one(
    app, client, centre, people, clock
):
    from servicestelle.reports import operations

    first = published_year(app, centre, people)
    report_id = create_report(app, people.counsellor)
    with app.app_context():
        operations.finalise_report(
            db.session.get_one(User, people.approver.id), db.session.get_one(Report, report_id)
        )
        stats_operations.revoke_release(
            db.session.get_one(User, people.approver.id),
            db.session.get_one(Release, first),
            "Korrektur",
        )
    second = publish(app, people.drafter.id, people.approver.id, period="2026")
    login(client, people.counsellor, clock)

    page = text(client.get(f"/berichte/{report_id}"))

    assert f"Die Statistik Nr. {first}, auf der dieser Bericht beim Abschluss beruhte" in page
    assert f"jetzt gültigen Statistik Nr. {second}" in page
    content = content_of(app, second)
    assert figures_only(page_table(page, "faelle"), False) == expected_rows(content, "faelle")


def test_districts_per_10000_residents_where_the_count_is_published(
    app, client, centre, people, clock, monkeypatch
):
    from servicestelle.centres import profiles

    release_id = published_year(app, centre, people)
    content = content_of(app, release_id)
    districts = cells(content, "stadtteile")
    assert districts[("nord", None)] == 46  # 30 + 9 + 5 + 2
    asked: list[tuple[int, int]] = []

    def populations(centre_id: int, year: int) -> profiles.Populations:
        asked.append((centre_id, year))
        return profiles.Populations(year=2025, by_district={"nord": 52_000, "sued": 18_000})

    monkeypatch.setattr(profiles, "populations", populations)
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)

    page = text(client.get(f"/berichte/{report_id}"))

    assert asked == [(centre, 2026)]
    assert "Einwohnerzahlen 2025" in page  # the profile year used is named
    rates = dict(Tables(page).tables["je-10000"][1:])
    assert rates["Nord"] == ["46", "52000", "8,8"]  # 46 × 10,000 / 52,000
    sued = districts[("sued", None)]
    if sued is None:
        assert rates["Süd"] == ["•", "18000", "—"]
    else:
        assert rates["Süd"][2] == f"{sued * 10_000 / 18_000:.1f}".replace(".", ",")


def test_without_populations_the_report_says_so(app, client, centre, people, clock):
    published_year(app, centre, people)
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)
    page = text(client.get(f"/berichte/{report_id}"))
    assert "keine Einwohnerzahlen" in page
    assert "je-10000" not in page


# --- who reaches a report ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.SUPERVISOR, 200),
        (Role.COUNSELLOR, 200),
        (Role.DPO, 403),
        (Role.ADMIN, 403),
        (None, 302),
    ],
    ids=["supervisor", "counsellor", "dpo", "admin", "anonymous"],
)
def test_reports_are_for_supervisors_and_counsellors_only(
    app, client, centre, people, clock, make_user, role, status
):
    report_id = create_report(app, people.counsellor)
    if role is not None:
        login(client, make_user(role), clock)
    for url in ("/berichte", f"/berichte/{report_id}", "/api/v1/reports"):
        if url.startswith("/api/") and role is None:
            assert client.get(url).status_code == 401
            continue
        if url.startswith("/api/"):
            continue  # the API uses tokens: tests/test_reports_outputs.py
        response = client.get(url)
        assert response.status_code == status, (url, role)
        if status == 302:
            assert "/anmelden" in response.headers["Location"]


def test_another_centres_report_is_a_404_and_audited(app, client, centre, people, clock, make_user):
    with app.app_context():
        other = create_centre("NORD", "Servicestelle Nord").id
    stranger = make_user(Role.SUPERVISOR, centre_id=other)
    report_id = create_report(app, people.counsellor)
    login(client, stranger, clock)

    for url in (
        f"/berichte/{report_id}",
        f"/berichte/{report_id}/bericht.pdf",
        f"/berichte/{report_id}/tabellen.zip",
        f"/berichte/{report_id}/tabellen/faelle.csv",
        f"/berichte/{report_id}/bearbeiten",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        post_form(
            client,
            f"/berichte/{report_id}/abschliessen",
            {},
            form_url="/berichte",
        ).status_code
        == 404
    )

    denials = [e for e in entries(app) if e.action == DENY and e.object_type == "report"]
    assert denials and all(e.object_id == str(report_id) for e in denials)
    assert all(e.centre_id == centre for e in denials)  # the report's centre learns of it
    assert "Bericht 2026" not in text(client.get("/berichte"))


def test_a_new_report_with_bad_input_comes_back_in_german_with_what_was_typed(
    app, client, centre, people, clock
):
    login(client, people.counsellor, clock)
    typed = "Bericht über <Wohnen>"
    for data, message in (
        ({"title": "", "year": "2026", "part": ""}, "Bitte geben Sie einen Titel an."),
        ({"title": typed, "year": "1999", "part": ""}, "Bitte wählen Sie ein Jahr aus der Liste."),
        (
            {"title": typed, "year": "2026", "part": "Q7"},
            "Bitte wählen Sie einen Zeitraum aus der Liste.",
        ),
        ({"title": "x" * 201, "year": "2026", "part": ""}, "Höchstens 200 Zeichen."),
        ({"title": "a\x00b", "year": "2026", "part": ""}, "unzulässige Zeichen"),
    ):
        response = post_form(client, "/berichte/neu", data, form_url="/berichte")
        page = text(response)
        assert response.status_code == 400, data
        assert message in page, data
        if data["title"] == typed:
            assert 'value="Bericht über &lt;Wohnen&gt;"' in page
        assert "Traceback" not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Report.id))) == 0

    response = post_form(
        client, "/berichte/neu", {"title": "Jahresbericht", "year": "2026", "part": "H1"},
        form_url="/berichte",
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        (report,) = db.session.scalars(sa.select(Report)).all()
        assert (report.period, report.title, report.status) == ("2026-H1", "Jahresbericht", "draft")
    created = [e for e in entries(app) if e.action == AuditEvent.REPORT_RECORD_CREATE.value]
    assert [json.loads(e.details) for e in created] == [{"period": "2026-H1"}]
