"""Fixtures for the browser tests: Chromium, axe-core and the app served over HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from servicestelle import create_app
from tests.browser.live_server import LiveServer, demo_settings
from tests.support.components import missing

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Playwright's default is 30 s; a local page that needs more than this is a failure.
TIMEOUT_MS = 10_000


def chromium_executable() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.is_file() else None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium; Playwright's own browser download is not used."""
    executable = chromium_executable()
    if executable is None:
        missing(
            "Chromium", "no `chromium` on PATH nor /usr/bin/chromium (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        missing("axe-core", f"{AXE_SCRIPT} not found (run `npm ci` in {REPO_ROOT})")
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest.fixture
def live_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """A fresh migrated SQLite database, the app on the system clock, served by waitress."""
    database = tmp_path / "browser.sqlite3"
    shutil.copyfile(sqlite_template, database)
    app = create_app(demo_settings(tmp_path, f"sqlite:///{database}"))
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
    from servicestelle.extensions import db

    with app.app_context():
        db.engine.dispose()


def _new_context(
    browser: Browser,
    live_server: LiveServer,
    *,
    bypass_csp: bool = False,
    java_script_enabled: bool = True,
) -> BrowserContext:
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        bypass_csp=bypass_csp,
        java_script_enabled=java_script_enabled,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh browser profile (no cookies) with JavaScript on."""
    context = _new_context(browser, live_server)
    yield context.new_page()
    context.close()


@pytest.fixture
def axe_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """Like ``page``, but the app's CSP is bypassed so that axe-core can be injected."""
    context = _new_context(browser, live_server, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def no_script_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A browser profile with JavaScript switched off."""
    context = _new_context(browser, live_server, java_script_enabled=False)
    yield context.new_page()
    context.close()
