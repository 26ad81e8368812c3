"""Withdrawing an imported package on the coordinator's pages: a supervisor of the office,
after a fresh login, with a reason; a refusal shown next to the form; nobody else. Here the
test's ``app`` is the coordinator (tests/test_coordinator_mode.py)."""

# The instances' fixtures come from test_coordinator_mode.py; pytest fixtures are used by
# naming them as parameters, which ruff reads as redefining the imported names.
# ruff: noqa: F811

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from audit import AuditEvent
from servicestelle.coordinator import operations as coordination
from servicestelle.coordinator.models import ImportedPackage
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import operations, signing
from servicestelle.stats.periods import Period
from tests.conftest import current_code, https_client, login, post_form
from tests.support.audit_log import entries
from tests.support.coordinator import user
from tests.test_coordinator_mode import (  # a centre beside the coordinator, its package
    centre_app,  # noqa: F401
    centre_url,  # noqa: F401
    package_file,  # noqa: F401
    settings,  # noqa: F401
)


@pytest.fixture
def imported(app, centre_app, package_file, clock) -> int:  # type: ignore[no-untyped-def]
    """WEST registered and its Q1 package imported (by the command line); the import's id."""
    clock.moment = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # statewide drafts need Q1 over
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
        return coordination.import_package(None, package_file).id


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _confirm(browser, person, clock, next_url: str):  # type: ignore[no-untyped-def]
    clock.advance(seconds=30)
    return post_form(
        browser,
        f"/bestaetigen?next={next_url}",
        {"password": person.password, "code": current_code(person, clock), "next": next_url},
    )


def _withdrawn(app, package_id: int) -> bool:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get_one(ImportedPackage, package_id).is_withdrawn


def test_a_supervisor_withdraws_a_package_after_a_fresh_login_with_a_reason(
    app, imported, make_user, clock
):
    url = f"/koordination/pakete/{imported}"
    supervisor = make_user(Role.SUPERVISOR)
    browser = https_client(app)
    login(browser, supervisor, clock)
    assert f'href="{url}"' in _text(browser.get("/koordination"))
    page = _text(browser.get(url))
    assert "Paket zurückziehen" in page and "Münsterland" in page

    clock.advance(minutes=6)  # the login is no longer fresh
    response = post_form(
        browser, f"{url}/zurueckziehen", {"reason": "doppelt", "next": url}, form_url=url
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/bestaetigen?next={url}"
    assert not _withdrawn(app, imported)

    assert _confirm(browser, supervisor, clock, url).headers["Location"] == url
    empty = post_form(browser, f"{url}/zurueckziehen", {"reason": "  ", "next": url}, form_url=url)
    assert empty.status_code == 400
    assert "Bitte geben Sie eine Begründung an." in _text(empty)
    assert not _withdrawn(app, imported)
    done = post_form(
        browser,
        f"{url}/zurueckziehen",
        {"reason": "Die Stelle hat Fälle doppelt gezählt.", "next": url},
        form_url=url,
    )
    assert done.status_code == 302 and done.headers["Location"] == url
    assert _withdrawn(app, imported)
    page = _text(browser.get(url))
    assert "Die Stelle hat Fälle doppelt gezählt." in page and "Paket zurückziehen" not in page
    (entry,) = entries(app, action=AuditEvent.COORDINATOR_PACKAGE_WITHDRAW.value)
    assert entry.outcome == "success" and json.loads(entry.details)["period"] == "2026-Q1"
    assert "doppelt" not in entry.details


def test_a_waiting_statewide_draft_refuses_the_withdrawal_on_the_page(
    app, imported, make_user, clock
):
    drafter = make_user(Role.SUPERVISOR)
    with app.app_context():
        operations.draft_release(user(drafter.id), Period.parse("2026-Q1"), ["alter"])
    url = f"/koordination/pakete/{imported}"
    browser = https_client(app)
    login(browser, make_user(Role.SUPERVISOR), clock)
    refused = post_form(
        browser, f"{url}/zurueckziehen", {"reason": "falsch", "next": url}, form_url=url
    )
    assert refused.status_code == 409
    assert "Bitte lehnen Sie den Entwurf zuerst ab." in _text(refused)
    assert "Traceback" not in _text(refused)
    assert not _withdrawn(app, imported)


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.ADMIN, Role.DPO], ids=lambda r: r.value)
def test_nobody_but_a_supervisor_sees_or_withdraws_a_package(app, imported, make_user, clock, role):
    url = f"/koordination/pakete/{imported}"
    browser = https_client(app)
    login(browser, make_user(role), clock)
    assert browser.get(url).status_code == 403
    assert browser.post(f"{url}/zurueckziehen", data={"reason": "x"}).status_code == 403
    assert not _withdrawn(app, imported)


def test_an_unknown_package_is_404(app, imported, make_user, clock):
    browser = https_client(app)
    login(browser, make_user(Role.SUPERVISOR), clock)
    assert browser.get(f"/koordination/pakete/{imported + 99}").status_code == 404
