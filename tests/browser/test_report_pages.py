"""The report in Chromium: a supervisor opens the list, follows the link to the report of the
last quarter and sees its figures ("•" where suppressed), its workspace and a vignette to
review; axe-core (WCAG 2.1 A/AA) finds nothing serious on the list, the report, the
workspace and the review page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.reports import operations as report_operations
from servicestelle.reports.models import Report
from servicestelle.stats.periods import Period
from tests.browser.live_server import LiveServer
from tests.browser.test_case_pages import assert_nothing_serious, supervisor, user_id
from tests.browser.test_login_flow import log_in
from tests.browser.test_stats_pages import (
    approve_directly,
    draft_directly,
    first_quarter,
    second_supervisor,
    seed_store,
)

pytestmark = [pytest.mark.browser]


def test_a_supervisor_opens_the_report_and_nothing_serious_is_found(
    axe_page: Page, live_server: LiveServer, axe_source: str
) -> None:
    page = axe_page
    lead = supervisor(live_server)
    other = second_supervisor(live_server)
    seed_store(live_server)
    period = first_quarter(live_server)
    release_id = draft_directly(live_server, other.username, period)
    approve_directly(live_server, release_id, lead.username)
    with live_server.app.app_context():
        author = db.session.get_one(User, user_id(live_server, other.username))
        report = report_operations.create_report(
            author, "Antidiskriminierungsbericht", Period.parse(period)
        )
        report_operations.add_demand(author, report, "Ein Landesantidiskriminierungsgesetz", "")
        vignette = report_operations.propose_vignette(
            author, db.session.get_one(Report, report.id), "Eine Ratsuchende wurde abgewiesen."
        )
        db.session.commit()
        report_id, vignette_id, label = report.id, vignette.id, Period.parse(period).label()

    log_in(page, lead)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Berichte"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Berichte zu struktureller Diskriminierung"
    )
    assert_nothing_serious(page, axe_source, "the report list")

    page.get_by_role("link", name="Antidiskriminierungsbericht").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Antidiskriminierungsbericht")
    expect(page.get_by_text(f"Nr. {release_id}, freigegeben am")).to_be_visible()
    expect(page.get_by_text("Nicht repräsentativ:")).to_be_visible()
    ages = page.get_by_role("table", name="Ratsuchende nach Altersgruppe", exact=True)
    children = ages.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Unter 18 Jahre")
    )
    expect(children).to_contain_text("•")
    adults = ages.get_by_role("row").filter(has=page.get_by_role("rowheader", name="27–45 Jahre"))
    expect(adults).to_contain_text("30")
    chart = page.get_by_role("img", name=f"Balkendiagramm: Ratsuchende nach Altersgruppe, {label}")
    expect(chart).to_be_visible()
    expect(page.get_by_text("Ein Landesantidiskriminierungsgesetz")).to_be_visible()
    assert_nothing_serious(page, axe_source, "the report")

    page.get_by_role("link", name="Vignetten, Forderungen und Abschluss").click()
    expect(page.get_by_role("heading", name="Forderungen", exact=True)).to_be_visible()
    assert_nothing_serious(page, axe_source, "the report's workspace")
    page.goto(f"/berichte/{report_id}/vignetten/{vignette_id}")
    expect(page.get_by_role("button", name="Vignette annehmen")).to_be_visible()
    assert_nothing_serious(page, axe_source, "a vignette's review")
