"""The district register of a centre ("Stadtteile und Kreise"), kept by its supervisors.

Every handler is load → check → act: the guard checks ``districts:manage``, the queries
answer 404 for another centre's district, the operations refuse and audit.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from servicestelle.auth.models import User
from servicestelle.centres import operations
from servicestelle.centres.forms import DistrictForm, DistrictRenameForm
from servicestelle.centres.models import District
from servicestelle.centres.queries import districts_of, get_district_in_centre_or_404
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require

bp = Blueprint("centres", __name__, url_prefix="/stadtteile")


def _me() -> User:
    return current_user


def _refused(form: FlaskForm, exc: operations.DistrictError) -> None:
    """The operation's refusal next to the field it names (else on top of the form)."""
    db.session.rollback()
    if exc.field is not None and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


def _index_page(form: DistrictForm, status: int = 200) -> ResponseReturnValue:
    districts = districts_of(_me().centre_id)
    return render_template("centres/districts.html", districts=districts, form=form), status


@bp.route("", methods=["GET", "POST"])
@require(Permission.DISTRICTS_MANAGE)
def index() -> ResponseReturnValue:
    """The centre's districts, and the form that adds one."""
    form = DistrictForm()
    if not form.is_submitted():
        return _index_page(form)
    if form.validate():
        try:
            added = operations.add_district(_me(), form.code.data or "", form.name.data or "")
        except operations.DistrictError as exc:
            _refused(form, exc)
        else:
            flash(_l("„%(name)s“ wurde hinzugefügt.", name=added.name), "success")
            return redirect(url_for("centres.index"))
    return _index_page(form, 400)


@bp.route("/<int:district_id>/umbenennen", methods=["GET", "POST"])
@require(Permission.DISTRICTS_MANAGE)
def rename(district_id: int) -> ResponseReturnValue:
    """Another display name for a district; its code stays."""
    district = get_district_in_centre_or_404(district_id, _me().centre_id)
    if request.method == "GET":
        return _rename_page(district, DistrictRenameForm(data={"name": district.name}))
    form = DistrictRenameForm()
    if form.validate():
        try:
            operations.rename_district(_me(), district, form.name.data or "")
        except operations.DistrictError as exc:
            _refused(form, exc)
        else:
            flash(_l("Der Name wurde geändert."), "success")
            return redirect(url_for("centres.index", _anchor=f"bezirk-{district.id}"))
    return _rename_page(district, form, 400)


def _rename_page(
    district: District, form: DistrictRenameForm, status: int = 200
) -> ResponseReturnValue:
    return render_template("centres/district_rename.html", district=district, form=form), status


def _set_active(district_id: int, active: bool) -> ResponseReturnValue:
    # CSRF is checked for every POST before the view runs (extensions.csrf).
    district = get_district_in_centre_or_404(district_id, _me().centre_id)
    try:
        operations.set_district_active(_me(), district, active)
    except operations.DistrictError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        if active:
            flash(_l("„%(name)s“ wird wieder angeboten.", name=district.name), "success")
        else:
            flash(
                _l(
                    "„%(name)s“ ist stillgelegt: Fälle, die ihn schon nennen, behalten ihn; neuen Fällen wird er nicht mehr angeboten.",
                    name=district.name,
                ),
                "success",
            )
    return redirect(url_for("centres.index", _anchor=f"bezirk-{district.id}"))


@bp.post("/<int:district_id>/stilllegen")
@require(Permission.DISTRICTS_MANAGE)
def retire(district_id: int) -> ResponseReturnValue:
    """Stop offering a district for new cases (the cases that name it keep it)."""
    return _set_active(district_id, False)


@bp.post("/<int:district_id>/aktivieren")
@require(Permission.DISTRICTS_MANAGE)
def reactivate(district_id: int) -> ResponseReturnValue:
    """Offer a retired district again."""
    return _set_active(district_id, True)
