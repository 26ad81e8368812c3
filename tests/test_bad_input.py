"""Bad input: a clear German message in the UI, JSON in the API, nothing half-written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import post_form
from tests.support.html import csrf_token


def _post_raw(
    client, url: str, body: bytes, content_type: str = "application/x-www-form-urlencoded"
):
    return client.post(
        url, data=body, content_type=content_type, headers={"Referer": f"https://localhost{url}"}
    )


@pytest.mark.parametrize(
    "username",
    ["maria\x00schmidt", "maria\x1b[31m", "maria\r\nX-Injected: 1", "ma\u0085ria"],
)
def test_username_with_control_characters_gets_a_german_message(client, username):
    response = post_form(
        client, "/anmelden", {"username": username, "password": "irgendein passwort"}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "unzulässige Zeichen" in text
    assert "Traceback" not in text


def test_invalid_utf8_in_a_form_is_refused_with_a_message(client):
    token = csrf_token(client.get("/anmelden").get_data(as_text=True))
    body = b"csrf_token=" + token.encode() + b"&username=m%FF%FEria&password=irgendein+passwort"
    response = _post_raw(client, "/anmelden", body)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "keine gültige UTF-8-Kodierung" in text
    assert client.get("/").status_code == 302


def test_over_long_login_fields_get_the_generic_answer_or_a_length_message(client):
    response = post_form(client, "/anmelden", {"username": "a" * 600, "password": "b" * 600})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bitte prüfen Sie Ihre Eingaben" in text


def test_body_above_the_limit_is_refused_in_german(client):
    token = csrf_token(client.get("/anmelden").get_data(as_text=True))
    body = b"csrf_token=" + token.encode() + b"&username=" + b"a" * (2 * 1024 * 1024)
    response = _post_raw(client, "/anmelden", body)
    assert response.status_code == 413
    assert "zu groß" in response.get_data(as_text=True)


def test_json_posted_to_a_form_is_refused_without_trace(client):
    client.get("/anmelden")
    response = client.post(
        "/anmelden",
        json={"username": "x", "password": "y"},
        headers={"Referer": "https://localhost/anmelden"},
    )
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in response.get_data(as_text=True)


def test_admin_form_with_bad_input_writes_nothing_and_keeps_entries(app, client, login_as):
    login_as(Role.ADMIN)
    with app.app_context():
        before = db.session.scalar(select(func.count(User.id)))
    cases = [
        {
            "username": "ok.name",
            "display_name": "x" * 121,
            "password": "ein gutes passwort 1",
            "roles": ["counsellor"],
        },
        {
            "username": "ok.name",
            "display_name": "Zeile\nUmbruch",
            "password": "ein gutes passwort 1",
            "roles": ["counsellor"],
        },
        {
            "username": "ok.name",
            "display_name": "Name",
            "password": "x" * 129,
            "roles": ["counsellor"],
        },
        {
            "username": "ok.name",
            "display_name": "Name",
            "password": "ein gutes passwort 1",
            "roles": [],
        },
        {
            "username": "ok\x00name",
            "display_name": "Name",
            "password": "ein gutes passwort 1",
            "roles": ["counsellor"],
        },
    ]
    for data in cases:
        response = post_form(client, "/verwaltung/benutzer/neu", data)
        text = response.get_data(as_text=True)
        assert response.status_code == 200, data
        assert "Bitte prüfen Sie Ihre Eingaben" in text, data
        # what the admin typed is still in the form (apart from the password)
        if "\x00" not in data["username"]:
            assert 'value="ok.name"' in text
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == before


def test_non_numeric_ids_in_urls_are_404(client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/verwaltung/benutzer/abc").status_code == 404
    assert client.get("/verwaltung/benutzer/-1").status_code == 404
    assert client.get("/verwaltung/benutzer/99999999999999999999").status_code == 404


def test_token_days_must_be_a_number(client, login_as):
    login_as(Role.COUNSELLOR)
    response = post_form(
        client, "/konto/tokens/neu", {"name": "Skript", "days": "viele"}, form_url="/konto/tokens"
    )
    assert response.status_code == 400
    assert "sst_" not in response.get_data(as_text=True)
