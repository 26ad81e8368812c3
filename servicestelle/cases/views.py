"""Case pages of counsellors and supervisors: the case list and its search, the case form.

The case page itself and its actions are in views_case.py, the parts of a case in
views_parts.py, the Art. 15 export in views_art15.py, vignettes for reports in
views_vignettes.py; importing them here registers their
routes on the one blueprint.
"""

from __future__ import annotations

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from servicestelle.auth.queries import users_by_id
from servicestelle.cases import (
    districts,
    forms,
    operations,
    queries,
    vault,
    views_art15,
    views_case,
    views_parts,
    views_vignettes,
)
from servicestelle.cases.access import CaseAccess
from servicestelle.cases.forms import CaseForm
from servicestelle.cases.forms_list import FilterForm, SearchForm
from servicestelle.cases.queries import CaseFilter, CasePage
from servicestelle.cases.views_common import bp, load, me, to_case, unreadable
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require

__all__ = ["bp", "views_art15", "views_case", "views_parts", "views_vignettes"]


def _page_number() -> int:
    raw = request.args.get("seite", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1


def _filter_form(formdata: MultiDict[str, str] | None) -> FilterForm:
    form = FilterForm(formdata=formdata)
    colleagues = []
    if me().can(Permission.CASE_ASSIGN):
        colleagues = [(u.id, u.display_name) for u in operations.colleagues(me().centre_id)]
    form.offer_assignees(colleagues)
    return form


def _names(page: CasePage | None) -> dict[int, str]:
    """Display names of everyone assigned to a case on the page."""
    if page is None:
        return {}
    ids = {m.user_id for row in page.rows for m in row.case.members}
    if not ids:
        return {}
    return {user_id: user.display_name for user_id, user in users_by_id(ids).items()}


def _list_page(
    filters: FilterForm,
    search_form: SearchForm,
    page: CasePage | None,
    *,
    searched: bool = False,
    status: int = 200,
) -> ResponseReturnValue:
    args = {
        name: value
        for name, value in (
            ("status", filters.status.data),
            ("frist", filters.frist.data),
            ("zustaendig", filters.zustaendig.data),
        )
        if value
    }
    return render_template(
        "cases/index.html",
        filters=filters,
        search_form=search_form,
        page=page,
        names=_names(page),
        searched=searched,
        filter_args=args,
    ), status


@bp.get("")
@require(Permission.CASE_LIST)
def index() -> ResponseReturnValue:
    """The cases the user may see, with filters (GET) and the next deadline of each."""
    filters = _filter_form(request.args)
    if request.args and not filters.validate():
        return _list_page(filters, SearchForm(formdata=None), None, status=400)
    wanted = CaseFilter(
        status=filters.status.data or None,
        deadline=filters.frist.data or None,
        assignee=filters.zustaendig.data or None,
        page=_page_number(),
    )
    return _list_page(filters, SearchForm(formdata=None), queries.list_cases(me(), wanted))


@bp.post("/suche")
@require(Permission.CASE_LIST)
def search() -> ResponseReturnValue:
    """Search by reference, pseudonym or respondent: a POST, so no name is in a URL or log."""
    form = SearchForm()
    filters = _filter_form(None)
    if not form.validate():
        return _list_page(filters, form, None, status=400)
    wanted = CaseFilter(search_field=form.feld.data, search_text=form.text.data)
    return _list_page(filters, form, queries.list_cases(me(), wanted), searched=True)


def _form_page(form: CaseForm, access: CaseAccess | None, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "cases/form.html",
        form=form,
        access=access,
        sections=forms.SECTIONS,
    ), status


def _refusal(form: CaseForm, exc: Exception) -> int:
    """Show why a save was refused (next to the fields, or on top); the page's status."""
    db.session.rollback()
    if isinstance(exc, ValidationError):
        forms.apply_errors(form, exc.messages)
        return 400
    form.form_errors.append(str(exc))
    return 409 if isinstance(exc, operations.StaleEdit) else 400


@bp.route("/neu", methods=["GET", "POST"])
@require(Permission.CASE_WORK)
def new() -> ResponseReturnValue:
    """A new case; a draft may be saved with nothing filled in."""
    centre_id = me().centre_id
    form = CaseForm()
    forms.offer_districts(form, districts.offered(centre_id))
    if not form.validate_on_submit():
        return _form_page(form, None, 400 if form.is_submitted() else 200)
    content = forms.to_payload(form)
    try:
        case = operations.create_case(me(), content, forms.metadata(form))
    except (ValidationError, operations.CaseError) as exc:
        return _form_page(form, None, _refusal(form, exc))
    flash(_l("Der Fall %(reference)s wurde angelegt.", reference=case.reference), "success")
    return to_case(case.id)


@bp.route("/<int:case_id>/bearbeiten", methods=["GET", "POST"])
@require(Permission.CASE_LIST)
def edit(case_id: int) -> ResponseReturnValue:
    """Change a case's details; a save over someone else's newer one is refused."""
    access = load(case_id, content=True)
    case = access.case
    if request.method == "GET":
        try:
            opened = operations.open_case(access)  # the one audited read of this page
        except vault.CaseUnreadable:
            return unreadable(case_id)
        data = forms.from_payload(
            opened.payload, status=case.status, opened_on=case.opened_on, closed_on=case.closed_on
        )
        form = CaseForm(data={**data, "content_version": case.content_version})
        kept = opened.payload["incident"].get("district_code", "")
        forms.offer_districts(form, districts.offered(case.centre_id, kept))
        return _form_page(form, access)
    form = CaseForm()
    try:
        # A retired district stays selectable for the case that already names it.
        kept = districts.kept_code(access, form[forms.DISTRICT.name].data or "")
    except vault.CaseUnreadable:
        return unreadable(case_id)
    forms.offer_districts(form, districts.offered(case.centre_id, kept))
    if not form.validate_on_submit():
        return _form_page(form, access, 400)
    content = forms.to_payload(form)
    try:
        operations.update_case(
            access,
            content,
            forms.metadata(form),
            based_on=form.content_version.data or 0,
        )
    except (ValidationError, operations.CaseError) as exc:
        return _form_page(form, access, _refusal(form, exc))
    except vault.CaseUnreadable:
        return unreadable(case_id)
    flash(
        _l("Die Änderungen am Fall %(reference)s sind gespeichert.", reference=case.reference),
        "success",
    )
    return to_case(case_id)
