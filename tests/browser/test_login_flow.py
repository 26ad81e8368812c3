"""The login as a person does it in Chromium: password, second factor or its enrolment,
recovery codes, logout; WCAG 2.1 AA checks with axe-core; the same without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from servicestelle.auth import totp
from tests.browser.authenticator import Authenticator
from tests.browser.axe import assert_accessible
from tests.browser.live_server import BrowserUser, LiveServer

pytestmark = pytest.mark.browser

LOGIN_URL = re.compile(r"/anmelden(\?.*)?$")
#: The guard sends an anonymous visitor of "/" to the login, remembering where they wanted to go.
LOGIN_URL_FROM_START = re.compile(r"/anmelden\?next=(?:/|%2F)$")
SECOND_FACTOR_URL = re.compile(r"/anmelden/zweiter-faktor$")
ENROL_URL = re.compile(r"/anmelden/einrichten$")
#: The seed in groups of four base32 characters, the last group possibly shorter.
SECRET_GROUPS = re.compile(r"^(?:[A-Z2-7]{4} )*[A-Z2-7]{1,4}$")
RECOVERY_CODE = re.compile(r"^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$")


# --- steps a person takes -------------------------------------------------------------


def submit_password(page: Page, user: BrowserUser, password: str | None = None) -> None:
    page.goto("/anmelden")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    page.get_by_label("Benutzername", exact=True).fill(user.username)
    page.get_by_label("Passwort", exact=True).fill(user.password if password is None else password)
    page.get_by_role("button", name="Weiter", exact=True).click()


def submit_second_factor(page: Page, code: str) -> None:
    expect(page).to_have_url(SECOND_FACTOR_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Zweiter Faktor")
    page.get_by_label("Code aus der Authenticator-App oder Wiederherstellungscode").fill(code)
    page.get_by_role("button", name="Anmelden", exact=True).click()


def expect_start_page(page: Page, user: BrowserUser) -> None:
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Guten Tag, {user.display_name}")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


def log_in(page: Page, user: BrowserUser) -> None:
    """Password, then the current code from the user's authenticator: the start page."""
    assert user.authenticator is not None
    submit_password(page, user)
    submit_second_factor(page, user.authenticator.code())
    expect_start_page(page, user)


def log_out_and_check(page: Page) -> None:
    """The "Abmelden" button ends the session: back at the login, "/" is closed again."""
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)

    page.goto("/")
    expect(page).to_have_url(LOGIN_URL_FROM_START)
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    expect(page.get_by_text("Guten Tag")).to_have_count(0)


def read_secret(page: Page) -> bytes:
    """The seed as the enrolment page shows it for typing into an app by hand."""
    shown = page.locator("code.secret").inner_text().strip()
    assert SECRET_GROUPS.match(shown), f"secret not in groups of four base32 characters: {shown!r}"
    seed = totp.seed_from_base32(shown)
    assert len(seed) == totp.SEED_BYTES
    return seed


def enrol(page: Page, user: BrowserUser) -> list[str]:
    """First login of a user without second factor, up to the recovery codes; returns them."""
    submit_password(page, user)
    expect(page).to_have_url(ENROL_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Zweiten Faktor einrichten")
    expect(page.locator(".qr svg")).to_be_visible()
    authenticator = Authenticator(read_secret(page))
    page.get_by_label("Sechsstelliger Code aus der App").fill(authenticator.code())
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Wiederherstellungscodes")
    return page.locator("ol.codes li").all_inner_texts()


# --- the flows ------------------------------------------------------------------------


def test_login_with_password_and_code_then_logout(page: Page, live_server: LiveServer) -> None:
    user = live_server.create_user(enrolled=True)
    page.goto("/")
    expect(page).to_have_url(LOGIN_URL_FROM_START)

    log_in(page, user)
    log_out_and_check(page)


def test_logout_is_confirmed_on_the_login_page(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server.create_user(enrolled=True))
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_role("status")).to_have_text("Sie sind abgemeldet.")


def test_wrong_code_is_refused_and_the_login_stays_at_the_second_factor(
    page: Page, live_server: LiveServer
) -> None:
    user = live_server.create_user(enrolled=True)
    assert user.authenticator is not None
    submit_password(page, user)
    right = user.authenticator.code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    submit_second_factor(page, wrong)

    expect(page).to_have_url(SECOND_FACTOR_URL)
    expect(page.get_by_role("alert")).to_contain_text(
        "Der Code ist falsch oder wurde schon verwendet."
    )
    page.goto("/")
    expect(page).to_have_url(LOGIN_URL_FROM_START)


def test_first_login_enrols_the_second_factor_and_shows_recovery_codes(
    page: Page, live_server: LiveServer
) -> None:
    user = live_server.create_user(enrolled=False)
    codes = enrol(page, user)

    assert len(codes) == 10, codes
    assert len(set(codes)) == 10, codes
    assert all(RECOVERY_CODE.match(code) for code in codes), codes
    page.get_by_role("button", name="Ich habe die Codes gesichert – weiter").click()
    expect_start_page(page, user)

    # The codes shown are real: one of them replaces the app at the next login, once.
    log_out_and_check(page)
    submit_password(page, user)
    submit_second_factor(page, codes[3])
    expect_start_page(page, user)
    expect(page.get_by_role("status")).to_have_text(
        "Sie haben sich mit einem Wiederherstellungscode angemeldet. Übrig: 9."
    )


def test_enrolment_qr_code_is_drawn_whole(page: Page, live_server: LiveServer) -> None:
    """The QR code must fit its box: a code cut off at an edge does not scan."""
    submit_password(page, live_server.create_user(enrolled=False))
    expect(page).to_have_url(ENROL_URL)
    svg = page.locator(".qr svg")
    expect(svg).to_be_visible()
    box, drawing = svg.evaluate(
        """svg => {
            const style = getComputedStyle(svg);
            const outer = svg.getBoundingClientRect();
            const inset = side => parseFloat(style[`padding${side}`])
                + parseFloat(style[`border${side}Width`]);
            const box = {left: outer.left + inset("Left"), top: outer.top + inset("Top"),
                         right: outer.right - inset("Right"), bottom: outer.bottom - inset("Bottom")};
            const drawn = [...svg.querySelectorAll("path, rect")]
                .map(element => element.getBoundingClientRect());
            const drawing = {left: Math.min(...drawn.map(r => r.left)),
                             top: Math.min(...drawn.map(r => r.top)),
                             right: Math.max(...drawn.map(r => r.right)),
                             bottom: Math.max(...drawn.map(r => r.bottom))};
            return [box, drawing];
        }"""
    )
    tolerance = 0.5  # the modules are drawn as 1-unit strokes; their geometry may touch the edge
    assert drawing["left"] >= box["left"] - tolerance, (box, drawing)
    assert drawing["top"] >= box["top"] - tolerance, (box, drawing)
    assert drawing["right"] <= box["right"] + tolerance, (
        f"QR code cut off on the right by {drawing['right'] - box['right']:.0f} px",
        box,
        drawing,
    )
    assert drawing["bottom"] <= box["bottom"] + tolerance, (
        f"QR code cut off at the bottom by {drawing['bottom'] - box['bottom']:.0f} px",
        box,
        drawing,
    )


def test_login_works_without_javascript(no_script_page: Page, live_server: LiveServer) -> None:
    page = no_script_page
    user = live_server.create_user(enrolled=True)
    page.goto("/")
    expect(page).to_have_url(LOGIN_URL_FROM_START)

    log_in(page, user)
    log_out_and_check(page)


# --- accessibility --------------------------------------------------------------------


def at_login(page: Page, live_server: LiveServer) -> None:
    page.goto("/anmelden")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")


def at_failed_login(page: Page, live_server: LiveServer) -> None:
    user = live_server.create_user(enrolled=True)
    submit_password(page, user, password="falsches passwort leider nicht richtig")
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("#error-summary")).to_contain_text("Benutzername oder Passwort ist falsch.")


def at_second_factor(page: Page, live_server: LiveServer) -> None:
    submit_password(page, live_server.create_user(enrolled=True))
    expect(page).to_have_url(SECOND_FACTOR_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Zweiter Faktor")


def at_enrolment(page: Page, live_server: LiveServer) -> None:
    submit_password(page, live_server.create_user(enrolled=False))
    expect(page).to_have_url(ENROL_URL)
    expect(page.locator("code.secret")).to_have_text(SECRET_GROUPS)


def at_recovery_codes(page: Page, live_server: LiveServer) -> None:
    assert len(enrol(page, live_server.create_user(enrolled=False))) == 10


def at_start(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server.create_user(enrolled=True))


PAGES: dict[str, Callable[[Page, LiveServer], None]] = {
    "login page": at_login,
    "login page after a failed login": at_failed_login,
    "second-factor page": at_second_factor,
    "enrolment page": at_enrolment,
    "recovery codes page": at_recovery_codes,
    "start page": at_start,
}


#: WCAG 2.1 SC 1.4.10 (Reflow, AA): usable at 320 CSS pixels without scrolling sideways.
REFLOW_WIDTH = 320


@pytest.mark.parametrize("where", list(PAGES))
def test_no_serious_accessibility_violations(
    where: str, axe_page: Page, live_server: LiveServer, axe_source: str
) -> None:
    PAGES[where](axe_page, live_server)
    assert_accessible(axe_page, axe_source, where)


@pytest.mark.parametrize("where", list(PAGES))
def test_page_reflows_at_320_pixels(where: str, page: Page, live_server: LiveServer) -> None:
    """axe-core cannot check reflow; a document wider than the window scrolls sideways."""
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": 640})
    PAGES[where](page, live_server)
    too_wide = page.evaluate(
        """() => {
            const limit = document.documentElement.clientWidth;
            return [...document.body.querySelectorAll("*")]
                .filter(element => element.getBoundingClientRect().right > limit + 0.5
                    || element.scrollWidth > element.clientWidth + 1
                       && getComputedStyle(element).overflowX === "visible"
                       && element.clientWidth > 0)
                .map(element => {
                    const name = element.tagName.toLowerCase();
                    const classes = element.getAttribute("class");
                    const right = Math.round(element.getBoundingClientRect().right);
                    return `${classes ? `${name}.${classes}` : name} (right edge ${right} px,`
                        + ` content ${element.scrollWidth} px wide)`;
                });
        }"""
    )
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= REFLOW_WIDTH, (
        f"{where}: the document is {width} px wide at a {REFLOW_WIDTH} px window; "
        f"overflowing: {too_wide}"
    )
