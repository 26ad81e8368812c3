"""The same report code on a coordinator: its releases are statewide, with a region table in
place of the districts; the report reads them like a centre's and offers no vignette (a
coordinator has no cases). Here the test's ``app`` is the coordinator
(tests/test_coordinator_mode.py)."""

# The instances' fixtures come from test_coordinator_mode.py; pytest fixtures are used by
# naming them as parameters, which ruff reads as redefining the imported names.
# ruff: noqa: F811

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from servicestelle.auth.models import User
from servicestelle.coordinator import operations as coordination
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import operations, signing
from servicestelle.stats.periods import Period
from tests.conftest import https_client, login
from tests.test_coordinator_mode import (  # a centre beside the coordinator, its package
    centre_app,  # noqa: F401
    centre_url,  # noqa: F401
    package_file,  # noqa: F401
    settings,  # noqa: F401
)
from tests.test_reports import (
    Tables,
    content_of,
    create_report,
    expected_rows,
    figures_only,
    page_table,
    text,
)

STATEWIDE = ["faelle", "merkmale", "alter", "regionen"]


@pytest.fixture
def statewide(app, centre_app, package_file, clock, make_user):  # type: ignore[no-untyped-def]
    """WEST's Q1 package imported in Münsterland, the statewide Q1 release published by two
    supervisors of the office; (release id, a counsellor of the office)."""
    clock.moment = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    with centre_app.app_context():
        west_key = signing.public_key("WEST")
    drafter, approver = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    counsellor = make_user(Role.COUNSELLOR)
    with app.app_context():
        coordination.register_centre(
            None, code="WEST", name="Servicestelle West", region_code="muenster",
            region_name="Münsterland", public_key=west_key,
        )  # fmt: skip
        coordination.import_package(None, package_file)
        release = operations.draft_release(
            db.session.get_one(User, drafter.id), Period.parse("2026-Q1"), STATEWIDE
        )
        assert release.audit_passed
        operations.approve_release(db.session.get_one(User, approver.id), release)
        return release.id, counsellor


def test_a_statewide_report_shows_the_statewide_release_and_its_regions(app, statewide, clock):
    release_id, counsellor = statewide
    content = content_of(app, release_id)
    report_id = create_report(app, counsellor, "2026-Q1")
    browser = https_client(app)
    login(browser, counsellor, clock)

    page = text(browser.get(f"/berichte/{report_id}"))

    assert f"Nr. {release_id}" in page
    assert "Regionen" in page and "Münsterland" in page
    for table_id in STATEWIDE:
        table = next(t for t in content["tables"] if t["id"] == table_id)
        assert figures_only(page_table(page, table_id), bool(table["cols"])) == expected_rows(
            content, table_id
        )
    # The region table is a release table like any other; no district rates on a coordinator.
    assert "je-10000" not in Tables(page).tables
    assert "Keine Einwohnerzahlen" not in page
    pdf = browser.get(f"/berichte/{report_id}/bericht.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")


def test_a_coordinator_offers_no_vignette(app, statewide, clock):
    _release_id, counsellor = statewide
    browser = https_client(app)
    login(browser, counsellor, clock)
    assert browser.get("/faelle/1/vignette/neu").status_code == 404
