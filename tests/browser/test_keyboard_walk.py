"""The main flow of each role with the keyboard alone (WCAG 2.1.1, 2.4.1, 2.4.3, 2.4.7): the
skip link leads past the navigation, every stop of the Tab order shows its focus, and a
counsellor logs in with the second factor, creates a case, opens it and adds a contact; a
supervisor drafts a statistics release; the DPO searches the audit log; an administrator
creates an account.

Focus moves only with Tab, the arrow keys, Home, Space and Enter, and text is typed into the
element that has the focus; no click, no ``fill``, no ``focus()``. ``goto`` stands for typing
an address into the browser.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from servicestelle import clock
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.browser import test_case_pages as case_pages
from tests.browser.live_server import BrowserUser, LiveServer
from tests.browser.test_case_pages import (
    CASE_URL,
    DESCRIBE_FOCUS,
    assert_focus_visible,
    choose_radio,
    follow_link,
    submit,
    tab_to,
    type_date,
    type_into,
)
from tests.browser.test_dpo_pages import dpo_with_entries
from tests.browser.test_every_page import make_user
from tests.browser.test_stats_pages import RELEASE_URL, first_quarter, seed_store

pytestmark = [pytest.mark.browser]

#: The browser's order of the parts of a typed date (a fixture of the case-page tests).
date_order = case_pages.date_order
#: More stops than a start page or a case page has: the walk must come round before this.
MAX_STOPS = 150
NARRATIVE = "Der Vermieter hat die Besichtigung abgesagt, als er meinen Namen hörte."
CONTACT_NOTE = "Rückruf vereinbart, Mietangebot liegt vor."

FOCUS_KEY = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    return element.outerHTML.slice(0, 200);
}"""


def focused(locator: Locator) -> bool:
    return bool(locator.evaluate("element => element === document.activeElement"))


def press(page: Page, key: str) -> None:
    page.keyboard.press(key)


# --- skip link and visible focus --------------------------------------------------------------


def skip_to_content(page: Page) -> None:
    """From the top of a freshly loaded page: Tab reaches the skip link first, it is shown
    with a visible focus, and Enter puts the focus on the main content."""
    press(page, "Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    assert focused(skip), f"the first Tab stop is {page.evaluate(DESCRIBE_FOCUS)}"
    assert_focus_visible(page, "the skip link")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"skip link off screen: {box}"
    press(page, "Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    assert focused(page.locator("main")), f"focus after the skip link: {page.evaluate(FOCUS_KEY)}"


def assert_tab_order_shows_focus(page: Page, what: str) -> int:
    """Tab through the whole page once: every stop shows its focus; the number of stops."""
    first = None
    for stop in range(MAX_STOPS):
        press(page, "Tab")
        key = page.evaluate(FOCUS_KEY)
        if key is None or key == first:
            return stop
        first = first or key
        assert_focus_visible(page, f"stop {stop + 1} of the Tab order of {what}")
    raise AssertionError(f"{what}: the Tab order does not come round within {MAX_STOPS} stops")


def log_in_by_keyboard(page: Page, user: BrowserUser) -> None:
    """The login page's skip link, then username, password and the code, typed."""
    assert user.authenticator is not None
    page.goto("/anmelden")
    skip_to_content(page)
    # From the main content, the first Tab stop is the first field, not the navigation.
    press(page, "Tab")
    username = page.get_by_label("Benutzername", exact=True)
    assert focused(username), f"after the skip link, Tab went to {page.evaluate(DESCRIBE_FOCUS)}"
    page.keyboard.type(user.username)
    type_into(page, page.get_by_label("Passwort", exact=True), "the password", user.password)
    assert_focus_visible(page, "the password field")
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zweiter Faktor")
    code = page.get_by_label("Code aus der Authenticator-App oder Wiederherstellungscode")
    type_into(page, code, "the code field", user.authenticator.code())
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Guten Tag, {user.display_name}")


def start_page_walk(page: Page, role: str) -> None:
    """On the start page: the skip link, then every Tab stop with its focus shown."""
    skip_to_content(page)
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    stops = assert_tab_order_shows_focus(page, f"the {role}'s start page")
    assert stops > 3, f"only {stops} Tab stops on the {role}'s start page"
    page.goto("/")  # back to the top of the page for the flow


def nav_link(page: Page, name: str) -> None:
    link = page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name=name, exact=True
    )
    tab_to(page, link, f"the navigation link {name!r}")
    assert_focus_visible(page, f"the navigation link {name!r}")
    press(page, "Enter")


# --- the flows --------------------------------------------------------------------------------


def test_counsellor_logs_in_creates_a_case_opens_it_and_adds_a_contact(
    page: Page, live_server: LiveServer, date_order: str
) -> None:
    counsellor = live_server.create_user(enrolled=True)
    log_in_by_keyboard(page, counsellor)
    start_page_walk(page, "counsellor")
    with live_server.app.app_context():
        today = clock.today()

    follow_link(page, "Neuen Fall anlegen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuer Fall")
    pseudonym = page.get_by_role("textbox", name="Selbstgewähltes Pseudonym", exact=True)
    type_into(page, pseudonym, "the pseudonym", "Amsel")
    narrative = page.get_by_role("textbox", name="Was ist passiert?", exact=True)
    type_into(page, narrative, "the narrative", NARRATIVE)
    submit(page, "the case form")
    expect(page).to_have_url(CASE_URL)
    expect(page.get_by_role("status")).to_contain_text("wurde angelegt")
    reference = page.get_by_role("heading", level=1).inner_text().removeprefix("Fall ").strip()

    # Open it again from the case list.
    nav_link(page, "Fälle")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Fälle"))
    follow_link(page, reference)
    expect(page).to_have_url(CASE_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Fall {reference}")
    expect(page.locator("section[aria-labelledby=angaben]")).to_contain_text(NARRATIVE)
    assert assert_tab_order_shows_focus(page, "the case page") > 10

    follow_link(page, "Kontakt hinzufügen")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kontakt hinzufügen")
    type_date(page, page.get_by_label("Datum des Kontakts"), "the contact date", today, date_order)
    choose_radio(page, "Kontaktweg", "Persönlich")
    assert_focus_visible(page, "the radio button 'Persönlich'")
    type_into(page, page.get_by_label("Notiz", exact=True), "the note", CONTACT_NOTE)
    submit(page, "the contact form")
    expect(page.get_by_role("status")).to_have_text("Der Kontakt wurde gespeichert.")
    contacts = page.locator("section[aria-labelledby=kontakte]")
    expect(contacts).to_contain_text(f"{today:%d.%m.%Y}: Persönlich")
    expect(contacts).to_contain_text(CONTACT_NOTE)


def test_supervisor_drafts_a_statistics_release(page: Page, live_server: LiveServer) -> None:
    lead = make_user(live_server, "leitung", Role.SUPERVISOR)
    seed_store(live_server)
    year, part = first_quarter(live_server).split("-")
    log_in_by_keyboard(page, lead)
    start_page_walk(page, "supervisor")

    nav_link(page, "Statistik")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistik")
    follow_link(page, "Neuer Entwurf")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuer Entwurf einer Statistik")
    year_select = page.get_by_label("Jahr", exact=True)
    tab_to(page, year_select, "the year select")
    assert_focus_visible(page, "the year select")
    press(page, "Home")  # the first year offered is the current one
    while year_select.input_value() != year:
        press(page, "ArrowDown")
    press(page, "Tab")
    part_select = page.get_by_label("Zeitraum im Jahr", exact=True)
    assert focused(part_select)
    press(page, "Home")
    # ganzes Jahr → 1. Halbjahr → 2. Halbjahr → 1. Quartal → … → the quarter
    for _ in range(2 + int(part[1])):
        press(page, "ArrowDown")
    expect(part_select).to_have_value(part)
    button = page.get_by_role("button", name=re.compile("Entwurf erstellen"))
    tab_to(page, button, "the button 'Entwurf erstellen'")
    assert_focus_visible(page, "the button 'Entwurf erstellen'")
    press(page, "Enter")

    expect(page).to_have_url(RELEASE_URL)
    expect(page.get_by_role("status")).to_contain_text("Der Entwurf ist erstellt")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Statistik {part[1]}. Quartal")


def test_dpo_searches_the_audit_log(page: Page, live_server: LiveServer) -> None:
    dpo = dpo_with_entries(live_server)  # two entries by "lesende" on the case c-1
    with live_server.app.app_context():
        reader = db.session.scalar(sa.select(User.id).where(User.username == "lesende"))
    log_in_by_keyboard(page, dpo)
    start_page_walk(page, "DPO")

    follow_link(page, "Datenschutz: Zugriffsprotokoll prüfen, Berichte und Verzeichnis")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    sections = page.get_by_role("navigation", name="Datenschutz-Bereich")
    link = sections.get_by_role("link", name="Protokoll", exact=True)
    tab_to(page, link, "the link 'Protokoll'")
    assert_focus_visible(page, "the link 'Protokoll'")
    press(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll durchsuchen")

    person = page.get_by_label("Person", exact=True)
    tab_to(page, person, "the select 'Person'")
    assert_focus_visible(page, "the select 'Person'")
    page.keyboard.type("Lesende")  # a closed select jumps to the option typed
    expect(person).to_have_value(str(reader))
    button = page.get_by_role("button", name="Suchen", exact=True)
    tab_to(page, button, "the button 'Suchen'")
    press(page, "Enter")

    expect(page).to_have_url(re.compile(rf"[?&]person={reader}(&|$)"))
    table = page.get_by_role("table", name="Protokolleinträge, neueste zuerst")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(table).to_contain_text("lesende")
    expect(table).not_to_contain_text("dsb")  # the DPO's own login is filtered out


def test_admin_creates_an_account(page: Page, live_server: LiveServer) -> None:
    admin = make_user(live_server, "it", Role.ADMIN)
    log_in_by_keyboard(page, admin)
    start_page_walk(page, "admin")

    nav_link(page, "Benutzerverwaltung")
    expect(page.get_by_role("heading", level=1)).to_have_text("Benutzerverwaltung")
    follow_link(page, "Neues Konto anlegen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neues Konto")
    type_into(page, page.get_by_label("Benutzername", exact=True), "the username", "neue.kollegin")
    type_into(page, page.get_by_label("Anzeigename"), "the display name", "Neue Kollegin")
    type_into(
        page,
        page.get_by_label("Erstes Passwort"),
        "the first password",
        "ein langes erstes passwort 2026",
    )
    roles = page.get_by_role("group", name="Rollen")
    counselling = roles.get_by_role("checkbox", name="Beratung", exact=True)
    tab_to(page, counselling, "the checkbox 'Beratung'")
    assert_focus_visible(page, "the checkbox 'Beratung'")
    press(page, "Space")
    expect(counselling).to_be_checked()
    button = page.get_by_role("button", name="Konto anlegen", exact=True)
    tab_to(page, button, "the button 'Konto anlegen'")
    press(page, "Enter")

    expect(page.get_by_role("status")).to_have_text("Das Konto neue.kollegin wurde angelegt.")
    with live_server.app.app_context():
        created = db.session.scalar(sa.select(User).where(User.username == "neue.kollegin"))
        assert created is not None
        assert created.display_name == "Neue Kollegin"
        assert created.must_change_password
        assert set(created.roles) == {Role.COUNSELLOR}
