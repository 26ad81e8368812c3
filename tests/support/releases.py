"""Published statistics releases for the tests of what reads them (reports, campaigns,
activities): records straight into the store, then the real four-eyes workflow.

Use with a clock after 2026 (``tests.support.stats.AFTER_2026``): only ended periods can be
drafted.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask

from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.stats import operations
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release
from servicestelle.stats.tables import DEFAULT_TABLES, TABLES
from tests.support.stats import add_records

#: What a new draft starts with (the optional intersectional table left out: with populate's
#: three grounds, one of them tiny, it hides most ground figures — see stats/tables.py).
ALL_TABLES = DEFAULT_TABLES
#: Every table of the catalogue.
EVERY_TABLE = tuple(table.id for table in TABLES)


def populate(app: Flask, centre_id: int, month: str = "2026-02", scale: int = 1) -> None:
    """A centre's store with large and small cells: 30·scale + 12·scale + 2 cases opened in
    ``month`` (the last group, 2 children, is always too small to publish)."""
    with app.app_context():
        add_records(
            centre_id, 30 * scale, opened_month=month, age_band="27_45", grounds="geschlecht",
            life_areas="arbeit", level="individuell",
        )  # fmt: skip
        add_records(
            centre_id, 12 * scale, opened_month=month, age_band="46_64",
            grounds="lebensalter;geschlecht", life_areas="wohnen", level="institutionell",
        )  # fmt: skip
        add_records(
            centre_id, 2, opened_month=month, age_band="u18", grounds="religion_weltanschauung",
            life_areas="bildung",
        )  # fmt: skip


def publish(
    app: Flask,
    drafter_id: int,
    approver_id: int,
    period: str = "2026",
    tables: Sequence[str] = ALL_TABLES,
) -> int:
    """Draft ``period`` with ``tables`` as one supervisor, approve as another; the id."""
    with app.app_context():
        drafter = db.session.get(User, drafter_id)
        approver = db.session.get(User, approver_id)
        assert drafter is not None and approver is not None
        release = operations.draft_release(drafter, Period.parse(period), list(tables))
        assert release.audit_passed, "the test population must pass the disclosure audit"
        operations.approve_release(approver, release)
        return release.id


def content_of(app: Flask, release_id: int) -> dict:  # type: ignore[type-arg]
    """A release's frozen content (tables, figures, null where suppressed)."""
    import json

    with app.app_context():
        release = db.session.get(Release, release_id)
        assert release is not None
        return json.loads(release.content)
