"""CSRF on every state change; security headers on every response."""

from __future__ import annotations

import re

import pytest

from servicestelle import create_app
from servicestelle.config import OWASP_FLOOR
from servicestelle.roles import Role
from tests.conftest import https_client, make_settings
from tests.support.html import csrf_token

CSRF_MESSAGE = "Das Formular ist abgelaufen"


def test_login_without_csrf_token_is_refused_in_german(client, make_user):
    user = make_user()
    response = client.post(
        "/anmelden",
        data={"username": user.username, "password": user.password},
        headers={"Referer": "https://localhost/anmelden"},
    )
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


def test_wrong_csrf_token_is_refused(client, make_user):
    user = make_user()
    client.get("/anmelden")
    response = client.post(
        "/anmelden",
        data={
            "csrf_token": "IjAwMDAi.forged.token",
            "username": user.username,
            "password": user.password,
        },
        headers={"Referer": "https://localhost/anmelden"},
    )
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)


def test_token_from_another_session_is_refused(app, client, make_user):
    user = make_user()
    other = https_client(app)
    foreign = csrf_token(other.get("/anmelden").get_data(as_text=True))
    client.get("/anmelden")
    response = client.post(
        "/anmelden",
        data={
            "csrf_token": foreign,
            "username": user.username,
            "password": user.password,
        },
        headers={"Referer": "https://localhost/anmelden"},
    )
    assert response.status_code == 400


def test_cross_site_referer_is_refused_over_https(client, make_user):
    user = make_user()
    token = csrf_token(client.get("/anmelden").get_data(as_text=True))
    response = client.post(
        "/anmelden",
        data={
            "csrf_token": token,
            "username": user.username,
            "password": user.password,
        },
        headers={"Referer": "https://evil.example/anmelden"},
    )
    assert response.status_code == 400


def test_logged_in_state_changes_need_the_token(client, login_as):
    login_as(Role.COUNSELLOR)
    response = client.post("/abmelden", headers={"Referer": "https://localhost/"})
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # still logged in: nothing happened
    response = client.post("/konto/tokens/99/widerrufen", headers={"Referer": "https://localhost/"})
    assert response.status_code == 400


# --- headers --------------------------------------------------------------------------


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize(
    "path", ["/anmelden", "/healthz", "/api/v1/openapi.json", "/gibt-es-nicht"]
)
def test_security_headers_on_every_kind_of_response(client, path):
    response = client.get(path)
    csp = _csp(response)
    assert csp["object-src"] == "object-src 'none'"
    assert csp["base-uri"] == "base-uri 'none'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert re.fullmatch(r"script-src 'nonce-[A-Za-z0-9_-]{22,}'", csp["script-src"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    assert "Server" not in response.headers or "Werkzeug" not in response.headers.get("Server", "")


def test_csp_nonce_changes_per_response(client):
    first = _csp(client.get("/anmelden"))["script-src"]
    second = _csp(client.get("/anmelden"))["script-src"]
    assert first != second


def test_pages_have_no_inline_scripts_or_styles(client, login_as):
    pages = [client.get("/anmelden").get_data(as_text=True)]
    login_as(Role.ADMIN)
    for path in ("/", "/konto/", "/verwaltung/benutzer", "/konto/tokens"):
        pages.append(client.get(path).get_data(as_text=True))
    for html in pages:
        assert "<script" not in html
        assert " style=" not in html and "<style" not in html
        assert "javascript:" not in html


def test_authenticated_pages_are_not_cached(client, login_as):
    login_as(Role.COUNSELLOR)
    for path in ("/", "/konto/", "/konto/tokens"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_hsts_only_in_production(tmp_path, client):
    assert "Strict-Transport-Security" not in client.get("/anmelden").headers
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.sqlite3'}").with_changes(
        profile="production", password_hash=OWASP_FLOOR
    )
    production = create_app(settings).test_client()
    hsts = production.get("/healthz", base_url="https://localhost").headers[
        "Strict-Transport-Security"
    ]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31_536_000 and "includeSubDomains" in hsts


def test_production_app_has_no_debugger(tmp_path):
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.sqlite3'}").with_changes(
        profile="production", password_hash=OWASP_FLOOR
    )
    app = create_app(settings)
    assert app.debug is False
    assert app.config["PROPAGATE_EXCEPTIONS"] is False


def _add_exploding_route(app, message: str) -> None:
    from servicestelle.permissions import Permission, require

    def explode():
        raise RuntimeError(message)

    app.add_url_rule("/explode", "explode", require(Permission.DASHBOARD_VIEW)(explode))


def test_error_pages_reveal_no_internals(app, client, login_as):
    _add_exploding_route(app, "geheimer Wert: Maria Musterfrau, Religion")
    login_as(Role.COUNSELLOR)
    response = client.get("/explode")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Ein unerwarteter Fehler ist aufgetreten" in text
    assert "Maria" not in text and "Traceback" not in text and "RuntimeError" not in text
    assert response.headers["X-Request-Id"] in text


def test_unhandled_error_log_carries_no_values(app, client, login_as, caplog):
    _add_exploding_route(app, "Maria Musterfrau")
    login_as(Role.COUNSELLOR)
    client.get("/explode")
    assert "RuntimeError" in caplog.text
    assert "Maria" not in caplog.text


def test_unknown_page_is_a_german_404(client):
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert "Diese Seite gibt es nicht." in response.get_data(as_text=True)


def test_git_folder_is_not_served(client):
    assert client.get("/.git/HEAD").status_code == 404
    assert client.get("/static/../pyproject.toml").status_code == 404


def test_state_changing_form_after_csrf_failure_keeps_nothing(client, login_as):
    login_as(Role.ADMIN)
    response = client.post(
        "/verwaltung/benutzer/neu",
        data={
            "username": "neu.person",
            "password": "ein sicheres passwort",
            "roles": ["counsellor"],
        },
        headers={"Referer": "https://localhost/verwaltung/benutzer/neu"},
    )
    assert response.status_code == 400
    assert "neu.person" not in client.get("/verwaltung/benutzer").get_data(as_text=True)
