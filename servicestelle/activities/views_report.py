"""The annual activity report under /aktivitaeten/jahresbericht: the page (with a print
stylesheet), its PDF, and CSV of the activities and of the summary tables.

Routes on the activities blueprint; views.py imports this module. Reading it needs
``activities:record`` like the rest of the module; it reads the centre's activities, its
published year release (never a case) and its campaigns. Every download is audited (year,
format, counts, the release's id); the page is not.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_login import current_user
from werkzeug.wrappers import Response

from servicestelle import clock, pdf
from servicestelle.activities import codes, exports, operations, report
from servicestelle.activities.blueprint import bp
from servicestelle.auth.models import User
from servicestelle.centres.queries import district_names
from servicestelle.converters import small_int
from servicestelle.coordinator.mode import is_coordinator
from servicestelle.permissions import Permission, require
from servicestelle.stats import downloads
from servicestelle.stats.periods import EARLIEST_YEAR, LATEST_YEAR
from servicestelle.stats.queries import centre_code

PDF_MEDIA_TYPE = "application/pdf"


def _me() -> User:
    return current_user


def _checked_year(year: int) -> int:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        abort(404)
    return year


def _names() -> dict[str, str]:
    return {} if is_coordinator() else district_names(_me().centre_id)


def _context(built: report.AnnualReport) -> dict[str, object]:
    return {
        "report": built,
        "names": _names(),
        "centre_name": _me().centre.name,
        "codes": codes,
        "local_date": format_date,
        "created_on": clock.today(),
    }


def _download(
    built: report.AnnualReport, fmt: str, body: bytes, media_type: str, suffix: str
) -> Response:
    """The file, its download audited (ids and counts only)."""
    operations.record_report_export(
        _me(),
        built.year,
        fmt,
        activities=len(built.activities),
        campaigns=len(built.campaigns),
        release_id=None if built.cases is None else built.cases.release_id,
    )
    # Centre codes are A-Z, 0-9 and "-" (centres.operations): safe in a header value.
    name = f"jahresbericht-{centre_code(_me().centre_id)}-{built.year}{suffix}"
    return downloads.response(body, media_type, name)


@bp.get("/jahresbericht")
@require(Permission.ACTIVITIES_RECORD)
def annual_report() -> ResponseReturnValue:
    """The annual activity report of a year (the previous one unless chosen)."""
    today = clock.today()
    year = small_int(request.args.get("jahr"))
    if year is None or not EARLIEST_YEAR <= year <= LATEST_YEAR:
        year = today.year - 1  # anything else shows the default year, as on the list
    years = list(range(today.year, max(EARLIEST_YEAR, today.year - 10) - 1, -1))
    if year not in years:
        years.append(year)
    built = report.build(_me().centre_id, year)
    return render_template("activities/report.html", year=year, years=years, **_context(built))


@bp.get("/jahresbericht/<int:year>.pdf")
@require(Permission.ACTIVITIES_RECORD)
def annual_report_pdf(year: int) -> ResponseReturnValue:
    """The annual activity report as PDF."""
    built = report.build(_me().centre_id, _checked_year(year))
    html = render_template("activities/report_pdf.html", **_context(built))
    try:
        body = pdf.render_pdf(html)
    except pdf.PdfUnavailable:
        abort(503)
    return _download(built, "pdf", body, PDF_MEDIA_TYPE, ".pdf")


@bp.get("/jahresbericht/<int:year>-aktivitaeten.csv")
@require(Permission.ACTIVITIES_RECORD)
def annual_report_activities_csv(year: int) -> ResponseReturnValue:
    """The year's activities, one line each."""
    built = report.build(_me().centre_id, _checked_year(year))
    body = exports.activities_csv(built, _names())
    return _download(
        built, "csv_activities", downloads.csv_bytes(body), downloads.CSV_MEDIA_TYPE, "-liste.csv"
    )


@bp.get("/jahresbericht/<int:year>-uebersicht.csv")
@require(Permission.ACTIVITIES_RECORD)
def annual_report_summary_csv(year: int) -> ResponseReturnValue:
    """The report's summary tables in one CSV."""
    built = report.build(_me().centre_id, _checked_year(year))
    body = exports.summary_csv(built)
    return _download(
        built, "csv_summary", downloads.csv_bytes(body), downloads.CSV_MEDIA_TYPE, "-uebersicht.csv"
    )
