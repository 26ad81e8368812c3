"""German first, English beside it: the catalogue is complete, compiled and selectable."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "servicestelle" / "translations" / "en" / "LC_MESSAGES"
METHODS = [("servicestelle/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def _source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _po():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        return read_po(handle)


def test_every_ui_message_has_an_english_translation():
    catalogue = _po()
    missing = sorted(
        message
        for message in _source_messages()
        if message not in catalogue or not catalogue[message].string
    )
    assert missing == [], "run `make translations` and translate these"


def test_compiled_catalogue_matches_the_po_file():
    with open(CATALOGUE / "messages.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _po():
        if message.id and isinstance(message.id, str) and not message.fuzzy:
            assert compiled.gettext(message.id) == message.string, message.id


def test_switching_language_stores_nothing_on_the_server(app, client):
    from sqlalchemy import select

    from servicestelle.extensions import db
    from servicestelle.sessions.models import UserSession

    client.get("/sprache?lang=en&next=/gibt-es-nicht")
    client.get("/gibt-es-nicht")
    with app.app_context():
        assert db.session.scalars(select(UserSession)).all() == []


def test_german_by_default(client):
    page = client.get("/anmelden").get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Anmelden" in page


def test_english_can_be_chosen_and_sticks(app, client):
    response = client.get("/sprache?lang=en&next=/anmelden")
    assert response.status_code == 302 and response.headers["Location"] == "/anmelden"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-lang=en") and "Secure" in cookie and "HttpOnly" in cookie
    page = client.get("/anmelden").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "Benutzername" not in page


def test_language_switch_refuses_foreign_redirects_and_unknown_languages(app, client):
    response = client.get("/sprache?lang=xx&next=https://evil.example/")
    assert response.headers["Location"] == "/"
    assert "Set-Cookie" not in response.headers
    assert '<html lang="de">' in client.get("/anmelden").get_data(as_text=True)
