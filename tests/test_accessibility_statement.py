"""The accessibility statement (§ 7 BITV 2.0): public, in both languages, names the configured
contact and the enforcement body, and every page links to it.

The page reads no data, so the tests run on SQLite only (routes and templates are the same).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from servicestelle.accessibility.views import ENFORCEMENT_BODIES, contact_lines
from servicestelle.config import (
    MAX_ACCESSIBILITY_CONTACT_CHARS,
    OWASP_FLOOR,
    ConfigError,
    Settings,
)
from servicestelle.roles import Role
from tests.conftest import make_settings
from tests.support.cli import write_secret_file

#: The statement reads no data: one backend is enough.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

URL = "/barrierefreiheit"
CONTACT = (
    "Servicestelle Test\nMusterweg 1, 44135 Dortmund\nTel. 0231 000000\nbarrierefrei@example.org"
)
GOOD_KEY = "3f9c1e7a5b2d4f6081a3c5e7f9b1d3e5a7c9e1f3b5d7f9a1c3e5a7b9d1f3e5a7"


@pytest.fixture
def settings(tmp_path: Path, backend) -> Settings:  # type: ignore[no-untyped-def]
    return make_settings(tmp_path, backend.url, accessibility_contact=CONTACT)


def _statement_links(page: str) -> list[str]:
    return re.findall(r'<a href="/barrierefreiheit"[^>]*>([^<]*)</a>', page)


@sqlite_only
def test_reachable_without_login_in_german(client):
    response = client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="de">' in page
    assert re.findall(r"<h1[ >]", page) == ["<h1>"]
    assert "<h1>Erklärung zur Barrierefreiheit</h1>" in page
    assert "teilweise" in page
    # No session was needed, and the page does not send you to the login.
    assert "Set-Cookie" not in response.headers


@sqlite_only
def test_reachable_without_login_in_english(client):
    client.get(f"/sprache?lang=en&next={URL}")
    page = client.get(URL).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert len(re.findall(r"<h1[ >]", page)) == 1
    assert "<h1>Accessibility statement</h1>" in page
    # German names of public bodies stay German, marked as such for screen readers.
    nrw = ENFORCEMENT_BODIES["nrw"].name
    assert f'<strong lang="de">{nrw}</strong>' in page


@sqlite_only
def test_names_the_configured_contact_with_a_mail_link(client):
    page = client.get(URL).get_data(as_text=True)
    assert "Musterweg 1, 44135 Dortmund<br>" in page
    assert "Tel. 0231 000000" in page
    assert '<a href="mailto:barrierefrei@example.org">barrierefrei@example.org</a>' in page
    assert "SERVICESTELLE_ACCESSIBILITY_CONTACT" not in page


@sqlite_only
def test_without_a_contact_the_page_says_the_operator_must_set_it(app, client):
    app.extensions["servicestelle.settings"] = app.extensions[
        "servicestelle.settings"
    ].with_changes(accessibility_contact="")
    page = client.get(URL).get_data(as_text=True)
    assert "SERVICESTELLE_ACCESSIBILITY_CONTACT" in page
    assert "mailto:barrierefrei@" not in page


@sqlite_only
def test_contact_text_is_escaped(app, client):
    app.extensions["servicestelle.settings"] = app.extensions[
        "servicestelle.settings"
    ].with_changes(accessibility_contact='<script>alert(1)</script>\n"x"@example.org')
    page = client.get(URL).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="mailto:"x"' not in page  # a quoted local part is no link target


@sqlite_only
def test_enforcement_body_follows_the_setting(app, client):
    nrw, bund = ENFORCEMENT_BODIES["nrw"], ENFORCEMENT_BODIES["bund"]
    page = client.get(URL).get_data(as_text=True)
    assert page.index(nrw.name) < page.index(bund.name)  # the configured one first
    app.extensions["servicestelle.settings"] = app.extensions[
        "servicestelle.settings"
    ].with_changes(accessibility_enforcement="bund")
    page = client.get(URL).get_data(as_text=True)
    assert page.index(bund.name) < page.index(nrw.name)
    assert "mailto:info@schlichtungsstelle-bgg.de" in page


@sqlite_only
def test_states_the_pdf_and_time_limit_barriers(client):
    page = client.get(URL).get_data(as_text=True)
    assert "PDF/UA" in page and "WeasyPrint" in page
    assert "Nach 15 Minuten ohne Aktivität endet die Sitzung" in page


@sqlite_only
def test_linked_from_the_login_page_and_a_logged_in_page(client, login_as):
    login_page = client.get("/anmelden").get_data(as_text=True)
    assert _statement_links(login_page) == ["Erklärung zur Barrierefreiheit"]
    login_as(Role.COUNSELLOR)
    start = client.get("/")
    assert start.status_code == 200
    assert _statement_links(start.get_data(as_text=True)) == ["Erklärung zur Barrierefreiheit"]
    # Logged in, the page is the same statement (and marks itself as the current page).
    statement = client.get(URL).get_data(as_text=True)
    assert "Musterweg 1" in statement
    assert '<a href="/barrierefreiheit" aria-current="page">' in statement


@sqlite_only
def test_linked_from_error_pages(client):
    page = client.get("/gibt-es-nicht").get_data(as_text=True)
    assert _statement_links(page) == ["Erklärung zur Barrierefreiheit"]


@sqlite_only
def test_the_server_warns_at_start_when_the_contact_is_missing(tmp_path, backend):
    from servicestelle.cli import start_warnings

    unset = make_settings(tmp_path, backend.url, profile="demo", password_hash=OWASP_FLOOR)
    assert any("SERVICESTELLE_ACCESSIBILITY_CONTACT" in line for line in start_warnings(unset))
    configured = unset.with_changes(accessibility_contact=CONTACT)
    assert not any(
        "SERVICESTELLE_ACCESSIBILITY_CONTACT" in line for line in start_warnings(configured)
    )


# --- the settings -----------------------------------------------------------------------


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    key = write_secret_file(tmp_path / "secret_key_file", GOOD_KEY + "\n")
    env = {"SERVICESTELLE_INSTANCE": str(tmp_path / "instance")}
    env["SERVICESTELLE_SECRET_KEY_FILE"] = str(key)
    env.update({f"SERVICESTELLE_{name}": value for name, value in extra.items()})
    return env


def test_settings_read_contact_lines_and_enforcement(tmp_path):
    settings = Settings.from_env(
        _env(
            tmp_path,
            ACCESSIBILITY_CONTACT="  Servicestelle Nord \\n Hauptstr. 1\\nnord@example.org ",
            ACCESSIBILITY_ENFORCEMENT="bund",
        )
    )
    assert settings.accessibility_contact == "Servicestelle Nord\nHauptstr. 1\nnord@example.org"
    assert settings.accessibility_enforcement == "bund"
    assert [line.is_email for line in contact_lines(settings.accessibility_contact)] == [
        False,
        False,
        True,
    ]
    defaults = Settings.from_env(_env(tmp_path))
    assert defaults.accessibility_contact == ""
    assert defaults.accessibility_enforcement == "nrw"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ACCESSIBILITY_ENFORCEMENT", "berlin", "must be one of nrw, bund"),
        ("ACCESSIBILITY_CONTACT", "x" * (MAX_ACCESSIBILITY_CONTACT_CHARS + 1), "at most"),
        ("ACCESSIBILITY_CONTACT", "Servicestelle\tNord", "text and line breaks"),
        ("ACCESSIBILITY_CONTACT", "Servicestelle\x1b[31m", "text and line breaks"),
    ],
)
def test_settings_refuse_bad_accessibility_values(tmp_path, name, value, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(_env(tmp_path, **{name: value}))
