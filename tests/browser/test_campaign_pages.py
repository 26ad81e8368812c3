"""Campaign planning in Chromium: a supervisor opens the year's report, goes on to the
suggestions its figures give, follows one into a new campaign and saves it with the figure
linked as evidence (JavaScript off: plain links and
forms); axe-core (WCAG 2.1 A/AA) finds nothing serious on the campaign pages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from servicestelle.auth.models import User
from servicestelle.campaigns import operations as campaign_operations
from servicestelle.campaigns.models import Campaign
from servicestelle.extensions import db
from servicestelle.reports import operations as report_operations
from servicestelle.stats import operations
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release
from tests.browser.live_server import LiveServer
from tests.browser.test_case_pages import assert_nothing_serious, supervisor, user_id
from tests.browser.test_login_flow import log_in
from tests.browser.test_stats_pages import second_supervisor
from tests.support.stats import add_records

pytestmark = [pytest.mark.browser]

CAMPAIGN_URL = re.compile(r"/kampagnen/(\d+)$")
TABLES = ["faelle", "merkmale", "lebensbereiche", "merkmal_lebensbereich", "ebene", "alter"]


def publish_2024(live_server: LiveServer) -> int:
    """A published year release of 2024 (long over on any clock): 30 + 12 + 2 cases."""
    with live_server.app.app_context():
        centre = live_server._centre_id
        add_records(
            centre, 30, opened_month="2024-02", age_band="27_45", grounds="geschlecht",
            life_areas="arbeit", level="individuell",
        )  # fmt: skip
        add_records(
            centre, 12, opened_month="2024-02", age_band="46_64",
            grounds="lebensalter;geschlecht", life_areas="wohnen", level="institutionell",
        )  # fmt: skip
        add_records(
            centre, 2, opened_month="2024-02", age_band="u18",
            grounds="religion_weltanschauung", life_areas="bildung",
        )  # fmt: skip
        drafter = db.session.get(User, user_id(live_server, "leitung"))
        release = operations.draft_release(drafter, Period.parse("2024"), TABLES)
        approver = db.session.get(User, user_id(live_server, "zweite.leitung"))
        operations.approve_release(approver, db.session.get(Release, release.id))
        return release.id


def test_a_supervisor_goes_from_the_report_to_a_suggestion_and_a_campaign_with_evidence(
    no_script_page: Page, live_server: LiveServer
) -> None:
    page = no_script_page
    lead = supervisor(live_server)
    second_supervisor(live_server)
    release_id = publish_2024(live_server)

    with live_server.app.app_context():
        author = db.session.get_one(User, user_id(live_server, "leitung"))
        report_operations.create_report(author, "Bericht 2024", Period.parse("2024"))

    # From the report of the year to the suggestions its figures give.
    log_in(page, lead)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Berichte"
    ).click()
    page.get_by_role("link", name="Bericht 2024").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bericht 2024")
    page.get_by_role("link", name="Kampagnenvorschläge aus diesen Zahlen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vorschläge aus der Statistik")
    expect(page).to_have_url(re.compile(rf"/kampagnen/vorschlaege\?release={release_id}$"))
    largest = page.get_by_role("table", name=re.compile("Die größten veröffentlichten Zahlen"))
    row = largest.get_by_role("row").filter(
        has=page.get_by_role(
            "rowheader", name="Diskriminierungsmerkmal nach Lebensbereich: Geschlecht / Arbeit"
        )
    )
    expect(row).to_contain_text("30")
    row.get_by_role("link", name=re.compile("Kampagne daraus planen")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Neue Kampagne")
    expect(page.locator("#evidence")).to_contain_text("Geschlecht / Arbeit")
    expect(page.locator("#evidence")).to_contain_text(f"Statistik Jahr 2024 (Nr. {release_id})")
    expect(page.get_by_label("Diese Zahl als Beleg verknüpfen")).to_be_checked()
    grounds = page.get_by_role("group", name="Diskriminierungsmerkmale")
    expect(grounds.get_by_label("Geschlecht", exact=True)).to_be_checked()
    expect(
        page.get_by_role("group", name="Lebensbereiche").get_by_label("Arbeit", exact=True)
    ).to_be_checked()
    page.get_by_label("Titel").fill("Fair im Job")
    page.get_by_label("Dieselbe Zahl als Indikator").select_option("senken")
    page.get_by_label("Beginn").fill("2025-03-01")
    page.get_by_label("Ende", exact=True).fill("2025-06-30")
    page.get_by_role("group", name="Zielgruppen").get_by_label("Arbeitgebende").check()
    page.get_by_role("button", name="Kampagne anlegen").click()

    expect(page).to_have_url(CAMPAIGN_URL)
    expect(page.get_by_role("status")).to_contain_text("Die Kampagne ist angelegt.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fair im Job")
    evidence = page.get_by_role(
        "table", name="Veröffentlichte Zahlen, auf die sich die Kampagne stützt"
    )
    expect(evidence).to_contain_text("Geschlecht / Arbeit")
    expect(evidence).to_contain_text(f"Statistik Jahr 2024 (Nr. {release_id})")
    campaign_id = int(CAMPAIGN_URL.search(page.url).group(1))  # type: ignore[union-attr]
    with live_server.app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        assert [(e.release_id, e.value) for e in campaign.evidence] == [(release_id, 30)]


def seed_campaign(live_server: LiveServer, release_id: int) -> int:
    from datetime import date

    with live_server.app.app_context():
        actor = db.session.get(User, user_id(live_server, "leitung"))
        campaign = campaign_operations.create_campaign(
            actor,
            campaign_operations.CampaignInput(
                title="Fair wohnen",
                goal="Vermietende kennen das AGG.",
                status="laufend",
                starts_on=date(2025, 3, 1),
                ends_on=date(2025, 5, 31),
                grounds=["lebensalter"],
                life_areas=["wohnen"],
                audiences=["vermietende"],
            ),
            evidence=(release_id, "opened|life_areas=wohnen"),
            indicator="senken",
        )
        campaign_operations.add_activity(
            actor, campaign, "Infoabend", date(2025, 3, 12), None, actor.id
        )
        return campaign.id


def at_list(page: Page, ids: dict[str, int]) -> None:
    page.goto("/kampagnen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kampagnen")


def at_suggestions(page: Page, ids: dict[str, int]) -> None:
    page.goto("/kampagnen/vorschlaege")
    expect(page.get_by_role("heading", name="Die größten Zahlen")).to_be_visible()


def at_form(page: Page, ids: dict[str, int]) -> None:
    page.goto(f"/kampagnen/neu?release={ids['release']}&key=opened%7Clife_areas%3Darbeit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neue Kampagne")


def at_form_with_errors(page: Page, ids: dict[str, int]) -> None:
    page.goto("/kampagnen/neu")
    page.get_by_label("Beginn").fill("2025-03-01")
    page.get_by_label("Ende", exact=True).fill("2025-02-01")
    page.get_by_role("button", name="Kampagne anlegen").click()
    expect(page.locator("#ends_on-error")).to_contain_text("Das Ende liegt vor dem Beginn.")


def at_campaign(page: Page, ids: dict[str, int]) -> None:
    page.goto(f"/kampagnen/{ids['campaign']}")
    expect(page.get_by_role("heading", name="Auswertung (Wirkungsdialog)")).to_be_visible()


def at_figures(page: Page, ids: dict[str, int]) -> None:
    page.goto(f"/kampagnen/{ids['campaign']}/zahlen")
    expect(page.get_by_role("heading", name="Als Beleg verknüpfen")).to_be_visible()


def at_calendar(page: Page, ids: dict[str, int]) -> None:
    page.goto("/kampagnen/kalender?jahr=2025&monat=3")
    expect(page.get_by_text("Infoabend")).to_be_visible()


PAGES: dict[str, Callable[[Page, dict[str, int]], None]] = {
    "campaign list": at_list,
    "suggestions": at_suggestions,
    "new campaign from a suggestion": at_form,
    "new campaign after a refused submit": at_form_with_errors,
    "campaign page": at_campaign,
    "choosing figures": at_figures,
    "calendar": at_calendar,
}


@pytest.mark.parametrize("where", list(PAGES))
def test_campaign_pages_have_no_serious_accessibility_violations(
    where: str, axe_page: Page, live_server: LiveServer, axe_source: str
) -> None:
    lead = supervisor(live_server)
    second_supervisor(live_server)
    release_id = publish_2024(live_server)
    campaign_id = seed_campaign(live_server, release_id)
    log_in(axe_page, lead)
    PAGES[where](axe_page, {"release": release_id, "campaign": campaign_id})
    assert_nothing_serious(axe_page, axe_source, where)
