"""The case pages in Chromium: a counsellor creates a case, a contact, an intervention and a
deadline with the keyboard alone and finds the deadline on the start page; axe-core (WCAG 2.1
A/AA) finds nothing serious on the case pages, nor on a supervisor's metadata-only case page.

The keyboard flow moves focus only with Tab, the arrow keys, Space and Enter; Playwright's
``click``/``fill`` are used only to log in (the shared helper) and to set up the axe pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import ElementHandle, Locator, Page, expect

from servicestelle import clock
from servicestelle.cases import access as case_access
from servicestelle.cases import deadlines, operations, parts
from servicestelle.roles import Role
from tests.browser.authenticator import Authenticator
from tests.browser.axe import BLOCKING_IMPACTS, describe, run_axe
from tests.browser.live_server import BrowserUser, LiveServer
from tests.browser.test_login_flow import log_in
from tests.conftest import DEFAULT_PASSWORD
from tests.support.cases import acting_as

pytestmark = [pytest.mark.browser]

#: Enough for the longest way on these pages (the case form from its top to "Speichern");
#: more means that focus is lost or loops, and the test says where it got stuck.
MAX_TABS = 250
CASE_URL = re.compile(r"/faelle/\d+(#\w+)?$")
NARRATIVE = "Die Wohnung wurde mir nach dem Besichtigungstermin verweigert."
CONTACT_NOTE = "Erstgespräch am Telefon, Unterlagen angefordert."
INTERVENTION_DETAILS = "Beschwerdebrief an die Hausverwaltung geschickt."
#: "Antisemitismus" is the 7th checkbox of "Einordnung": its parent, then the 6th sub-item.
ANTISEMITISM_AFTER_SECTION_START = 7
#: The AGG § 21 Abs. 5 deadline of the flow is due this many days from today (within 14).
DAYS_LEFT = 9


# --- keyboard -------------------------------------------------------------------------------

FOCUSED = "element => element === document.activeElement"
FOCUS_INSIDE = (
    "element => element !== document.activeElement && element.contains(document.activeElement)"
)
DESCRIBE_FOCUS = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return "nothing (the document body)";
    const label = element.labels && element.labels.length
        ? element.labels[0].innerText
        : element.getAttribute("aria-label") || element.innerText || "";
    const id = element.id ? ` id="${element.id}"` : "";
    const type = element.getAttribute("type") ? ` type="${element.getAttribute("type")}"` : "";
    return `<${element.tagName.toLowerCase()}${id}${type}> "${label.trim().slice(0, 80)}"`;
}"""


def _press_tab_until(page: Page, handle: ElementHandle, check: str, what: str) -> int:
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if handle.evaluate(check):
            return presses
    focus = page.evaluate(DESCRIBE_FOCUS)
    raise AssertionError(
        f"{what} not reached with {MAX_TABS} presses of Tab on {page.url}; focus is on {focus}"
    )


def _the_one(page: Page, target: Locator, what: str) -> ElementHandle:
    found = target.count()
    assert found == 1, f"{what}: {found} elements on {page.url} match {target}"
    return target.element_handle()


def tab_to(page: Page, target: Locator, what: str) -> int:
    """Press Tab until ``target`` (found by its accessible name) has focus; the presses."""
    return _press_tab_until(page, _the_one(page, target, what), FOCUSED, what)


def tab_into(page: Page, group: Locator, what: str) -> int:
    """Press Tab until focus is inside ``group`` (a radio group is one stop of the Tab order)."""
    return _press_tab_until(page, _the_one(page, group, what), FOCUS_INSIDE, what)


def choose_radio(page: Page, group_name: str, option: str) -> None:
    """Tab into a radio group, walk to ``option`` with the down arrow, tick it with Space."""
    group = page.get_by_role("group", name=group_name, exact=True)
    tab_into(page, group, f"the radio group {group_name!r}")
    target = _the_one(page, group.get_by_role("radio", name=option, exact=True), option)
    for _ in range(group.get_by_role("radio").count()):
        if target.evaluate(FOCUSED):
            break
        page.keyboard.press("ArrowDown")
    else:
        focus = page.evaluate(DESCRIBE_FOCUS)
        raise AssertionError(f"the arrow keys never reach {option!r}; focus is on {focus}")
    page.keyboard.press("Space")
    assert target.is_checked(), f"Space did not choose {option!r}"


def tick(page: Page, checkbox: Locator, what: str) -> int:
    """Tab to a checkbox and tick it with Space; the presses of Tab it took."""
    presses = tab_to(page, checkbox, what)
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    return presses


def type_into(page: Page, field: Locator, what: str, text: str) -> None:
    tab_to(page, field, what)
    page.keyboard.type(text)
    expect(field).to_have_value(text)


def type_date(page: Page, field: Locator, what: str, day: date, order: str) -> None:
    """Type a date into a native date input, its parts in the order the browser shows them."""
    tab_to(page, field, what)
    page.keyboard.type(day.strftime(order))
    expect(field).to_have_value(day.isoformat())


def submit(page: Page, what: str) -> None:
    """Tab to the form's "Speichern" and press Enter."""
    button = page.get_by_role("button", name="Speichern", exact=True)
    tab_to(page, button, f"the button 'Speichern' of {what}")
    assert_focus_visible(page, f"the button 'Speichern' of {what}")
    page.keyboard.press("Enter")


def follow_link(page: Page, name: str) -> None:
    link = page.get_by_role("link", name=name, exact=True)
    tab_to(page, link, f"the link {name!r}")
    assert_focus_visible(page, f"the link {name!r}")
    page.keyboard.press("Enter")


def assert_focus_visible(page: Page, what: str) -> None:
    """WCAG 2.4.7: the focused element draws an outline or a ring (a box shadow)."""
    style = page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return {outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
                    shadow: style.boxShadow};
        }"""
    )
    outlined = style["outline"] != "none" and style["width"] > 0
    assert outlined or style["shadow"] != "none", (
        f"no visible focus on {what} ({page.evaluate(DESCRIBE_FOCUS)}): {style}"
    )


@pytest.fixture
def date_order(page: Page) -> str:
    """The order in which this Chromium takes the parts of a typed date: it follows the
    browser's own language, not the page's, so it is read from a scratch page."""
    probe = page.context.new_page()  # not the app: focus() only sets up the probe
    probe.set_content('<input type="date" aria-label="Probe">')
    probe.get_by_label("Probe").focus()
    probe.keyboard.type("01022003")
    typed = probe.get_by_label("Probe").input_value()
    probe.close()
    orders = {"2003-02-01": "%d%m%Y", "2003-01-02": "%m%d%Y"}
    assert typed in orders, f"unknown order of the parts of a date input: 01022003 → {typed!r}"
    return orders[typed]


# --- data -----------------------------------------------------------------------------------


def today(live_server: LiveServer) -> date:
    with live_server.app.app_context():
        return clock.today()


def trigger_for(live_server: LiveServer, days_left: int) -> tuple[date, date]:
    """An AGG § 21 Abs. 5 trigger date whose deadline is due in about ``days_left`` days
    (month lengths leave some due dates unreachable), and that due date."""
    with live_server.app.app_context():
        months = parts.deadline_months()[deadlines.DeadlineKind.AGG_21_5]
        now = clock.today()
    candidates = [now - timedelta(days=back) for back in range(1, 32 * months)]
    trigger = min(
        candidates,
        key=lambda day: abs((deadlines.add_months(day, months) - now).days - days_left),
    )
    due = deadlines.add_months(trigger, months)
    assert 0 < (due - now).days <= deadlines.DUE_SOON_DAYS, (trigger, due)
    return trigger, due


def user_id(live_server: LiveServer, username: str) -> int:
    from servicestelle.auth.models import User
    from servicestelle.extensions import db

    with live_server.app.app_context():
        found = db.session.scalar(sa.select(User.id).where(User.username == username))
    assert found is not None
    return found


def seed_case(live_server: LiveServer, owner: BrowserUser) -> int:
    """A case of ``owner`` with content, a contact, an intervention and an uncertain deadline
    due within 14 days, written through the operations."""
    trigger, _due = trigger_for(live_server, DAYS_LEFT)
    day = today(live_server)
    content = {
        "classification": {
            "grounds": {"codes": [], "sub": ["antisemitismus"]},
            "life_areas": {"codes": ["wohnen"]},
        },
        "client": {"pseudonym": "Rabe"},
        "account": {"narrative": NARRATIVE},
    }
    with acting_as(live_server.app, user_id(live_server, owner.username)) as user:
        case = operations.create_case(user, content)
        case_id = case.id
        access = case_access.load(case_id, user, content=True)
        parts.add_contact(
            access, day, {"channel": "telefon", "duration_minutes": 45, "note": CONTACT_NOTE}
        )
        parts.add_intervention(
            access,
            day,
            {"type": "beschwerdebrief", "details": INTERVENTION_DETAILS, "result": ""},
        )
        parts.add_deadline(access, "agg_21_5", trigger, uncertain=True, note="Zugang unklar")
    return case_id


def supervisor(live_server: LiveServer) -> BrowserUser:
    from servicestelle.auth.operations import create_user
    from servicestelle.centres.models import Centre
    from servicestelle.extensions import db

    with live_server.app.app_context():
        centre = db.session.get(Centre, live_server._centre_id)
        assert centre is not None
        created = create_user(
            centre=centre,
            username="leitung",
            display_name="Leitung",
            password=DEFAULT_PASSWORD,
            roles=(Role.SUPERVISOR,),
            with_second_factor=True,
        )
    assert created.seed is not None
    return BrowserUser("leitung", "Leitung", DEFAULT_PASSWORD, Authenticator(created.seed))


# --- the keyboard flow ----------------------------------------------------------------------


def test_counsellor_records_a_case_with_the_keyboard_alone(
    page: Page, live_server: LiveServer, date_order: str
) -> None:
    log_in(page, live_server.create_user(enrolled=True))
    day = today(live_server)
    trigger, due = trigger_for(live_server, DAYS_LEFT)

    follow_link(page, "Neuen Fall anlegen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuer Fall")
    # The form's section links move the keyboard on: from "Einordnung" Tab goes on from there.
    follow_link(page, "Einordnung")
    expect(page).to_have_url(re.compile(r"/faelle/neu#abschnitt-einordnung$"))
    grounds = page.get_by_role("group", name="Diskriminierungsmerkmale", exact=True)
    antisemitism = grounds.get_by_role("checkbox", name="Antisemitismus", exact=True)
    presses = tick(page, antisemitism, "Antisemitismus")
    assert presses <= ANTISEMITISM_AFTER_SECTION_START, (
        f"{presses} presses of Tab from the section link 'Einordnung' to 'Antisemitismus'"
    )
    assert_focus_visible(page, "the checkbox 'Antisemitismus'")
    life_areas = page.get_by_role("group", name="Lebensbereiche", exact=True)
    tick(page, life_areas.get_by_role("checkbox", name="Wohnen", exact=True), "Wohnen")
    pseudonym = page.get_by_role("textbox", name="Selbstgewähltes Pseudonym", exact=True)
    type_into(page, pseudonym, "the pseudonym", "Rabe")
    assert_focus_visible(page, "the pseudonym field")
    narrative = page.get_by_role("textbox", name="Was ist passiert?", exact=True)
    type_into(page, narrative, "the narrative", NARRATIVE)
    submit(page, "the case form")

    expect(page).to_have_url(CASE_URL)
    expect(page.get_by_role("status")).to_contain_text("wurde angelegt")
    heading = page.get_by_role("heading", level=1).inner_text()
    reference = heading.removeprefix("Fall ").strip()
    assert re.fullmatch(r"\d{4}-\d{4}", reference), heading
    facts = page.locator("section[aria-labelledby=angaben]")
    expect(facts).to_contain_text("(Antisemitismus)")
    expect(facts).to_contain_text("Wohnen")
    expect(facts).to_contain_text("Rabe")
    expect(facts).to_contain_text(NARRATIVE)

    follow_link(page, "Kontakt hinzufügen")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kontakt hinzufügen")
    type_date(page, page.get_by_label("Datum des Kontakts"), "the contact date", day, date_order)
    assert_focus_visible(page, "the date field")
    choose_radio(page, "Kontaktweg", "Telefon")
    assert_focus_visible(page, "the radio button 'Telefon'")
    type_into(page, page.get_by_label("Dauer in Minuten"), "the duration", "45")
    type_into(page, page.get_by_label("Notiz", exact=True), "the note", CONTACT_NOTE)
    submit(page, "the contact form")
    expect(page.get_by_role("status")).to_have_text("Der Kontakt wurde gespeichert.")
    contacts = page.locator("section[aria-labelledby=kontakte]")
    expect(contacts).to_contain_text(f"{day:%d.%m.%Y}: Telefon, 45 Minuten")
    expect(contacts).to_contain_text(CONTACT_NOTE)

    follow_link(page, "Intervention hinzufügen")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Intervention hinzufügen")
    type_date(
        page, page.get_by_label("Datum", exact=True), "the intervention date", day, date_order
    )
    choose_radio(page, "Art der Intervention", "Beschwerdebrief")
    type_into(page, page.get_by_label("Einzelheiten"), "the details", INTERVENTION_DETAILS)
    submit(page, "the intervention form")
    expect(page.get_by_role("status")).to_have_text("Die Intervention wurde gespeichert.")
    interventions = page.locator("section[aria-labelledby=interventionen]")
    expect(interventions).to_contain_text(f"{day:%d.%m.%Y}: Beschwerdebrief")
    expect(interventions).to_contain_text(INTERVENTION_DETAILS)

    follow_link(page, "Frist hinzufügen")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Frist hinzufügen")
    choose_radio(page, "Fristart", "Geltendmachung AGG § 21 Abs. 5 (Zivilrecht)")
    type_date(page, page.get_by_label("Ausgangsdatum"), "the trigger date", trigger, date_order)
    uncertain = page.get_by_role("checkbox", name="Datum ist ungefähr", exact=True)
    tick(page, uncertain, "the checkbox 'Datum ist ungefähr'")
    assert_focus_visible(page, "the checkbox 'Datum ist ungefähr'")
    submit(page, "the deadline form")
    expect(page.get_by_role("status")).to_have_text(
        f"Die Frist wurde gespeichert. Sie endet am {due:%d.%m.%Y}."
    )

    follow_link(page, "Start")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Guten Tag"))
    table = page.get_by_role("table", name=re.compile("Überfällige Fristen"))
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row).to_have_count(1)
    days = (due - day).days
    expect(row.get_by_role("cell")).to_have_text(
        re.compile(
            rf"^\s*{re.escape(f'{due:%d.%m.%Y}')}\s+Fällig in {days} Tagen?\s+Frist unsicher\s*$"
        )
    )
    expect(row.locator("time")).to_have_attribute("datetime", due.isoformat())


# --- axe-core -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    case_id: int
    today: date


def assert_nothing_serious(page: Page, axe_source: str, what: str) -> None:
    """No serious or critical WCAG 2.1 A/AA violation (as tests.browser.axe.assert_accessible);
    findings below "serious" are printed and, for information, listed in a failure's message."""
    results = run_axe(page, axe_source)
    assert results["passes"], f"axe checked nothing on {what}: is the page empty?"
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    other = [v for v in results["violations"] if v["impact"] not in BLOCKING_IMPACTS]
    below = f"\nFor information, findings below 'serious':\n{describe(other)}" if other else ""
    if other:
        print(f"axe, {what} ({page.url}):{below}")
    # "incomplete": axe could not decide and asks a person to look; shown, not failed.
    review = [v for v in results["incomplete"] if v["impact"] in BLOCKING_IMPACTS]
    if review:
        print(f"axe, {what} ({page.url}), to review by hand:\n{describe(review)}")
    assert not blocking, (
        f"axe found serious or critical WCAG 2.1 A/AA violations on {what} ({page.url}):\n"
        f"{describe(blocking)}{below}"
    )


def at_start(page: Page, seeded: Seeded) -> None:
    page.goto("/")
    expect(page.locator(".tag--uncertain")).to_have_text("Frist unsicher")


def at_case_list(page: Page, seeded: Seeded) -> None:
    page.goto("/faelle")
    expect(page.get_by_role("table", name="Fälle, neueste zuerst")).to_be_visible()


def at_new_case(page: Page, seeded: Seeded) -> None:
    page.goto("/faelle/neu")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuer Fall")


def at_new_case_with_errors(page: Page, seeded: Seeded) -> None:
    """Closed, without outcome and reason, on a date in the future: three messages."""
    page.goto("/faelle/neu")
    page.get_by_role("radio", name="Abgeschlossen", exact=True).check()
    ahead = seeded.today + timedelta(days=30)
    page.get_by_label("Abschlussdatum").fill(ahead.isoformat())
    page.get_by_role("button", name="Speichern", exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Das Datum liegt in der Zukunft.")
    expect(summary).to_contain_text("Bitte geben Sie das Ergebnis an.")
    expect(summary).to_contain_text("Bitte geben Sie den Abschlussgrund an.")


def at_case(page: Page, seeded: Seeded) -> None:
    page.goto(f"/faelle/{seeded.case_id}")
    expect(page.locator("section[aria-labelledby=kontakte]")).to_contain_text(CONTACT_NOTE)


def at_contact_form(page: Page, seeded: Seeded) -> None:
    page.goto(f"/faelle/{seeded.case_id}/kontakte/neu")
    expect(page.get_by_role("group", name="Kontaktweg")).to_be_visible()


def at_contact_form_with_errors(page: Page, seeded: Seeded) -> None:
    page.goto(f"/faelle/{seeded.case_id}/kontakte/neu")
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(page.locator("#error-summary")).to_contain_text("Bitte wählen Sie den Kontaktweg.")


def at_intervention_form(page: Page, seeded: Seeded) -> None:
    page.goto(f"/faelle/{seeded.case_id}/interventionen/neu")
    expect(page.get_by_role("group", name="Art der Intervention")).to_be_visible()


def at_deadline_form(page: Page, seeded: Seeded) -> None:
    page.goto(f"/faelle/{seeded.case_id}/fristen/neu")
    expect(page.get_by_role("group", name="Fristart")).to_be_visible()


def at_break_glass(page: Page, seeded: Seeded) -> None:
    page.goto("/faelle/notfallzugriff")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notfallzugriff auf eine Akte")


COUNSELLOR_PAGES: dict[str, Callable[[Page, Seeded], None]] = {
    "start page with a deadline": at_start,
    "case list": at_case_list,
    "new-case form": at_new_case,
    "new-case form after a refused save": at_new_case_with_errors,
    "case page": at_case,
    "contact form": at_contact_form,
    "contact form after a refused save": at_contact_form_with_errors,
    "intervention form": at_intervention_form,
    "deadline form": at_deadline_form,
    "break-glass page": at_break_glass,
}


@pytest.mark.parametrize("where", list(COUNSELLOR_PAGES))
def test_case_pages_have_no_serious_accessibility_violations(
    where: str, axe_page: Page, live_server: LiveServer, axe_source: str
) -> None:
    counsellor = live_server.create_user(enrolled=True)
    seeded = Seeded(seed_case(live_server, counsellor), today(live_server))
    log_in(axe_page, counsellor)
    COUNSELLOR_PAGES[where](axe_page, seeded)
    assert_nothing_serious(axe_page, axe_source, where)


def test_supervisor_metadata_case_page_has_no_serious_accessibility_violations(
    axe_page: Page, live_server: LiveServer, axe_source: str
) -> None:
    case_id = seed_case(live_server, live_server.create_user(enrolled=True))
    log_in(axe_page, supervisor(live_server))
    axe_page.goto(f"/faelle/{case_id}")
    expect(axe_page.get_by_role("note")).to_contain_text(
        "Den Inhalt dieser Akte sieht Ihre Rolle nicht"
    )
    expect(axe_page.locator(".tag--uncertain")).to_have_text("Frist unsicher")
    expect(axe_page.get_by_text(NARRATIVE)).to_have_count(0)
    assert_nothing_serious(axe_page, axe_source, "supervisor's metadata-only case page")


#: WCAG 2.1 SC 1.4.10 (Reflow, AA): the long code-list labels must wrap at 320 CSS pixels.
REFLOW_PAGES = ("new-case form", "case page", "intervention form", "case list")


@pytest.mark.parametrize("where", REFLOW_PAGES)
def test_case_pages_reflow_at_320_pixels(where: str, page: Page, live_server: LiveServer) -> None:
    counsellor = live_server.create_user(enrolled=True)
    seeded = Seeded(seed_case(live_server, counsellor), today(live_server))
    log_in(page, counsellor)
    page.set_viewport_size({"width": 320, "height": 640})
    COUNSELLOR_PAGES[where](page, seeded)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"{where}: the document is {width} px wide at a 320 px window"
