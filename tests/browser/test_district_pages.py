"""The district register in Chromium: a supervisor keeps it without JavaScript, and axe-core
(WCAG 2.1 A/AA) finds nothing serious on its pages, nor on the case form's district select."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from servicestelle.auth.models import User
from servicestelle.centres import operations
from servicestelle.extensions import db
from tests.browser.live_server import LiveServer
from tests.browser.test_case_pages import assert_nothing_serious, supervisor, user_id
from tests.browser.test_login_flow import log_in

pytestmark = [pytest.mark.browser]


def seed_register(live_server: LiveServer) -> int:
    """Two districts of the test centre, one of them retired; the id of the active one."""
    boss = user_id(live_server, "leitung")
    with live_server.app.app_context():
        actor = db.session.get(User, boss)
        assert actor is not None
        eving = operations.add_district(actor, "eving", "Eving")
        altstadt = operations.add_district(actor, "altstadt", "Altstadt")
        operations.set_district_active(actor, altstadt, False)
        return eving.id


def test_supervisor_keeps_the_register_without_javascript(
    no_script_page: Page, live_server: LiveServer
) -> None:
    page = no_script_page
    log_in(page, supervisor(live_server))
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Stadtteile und Kreise"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stadtteile und Kreise")

    page.get_by_label("Name", exact=True).fill("Innenstadt-Nord")
    page.get_by_label("Code", exact=True).fill("Innenstadt Nord")
    page.get_by_role("button", name="Hinzufügen").click()
    expect(page.locator("#code-error")).to_contain_text("Kleinbuchstaben a–z")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Innenstadt-Nord")

    page.get_by_label("Code", exact=True).fill("innenstadt_nord")
    page.get_by_role("button", name="Hinzufügen").click()
    table = page.get_by_role("table", name="Stadtteile und Kreise der Beratungsstelle")
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Innenstadt-Nord"))
    expect(row).to_contain_text("innenstadt_nord")
    expect(row).to_contain_text("aktiv")

    row.get_by_role("button", name=re.compile(r"^Stilllegen\s*\(Innenstadt-Nord\)$")).click()
    expect(row).to_contain_text("stillgelegt")
    again = re.compile(r"^Wieder anbieten\s*\(Innenstadt-Nord\)$")
    row.get_by_role("button", name=again).click()
    expect(row).to_contain_text("aktiv")


def at_register(page: Page, district_id: int) -> None:
    page.goto("/stadtteile")
    expect(page.get_by_role("table")).to_contain_text("Altstadt")


def at_register_with_errors(page: Page, district_id: int) -> None:
    page.goto("/stadtteile")
    page.get_by_label("Name", exact=True).fill("Eving-Nord")
    page.get_by_label("Code", exact=True).fill("eving")
    page.get_by_role("button", name="Hinzufügen").click()
    expect(page.locator("#error-summary")).to_contain_text("Code: Diesen Code hat schon")
    expect(page.locator("#code-error")).to_contain_text("Diesen Code hat schon")


def at_rename(page: Page, district_id: int) -> None:
    page.goto(f"/stadtteile/{district_id}/umbenennen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Eving umbenennen")


PAGES: dict[str, Callable[[Page, int], None]] = {
    "district register": at_register,
    "district register after a refused add": at_register_with_errors,
    "rename page": at_rename,
}


@pytest.mark.parametrize("where", list(PAGES))
def test_district_pages_have_no_serious_accessibility_violations(
    where: str, axe_page: Page, live_server: LiveServer, axe_source: str
) -> None:
    boss = supervisor(live_server)
    district_id = seed_register(live_server)
    log_in(axe_page, boss)
    PAGES[where](axe_page, district_id)
    assert_nothing_serious(axe_page, axe_source, where)


def test_the_case_forms_district_select_is_labelled_and_accessible(
    axe_page: Page, live_server: LiveServer, axe_source: str
) -> None:
    supervisor(live_server)
    seed_register(live_server)
    log_in(axe_page, live_server.create_user(enrolled=True))
    axe_page.goto("/faelle/neu")
    select = axe_page.get_by_label("Stadtteil oder Kreis", exact=True)
    expect(select.locator("option")).to_have_text(["Keine Angabe", "Eving"])
    assert_nothing_serious(axe_page, axe_source, "new-case form with districts")
