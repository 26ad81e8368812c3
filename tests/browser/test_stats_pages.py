"""Statistics releases in Chromium: a supervisor drafts with the keyboard, a second supervisor
approves after a fresh login, a counsellor reads the published release; axe-core (WCAG 2.1
A/AA) finds nothing serious on the list, the draft form, a draft and a published release."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from servicestelle import clock
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import operations
from servicestelle.stats.forms import last_completed_quarter
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release
from tests.browser.authenticator import Authenticator
from tests.browser.live_server import BrowserUser, LiveServer
from tests.browser.test_case_pages import assert_nothing_serious, supervisor, user_id
from tests.browser.test_login_flow import log_in, log_out_and_check
from tests.conftest import DEFAULT_PASSWORD
from tests.support.stats import add_records

pytestmark = [pytest.mark.browser]

RELEASE_URL = re.compile(r"/statistik/(\d+)$")


def second_supervisor(live_server: LiveServer) -> BrowserUser:
    from servicestelle.auth.operations import create_user
    from servicestelle.centres.models import Centre

    with live_server.app.app_context():
        centre = db.session.get(Centre, live_server._centre_id)
        assert centre is not None
        created = create_user(
            centre=centre,
            username="zweite.leitung",
            display_name="Zweite Leitung",
            password=DEFAULT_PASSWORD,
            roles=(Role.SUPERVISOR,),
            with_second_factor=True,
        )
    assert created.seed is not None
    return BrowserUser(
        "zweite.leitung", "Zweite Leitung", DEFAULT_PASSWORD, Authenticator(created.seed)
    )


def first_quarter(live_server: LiveServer) -> str:
    """The quarter that ended last on the server's clock: only ended periods can be drafted
    (and the form suggests it)."""
    with live_server.app.app_context():
        year, part = last_completed_quarter(clock.today())
    return f"{year}-{part}"


def last_quarter_before(live_server: LiveServer) -> str:
    """The quarter before the first one: the comparison a first-quarter draft shows."""
    return Period.parse(first_quarter(live_server)).previous().code


def middle_month(code: str) -> str:
    first = Period.parse(code).quarters[0].months[0]
    return f"{first[:5]}{int(first[5:]) + 1:02d}"


def seed_store(live_server: LiveServer) -> None:
    """Forty-four cases in the first quarter (the two children's cell is too small to
    publish), and thirty-seven in the quarter before."""
    months = (
        middle_month(first_quarter(live_server)),
        middle_month(last_quarter_before(live_server)),
    )
    with live_server.app.app_context():
        centre = live_server._centre_id
        for month, adults in zip(months, (30, 23), strict=True):
            add_records(centre, adults, opened_month=month, age_band="27_45", grounds="geschlecht")
            add_records(centre, 12, opened_month=month, age_band="46_64", grounds="lebensalter")
            add_records(
                centre, 2, opened_month=month, age_band="u18", grounds="religion_weltanschauung"
            )


def draft_directly(live_server: LiveServer, username: str, period: str) -> int:
    with live_server.app.app_context():
        actor = db.session.get(User, user_id(live_server, username))
        release = operations.draft_release(
            actor, Period.parse(period), ["faelle", "alter", "merkmale"]
        )
        return release.id


def approve_directly(live_server: LiveServer, release_id: int, username: str) -> None:
    with live_server.app.app_context():
        actor = db.session.get(User, user_id(live_server, username))
        operations.approve_release(actor, db.session.get(Release, release_id))


def press_until_focused(page: Page, what: str, target: Locator, limit: int = 80) -> None:
    """Tab forward until ``target`` has the focus (the keyboard alone, as a person would)."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{what} never received the focus by Tab")


def test_draft_by_keyboard_approve_by_a_second_supervisor_read_by_a_counsellor(
    no_script_page: Page, live_server: LiveServer
) -> None:
    """The whole flow with JavaScript off: the pages are plain HTML forms and links."""
    page = no_script_page
    drafter = supervisor(live_server)
    approver = second_supervisor(live_server)
    counsellor = live_server.create_user(enrolled=True)
    seed_store(live_server)
    year, part = first_quarter(live_server).split("-")

    # The drafter: navigation, the form, with the keyboard alone.
    log_in(page, drafter)
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    link = nav.get_by_role("link", name="Statistik")
    press_until_focused(page, "the Statistik link", link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistik")
    new = page.get_by_role("link", name="Neuer Entwurf")
    press_until_focused(page, "Neuer Entwurf", new)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuer Entwurf einer Statistik")

    year_select = page.get_by_label("Jahr", exact=True)
    press_until_focused(page, "the year select", year_select)
    page.keyboard.press("Home")  # the first year offered is the current one
    with live_server.app.app_context():
        this_year = str(clock.today().year)
    if year != this_year:
        page.keyboard.press("ArrowDown")  # January to March: last year's fourth quarter
    expect(year_select).to_have_value(year)
    page.keyboard.press("Tab")
    part_select = page.get_by_label("Zeitraum im Jahr", exact=True)
    expect(part_select).to_be_focused()
    page.keyboard.press("Home")
    # ganzes Jahr → 1. Halbjahr → 2. Halbjahr → 1. Quartal → … → the quarter
    for _ in range(2 + int(part[1])):
        page.keyboard.press("ArrowDown")
    expect(part_select).to_have_value(part)
    # Every table is preselected; leave out one with the space bar.
    boxes = page.get_by_role("group", name="Tabellen").get_by_role("checkbox")
    expect(boxes.first).to_be_checked()
    wiederholte = page.get_by_label("Wiederholt genannte Verursachende nach Lebensbereich")
    press_until_focused(page, "a table checkbox", wiederholte)
    page.keyboard.press("Space")
    expect(wiederholte).not_to_be_checked()
    submit = page.get_by_role("button", name=re.compile("Entwurf erstellen"))
    expect(submit).to_contain_text("dauert einige Sekunden")
    press_until_focused(page, "the submit button", submit)
    page.keyboard.press("Enter")

    expect(page).to_have_url(RELEASE_URL)
    release_id = int(RELEASE_URL.search(page.url).group(1))  # type: ignore[union-attr]
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Statistik {part[1]}. Quartal")
    expect(page.get_by_role("status")).to_contain_text("Der Entwurf ist erstellt")
    ages = page.get_by_role("table", name="Ratsuchende nach Altersgruppe", exact=True)
    children = ages.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Unter 18 Jahre")
    )
    expect(children).to_contain_text("•")
    expect(page.get_by_role("heading", name="Prüfung auf Rückrechenbarkeit")).to_be_visible()
    expect(page.get_by_text("Vier Augen: Eine andere Leitung")).to_be_visible()
    expect(page.get_by_role("button", name="Freigeben und veröffentlichen")).to_have_count(0)
    log_out_and_check(page)

    # The second supervisor: just logged in, so the login is fresh; approves by keyboard.
    log_in(page, approver)
    page.goto(f"/statistik/{release_id}")
    approve = page.get_by_role("button", name="Freigeben und veröffentlichen")
    approve.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("freigegeben, signiert und veröffentlicht")
    expect(page.get_by_role("heading", level=1)).to_contain_text("veröffentlicht")
    log_out_and_check(page)

    # The counsellor reads it: the figures, the dot, the legend, the chart, the exports.
    log_in(page, counsellor)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Statistik"
    ).click()
    page.get_by_role("link", name=re.compile(rf"^{part[1]}\. Quartal")).click()
    expect(page).to_have_url(re.compile(rf"/statistik/{release_id}$"))
    ages = page.get_by_role("table", name="Ratsuchende nach Altersgruppe", exact=True)
    adults = ages.get_by_role("row").filter(has=page.get_by_role("rowheader", name="27–45 Jahre"))
    expect(adults).to_contain_text("30")
    expect(page.get_by_text("zum Schutz vor Rückrechnung nicht veröffentlicht")).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile("Balkendiagramm: Ratsuchende nach Altersgruppe"))
    ).to_be_visible()
    expect(page.get_by_role("link", name="Alle Tabellen als JSON, signiert")).to_be_visible()
    expect(page.get_by_role("heading", name="Gesperrte Zellen")).to_have_count(0)


def at_list(page: Page, ids: dict[str, int]) -> None:
    page.goto("/statistik")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistik")


def at_form(page: Page, ids: dict[str, int]) -> None:
    page.goto("/statistik/neu")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuer Entwurf einer Statistik")


def at_form_with_errors(page: Page, ids: dict[str, int]) -> None:
    page.goto("/statistik/neu")
    for box in page.get_by_role("group", name="Tabellen").get_by_role("checkbox").all():
        box.uncheck()
    page.get_by_role("button", name=re.compile("Entwurf erstellen")).click()
    expect(page.locator("#tables-error")).to_contain_text("mindestens eine Tabelle")


def at_draft(page: Page, ids: dict[str, int]) -> None:
    page.goto(f"/statistik/{ids['draft']}")
    expect(page.get_by_role("heading", name="Entscheidung")).to_be_visible()
    page.get_by_text("Vergleich mit").first.click()  # a comparison opened: its table is checked too


def at_published(page: Page, ids: dict[str, int]) -> None:
    page.goto(f"/statistik/{ids['published']}")
    expect(page.get_by_role("heading", name="Export")).to_be_visible()


PAGES: dict[str, Callable[[Page, dict[str, int]], None]] = {
    "release list": at_list,
    "new-draft form": at_form,
    "new-draft form after a refused submit": at_form_with_errors,
    "draft with audit and comparison": at_draft,
    "published release": at_published,
}


@pytest.mark.parametrize("where", list(PAGES))
def test_statistics_pages_have_no_serious_accessibility_violations(
    where: str, axe_page: Page, live_server: LiveServer, axe_source: str
) -> None:
    supervisor(live_server)
    approver = second_supervisor(live_server)
    seed_store(live_server)
    published = draft_directly(live_server, "leitung", last_quarter_before(live_server))
    approve_directly(live_server, published, "zweite.leitung")
    # The first quarter after it: its draft page compares with the published quarter.
    waiting = draft_directly(live_server, "leitung", first_quarter(live_server))
    log_in(axe_page, approver)
    PAGES[where](axe_page, {"published": published, "draft": waiting})
    assert_nothing_serious(axe_page, axe_source, where)
