"""The annual activity report: activities counted by Eckpunkt, type and task; case figures
only from the published year release (a suppressed one is "•", none without a release); the
same figures in the PDF (its text read back) and the CSV.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from servicestelle.activities import operations
from servicestelle.activities.operations import ActivityData
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import FrozenClock, login
from tests.support import audit_log
from tests.support.pdf import pdf_text
from tests.support.releases import content_of, populate, publish
from tests.support.statements import captured
from tests.support.stats import AFTER_2026, add_records

REPORT = "/aktivitaeten/jahresbericht"


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def activity(**changes: Any) -> ActivityData:
    values: dict[str, Any] = {
        "title": "Workshop",
        "starts_on": date(2026, 5, 4),
        "ends_on": None,
        "type": "workshop",
        "eckpunkt": "antidiskriminierungsarbeit",
        "task": "bildungsarbeit",
        "district_code": None,
        "participants": None,
        "partners": "",
        "description": "",
    }
    return ActivityData(**{**values, **changes})


def add(app: Any, user_id: int, *items: ActivityData) -> None:
    with app.app_context():
        actor = db.session.get(User, user_id)
        for item in items:
            operations.record_activity(actor, item, set())


@pytest.fixture
def after_2026(clock):
    clock.moment = FrozenClock(AFTER_2026).moment
    return clock


@pytest.fixture
def supervisors(app, make_user, after_2026):
    return make_user(Role.SUPERVISOR, username="leitung.eins"), make_user(
        Role.SUPERVISOR, username="leitung.zwei"
    )


@pytest.fixture
def year_release(app, centre, supervisors):
    """The published release of 2026: 46 cases opened, 2 closed (suppressed: below k)."""
    populate(app, centre)
    with app.app_context():
        add_records(centre, 2, opened_month="2026-03", closed_month="2026-05", status="closed")
    first, second = supervisors
    release_id = publish(app, first.id, second.id, tables=("faelle", "alter"))
    return release_id, content_of(app, release_id)


def faelle(content: dict[str, Any]) -> dict[str, int | None]:
    [table] = [table for table in content["tables"] if table["id"] == "faelle"]
    return {figure["row"]: figure["value"] for figure in table["figures"]}


@pytest.fixture
def seeded(app, supervisors, client, after_2026):
    """Five activities of 2026 and one of 2025, the first supervisor logged in."""
    boss = supervisors[0]
    add(
        app,
        boss.id,
        activity(title="Workshop Schule", participants=20),
        activity(title="Workshop Verein", participants=15, task="sensibilisierung_information"),
        activity(title="Fortbildung Amt", type="fortbildung", task="ad_konzepte_institutionen"),
        activity(
            title="Nachbarschaftsfest",
            type="oeffentliche_veranstaltung",
            eckpunkt="sozialraumorientierte_arbeit",
            task=None,
            participants=120,
        ),
        activity(
            title="Netzwerk Ost",
            type="netzwerk_gremium",
            task="gremienarbeit",
            starts_on=date(2026, 12, 30),
            ends_on=date(2027, 1, 2),
        ),
        activity(title="Vorjahr", starts_on=date(2025, 12, 1), participants=999),
    )
    login(client, boss, after_2026)
    return boss


def table_rows(page: str, caption: str) -> dict[str, list[str]]:
    """Row header → cells of the table with this caption (text, tags stripped)."""
    tables = re.findall(r"<table.*?</table>", page, re.S)
    [table] = [t for t in tables if caption in html.unescape(t)]
    rows = {}
    for row in re.findall(r"<tr.*?</tr>", table, re.S):
        header = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if header is None:
            continue
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows[html.unescape(re.sub(r"<[^>]+>", "", header.group(1)).strip())] = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells
        ]
    return rows


# --- activities counted -----------------------------------------------------------------------


def test_activities_are_counted_by_eckpunkt_type_and_task(app, client, seeded):
    response = client.get(f"{REPORT}?jahr=2026")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "5 Aktivitäten mit insgesamt 155 Teilnehmenden" in html.unescape(page)
    assert "bei 3 Aktivitäten mit Angabe" in html.unescape(page)
    eckpunkte = table_rows(page, "nach Eckpunkt der Integrationsagenturen")
    assert eckpunkte["Antidiskriminierungsarbeit"] == ["4", "35", "2"]
    assert eckpunkte["Sozialraumorientierte Arbeit"] == ["1", "120", "1"]
    assert eckpunkte["Interkulturelle Öffnung"] == ["0", "0", "0"]
    assert eckpunkte["Gesamt"] == ["5", "155", "3"]
    types = table_rows(page, "nach Art (Anzahl je Eckpunkt")
    # columns: the four Eckpunkte, total, participants
    assert types["Workshop"] == ["0", "0", "0", "2", "2", "35"]
    assert types["Öffentliche Veranstaltung"] == ["0", "0", "1", "0", "1", "120"]
    tasks = table_rows(page, "nach Aufgabenfeld und Servicefunktion")
    assert tasks["Bildungsarbeit"] == ["Aufgabenfelder", "1", "20"]
    assert tasks["Gremienarbeit"] == ["Servicefunktionen", "1", "0"]
    assert "Vorjahr" not in page  # 2025 is another report
    assert "Netzwerk Ost" in page  # counted in the year it began


# --- case figures: the published year release only ------------------------------------------


def test_case_figures_equal_the_release_and_a_suppressed_one_is_a_dot(
    app, client, seeded, year_release
):
    _, content = year_release
    cells = faelle(content)
    assert cells["opened"] is not None and cells["closed"] is None, cells
    page = client.get(f"{REPORT}?jahr=2026").get_data(as_text=True)
    rows = table_rows(page, "aus der veröffentlichten Jahresstatistik")
    assert rows["neu aufgenommen"] == [str(cells["opened"])]
    assert rows["abgeschlossen"] == ["•nicht veröffentlicht"]  # the dot, read out in words
    closed_cell = re.search(r'id="cases-closed">(.*?)</td>', page, re.S)
    assert closed_cell is not None and not re.search(r"\d", closed_cell.group(1))
    assert "keine Jahresstatistik veröffentlicht" not in page


def test_without_a_published_year_release_the_report_says_so(
    app, client, seeded, centre, supervisors
):
    # A published quarter of the year is no year release: nothing is summed up from it.
    populate(app, centre, month="2026-02")
    publish(app, supervisors[0].id, supervisors[1].id, period="2026-Q1", tables=("faelle",))
    page = text_of(client.get(f"{REPORT}?jahr=2026"))
    assert "Für 2026 ist keine Jahresstatistik veröffentlicht." in page
    assert "cases-opened" not in page and "neu aufgenommen" not in page
    summary = client.get(f"{REPORT}/2026-uebersicht.csv").data.decode("utf-8-sig")
    assert "# Für 2026 ist keine Jahresstatistik veröffentlicht." in summary
    assert "Neu aufgenommene Fälle" not in summary


def case_tables() -> set[str]:
    """The tables of the case package (case content, keys, members, consents …)."""
    from servicestelle.cases import models as case_models
    from servicestelle.db import Base

    return {
        table.name
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ == case_models.__name__
        for table in mapper.tables
    }


def test_the_report_and_its_downloads_query_no_case_table(app, client, seeded, year_release):
    # A read of a case writes no audit entry when it bypasses the case package (a plain
    # select of Case): only the statements sent to the database show it.
    tables = case_tables()
    assert "cases" in tables and "case_consents" in tables
    touching = re.compile(rf"\b({'|'.join(sorted(tables))})\b", re.IGNORECASE)
    with captured(app) as statements:
        for url in (
            f"{REPORT}?jahr=2026",
            f"{REPORT}/2026.pdf",
            f"{REPORT}/2026-aktivitaeten.csv",
            f"{REPORT}/2026-uebersicht.csv",
        ):
            assert client.get(url).status_code == 200, url
    assert any("FROM activities" in statement for statement in statements)  # it did listen
    assert [statement for statement in statements if touching.search(statement)] == []


def test_the_downloads_are_audited_with_the_year_and_counts_the_page_is_not(
    app, client, seeded, year_release, centre
):
    release_id, _ = year_release
    mark = audit_log.head(app)
    assert client.get(f"{REPORT}?jahr=2026").status_code == 200
    assert audit_log.entries(app, after=mark, action="activity:report:export") == []
    for url in (
        f"{REPORT}/2026.pdf",
        f"{REPORT}/2026-aktivitaeten.csv",
        f"{REPORT}/2026-uebersicht.csv",
    ):
        assert client.get(url).status_code == 200, url
    found = audit_log.entries(app, after=mark, action="activity:report:export")
    assert [json.loads(entry.details) for entry in found] == [
        {"year": 2026, "format": fmt, "activities": 5, "campaigns": 0, "release_id": release_id}
        for fmt in ("pdf", "csv_activities", "csv_summary")
    ]  # ids and counts: no title, partner or description
    assert {(entry.actor_id, entry.centre_id) for entry in found} == {(seeded.id, centre)}
    # A year out of range is refused before anything is written.
    mark = audit_log.head(app)
    assert client.get(f"{REPORT}/1999.pdf").status_code == 404
    assert audit_log.entries(app, after=mark, action="activity:report:export") == []


# --- PDF and CSV ------------------------------------------------------------------------------


def test_the_pdf_is_a_pdf_with_the_figures(app, client, seeded, year_release, centre):
    _, content = year_release
    response = client.get(f"{REPORT}/2026.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="jahresbericht-TEST-2026.pdf"'
    )
    assert response.data.startswith(b"%PDF-")
    text = pdf_text(response.data)
    flat = " ".join(text.split())
    assert "Jahresbericht 2026" in flat
    assert "5 Aktivitäten mit insgesamt 155 Teilnehmenden" in flat
    assert "Workshop Schule" in flat and "Nachbarschaftsfest" in flat
    # A table row comes out as one line: its label, then its figure.
    rows = dict(re.findall(r"^(neu aufgenommen|abgeschlossen)\s+(\S+)$", text, re.MULTILINE))
    assert rows == {"neu aufgenommen": str(faelle(content)["opened"]), "abgeschlossen": "•"}


def test_the_pdf_says_so_without_a_year_release(app, client, seeded):
    flat = " ".join(pdf_text(client.get(f"{REPORT}/2026.pdf").data).split())
    assert "Für 2026 ist keine Jahresstatistik veröffentlicht." in flat


def test_the_csv_downloads(app, client, seeded, year_release):
    _, content = year_release
    listing = client.get(f"{REPORT}/2026-aktivitaeten.csv")
    assert listing.status_code == 200 and listing.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(listing.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["datum", "bis", "titel", "art"]
    assert [row[2] for row in rows[1:]] == [
        "Workshop Schule", "Workshop Verein", "Fortbildung Amt", "Nachbarschaftsfest", "Netzwerk Ost",
    ]  # fmt: skip
    summary = client.get(f"{REPORT}/2026-uebersicht.csv").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(summary), delimiter=";"))
    assert ["Antidiskriminierungsarbeit", "antidiskriminierungsarbeit", "4", "35", "2"] in lines
    assert ["Neu aufgenommene Fälle", str(faelle(content)["opened"])] in lines
    assert ["Abgeschlossene Fälle", "•"] in lines


def test_a_formula_in_a_title_is_escaped_in_the_csv(app, client, seeded, supervisors):
    add(app, supervisors[0].id, activity(title='=HYPERLINK("x")', partners="+49 Netz"))
    body = client.get(f"{REPORT}/2026-aktivitaeten.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    [row] = [row for row in rows if "HYPERLINK" in row[2]]
    assert row[2].startswith("'=") and row[11] == "'+49 Netz"


def test_years_outside_the_range_are_404(app, client, seeded):
    assert client.get(f"{REPORT}/1999.pdf").status_code == 404
    assert client.get(f"{REPORT}/999999-uebersicht.csv").status_code == 404
    assert client.get(f"{REPORT}?jahr=abc").status_code == 200  # the default year instead


@pytest.mark.parametrize("value", ["%C2%B2", "99999999999999999999999"])
def test_a_bad_year_in_the_query_shows_the_default_year_never_500(app, client, seeded, value):
    # "²".isdigit() is True but int("²") raises; 23 digits are no year either.
    response = client.get(f"{REPORT}?jahr={value}")
    assert response.status_code == 200
    assert "Jahresbericht 2026" in text_of(response)  # the previous year (the clock: 2027)


# --- campaigns and their review ---------------------------------------------------------------


def test_the_years_campaigns_appear_with_their_review(app, client, seeded, centre, supervisors):
    from servicestelle.campaigns import operations as campaigns

    first, second = supervisors
    populate(app, centre, month="2026-02")
    before = publish(app, first.id, second.id, period="2026-Q1", tables=("faelle",))
    populate(app, centre, month="2026-08", scale=2)
    after = publish(app, first.id, second.id, period="2026-Q3", tables=("faelle",))
    with app.app_context():
        actor = db.session.get(User, first.id)
        campaign = campaigns.create_campaign(
            actor,
            campaigns.CampaignInput(
                title="Kampagne Wohnen",
                goal="Mehr Meldungen",
                status="abgeschlossen",
                starts_on=date(2026, 4, 1),
                ends_on=date(2026, 6, 30),
            ),
        )
        campaigns.add_indicator(actor, campaign, before, "opened", "sichtbar_machen")
        campaigns.record_outputs(actor, campaign, 3, 80, "")
    opened_before = faelle(content_of(app, before))["opened"]
    opened_after = faelle(content_of(app, after))["opened"]
    assert opened_before is not None and opened_after is not None

    page = client.get(f"{REPORT}?jahr=2026").get_data(as_text=True)
    assert "Kampagne Wohnen" in page
    assert "Veranstaltungen: 3" in page and "Erreichte Personen: 80" in page
    [row] = table_rows(page, "Kennzahlen vorher (2026-Q1) und nachher (2026-Q3)").values()
    assert row == [str(opened_before), str(opened_after), f"{opened_after - opened_before:+d}"]
    summary = client.get(f"{REPORT}/2026-uebersicht.csv").data.decode("utf-8-sig")
    assert ["Kampagne Wohnen", "abgeschlossen", "2026-04-01", "2026-06-30", "3", "80"] in list(
        csv.reader(io.StringIO(summary), delimiter=";")
    )
    assert "Kampagne Wohnen" not in text_of(client.get(f"{REPORT}?jahr=2025"))


def test_the_campaigns_section_reads_the_releases_once_for_all_campaigns(
    app, centre, supervisors, year_release
):
    from servicestelle.activities.report_campaigns import campaigns_of_year
    from servicestelle.campaigns import operations as campaigns
    from servicestelle.campaigns.queries import published_releases
    from servicestelle.campaigns.review import review

    release_id, _ = year_release
    with app.app_context():
        actor = db.session.get(User, supervisors[0].id)
        for month in (3, 6, 9):
            campaign = campaigns.create_campaign(
                actor,
                campaigns.CampaignInput(
                    title=f"Kampagne {month}",
                    goal="",
                    status="abgeschlossen",
                    starts_on=date(2026, month, 1),
                    ends_on=date(2026, month, 28),
                ),
            )
            campaigns.add_indicator(actor, campaign, release_id, "opened", "sichtbar_machen")
        engine = db.engine
        statements: list[str] = []

        def remember(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            statements.append(statement)

        db.session.expire_all()
        sa.event.listen(engine, "before_cursor_execute", remember)
        try:
            lines = campaigns_of_year(centre, 2026)
        finally:
            sa.event.remove(engine, "before_cursor_execute", remember)
        assert [line.title for line in lines] == ["Kampagne 3", "Kampagne 6", "Kampagne 9"]
        assert len([s for s in statements if "FROM stats_releases" in s]) == 1
        # review(campaign) alone still reads the releases itself, with the same result.
        assert review(campaign) == review(campaign, releases=published_releases(centre))
        assert [item.id for item in published_releases(centre)] == [release_id]
