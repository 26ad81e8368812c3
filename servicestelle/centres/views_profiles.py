"""District profiles under /stadtteile/profile, for a centre's supervisors: the years imported
and the import form, one year's figures with their version history, and a template file.

Routes on the centres blueprint (centres.views.bp); blueprints.py imports this module so they
exist before the blueprint is registered. Like the register, they need ``districts:manage``,
and a coordinator serves none of them (coordinator.mode: the centres module is centre-only).
"""

from __future__ import annotations

import csv
import io

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_number
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicestelle import clock
from servicestelle.auth.models import User
from servicestelle.centres import profile_operations, profiles
from servicestelle.centres.profile_forms import ProfileImportForm
from servicestelle.centres.profile_import import MAX_BYTES, OPTIONAL_COLUMNS, ProfileFileError
from servicestelle.centres.queries import districts_of
from servicestelle.centres.views import bp
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.stats import downloads
from servicestelle.stats.exports import text_cell
from servicestelle.stats.queries import display_names


def _me() -> User:
    return current_user


def _index_page(
    form: ProfileImportForm, problems: list[str] | None = None, status: int = 200
) -> ResponseReturnValue:
    centre_id = _me().centre_id
    current = profiles.current_profiles(centre_id)
    return (
        render_template(
            "centres/profiles.html",
            profiles=current,
            names=display_names(profile.imported_by for profile in current),
            form=form,
            problems=problems or [],
            optional_columns=OPTIONAL_COLUMNS.values(),
            has_districts=bool(districts_of(centre_id)),
            number=format_number,
        ),
        status,
    )


@bp.route("/profile", methods=["GET", "POST"])
@require(Permission.DISTRICTS_MANAGE)
def profiles_index() -> ResponseReturnValue:
    """The years with population figures, and the form that imports a year."""
    form = ProfileImportForm(clock.today())
    if not form.is_submitted():
        return _index_page(form)
    if not form.validate():
        return _index_page(form, status=400)
    data = form.file.data.read(MAX_BYTES + 1)
    try:
        imported = profile_operations.import_profile(_me(), form.year_value(), data)
    except ProfileFileError as exc:
        db.session.rollback()
        return _index_page(form, exc.problems, 400)
    profile = imported.profile
    if imported.replaced is None:
        flash(
            _l(
                "Die Zahlen für %(year)d wurden eingespielt (%(count)d Stadtteile).",
                year=profile.year,
                count=profile.district_count,
            ),
            "success",
        )
    else:
        flash(
            _l(
                "Die Zahlen für %(year)d wurden ersetzt: Version %(version)d gilt jetzt "
                "(%(count)d Stadtteile), Version %(old)d (%(old_count)d Stadtteile) ist "
                "abgelöst.",
                year=profile.year,
                version=profile.version,
                count=profile.district_count,
                old=imported.replaced.version,
                old_count=imported.replaced.district_count,
            ),
            "success",
        )
    return redirect(url_for("centres.profile", year=profile.year))


@bp.get("/profile/<int:year>")
@require(Permission.DISTRICTS_MANAGE)
def profile(year: int) -> ResponseReturnValue:
    """One year's figures per district, and the imports of that year."""
    centre_id = _me().centre_id
    versions = profiles.versions_of(centre_id, year)
    current = next((version for version in versions if version.is_current), None)
    if current is None:
        abort(404)
    districts = districts_of(centre_id)
    names = {district.code: district.name for district in districts}
    columns = [OPTIONAL_COLUMNS[code] for code in current.column_list if code in OPTIONAL_COLUMNS]
    order = {code: position for position, code in enumerate(names)}
    rows = sorted(current.figures, key=lambda figure: order.get(figure.district_code, len(order)))
    covered = {figure.district_code for figure in current.figures}
    return render_template(
        "centres/profile.html",
        profile=current,
        versions=versions,
        people=display_names(version.imported_by for version in versions),
        rows=rows,
        names=names,
        columns=columns,
        missing=[district for district in districts if district.code not in covered],
        number=format_number,
        decimal=format_decimal,
    )


@bp.get("/profile/vorlage.csv")
@require(Permission.DISTRICTS_MANAGE)
def profile_template() -> ResponseReturnValue:
    """A CSV with the register's codes and names, ready for the figures."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["code", "name", "einwohner", *OPTIONAL_COLUMNS])
    for district in districts_of(_me().centre_id):
        writer.writerow(
            [district.code, text_cell(district.name), "", *([""] * len(OPTIONAL_COLUMNS))]
        )
    return downloads.response(
        downloads.csv_bytes(out.getvalue()), downloads.CSV_MEDIA_TYPE, "stadtteile-vorlage.csv"
    )
