"""The parts of a case: contacts, interventions, deadlines, documents, consents.

Each form has a page of its own (no JavaScript; a refused entry comes back with the message
next to its field and nothing typed lost); a saved one returns to the case page with a flash
message (POST-redirect-GET). Every handler loads the case with content access first.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from servicestelle import catalogue, services
from servicestelle.cases import parts, vault
from servicestelle.cases.access import CaseAccess
from servicestelle.cases.forms_parts import (
    ConsentForm,
    ContactForm,
    DeadlineForm,
    DocumentForm,
    FollowUpForm,
    InterventionForm,
    WithdrawForm,
)
from servicestelle.cases.operations import CaseError
from servicestelle.cases.views_common import attempt, bp, first_error, load, to_case, unreadable
from servicestelle.cases.views_display import local_date
from servicestelle.extensions import csrf, db
from servicestelle.permissions import Permission, require

#: Room for the form fields and multipart framing around the largest allowed document.
UPLOAD_OVERHEAD = 64 * 1024


def _page(template: str, access: CaseAccess, form: FlaskForm, **extra: Any) -> ResponseReturnValue:
    status = 400 if form.is_submitted() else 200
    return render_template(f"cases/{template}", access=access, form=form, **extra), status


# --- contacts and interventions -------------------------------------------------------------


@bp.route("/<int:case_id>/kontakte/neu", methods=["GET", "POST"])
@require(Permission.CASE_LIST)
def add_contact(case_id: int) -> ResponseReturnValue:
    """Add a contact to the case's timeline."""
    access = load(case_id, content=True)
    form = ContactForm()
    if form.validate_on_submit() and attempt(
        form,
        lambda: parts.add_contact(
            access,
            form.occurred_on.data,
            {
                "channel": form.channel.data,
                "duration_minutes": form.duration_minutes.data,
                "note": form.note.data or "",
            },
        ),
    ):
        flash(_l("Der Kontakt wurde gespeichert."), "success")
        return to_case(case_id, "kontakte")
    return _page("contact_form.html", access, form)


def intervention_groups() -> list[tuple[Any, list[str]]]:
    """The intervention codes under the heading of their group; "Anderes" etc. last."""
    codes = catalogue.INTERVENTIONS.entries()
    grouped = [
        (group.label, [code.code for code in codes if code.group == group.code])
        for group in catalogue.INTERVENTION_GROUPS.entries()
    ]
    rest = [code.code for code in codes if code.group is None]
    return [*grouped, (_l("Weitere Angaben"), rest)] if rest else grouped


@bp.route("/<int:case_id>/interventionen/neu", methods=["GET", "POST"])
@require(Permission.CASE_LIST)
def add_intervention(case_id: int) -> ResponseReturnValue:
    """Record a step taken in the case."""
    access = load(case_id, content=True)
    form = InterventionForm()
    if form.validate_on_submit() and attempt(
        form,
        lambda: parts.add_intervention(
            access,
            form.occurred_on.data,
            {
                "type": form.type.data,
                "details": form.details.data or "",
                "result": form.result.data or "",
            },
        ),
    ):
        flash(_l("Die Intervention wurde gespeichert."), "success")
        return to_case(case_id, "interventionen")
    return _page("intervention_form.html", access, form, groups=intervention_groups())


# --- deadlines ----------------------------------------------------------------------------


def _deadline_saved(due_on: Any) -> None:
    flash(
        _l("Die Frist wurde gespeichert. Sie endet am %(date)s.", date=local_date(due_on)),
        "success",
    )


@bp.route("/<int:case_id>/fristen/neu", methods=["GET", "POST"])
@require(Permission.CASE_LIST)
def add_deadline(case_id: int) -> ResponseReturnValue:
    """A statutory deadline, computed from the date that starts it."""
    access = load(case_id, content=True)
    form = DeadlineForm()
    saved = []
    if form.validate_on_submit() and attempt(
        form,
        lambda: saved.append(
            parts.add_deadline(
                access,
                form.kind.data,
                form.trigger_on.data,
                uncertain=form.uncertain.data,
                note=form.note.data or "",
            )
        ),
    ):
        _deadline_saved(saved[0].due_on)
        return to_case(case_id, "fristen")
    return _page("deadline_form.html", access, form, months=parts.deadline_months())


@bp.post("/<int:case_id>/fristen/<int:deadline_id>/folgefrist")
@require(Permission.CASE_LIST)
def add_follow_up(case_id: int, deadline_id: int) -> ResponseReturnValue:
    """The deadline that meeting another one starts (ArbGG §61b after AGG §15(4))."""
    access = load(case_id, content=True)
    form = FollowUpForm(prefix=f"folge{deadline_id}")
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return to_case(case_id, "fristen")
    try:
        # One operation: the previous deadline must be this case's before anything is added.
        row = parts.add_follow_up(
            access,
            deadline_id,
            form.kind.data,
            form.trigger_on.data,
            uncertain=form.uncertain.data,
            mark_done=form.mark_done.data,
        )
    except (CaseError, ValidationError):
        db.session.rollback()
        flash(_l("Die Folgefrist konnte nicht angelegt werden."), "error")
        return to_case(case_id, "fristen")
    _deadline_saved(row.due_on)
    return to_case(case_id, "fristen")


@bp.post("/<int:case_id>/fristen/<int:deadline_id>/erledigt")
@require(Permission.CASE_LIST)
def deadline_done(case_id: int, deadline_id: int) -> ResponseReturnValue:
    """Mark a deadline as met."""
    access = load(case_id, content=True)
    try:
        parts.mark_deadline_done(access, deadline_id)
    except CaseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_l("Die Frist ist als erledigt markiert."), "success")
    return to_case(case_id, "fristen")


# --- documents ----------------------------------------------------------------------------


def _document_page(access: CaseAccess, form: DocumentForm, status: int) -> ResponseReturnValue:
    limit = services.settings().document_max_bytes
    page = render_template(
        "cases/document_form.html",
        access=access,
        form=form,
        max_mb=f"{limit / 1_048_576:.0f}",
    )
    return page, status


@bp.route("/<int:case_id>/dokumente/neu", methods=["GET", "POST"])
@require(Permission.CASE_LIST)
@csrf.exempt  # checked below, once the larger limit for this upload is in place
def add_document(case_id: int) -> ResponseReturnValue:
    """Attach a file: its type is decided by its content, its name is never shown again."""
    # Access first: the body of someone who may not touch the case is never parsed.
    access = load(case_id, content=True)
    too_large = False
    if request.method == "POST":
        # Before anything reads the body: only this view accepts more than the app's limit.
        request.max_content_length = services.settings().document_max_bytes + UPLOAD_OVERHEAD
        try:
            csrf.protect()
        except RequestEntityTooLarge:
            too_large = True
    form = DocumentForm(formdata=None) if too_large else DocumentForm()
    if too_large:
        limit = services.settings().document_max_bytes
        form.file.errors = [
            str(_l("Die Datei ist zu groß (höchstens %(mb)s MB).", mb=f"{limit / 1_048_576:.0f}"))
        ]
        return _document_page(access, form, 413)
    if form.validate_on_submit():
        upload = form.file.data
        if attempt(
            form,
            lambda: parts.add_document(
                access,
                upload.read(),
                filename=upload.filename or "",
                description=form.description.data or "",
            ),
            error_field="file",
            aliases={"filename": "file"},
        ):
            flash(_l("Das Dokument wurde gespeichert."), "success")
            return to_case(case_id, "dokumente")
    return _document_page(access, form, 400 if form.is_submitted() else 200)


@bp.get("/<int:case_id>/dokumente/<int:document_id>")
@require(Permission.CASE_LIST)
def download_document(case_id: int, document_id: int) -> ResponseReturnValue:
    """A document as a download, under a name that says nothing about anyone."""
    access = load(case_id, content=True)
    try:
        download = parts.read_document(access, document_id)
    except CaseError:
        db.session.rollback()
        abort(404)
    except vault.CaseUnreadable:
        return unreadable(case_id)
    response = Response(download.content, content_type=download.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- consents -----------------------------------------------------------------------------


@bp.route("/<int:case_id>/einwilligungen/neu", methods=["GET", "POST"])
@require(Permission.CASE_LIST)
def add_consent(case_id: int) -> ResponseReturnValue:
    """Record a consent the client gave for one purpose."""
    access = load(case_id, content=True)
    form = ConsentForm()
    if form.validate_on_submit() and attempt(
        form,
        lambda: parts.record_consent(
            access, form.purpose.data, form.given_on.data, form.given_as.data
        ),
    ):
        flash(_l("Die Einwilligung wurde gespeichert."), "success")
        return to_case(case_id, "einwilligungen")
    return _page("consent_form.html", access, form)


@bp.post("/<int:case_id>/einwilligungen/<int:consent_id>/widerruf")
@require(Permission.CASE_LIST)
def withdraw_consent(case_id: int, consent_id: int) -> ResponseReturnValue:
    """Record the withdrawal of a consent (statistics: the case leaves them)."""
    access = load(case_id, content=True)
    form = WithdrawForm(prefix=f"widerruf{consent_id}")
    if not form.validate_on_submit():
        flash(first_error(form), "error")
    elif attempt(form, lambda: parts.withdraw_consent(access, consent_id, form.withdrawn_on.data)):
        flash(_l("Der Widerruf wurde gespeichert."), "success")
    else:
        flash(first_error(form), "error")
    return to_case(case_id, "einwilligungen")
