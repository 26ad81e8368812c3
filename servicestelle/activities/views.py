"""Activities beyond cases under /aktivitaeten, for counsellors and supervisors: the list of a
year with its filters, recording, changing and deleting an activity. The annual report's
pages are in views_report.py (on the same blueprint).

Every handler is load → check → act: the guard checks ``activities:record``, the query answers
an audited 404 for another centre's activity, the form and then the operations refuse in
German (the form comes back with what was typed, 400, nothing saved).
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicestelle import clock
from servicestelle.activities import codes, operations, queries
from servicestelle.activities import views_report as _report  # noqa: F401 (routes on bp)
from servicestelle.activities.blueprint import bp
from servicestelle.activities.forms import ActivityForm, FilterForm
from servicestelle.activities.models import Activity
from servicestelle.auth.models import User
from servicestelle.centres.queries import district_names, districts_of
from servicestelle.converters import small_int
from servicestelle.coordinator.mode import is_coordinator
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.stats.periods import EARLIEST_YEAR, LATEST_YEAR

__all__ = ["bp"]


def _me() -> User:
    return current_user


def _offered_districts(keep: str | None = None) -> dict[str, str] | None:
    """What the form offers: the register's active districts, and the one an activity
    already names, even if retired since; None on a coordinator (no register)."""
    if is_coordinator():
        return None
    return {
        district.code: district.name
        for district in districts_of(_me().centre_id)
        if district.is_active or district.code == keep
    }


def _names() -> dict[str, str]:
    return {} if is_coordinator() else district_names(_me().centre_id)


def year_from(text: str | None, default: int) -> int:
    """A year from a query parameter; anything else is the default."""
    year = small_int(text)
    if year is not None and EARLIEST_YEAR <= year <= LATEST_YEAR:
        return year
    return default


def _data(form: ActivityForm) -> operations.ActivityData:
    district = form.district_code.data if form.district_code is not None else None
    starts_on: date = form.starts_on.data
    return operations.ActivityData(
        title=form.title.data or "",
        starts_on=starts_on,
        ends_on=form.ends_on.data,
        type=form.type.data or "",
        eckpunkt=form.eckpunkt.data or "",
        task=form.task.data or None,
        district_code=district or None,
        participants=form.participants.data,
        partners=form.partners.data or "",
        description=form.description.data or "",
    )


# --- the list -------------------------------------------------------------------------------


@bp.get("")
@require(Permission.ACTIVITIES_RECORD)
def index() -> ResponseReturnValue:
    """The activities of a year, filtered by type, Eckpunkt, task and district."""
    centre_id = _me().centre_id
    today = clock.today()
    year = year_from(request.args.get("jahr"), today.year)
    years = sorted({*queries.years_with_activities(centre_id), today.year, year}, reverse=True)
    names = _names()
    form = FilterForm(years, names, formdata=request.args)
    form.jahr.data = str(year)
    filters = queries.Filters(
        type=form.chosen("art", codes.TYPES),
        eckpunkt=form.chosen("eckpunkt", codes.ECKPUNKTE),
        task=form.chosen("aufgabe", codes.TASKS),
        district_code=form.chosen("stadtteil", names),
    )
    of_year = queries.activities_of_year(centre_id, year)
    shown = queries.filtered(of_year, filters)
    return render_template(
        "activities/index.html",
        form=form,
        year=year,
        activities=shown,
        total=len(of_year),
        is_filtered=filters != queries.Filters(),
        names=names,
        codes=codes,
    )


# --- record, change, delete ----------------------------------------------------------------


def _form_page(
    form: ActivityForm, activity: Activity | None = None, status: int = 200
) -> ResponseReturnValue:
    return render_template("activities/form.html", form=form, activity=activity), status


def _refused(form: ActivityForm, exc: operations.ActivityError) -> None:
    db.session.rollback()
    form.form_errors.append(str(exc))


@bp.route("/neu", methods=["GET", "POST"])
@require(Permission.ACTIVITIES_RECORD)
def new() -> ResponseReturnValue:
    """Record an activity."""
    offered = _offered_districts()
    form = ActivityForm(offered)
    if not form.is_submitted():
        return _form_page(form)
    if form.validate():
        try:
            activity = operations.record_activity(_me(), _data(form), set(offered or {}))
        except operations.ActivityError as exc:
            _refused(form, exc)
        else:
            flash(_l("Die Aktivität wurde erfasst."), "success")
            return redirect(
                url_for(
                    "activities.index",
                    jahr=activity.starts_on.year,
                    _anchor=f"aktivitaet-{activity.id}",
                )
            )
    return _form_page(form, status=400)


@bp.route("/<int:activity_id>/bearbeiten", methods=["GET", "POST"])
@require(Permission.ACTIVITIES_RECORD)
def edit(activity_id: int) -> ResponseReturnValue:
    """Change an activity."""
    activity = queries.get_activity_in_centre_or_404(activity_id, _me().centre_id)
    offered = _offered_districts(keep=activity.district_code)
    if request.method == "GET":
        return _form_page(ActivityForm(offered, obj=activity), activity)
    form = ActivityForm(offered)
    if form.validate():
        try:
            changed = operations.change_activity(_me(), activity, _data(form), set(offered or {}))
        except operations.ActivityError as exc:
            _refused(form, exc)
        else:
            if changed:
                flash(_l("Die Aktivität wurde geändert."), "success")
            else:
                flash(_l("Nichts geändert."), "success")
            return redirect(
                url_for(
                    "activities.index",
                    jahr=activity.starts_on.year,
                    _anchor=f"aktivitaet-{activity.id}",
                )
            )
    return _form_page(form, activity, 400)


@bp.route("/<int:activity_id>/loeschen", methods=["GET", "POST"])
@require(Permission.ACTIVITIES_RECORD)
def delete(activity_id: int) -> ResponseReturnValue:
    """Ask, then delete an activity (CSRF is checked for every POST before the view runs)."""
    activity = queries.get_activity_in_centre_or_404(activity_id, _me().centre_id)
    if request.method == "GET":
        return render_template(
            "activities/delete.html", activity=activity, names=_names(), codes=codes
        )
    year = activity.starts_on.year
    try:
        operations.delete_activity(_me(), activity)
    except operations.ActivityError as exc:  # pragma: no cover - the guard and query decide first
        db.session.rollback()
        flash(str(exc), "error")
        abort(403)
    flash(_l("Die Aktivität wurde gelöscht."), "success")
    return redirect(url_for("activities.index", jahr=year))
