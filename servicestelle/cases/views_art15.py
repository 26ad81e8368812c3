"""The Art. 15 export of a client's file (registered on the cases blueprint by views.py)."""

from __future__ import annotations

from flask import flash, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from servicestelle.auth.freshness import fresh_auth_required
from servicestelle.cases import art15, vault
from servicestelle.cases.access import OBJECT_TYPE, CaseAccess
from servicestelle.cases.forms_fields import choices_of
from servicestelle.cases.views_common import bp, load, unreadable
from servicestelle.permissions import Permission, require
from servicestelle.security import deny_out_of_scope


class Art15Form(FlaskForm):
    format = RadioField(
        _l("Format"),
        choices=choices_of(
            [
                ("pdf", _l("PDF zum Ausdrucken oder Mitgeben")),
                ("json", _l("JSON (maschinenlesbar, Art. 20 DSGVO)")),
            ]
        ),
        default="pdf",
        validators=[InputRequired(_l("Bitte wählen Sie ein Format."))],
    )


def _page(access: CaseAccess, form: Art15Form, status: int = 200) -> ResponseReturnValue:
    page = render_template("cases/art15_form.html", access=access, case=access.case, form=form)
    return page, status


@bp.route("/<int:case_id>/auskunft", methods=["GET", "POST"])
@require(Permission.CASE_WORK)
@fresh_auth_required
def art15_export(case_id: int) -> ResponseReturnValue:
    """Explain the export, then hand out the file as PDF or JSON (after a fresh login)."""
    access = load(case_id, content=True)
    if not access.may_export:
        # Shared or opened by break-glass: reaching the content is no mandate to hand it out.
        deny_out_of_scope(OBJECT_TYPE, access.case.id, centre_id=access.case.centre_id)
    if request.method == "GET":
        return _page(access, Art15Form())
    form = Art15Form()
    if not form.validate_on_submit():
        return _page(access, form, 400)
    try:
        exported = art15.export(access, form.format.data)
    except vault.CaseUnreadable:
        return unreadable(case_id)
    except art15.ExportUnavailable:
        flash(
            _l("Die PDF-Ausgabe ist auf diesem Server nicht eingerichtet; bitte JSON wählen."),
            "error",
        )
        return _page(access, form, 503)
    response = make_response(exported.content)
    response.headers["Content-Type"] = exported.media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
