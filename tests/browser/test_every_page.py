"""Every page of the application through axe-core (WCAG 2.1 A/AA, BITV 2.0): each role logs in
once and crawls from the start page along every same-origin link, on a centre seeded so that
the pages behind forms exist too (a case, releases, a report, a campaign, an activity, a
package); the login steps, the coordinator's pages and the error pages in German and English
are checked as well. A last test compares what was reached with ``app.url_map``, so that a new
page cannot escape the check: an endpoint is either reached or listed below with a reason.

The crawl also finds dead ends: every link followed must answer 200 without leaving the
session. GET requests change nothing in this app (views only read, and record reads and
exports in the audit log); the one GET that sets anything, ``/sprache`` (a cookie), is not
followed by the crawl but used by the error-page test.
"""

from __future__ import annotations

import shutil
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from servicestelle import create_app
from servicestelle.auth import operations as account_operations
from servicestelle.auth.models import User
from servicestelle.cases import access as case_access
from servicestelle.cases import parts
from servicestelle.centres import profile_operations
from servicestelle.coordinator import keys
from servicestelle.coordinator import operations as coordination
from servicestelle.extensions import db
from servicestelle.reports import operations as report_operations
from servicestelle.reports.models import Report
from servicestelle.roles import Role
from servicestelle.stats import operations as stats_operations
from servicestelle.stats import packages, signing
from servicestelle.stats.periods import Period
from tests.browser.authenticator import Authenticator
from tests.browser.axe import BLOCKING_IMPACTS, describe, run_axe
from tests.browser.conftest import _new_context
from tests.browser.live_server import BrowserUser, LiveServer, demo_settings
from tests.browser.test_activity_pages import PROFILE_CSV, seed_activity, seed_register
from tests.browser.test_campaign_pages import publish_2024, seed_campaign
from tests.browser.test_case_pages import seed_case, user_id
from tests.browser.test_login_flow import enrol, log_in, submit_password
from tests.browser.test_stats_pages import draft_directly, first_quarter, seed_store
from tests.conftest import DEFAULT_PASSWORD
from tests.support.cases import acting_as

pytestmark = [pytest.mark.browser]

ROLES = ("counsellor", "supervisor", "dpo", "admin", "coordinator")
#: A crawl that needs more pages than this explodes (a link that makes endless new URLs).
MAX_PAGES = 120
#: URLs of one endpoint checked (other ids, query strings: pagination, filters, months).
MAX_URLS_PER_ENDPOINT = 2
#: Tall enough that (nearly) every page fits: axe-core decides contrast only for what is in the
#: viewport, and leaves the rest "incomplete" ("partially obscured").
VIEWPORT = {"width": 1280, "height": 3000}
#: Links to files, not pages: they are downloaded, not rendered.
FILE_SUFFIXES = (".pdf", ".csv", ".zip", ".ics", ".json", ".pem")
#: Path prefixes the crawl does not follow: JSON for programs, files, the language cookie.
NOT_FOLLOWED_PREFIXES = ("/api/", "/static/", "/sprache")

#: GET endpoints that are not pages, each with the reason (checked to exist, so that a
#: renamed endpoint does not leave a stale excuse behind).
NOT_PAGES: dict[str, str] = {
    "static": "style sheet and other static files",
    "health.healthz": "health check for monitoring, plain text",
    "i18n.set_language": "redirect that sets the language cookie (used by the error pages test)",
    "activities.annual_report_activities_csv": "file download (CSV)",
    "activities.annual_report_summary_csv": "file download (CSV)",
    "activities.annual_report_pdf": "file download (PDF)",
    "campaigns.calendar_export": "file download (iCalendar)",
    "cases.download_document": "file download (a case's document)",
    "centres.profile_template": "file download (CSV template)",
    "dpo.download_checkpoint": "file download (signed checkpoint, JSON)",
    "dpo.download_public_key": "file download (PEM key)",
    "reports.export_pdf": "file download (PDF)",
    "reports.export_table": "file download (CSV)",
    "reports.export_zip": "file download (ZIP)",
    "stats.export_dezim": "file download (CSV)",
    "stats.export_json": "file download (signed JSON)",
    "stats.export_table": "file download (CSV)",
    "stats.export_zip": "file download (ZIP)",
    "stats.package_export": "file download (encrypted package, JSON)",
}
#: Blueprints that answer JSON to programs with bearer tokens, not pages for people.
NOT_PAGE_BLUEPRINTS = ("api.",)


# --- the instances and their people ---------------------------------------------------------


def make_user(
    server: LiveServer,
    username: str,
    role: Role,
    *,
    enrolled: bool = True,
    must_change_password: bool = False,
) -> BrowserUser:
    from servicestelle.auth.operations import create_user
    from servicestelle.centres.models import Centre

    with server.app.app_context():
        centre = db.session.get_one(Centre, server._centre_id)
        created = create_user(
            centre=centre,
            username=username,
            display_name=username.title(),
            password=DEFAULT_PASSWORD,
            roles=(role,),
            with_second_factor=enrolled,
            must_change_password=must_change_password,
        )
    authenticator = Authenticator(created.seed) if created.seed is not None else None
    return BrowserUser(username, username.title(), DEFAULT_PASSWORD, authenticator)


def serve(tmp_path: Path, template: Path, **changes: object) -> LiveServer:
    database = tmp_path / "every-page.sqlite3"
    shutil.copyfile(template, database)
    settings = demo_settings(tmp_path, f"sqlite:///{database}")
    app = create_app(settings.with_changes(**changes) if changes else settings)
    server = LiveServer(app)
    server.start()
    return server


def as_user(server: LiveServer, username: str) -> User:
    return db.session.get_one(User, user_id(server, username))


@dataclass
class Visit:
    url: str
    endpoint: str
    blocking: list[dict[str, object]]
    below: list[dict[str, object]]
    #: Serious or critical checks axe could not decide ("incomplete"): for a person to look.
    review: list[dict[str, object]]


@dataclass
class Crawl:
    visits: list[Visit] = field(default_factory=list)
    #: Links that did not answer a page: "<url> (linked from <page>): <what happened>".
    dead_ends: list[str] = field(default_factory=list)

    @property
    def endpoints(self) -> set[str]:
        return {visit.endpoint for visit in self.visits}


def endpoint_of(app: Flask, url: str) -> str | None:
    """The endpoint a GET of ``url``'s path reaches (None: no such route)."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _arguments = adapter.match(urlsplit(url).path, method="GET")
    except RequestRedirect as redirect:
        return endpoint_of(app, redirect.new_url)
    except HTTPException:
        return None
    return str(endpoint)


def without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def is_followed(server: LiveServer, url: str) -> bool:
    if not url.startswith(f"{server.url}/"):
        return False  # another origin, mailto:, javascript:
    path = urlsplit(url).path
    return not path.endswith(FILE_SUFFIXES) and not path.startswith(NOT_FOLLOWED_PREFIXES)


LINKS = """() => [...document.querySelectorAll("a[href]")]
    .filter(link => !link.hasAttribute("download"))
    .map(link => link.href)"""


def check_page(page: Page, axe_source: str, app: Flask, crawl: Crawl) -> None:
    """axe-core on the page as it is now, recorded under its endpoint."""
    results = run_axe(page, axe_source)
    assert results["passes"], f"axe checked nothing on {page.url}: is the page empty?"
    violations = results["violations"]
    crawl.visits.append(
        Visit(
            page.url,
            endpoint_of(app, page.url) or "?",
            [v for v in violations if v["impact"] in BLOCKING_IMPACTS],
            [v for v in violations if v["impact"] not in BLOCKING_IMPACTS],
            [v for v in results["incomplete"] if v["impact"] in BLOCKING_IMPACTS],
        )
    )


def crawl_from(page: Page, axe_source: str, server: LiveServer, starts: list[str]) -> Crawl:
    """Breadth first from ``starts`` along every followed link, each page checked once."""
    crawl = Crawl()
    queue: deque[tuple[str, str]] = deque((f"{server.url}{start}", "(start)") for start in starts)
    seen: set[str] = set()
    per_endpoint: Counter[str] = Counter()
    while queue:
        url, source = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        endpoint = endpoint_of(server.app, url)
        if endpoint is None:
            crawl.dead_ends.append(f"{url} (linked from {source}): no such route")
            continue
        if per_endpoint[endpoint] >= MAX_URLS_PER_ENDPOINT:
            continue
        per_endpoint[endpoint] += 1
        assert len(crawl.visits) < MAX_PAGES, (
            f"more than {MAX_PAGES} pages: does a link make endless new URLs? "
            f"{Counter(visit.endpoint for visit in crawl.visits).most_common(5)}"
        )
        response = page.goto(url)
        status = response.status if response is not None else None
        if status != 200:
            crawl.dead_ends.append(f"{url} (linked from {source}): status {status}")
            continue
        if endpoint_of(server.app, page.url) == "auth.login":
            crawl.dead_ends.append(f"{url} (linked from {source}): the session ended")
            break
        check_page(page, axe_source, server.app, crawl)
        for link in page.evaluate(LINKS):
            target = without_fragment(link)
            if is_followed(server, target) and target not in seen:
                queue.append((target, url))
    return crawl


# --- the seeded site ----------------------------------------------------------------------


@dataclass
class Site:
    centre: LiveServer
    coordinator: LiveServer
    users: dict[str, BrowserUser]
    starts: dict[str, list[str]]
    browser: Browser
    axe_source: str
    newcomer: BrowserUser
    crawls: dict[str, Crawl] = field(default_factory=dict)

    def server(self, role: str) -> LiveServer:
        return self.coordinator if role == "coordinator" else self.centre

    def crawl(self, role: str) -> Crawl:
        """The role's crawl, done once per module."""
        if role not in self.crawls:
            server = self.server(role)
            context = _new_context(self.browser, server, bypass_csp=True)
            try:
                page = context.new_page()
                page.set_viewport_size(VIEWPORT)
                log_in(page, self.users[role])
                self.crawls[role] = crawl_from(page, self.axe_source, server, self.starts[role])
            finally:
                context.close()
        return self.crawls[role]


def seed_centre(centre: LiveServer) -> tuple[BrowserUser, dict[str, list[str]]]:
    """Everything the centre's pages show, written through the operations; the case's
    counsellor, and the URLs that only a form leads to, per role."""
    counsellor = centre.create_user(enrolled=True)
    make_user(centre, "leitung", Role.SUPERVISOR)
    make_user(centre, "zweite.leitung", Role.SUPERVISOR)
    case_id = seed_case(centre, counsellor)
    with acting_as(centre.app, user_id(centre, counsellor.username)) as user:
        # The client's consent to a vignette: the case page offers to propose one.
        access = case_access.load(case_id, user, content=True)
        parts.record_consent(access, "fallvignette", date.today(), "schriftlich")
    seed_register(centre)
    activity_id = seed_activity(centre)
    published = publish_2024(centre)
    seed_campaign(centre, published)
    seed_store(centre)
    quarter = first_quarter(centre)
    draft = draft_directly(centre, "leitung", quarter)
    year = date.today().year - 1
    with centre.app.app_context():
        lead, other = as_user(centre, "leitung"), as_user(centre, "zweite.leitung")
        profile_operations.import_profile(lead, year, PROFILE_CSV.encode())
        report = report_operations.create_report(other, "Bericht 2024", Period.parse("2024"))
        report_operations.add_demand(other, report, "Ein Landesantidiskriminierungsgesetz", "")
        report_operations.propose_vignette(
            other, db.session.get_one(Report, report.id), "Eine Ratsuchende wurde abgewiesen."
        )
        db.session.commit()
        package = packages.draft_package(lead, Period.parse("2024"))
        stats_operations.approve_release(as_user(centre, "zweite.leitung"), package)
    assert activity_id and draft
    return counsellor, {
        "counsellor": ["/", "/faelle/notfallzugriff", "/bestaetigen?next=/konto/"],
        "supervisor": ["/", f"/faelle/{case_id}", "/statistik/neu", "/statistik/pakete"],
        "dpo": [
            "/",
            "/datenschutz/protokoll?aktion=case:content:read",
            f"/datenschutz/zugriffe?typ=case&id={case_id}",
            f"/datenschutz/zugriffe/art15?typ=case&id={case_id}",
        ],
        "admin": ["/", "/verwaltung/benutzer/neu", "/konto/zweiter-faktor"],
    }


def connect(centre: LiveServer, coordinator: LiveServer) -> None:
    """The centre registered at the coordinator, and its published package imported there."""
    with centre.app.app_context():
        public = signing.public_key("BROWSER")
        package = packages.packages_of(centre._centre_id)[0]
        data = packages.export_package(None, package)
    with coordinator.app.app_context():
        coordination.register_centre(
            None,
            code="BROWSER",
            name="Servicestelle Browsertest",
            region_code="owl",
            region_name="Ostwestfalen-Lippe",
            public_key=public,
        )
        coordination.import_package(None, data)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    browser: Browser,
    axe_source: str,
) -> Iterator[Site]:
    coordinator = serve(tmp_path_factory.mktemp("coordinator"), sqlite_template, mode="coordinator")
    with coordinator.app.app_context():
        key = keys.public_key()
    centre = serve(tmp_path_factory.mktemp("centre"), sqlite_template, coordinator_public_key=key)
    try:
        counsellor, starts = seed_centre(centre)
        connect(centre, coordinator)
        users = {
            "counsellor": counsellor,
            # Not the drafter of the waiting draft: the approval form is shown too.
            "supervisor": make_user(centre, "dritte.leitung", Role.SUPERVISOR),
            "dpo": make_user(centre, "dsb", Role.DPO),
            "admin": make_user(centre, "it", Role.ADMIN),
            "coordinator": make_user(coordinator, "koordination", Role.SUPERVISOR),
        }
        with centre.app.app_context():
            # A move of the second factor to a new device, begun: its confirmation page.
            account_operations.start_enrolment(as_user(centre, "it"))
        yield Site(
            centre=centre,
            coordinator=coordinator,
            users=users,
            starts={**starts, "coordinator": ["/"]},
            browser=browser,
            axe_source=axe_source,
            newcomer=make_user(
                centre, "neu", Role.COUNSELLOR, enrolled=False, must_change_password=True
            ),
        )
    finally:
        for server in (centre, coordinator):
            server.stop()
            with server.app.app_context():
                db.engine.dispose()


# --- the pages outside a role's crawl ---------------------------------------------------------


def check_login_steps(site: Site) -> Crawl:
    """The login page, the second factor, and a newcomer's first login: enrolment, recovery
    codes, the page to come back to them, and the own password instead of the admin's."""
    crawl = Crawl()
    app = site.centre.app
    context = _new_context(site.browser, site.centre, bypass_csp=True)
    try:
        page = context.new_page()
        submit_password(page, site.users["dpo"], password="falsch, leider nicht richtig")
        expect(page.locator("#error-summary")).to_be_visible()
        check_page(page, site.axe_source, app, crawl)
        submit_password(page, site.users["dpo"])
        expect(page.get_by_role("heading", level=1)).to_have_text("Zweiter Faktor")
        check_page(page, site.axe_source, app, crawl)
        context.clear_cookies()

        submit_password(page, site.newcomer)
        expect(page.get_by_role("heading", level=1)).to_have_text("Zweiten Faktor einrichten")
        check_page(page, site.axe_source, app, crawl)
        context.clear_cookies()
        codes = enrol(page, site.newcomer)
        assert len(codes) == 10
        check_page(page, site.axe_source, app, crawl)
        page.goto("/anmelden/einrichten/weiter")
        expect(page.get_by_role("button", name="Weiter")).to_be_visible()
        check_page(page, site.axe_source, app, crawl)
        page.get_by_role("button", name="Weiter").click()
        expect(page).to_have_url(f"{site.centre.url}/anmelden/passwort-aendern")
        check_page(page, site.axe_source, app, crawl)
    finally:
        context.close()
    return crawl


ERRORS = {
    # (path, German message, English message) for a counsellor
    404: ("/gibt-es-nicht", "Diese Seite gibt es nicht.", "This page does not exist."),
    403: (
        "/verwaltung/benutzer",
        "Dafür fehlt Ihnen die Berechtigung.",
        "You do not have permission to do this.",
    ),
}


def check_error_pages(site: Site) -> Crawl:
    """404 and 403 in German, then (by the footer's language link) in English."""
    crawl = Crawl()
    context = _new_context(site.browser, site.centre, bypass_csp=True)
    try:
        page = context.new_page()
        log_in(page, make_user(site.centre, "gast", Role.COUNSELLOR))
        for language, heading, column in (("de", "Fehler", 1), ("en", "Error", 2)):
            for status, texts in ERRORS.items():
                response = page.goto(texts[0])
                assert response is not None and response.status == status, texts[0]
                expect(page.locator("html")).to_have_attribute("lang", language)
                expect(page.get_by_role("heading", level=1)).to_have_text(f"{heading} {status}")
                expect(page.get_by_text(texts[column], exact=True)).to_be_visible()
                check_page(page, site.axe_source, site.centre.app, crawl)
            if language == "de":
                language_links = page.get_by_role("navigation", name="Sprache")
                language_links.get_by_role("link", name="English").click()
                expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()
    return crawl


def once(site: Site, name: str, check: Callable[[Site], Crawl]) -> Crawl:
    """The pages of ``check``, checked once per module."""
    if name not in site.crawls:
        site.crawls[name] = check(site)
    return site.crawls[name]


def failures(crawl: Crawl) -> str:
    return "\n\n".join(
        f"{visit.url} ({visit.endpoint}):\n{describe(visit.blocking)}"
        for visit in crawl.visits
        if visit.blocking
    )


def report(name: str, crawl: Crawl) -> None:
    below = sum(len(visit.below) for visit in crawl.visits)
    review = sum(len(visit.review) for visit in crawl.visits)
    print(
        f"\n{name}: {len(crawl.visits)} pages, {len(crawl.endpoints)} endpoints, "
        f"{below} findings below 'serious', {review} to review by hand"
    )
    for visit in crawl.visits:
        if visit.below:
            print(f"  {visit.url}, below 'serious':\n{describe(visit.below)}")
        if visit.review:
            print(f"  {visit.url}, to review by hand:\n{describe(visit.review)}")


# --- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_has_no_serious_violations(role: str, site: Site) -> None:
    crawl = site.crawl(role)
    report(role, crawl)
    assert crawl.visits, f"the {role}'s crawl checked nothing"
    assert not crawl.dead_ends, "links that lead nowhere:\n" + "\n".join(crawl.dead_ends)
    assert not failures(crawl), (
        f"serious or critical WCAG 2.1 A/AA violations on the {role}'s pages:\n" + failures(crawl)
    )


def test_the_login_steps_have_no_serious_violations(site: Site) -> None:
    crawl = once(site, "login", check_login_steps)
    report("login", crawl)
    assert not failures(crawl), failures(crawl)


def test_the_error_pages_in_german_and_english_have_no_serious_violations(site: Site) -> None:
    crawl = once(site, "errors", check_error_pages)
    report("errors", crawl)
    assert len(crawl.visits) == 2 * len(ERRORS)
    assert not failures(crawl), failures(crawl)


def page_endpoints(app: Flask) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.endpoint.startswith(NOT_PAGE_BLUEPRINTS)
    }


def test_the_checks_reach_every_page_of_the_app(site: Site) -> None:
    """Every GET endpoint of both modes is reached by a crawl or listed in NOT_PAGES."""
    reached: set[str] = set()
    for role in ROLES:
        reached |= site.crawl(role).endpoints
    reached |= once(site, "login", check_login_steps).endpoints
    reached |= once(site, "errors", check_error_pages).endpoints
    centre = page_endpoints(site.centre.app)
    coordinator = page_endpoints(site.coordinator.app)
    stale = sorted(set(NOT_PAGES) - centre - coordinator)
    assert not stale, f"NOT_PAGES names endpoints that do not exist: {stale}"
    missing = sorted((centre | coordinator) - set(NOT_PAGES) - reached)
    assert not missing, (
        f"pages no check reaches: {missing}; link them, seed what they show, or list them "
        "in NOT_PAGES with the reason"
    )
    assert not set(NOT_PAGES) & reached, "a page listed in NOT_PAGES is checked after all"
