"""Activities and district profiles in Chromium: a counsellor records an activity without
JavaScript and opens the annual report; axe-core (WCAG 2.1 A/AA) finds nothing serious on the
activity pages nor on the profile pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from servicestelle.activities import operations as activity_operations
from servicestelle.auth.models import User
from servicestelle.centres import operations
from servicestelle.extensions import db
from tests.browser.live_server import LiveServer
from tests.browser.test_case_pages import assert_nothing_serious, supervisor, user_id
from tests.browser.test_login_flow import log_in

pytestmark = [pytest.mark.browser]

PROFILE_CSV = "code;name;einwohner;anteil_auslaendisch\nnord;Innenstadt-Nord;58.123;41,7\n"


def seed_register(live_server: LiveServer) -> None:
    boss = user_id(live_server, "leitung")
    with live_server.app.app_context():
        actor = db.session.get(User, boss)
        assert actor is not None
        operations.add_district(actor, "nord", "Innenstadt-Nord")
        operations.add_district(actor, "eving", "Eving")


def seed_activity(live_server: LiveServer) -> int:
    boss = user_id(live_server, "leitung")
    with live_server.app.app_context():
        actor = db.session.get(User, boss)
        assert actor is not None
        return activity_operations.record_activity(
            actor,
            activity_operations.ActivityData(
                title="Fachtag Schule",
                starts_on=date.today(),
                ends_on=None,
                type="fortbildung",
                eckpunkt="antidiskriminierungsarbeit",
                task="bildungsarbeit",
                district_code="eving",
                participants=40,
                partners="Schulamt",
                description="",
            ),
            {"nord", "eving"},
        ).id


def test_counsellor_records_an_activity_and_opens_the_annual_report_without_javascript(
    no_script_page: Page, live_server: LiveServer
) -> None:
    page = no_script_page
    supervisor(live_server)
    seed_register(live_server)
    log_in(page, live_server.create_user(enrolled=True))
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Aktivitäten"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aktivitäten")
    page.get_by_role("link", name="Aktivität erfassen").click()

    today = date.today()
    page.get_by_label("Titel", exact=True).fill("Workshop Gesamtschule Nord")
    page.get_by_label("Datum", exact=True).fill(today.isoformat())
    page.get_by_label("Art der Aktivität").select_option("workshop")
    page.get_by_label("Eckpunkt", exact=True).select_option("antidiskriminierungsarbeit")
    page.get_by_label("Stadtteil oder Kreis").select_option("nord")
    page.get_by_label("Teilnehmende").fill("24")
    page.get_by_role("button", name="Speichern").click()
    # Anti-discrimination work needs its task: refused, in German, the input kept.
    expect(page.locator("#error-summary")).to_contain_text(
        "Bitte wählen Sie ein Aufgabenfeld oder eine Servicefunktion."
    )
    expect(page.get_by_label("Titel", exact=True)).to_have_value("Workshop Gesamtschule Nord")

    page.get_by_label("Aufgabenfeld oder Servicefunktion").select_option("bildungsarbeit")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Die Aktivität wurde erfasst.")
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Workshop Gesamtschule Nord")
    )
    expect(row).to_contain_text("Antidiskriminierungsarbeit: Bildungsarbeit")
    expect(row).to_contain_text("Innenstadt-Nord")

    page.get_by_role("link", name=f"Jahresbericht {today.year}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Jahresbericht {today.year}")
    eckpunkte = page.get_by_role("table", name=re.compile("nach Eckpunkt"))
    expect(
        eckpunkte.get_by_role("row").filter(
            has=page.get_by_role("rowheader", name="Antidiskriminierungsarbeit")
        )
    ).to_contain_text("24")
    expect(page.locator("#no-release")).to_contain_text(
        f"Für {today.year} ist keine Jahresstatistik veröffentlicht."
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Als PDF herunterladen").click()
    path = download.value.path()
    assert Path(path).read_bytes().startswith(b"%PDF-")


def at_list(page: Page, activity_id: int) -> None:
    page.goto("/aktivitaeten")
    expect(page.get_by_role("table")).to_contain_text("Fachtag Schule")


def at_new_with_errors(page: Page, activity_id: int) -> None:
    page.goto("/aktivitaeten/neu")
    page.get_by_label("Teilnehmende").fill("100001")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#error-summary")).to_contain_text("Bitte geben Sie einen Titel an.")
    expect(page.locator("#participants-error")).to_contain_text("Bitte eine Zahl von 0 bis")


def at_edit(page: Page, activity_id: int) -> None:
    page.goto(f"/aktivitaeten/{activity_id}/bearbeiten")
    expect(page.get_by_label("Titel", exact=True)).to_have_value("Fachtag Schule")


def at_delete(page: Page, activity_id: int) -> None:
    page.goto(f"/aktivitaeten/{activity_id}/loeschen")
    expect(page.get_by_role("button", name="Endgültig löschen")).to_be_visible()


def at_report(page: Page, activity_id: int) -> None:
    page.goto(f"/aktivitaeten/jahresbericht?jahr={date.today().year}")
    expect(page.get_by_role("table", name=re.compile("nach Eckpunkt"))).to_be_visible()


ACTIVITY_PAGES: dict[str, Callable[[Page, int], None]] = {
    "activity list": at_list,
    "new activity after refused input": at_new_with_errors,
    "edit activity": at_edit,
    "delete confirmation": at_delete,
    "annual report": at_report,
}


@pytest.mark.parametrize("where", list(ACTIVITY_PAGES))
def test_activity_pages_have_no_serious_accessibility_violations(
    where: str, axe_page: Page, live_server: LiveServer, axe_source: str
) -> None:
    supervisor(live_server)
    seed_register(live_server)
    activity_id = seed_activity(live_server)
    log_in(axe_page, live_server.create_user(enrolled=True))
    ACTIVITY_PAGES[where](axe_page, activity_id)
    assert_nothing_serious(axe_page, axe_source, where)


def _upload(page: Page, tmp_path: Path, text: str) -> None:
    page.goto("/stadtteile/profile")
    file = tmp_path / "bezirke.csv"
    file.write_text(text, encoding="utf-8")
    page.get_by_label("Jahr der Zahlen").select_option(str(date.today().year - 1))
    page.get_by_label("CSV-Datei").set_input_files(str(file))
    page.get_by_role("button", name="Einspielen").click()


def at_profiles_refused(page: Page, tmp_path: Path) -> None:
    _upload(page, tmp_path, "code;name;einwohner\nsued;Süd;5\n")
    expect(page.locator("#error-summary")).to_contain_text("Zeile 2: Den Code „sued“")


def at_profile_year(page: Page, tmp_path: Path) -> None:
    _upload(page, tmp_path, PROFILE_CSV)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Bevölkerungszahlen {date.today().year - 1}"
    )
    expect(page.get_by_role("table").first).to_contain_text("58.123")


def at_profiles(page: Page, tmp_path: Path) -> None:
    _upload(page, tmp_path, PROFILE_CSV)
    page.goto("/stadtteile/profile")
    expect(page.get_by_role("table", name=re.compile("je Jahr"))).to_contain_text("58.123")


PROFILE_PAGES: dict[str, Callable[[Page, Path], None]] = {
    "profile list and import form": at_profiles,
    "import refused": at_profiles_refused,
    "a year's profile": at_profile_year,
}


@pytest.mark.parametrize("where", list(PROFILE_PAGES))
def test_profile_pages_have_no_serious_accessibility_violations(
    where: str, axe_page: Page, live_server: LiveServer, axe_source: str, tmp_path: Path
) -> None:
    boss = supervisor(live_server)
    seed_register(live_server)
    log_in(axe_page, boss)
    PROFILE_PAGES[where](axe_page, tmp_path)
    assert_nothing_serious(axe_page, axe_source, where)
