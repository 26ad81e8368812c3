"""Rendering the full structural-discrimination report of a year: the HTML page and the PDF.

A year of 2,000 records (bench/stats_seed.py's spread) is drafted with every catalogue table
and approved by a second supervisor, the year before likewise (the report's trend reads it);
a report of the year carries three accepted vignettes and five demands. Measured on SQLite,
in turns, inside one request context with the supervisor logged in:

- the baseline: the release's own page, ``stats.views.show`` (its tables and charts, the
  same macros the report uses);
- the report's page: reading the report, its releases, vignettes and demands, building the
  sections (key figures, trend) and rendering ``reports/show.html``;
- the report's PDF: the same document rendered as ``reports/pdf.html`` and laid out by
  WeasyPrint (``servicestelle.pdf.render_pdf``) — what a download costs, less its audit entry.

A supervisor waits for the PDF in the browser, so this is the figure that decides whether the
PDF needs a background job.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from flask import Flask, render_template
from flask_login import login_user

from bench import instances, stats_seed
from bench.core import Case, Measurement, Plan
from bench.instances import SQLITE, TickingClock
from servicestelle import pdf
from servicestelle.auth import operations as accounts
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.reports import operations as reports
from servicestelle.reports.models import Report
from servicestelle.reports.views_common import load_view, template_context
from servicestelle.roles import Role
from servicestelle.stats import operations, tables
from servicestelle.stats import views as stats_views
from servicestelle.stats.periods import Period

RECORDS = 2_000
YEAR = 2025
RUNS_FULL, RUNS_QUICK = 7, 2
#: "Today" for the application: after the year, so the year can be drafted.
START = datetime(2026, 3, 2, 9, tzinfo=UTC)

RELEASE_PAGE = "release page (stats.show)"
REPORT_HTML = "report page (HTML)"
REPORT_PDF = "report PDF (HTML + WeasyPrint)"


@contextmanager
def _instance(folder: Path) -> Iterator[tuple[Flask, int, int, int]]:
    """The application with two published years and a report; (app, supervisor, release,
    report)."""
    with instances.database(SQLITE, folder) as database:
        app = instances.app(folder, database, TickingClock(START))
        try:
            with app.app_context():
                staff = stats_seed.create_staff()
                second = accounts.create_user(
                    centre=db.session.get_one(User, staff.supervisor_id).centre,
                    username="leitung.zwei",
                    display_name="Zweite Leitung",
                    password=stats_seed.PASSWORD,
                    roles=(Role.SUPERVISOR,),
                ).user.id
            with instances.owner_engine(app, database) as engine:
                for year in (YEAR - 1, YEAR):
                    rng = random.Random(year * RECORDS)
                    stats_seed.seed(engine, staff.centre_id, count=RECORDS, year=year, rng=rng)
            with app.app_context():
                ids = [table.id for table in tables.TABLES]
                lead = db.session.get_one(User, staff.supervisor_id)
                for year in (YEAR - 1, YEAR):
                    draft = operations.draft_release(lead, Period.parse(str(year)), ids)
                    operations.approve_release(db.session.get_one(User, second), draft)
                release_id = draft.id
                lead = db.session.get_one(User, staff.supervisor_id)
                report = reports.create_report(lead, f"Bericht {YEAR}", Period.parse(str(YEAR)))
                for number in range(5):
                    reports.add_demand(lead, report, f"Forderung {number + 1}", "Begründung " * 40)
                for number in range(3):
                    vignette = reports.propose_vignette(
                        db.session.get_one(User, second), report, f"Vignette {number} " * 60
                    )
                    db.session.commit()
                    reports.accept_vignette(lead, report, vignette, vignette.text)
                report_id = report.id
            yield app, staff.supervisor_id, release_id, report_id
        finally:
            instances.dispose(app)


def _timed(samples: list[float], call: Callable[[], object]) -> None:
    started = time.perf_counter()
    call()
    samples.append(time.perf_counter() - started)


@cache
def measured(plan: Plan) -> dict[str, Measurement]:
    samples: dict[str, list[float]] = {RELEASE_PAGE: [], REPORT_HTML: [], REPORT_PDF: []}
    size = 0
    with (
        tempfile.TemporaryDirectory(prefix="servicestelle-bench-report-") as scratch,
        _instance(Path(scratch)) as (app, supervisor_id, release_id, report_id),
        app.test_request_context("/berichte"),
    ):
        login_user(db.session.get_one(User, supervisor_id))

        def release_page() -> object:
            return stats_views.show(release_id)

        def report_html() -> str:
            view = load_view(db.session.get_one(Report, report_id))
            return render_template("reports/show.html", may_write=True, **template_context(view))

        def report_pdf() -> bytes:
            view = load_view(db.session.get_one(Report, report_id))
            return pdf.render_pdf(render_template("reports/pdf.html", **template_context(view)))

        size = len(report_pdf())  # warm-up: fonts, templates, first-touch costs
        release_page()
        report_html()
        for _ in range(plan.runs(full=RUNS_FULL, quick=RUNS_QUICK)):
            _timed(samples[RELEASE_PAGE], release_page)
            _timed(samples[REPORT_HTML], report_html)
            _timed(samples[REPORT_PDF], report_pdf)
            db.session.rollback()
    return {
        RELEASE_PAGE: Measurement(samples[RELEASE_PAGE], f"{RECORDS:,} records, all tables"),
        REPORT_HTML: Measurement(samples[REPORT_HTML], "with trend, key figures, 3 vignettes"),
        REPORT_PDF: Measurement(samples[REPORT_PDF], f"{size / 1024:.0f} KiB"),
    }


def _pick(kind: str) -> Callable[[Plan], Measurement]:
    return lambda plan: measured(plan)[kind]


def cases() -> list[Case]:
    return [
        Case(RELEASE_PAGE, _pick(RELEASE_PAGE)),
        Case(REPORT_HTML, _pick(REPORT_HTML), baseline=RELEASE_PAGE),
        Case(REPORT_PDF, _pick(REPORT_PDF), baseline=RELEASE_PAGE),
    ]
