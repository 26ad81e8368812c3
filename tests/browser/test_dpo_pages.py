"""The DPO workspace in Chromium: every page passes axe-core (WCAG 2.1 A/AA) and reflows at
320 pixels; the verify button works without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from audit import AuditEvent, Outcome, Purpose
from servicestelle import audit_trail
from servicestelle.roles import Role
from tests.browser.authenticator import Authenticator
from tests.browser.axe import assert_accessible
from tests.browser.live_server import BrowserUser, LiveServer
from tests.browser.test_login_flow import REFLOW_WIDTH, log_in
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

PAGES = {
    "DPO start page": "/datenschutz/",
    "log search": "/datenschutz/protokoll?aktion=case:content:read",
    "log search with bad input": "/datenschutz/protokoll?von=gestern",
    "access report form": "/datenschutz/zugriffe",
    "access report": "/datenschutz/zugriffe?typ=case&id=c-1",
    "Art. 15 report": "/datenschutz/zugriffe/art15?typ=case&id=c-1",
    "people": "/datenschutz/aktivitaet",
    "anomalies": "/datenschutz/auffaelligkeiten",
    "Art. 30 record": "/datenschutz/verzeichnis",
}


def dpo_with_entries(live_server: LiveServer) -> BrowserUser:
    """A DPO of the live server's centre, and a few entries to show (one break-glass read)."""
    from servicestelle.auth.operations import create_user
    from servicestelle.centres.models import Centre
    from servicestelle.extensions import db

    with live_server.app.app_context():
        centre = db.session.get(Centre, live_server._centre_id)
        created = create_user(
            centre=centre,
            username="dsb",
            display_name="Datenschutz",
            password=DEFAULT_PASSWORD,
            roles=(Role.DPO,),
            with_second_factor=True,
        )
        reader = create_user(
            centre=centre,
            username="lesende",
            display_name="Lesende",
            password=DEFAULT_PASSWORD,
            roles=(Role.COUNSELLOR,),
            with_second_factor=True,
        ).user
        # An ordinary read, and a break-glass opening for the review queue.
        for event, purpose in (
            (AuditEvent.CASE_CONTENT_READ, Purpose.COUNSELLING),
            (AuditEvent.CASE_BREAK_GLASS_OPEN, Purpose.BREAK_GLASS),
        ):
            audit_trail.record(
                event,
                Outcome.SUCCESS,
                actor=reader,
                object_type="case",
                object_id="c-1",
                purpose=purpose,
            )
        db.session.commit()
    assert created.seed is not None
    return BrowserUser("dsb", "Datenschutz", DEFAULT_PASSWORD, Authenticator(created.seed))


@pytest.mark.parametrize("where", list(PAGES))
def test_dpo_pages_have_no_serious_accessibility_violations(
    where: str, axe_page: Page, live_server: LiveServer, axe_source: str
) -> None:
    log_in(axe_page, dpo_with_entries(live_server))
    axe_page.goto(PAGES[where])
    expect(axe_page.locator("h1")).to_be_visible()
    assert_accessible(axe_page, axe_source, where)


@pytest.mark.parametrize("where", ["DPO start page", "log search", "anomalies", "Art. 30 record"])
def test_dpo_pages_reflow_at_320_pixels(where: str, page: Page, live_server: LiveServer) -> None:
    log_in(page, dpo_with_entries(live_server))
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": 640})
    page.goto(PAGES[where])
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= REFLOW_WIDTH, f"{where}: the document is {width} px wide"


def test_verify_and_review_without_javascript(
    no_script_page: Page, live_server: LiveServer
) -> None:
    page = no_script_page
    log_in(page, dpo_with_entries(live_server))
    page.goto("/datenschutz/")
    page.get_by_role("button", name="Protokoll jetzt prüfen").click()
    expect(page.locator(".flash--success")).to_contain_text("Das Protokoll ist unversehrt")
    page.goto("/datenschutz/auffaelligkeiten")
    page.get_by_role("button", name=re.compile("Als geprüft markieren")).click()
    expect(page.locator(".flash--success")).to_contain_text("als geprüft markiert")
