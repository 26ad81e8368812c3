"""A coordinator instance (SERVICESTELLE_MODE=coordinator) from the outside: no case module for
anyone, every other route as the permissions say, its upload page, and its settings. Here the
test's ``app`` is the coordinator; a centre, where one is needed, has a database of its own."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from servicestelle import create_app
from servicestelle.config import ConfigError, Settings
from servicestelle.coordinator import keys
from servicestelle.coordinator import operations as coordination
from servicestelle.coordinator.mode import WITHHELD_ON_COORDINATOR, is_centre_only
from servicestelle.extensions import db
from servicestelle.permissions import ROLE_PERMISSIONS
from servicestelle.roles import Role
from servicestelle.security import LOGIN_FLOW_ENDPOINTS, PUBLIC_ENDPOINTS, required_permission
from servicestelle.stats import signing
from tests import conftest
from tests.conftest import https_client, login, post_form
from tests.support import coordinator as support
from tests.support.stats import AFTER_2026, add_records

#: The case module's pages and API, and a centre's package pages.
CASE_MODULE = [
    ("GET", "/faelle"),
    ("GET", "/faelle/neu"),
    ("POST", "/faelle/neu"),
    ("GET", "/faelle/1"),
    ("GET", "/stadtteile"),
    ("GET", "/statistik/pakete"),
    ("GET", "/statistik/pakete/1/paket.json"),
    ("GET", "/api/v1/cases"),
    ("POST", "/api/v1/cases"),
    ("GET", "/api/v1/cases/1"),
    ("GET", "/api/v1/districts"),
]


@pytest.fixture
def settings(tmp_path, backend):  # type: ignore[no-untyped-def]
    return conftest.make_settings(tmp_path, backend.url, mode="coordinator")


def _token(app: Flask, user_id: int) -> str:
    from servicestelle.api.operations import create_token
    from servicestelle.auth.models import User

    with app.app_context():
        return create_token(db.session.get_one(User, user_id), "coordinator").plaintext


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_the_case_module_answers_404_to_everyone(app, client, make_user, clock, role):
    headers = {}
    if role is not None:
        person = make_user(role)
        login(client, person, clock)
        headers = {"Authorization": f"Bearer {_token(app, person.id)}"}
    for method, url in CASE_MODULE:
        is_api = url.startswith("/api/")
        response = client.open(url, method=method, headers=headers if is_api else {})
        assert response.status_code == 404, f"{method} {url} as {role}"
        if is_api:
            assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_every_other_route_is_granted_as_the_permissions_say(app, client, make_user, clock, role):
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS | LOGIN_FLOW_ENDPOINTS
        and required_permission(app, rule.endpoint) is None
    ]
    assert undeclared == []
    headers = {}
    if role is not None:
        person = make_user(role)
        login(client, person, clock)
        headers = {"Authorization": f"Bearer {_token(app, person.id)}"}
    granted = (ROLE_PERMISSIONS[role] if role else frozenset()) - WITHHELD_ON_COORDINATOR
    checked = 0
    with app.test_request_context():
        rules = [
            (rule.endpoint, method, app.url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 9)))
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        ]
    assert any(endpoint.startswith("coordinator.") for endpoint, _m, _u in rules)
    for endpoint, method, url in rules:
        is_api = url.startswith("/api/")
        status = client.open(url, method=method, headers=headers if is_api else {}).status_code
        where = f"{method} {url} as {role or 'anonymous'}: {status}"
        assert status < 500, where
        if is_centre_only(app, endpoint):
            assert status == 404, where
        elif endpoint in PUBLIC_ENDPOINTS or endpoint in LOGIN_FLOW_ENDPOINTS:
            assert status not in (401, 403), where
        elif role is None:
            if is_api:
                assert status == 401, where
            else:
                assert status == 302, where
        elif required_permission(app, endpoint) in granted:
            assert status not in (401, 403), where
        else:
            assert status == 403, where
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_the_start_page_offers_no_case_on_a_coordinator(client, login_as, role):
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    assert "/faelle" not in page and "/stadtteile" not in page
    assert ("/koordination" in page) is (role is Role.SUPERVISOR)


def test_nobody_holds_a_case_permission_on_a_coordinator(app, make_user):
    from servicestelle.auth.models import User

    person = make_user(Role.COUNSELLOR, Role.SUPERVISOR)
    with app.app_context():
        found = db.session.get_one(User, person.id)
        assert not found.permissions & WITHHELD_ON_COORDINATOR
        assert found.can("stats:release")


# --- the upload page -----------------------------------------------------------------------


@pytest.fixture
def centre_url(request, backend, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    yield from support.database_url(request, backend, tmp_path)


@pytest.fixture
def centre_app(app, tmp_path: Path, centre_url: str, clock) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """A centre whose coordinator is the test's app, with one approved package."""
    settings = conftest.make_settings(
        tmp_path / "centre", centre_url, coordinator_public_key=support.coordinator_key(app)
    )
    application = create_app(settings, clock=clock)
    application.config["TESTING"] = True
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def package_file(centre_app: Flask, clock) -> bytes:  # type: ignore[no-untyped-def]
    from servicestelle.auth.operations import create_user
    from servicestelle.centres.operations import create_centre

    clock.moment = AFTER_2026  # a package is drafted for a period that has ended
    with centre_app.app_context():
        centre = create_centre("WEST", "Servicestelle West")
        add_records(centre.id, 12, age_band="27_45")
        ids = [
            create_user(
                centre=centre,
                username=name,
                display_name=name,
                password=conftest.DEFAULT_PASSWORD,
                roles=(Role.SUPERVISOR,),
                with_second_factor=False,
            ).user.id
            for name in ("west.a", "west.b")
        ]
    return support.package_file(centre_app, support.approved_package(centre_app, *ids))


def _upload(client, data: bytes):  # type: ignore[no-untyped-def]
    import io

    from tests.support.html import csrf_token

    token = csrf_token(client.get("/koordination").get_data(as_text=True))
    return client.post(
        "/koordination/einspielen",
        data={"csrf_token": token, "file": (io.BytesIO(data), "paket.json")},
        headers={"Referer": "https://localhost/koordination"},
        content_type="multipart/form-data",
    )


def test_a_supervisor_uploads_a_package_and_is_told_why_one_is_refused(
    app, centre_app, package_file, client, login_as
):
    with centre_app.app_context():
        west_key = signing.public_key("WEST")
    with app.app_context():
        coordination.register_centre(
            None,
            code="WEST",
            name="Servicestelle West",
            region_code="muenster",
            region_name="Münsterland",
            public_key=west_key,
        )
        coordinator_key = keys.public_key_text()
    login_as(Role.SUPERVISOR)
    page = client.get("/koordination").get_data(as_text=True)
    assert coordinator_key in page and "Münsterland" in page

    response = _upload(client, package_file)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1. Quartal 2026" in page and "Servicestelle West" in page

    again = _upload(client, package_file)
    assert again.status_code == 409
    assert "bereits ein Paket eingespielt" in again.get_data(as_text=True)
    garbage = _upload(client, b"\x00\xff kein JSON")
    assert garbage.status_code == 400
    text = garbage.get_data(as_text=True)
    assert "nicht öffnen" in text and "Traceback" not in text
    missing = post_form(client, "/koordination/einspielen", {}, form_url="/koordination")
    assert missing.status_code == 400
    assert "Bitte wählen Sie eine Paketdatei." in missing.get_data(as_text=True)


def test_a_counsellor_of_the_office_may_not_upload(app, make_user, clock):
    client = https_client(app)
    login(client, make_user(Role.COUNSELLOR), clock)
    assert client.get("/koordination").status_code == 403
    assert client.post("/koordination/einspielen").status_code == 403


# --- settings ------------------------------------------------------------------------------


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    secret = tmp_path / "secret"
    secret.write_text(secrets.token_hex(32))
    secret.chmod(0o600)
    return {
        "SERVICESTELLE_INSTANCE": str(tmp_path / "instance"),
        "SERVICESTELLE_SECRET_KEY_FILE": str(secret),
        **{f"SERVICESTELLE_{name}": value for name, value in extra.items()},
    }


def test_the_mode_and_the_coordinators_key_are_settings(tmp_path):
    default = Settings.from_env(_env(tmp_path))
    assert default.mode == "centre" and not default.is_coordinator
    assert default.coordinator_public_key is None
    key = bytes(range(32))
    configured = Settings.from_env(
        _env(tmp_path, MODE="coordinator", COORDINATOR_PUBLIC_KEY=base64.b64encode(key).decode())
    )
    assert configured.is_coordinator and configured.coordinator_public_key == key
    with pytest.raises(ConfigError, match="SERVICESTELLE_MODE"):
        Settings.from_env(_env(tmp_path, MODE="zentrale"))
    with pytest.raises(ConfigError, match="base64"):
        Settings.from_env(_env(tmp_path, COORDINATOR_PUBLIC_KEY="kein base64!"))
    with pytest.raises(ConfigError, match="32 bytes"):
        Settings.from_env(
            _env(tmp_path, COORDINATOR_PUBLIC_KEY=base64.b64encode(b"x" * 31).decode())
        )
