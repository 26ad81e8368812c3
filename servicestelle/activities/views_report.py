"""The annual activity report under /aktivitaeten/jahresbericht: the page (with a print
stylesheet), its PDF, and CSV of the activities and of the summary tables.

Routes on the activities blueprint; views.py imports this module. Reading it needs
``activities:record`` like the rest of the module; it reads the centre's activities, its
published year release (never a case) and its campaigns.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_login import current_user
from werkzeug.wrappers import Response

from servicestelle import clock, pdf
from servicestelle.activities import codes, exports, report
from servicestelle.activities.blueprint import bp
from servicestelle.auth.models import User
from servicestelle.centres.queries import district_names
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


def _context(year: int) -> dict[str, object]:
    return {
        "report": report.build(_me().centre_id, year),
        "names": _names(),
        "centre_name": _me().centre.name,
        "codes": codes,
        "local_date": format_date,
        "created_on": clock.today(),
    }


def _download(body: bytes, media_type: str, suffix: str, year: int) -> Response:
    # Centre codes are A-Z, 0-9 and "-" (centres.operations): safe in a header value.
    name = f"jahresbericht-{centre_code(_me().centre_id)}-{year}{suffix}"
    return downloads.response(body, media_type, name)


@bp.get("/jahresbericht")
@require(Permission.ACTIVITIES_RECORD)
def annual_report() -> ResponseReturnValue:
    """The annual activity report of a year (the previous one unless chosen)."""
    today = clock.today()
    text = request.args.get("jahr", "")
    year = today.year - 1
    if text.isdigit() and EARLIEST_YEAR <= int(text) <= LATEST_YEAR:
        year = int(text)
    years = list(range(today.year, max(EARLIEST_YEAR, today.year - 10) - 1, -1))
    if year not in years:
        years.append(year)
    return render_template("activities/report.html", year=year, years=years, **_context(year))


@bp.get("/jahresbericht/<int:year>.pdf")
@require(Permission.ACTIVITIES_RECORD)
def annual_report_pdf(year: int) -> ResponseReturnValue:
    """The annual activity report as PDF."""
    html = render_template("activities/report_pdf.html", **_context(_checked_year(year)))
    try:
        body = pdf.render_pdf(html)
    except pdf.PdfUnavailable:
        abort(503)
    return _download(body, PDF_MEDIA_TYPE, ".pdf", year)


@bp.get("/jahresbericht/<int:year>-aktivitaeten.csv")
@require(Permission.ACTIVITIES_RECORD)
def annual_report_activities_csv(year: int) -> ResponseReturnValue:
    """The year's activities, one line each."""
    built = report.build(_me().centre_id, _checked_year(year))
    body = exports.activities_csv(built, _names())
    return _download(downloads.csv_bytes(body), downloads.CSV_MEDIA_TYPE, "-liste.csv", year)


@bp.get("/jahresbericht/<int:year>-uebersicht.csv")
@require(Permission.ACTIVITIES_RECORD)
def annual_report_summary_csv(year: int) -> ResponseReturnValue:
    """The report's summary tables in one CSV."""
    built = report.build(_me().centre_id, _checked_year(year))
    body = exports.summary_csv(built)
    return _download(downloads.csv_bytes(body), downloads.CSV_MEDIA_TYPE, "-uebersicht.csv", year)
