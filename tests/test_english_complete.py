"""Every page in English: no German left on screen, and every page renders in German too.

tests/test_i18n.py proves that every *extracted* message has an English translation. What it
cannot see is German that never reaches the catalogue: text hard-coded in a template or in
Python without ``_()``, or a message formatted before it was translated. So this test logs in
as each role with English selected, seeds a centre with cases, a published release, a report,
a campaign and an activity (ASCII-only seed data, so nothing seeded can look German), follows
every same-origin link from the start page (bounded, downloads skipped), adds the error pages,
and scans the visible text and the text of labelling attributes for German: umlauts, ß and
frequent German function words as whole words. Then it fetches the same pages in German to
prove they render there (no 500).

The pages are the same on both database backends (the same templates and views over the same
rows), so the crawl runs on SQLite only: it is the slowest test of the module, and a second
backend would double its time without reaching a single other string.
"""

from __future__ import annotations

import re
import tomllib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, abort
from flask.testing import FlaskClient

from servicestelle import errors
from servicestelle.activities import operations as activity_operations
from servicestelle.auth.models import User
from servicestelle.campaigns import operations as campaign_operations
from servicestelle.centres import operations as centre_operations
from servicestelle.coordinator import operations as coordination
from servicestelle.dpo.processing_record import BUNDLED
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.reports import operations as report_operations
from servicestelle.roles import Role
from servicestelle.stats.periods import Period
from tests import conftest
from tests.conftest import https_client, login
from tests.support.cases import fill_case
from tests.support.releases import populate, publish
from tests.support.stats import AFTER_2026

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

#: Frequent German words that are not English words, matched whole and case-insensitively.
#: ("die", "an", "in", "was", "will", "also", "so" are English as well and left out.)
GERMAN_WORDS = frozenset(
    [
        "der",
        "das",
        "dem",
        "den",
        "des",
        "und",
        "nicht",
        "mit",
        "ist",
        "sind",
        "eine",
        "einer",
        "einen",
        "eines",
        "ein",
        "werden",
        "wird",
        "wurde",
        "wurden",
        "oder",
        "bitte",
        "sie",
        "ihre",
        "ihr",
        "ihrer",
        "auf",
        "aus",
        "bei",
        "zum",
        "zur",
        "vom",
        "von",
        "nach",
        "noch",
        "nur",
        "kein",
        "keine",
        "keinen",
        "können",
        "kann",
        "auch",
        "wenn",
        "diese",
        "dieser",
        "dieses",
        "alle",
        "sowie",
        "durch",
        "zu",
        "im",
        "ohne",
        "oder",
        "wie",
        "mehr",
        "hier",
        "bis",
        "seit",
        "sich",
        "uns",
        "wir",
        "noch",
        "neue",
        "neuen",
        "neu",
        "jetzt",
        "zurück",
        "weiter",
        "speichern",
        "löschen",
        "ändern",
        "anlegen",
        "abbrechen",
        "bearbeiten",
        "hinzufügen",
    ]
)
#: Letters English never uses.
GERMAN_LETTERS = re.compile("[äöüÄÖÜß]")
#: A share with a decimal comma ("12,5 %"): a number formatted for German, not the reader.
GERMAN_DECIMAL = re.compile(r"\d,\d+\s?%")
#: Words that stay German in the English interface by design, each with the reason.
ALLOWED_WORDS = {
    # The product's name (and every centre's "Servicestelle …" name) is a proper name.
    "servicestelle",
}
#: Attributes whose text a person reads or hears (screen readers announce them).
LABEL_ATTRIBUTES = ("aria-label", "aria-description", "title", "placeholder", "alt")

#: Bounds of the crawl: pages per role, and pages per URL shape (ids and query values
#: replaced), so that a list of many cases does not crawl each of them.
MAX_PAGES_PER_ROLE = 120
PAGES_PER_SHAPE = 1
#: Downloads (files, not pages) and what is no page at all.
SKIPPED = re.compile(
    r"\.(pdf|csv|zip|ics|json|pem)$"  # downloads
    r"|^/api/|^/static/"  # JSON and assets
    r"|^/sprache"  # the language switch would change the language under test
    r"|/dokumente/\d+$"  # a case document (a download)
)
#: A route that fails, to see the 500 page as a browser sees it.
BROKEN_URL = "/test-kaputt"
ABORT_URL = "/test-fehler/"

SEED_TEXT = "Seed text for the language check"
#: A figure of the release tests.support.releases.populate makes (30 cases: published).
FIGURE = "opened|grounds=geschlecht|life_areas=arbeit"


@dataclass
class Finding:
    url: str
    text: str
    reason: str


@dataclass
class Crawl:
    visited: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


# --- reading a page ---------------------------------------------------------------------

VOID_ELEMENTS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)


class VisibleText(HTMLParser):
    """The text a person sees or hears, without script and style, and without anything
    marked as another language (lang="de" on a German proper name is deliberate)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, hidden from the check)

    def _hidden(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        lang = values.get("lang")
        hidden = (
            self._hidden()
            or tag in ("script", "style")
            # Commands, file and column names are identifiers, the same in every language.
            or tag in ("code", "kbd", "samp")
            or (lang is not None and not lang.startswith("en"))
        )
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if not hidden:
            self.texts.extend(values[name] for name in LABEL_ATTRIBUTES if values.get(name))
            if tag == "input" and values.get("type") in ("submit", "button", "reset"):
                self.texts.append(values.get("value", ""))
        if tag not in VOID_ELEMENTS:
            self._stack.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden() and data.strip():
            self.texts.append(data)


def german_in(text: str) -> str | None:
    """Why ``text`` looks German, or None."""
    if GERMAN_DECIMAL.search(text):
        return "decimal comma"
    for word in re.findall(r"[^\W\d_]+", text):
        lower = word.lower()
        if lower in ALLOWED_WORDS:
            continue
        if GERMAN_LETTERS.search(word):
            return f"letter in {word!r}"
        if lower in GERMAN_WORDS:
            return f"word {word!r}"
    return None


def operator_texts() -> frozenset[str]:
    """The texts of the bundled Art. 30 record of processing activities.

    The record is the centre's own document (SERVICESTELLE_PROCESSING_RECORD_FILE), written
    in the centre's language; the bundled one is a German template to fill in. Its texts are
    content, not interface, like the seeded data.
    """

    def strings(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield " ".join(value.split())
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    return frozenset(strings(tomllib.loads(BUNDLED.read_text(encoding="utf-8"))))


OPERATOR_TEXTS = operator_texts()


def scan(url: str, html: str, crawl: Crawl) -> list[str]:
    """Record the German on a page; returns its links."""
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    for text in parser.texts:
        if " ".join(text.split()) in OPERATOR_TEXTS:
            continue
        reason = german_in(text)
        if reason:
            crawl.findings.append(Finding(url, " ".join(text.split())[:160], reason))
    return parser.links


# --- crawling ---------------------------------------------------------------------------


def shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def same_origin_path(href: str) -> str | None:
    """The path (with query) of a link on this site, or None."""
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or (parts.netloc not in ("", "localhost")):
        return None
    if not parts.path.startswith("/"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if SKIPPED.search(parts.path) or path.startswith("/sprache") else path


def crawl_from(client: FlaskClient, starts: list[str], crawl: Crawl, who: str) -> list[str]:
    """Breadth-first over same-origin links; returns the pages seen (HTML, status < 400)."""
    queue = deque(starts)
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    pages: list[str] = []
    while queue and len(pages) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        key = shape(url)
        if shapes.get(key, 0) >= PAGES_PER_SHAPE:
            continue
        shapes[key] = shapes.get(key, 0) + 1
        response = client.get(url)
        if response.status_code >= 500:
            crawl.failures.append(f"{who}: GET {url} -> {response.status_code}")
            continue
        if response.status_code in (301, 302, 303):
            target = same_origin_path(response.headers["Location"])
            if target:
                queue.append(target)
            continue
        if response.mimetype != "text/html":
            continue
        pages.append(url)
        crawl.visited.append(f"{who} {url}")
        for href in scan(url, response.get_data(as_text=True), crawl):
            target = same_origin_path(href)
            if target and target not in seen:
                queue.append(target)
    return pages


def choose_language(client: FlaskClient, code: str) -> None:
    response = client.get(f"/sprache?lang={code}&next=/anmelden")
    assert response.status_code == 302


def error_pages(client: FlaskClient) -> Iterator[tuple[str, int]]:
    """(url, expected status) of the error pages a browser can meet."""
    yield "/gibt-es-nicht", 404
    yield "/abmelden", 405  # POST only
    yield BROKEN_URL, 500
    for status in errors.MESSAGES:
        yield f"{ABORT_URL}{status}", status


def assert_english(crawl: Crawl) -> None:
    """No finding; else one line per text: the first page it is on, and how many more."""
    pages_of: dict[tuple[str, str], set[str]] = {}
    for finding in crawl.findings:
        pages_of.setdefault((finding.text, finding.reason), set()).add(finding.url)
    assert not pages_of, "German on English pages (wrap in _() and translate):\n" + "\n".join(
        f"- {min(urls)} (+{len(urls) - 1} pages): {text!r} ({reason})"
        for (text, reason), urls in sorted(pages_of.items())
    )


# --- the instance under test ------------------------------------------------------------


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path, backend):  # type: ignore[no-untyped-def]
    """A centre, or with ``indirect`` parametrisation "coordinator" the statewide instance."""
    return conftest.make_settings(tmp_path, backend.url, mode=getattr(request, "param", "centre"))


@pytest.fixture
def clock() -> conftest.FrozenClock:
    """After 2026, so that the year 2026 can be released."""
    return conftest.FrozenClock(AFTER_2026)


@dataclass
class Instance:
    users: dict[str, conftest.TestUser]


def _add_failing_routes(app: Flask) -> None:
    @require(Permission.DASHBOARD_VIEW)
    def broken() -> str:
        raise RuntimeError("broken on purpose")

    @require(Permission.DASHBOARD_VIEW)
    def aborting(status: int) -> str:
        abort(status)

    app.add_url_rule(BROKEN_URL, "test_broken", broken)
    app.add_url_rule(f"{ABORT_URL}<int:status>", "test_aborting", aborting)
    # The test app re-raises errors for pytest; here the 500 page itself is under test.
    app.config["PROPAGATE_EXCEPTIONS"] = False


def _seed(app: Flask, make_user) -> Instance:  # type: ignore[no-untyped-def]
    """ASCII-only content of every kind a page shows, through the real operations."""
    users = {
        "counsellor": make_user(Role.COUNSELLOR, username="counsellor"),
        "colleague": make_user(Role.COUNSELLOR, username="colleague"),
        "supervisor": make_user(Role.SUPERVISOR, username="supervisor"),
        "approver": make_user(Role.SUPERVISOR, username="approver"),
        "dpo": make_user(Role.DPO, username="dpo"),
        "admin": make_user(Role.ADMIN, username="admin"),
    }
    fill_case(app, users["counsellor"].id, users["colleague"].id)
    with app.app_context():
        boss = db.session.get(User, users["supervisor"].id)
        assert boss is not None
        centre_id = boss.centre_id
        centre_operations.add_district(boss, "north", "North Side")
    populate(app, centre_id)
    release_id = publish(app, users["supervisor"].id, users["approver"].id, "2026")
    with app.app_context():
        boss = db.session.get(User, users["supervisor"].id)
        assert boss is not None
        report = report_operations.create_report(boss, "Annual report", Period.parse("2026"))
        report_operations.add_demand(boss, report, "A demand", SEED_TEXT)
        campaign_operations.create_campaign(
            boss,
            campaign_operations.CampaignInput(
                title="Fair housing",
                goal=SEED_TEXT,
                status="geplant",
                starts_on=date(2027, 1, 10),
                ends_on=date(2027, 3, 31),
                districts=["north"],
            ),
            evidence=(release_id, FIGURE),
            indicator="senken",
        )
        activity_operations.record_activity(
            boss,
            activity_operations.ActivityData(
                title="Workshop on housing",
                starts_on=date(2026, 11, 5),
                ends_on=None,
                type="workshop",
                eckpunkt="antidiskriminierungsarbeit",
                task="bildungsarbeit",
                district_code="north",
                participants=12,
                partners="Tenants union",
                description=SEED_TEXT,
            ),
            {"north"},
        )
    return Instance(users)


# --- the test ---------------------------------------------------------------------------


@sqlite_only
def test_every_page_is_english_and_renders_in_german(app, make_user, clock):
    _add_failing_routes(app)
    instance = _seed(app, make_user)
    crawl = Crawl()
    by_role: list[tuple[str, FlaskClient, list[str]]] = []

    anonymous = https_client(app)
    choose_language(anonymous, "en")
    pages = crawl_from(anonymous, ["/anmelden", "/barrierefreiheit"], crawl, "anonymous")
    by_role.append(("anonymous", anonymous, pages))
    for name in ("counsellor", "supervisor", "dpo", "admin"):
        client = https_client(app)
        choose_language(client, "en")
        login(client, instance.users[name], clock)
        pages = crawl_from(client, ["/"], crawl, name)
        by_role.append((name, client, pages))

    # Error pages, logged in as a counsellor (403: the user administration).
    client = by_role[1][1]
    for url, status in [*error_pages(client), ("/verwaltung/benutzer", 403)]:
        response = client.get(url)
        assert response.status_code == status, url
        scan(url, response.get_data(as_text=True), crawl)
        by_role[1][2].append(url)

    # The same pages in German: they render (the German text itself is the source).
    for name, client, pages in by_role:
        choose_language(client, "de")
        for url in pages:
            status = client.get(url).status_code
            if status >= 500 and not url.startswith((BROKEN_URL, ABORT_URL)):
                crawl.failures.append(f"{name} (de): GET {url} -> {status}")

    assert not crawl.failures, "\n".join(crawl.failures)
    assert len(crawl.visited) >= 40, crawl.visited  # the crawl reached the application
    assert_english(crawl)


@sqlite_only
@pytest.mark.parametrize("settings", ["coordinator"], indirect=True)
def test_every_coordinator_page_is_english(app, make_user, clock):
    """The statewide coordinator has pages of its own (and no case module)."""
    users = {
        "supervisor": make_user(Role.SUPERVISOR, username="coordination"),
        "dpo": make_user(Role.DPO, username="dpo"),
        "admin": make_user(Role.ADMIN, username="admin"),
    }
    with app.app_context():
        coordination.register_centre(
            None,
            code="NORTH-1",
            name="Centre North",
            region_code="north",
            region_name="North Region",
            public_key=Ed25519PrivateKey.generate().public_key().public_bytes_raw(),
        )
    crawl = Crawl()
    for name, user in users.items():
        client = https_client(app)
        choose_language(client, "en")
        login(client, user, clock)
        pages = crawl_from(client, ["/"], crawl, name)
        choose_language(client, "de")
        for url in pages:
            status = client.get(url).status_code
            if status >= 500:
                crawl.failures.append(f"{name} (de): GET {url} -> {status}")
    assert not crawl.failures, "\n".join(crawl.failures)
    assert any(" /koordination" in page for page in crawl.visited), crawl.visited
    assert_english(crawl)


def test_the_scanner_finds_german_and_ignores_marked_names():
    crawl = Crawl()
    scan(
        "/x",
        '<p>Open the case</p><p lang="de">Ombudsstelle für barrierefreie IT</p>'
        '<button aria-label="Fall öffnen">Open</button><p>Bitte warten</p>'
        "<script>var x = 'für'</script><input type=submit value='Speichern und weiter'>"
        "<p>Servicestelle Test</p><p>Die Frist</p><p>Share: 12.5 %</p><td>27,3\u00a0%</td>"
        "<code>einwohner_18_bis_64</code>",
        crawl,
    )
    assert [(f.text, f.reason) for f in crawl.findings] == [
        ("Fall öffnen", "letter in 'öffnen'"),
        ("Bitte warten", "word 'Bitte'"),
        ("Speichern und weiter", "word 'Speichern'"),
        ("27,3 %", "decimal comma"),
    ]
    # "Die" is English too (the test does not flag it), "der" is not.
    assert german_in("Die Frist") is None
    assert german_in("Name der Stelle") == "word 'der'"


@sqlite_only
def test_stored_figure_labels_follow_the_reader(app):
    """Campaign evidence keeps the German label it was linked with; pages in English show
    the catalogue's English terms for it, and what the catalogue does not know as stored."""
    from servicestelle.stats.content import localised_label

    stored = "Diskriminierungsmerkmal nach Lebensbereich: Geschlecht / Arbeit"
    unknown = "Eine alte Tabelle: Geschlecht"
    with app.test_request_context(headers={"Cookie": "__Host-lang=en"}):
        english = localised_label(stored)
        assert localised_label(unknown) == unknown
    with app.test_request_context():
        assert localised_label(stored) == stored
    assert english != stored
    assert german_in(english) is None, english
