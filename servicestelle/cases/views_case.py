"""The case page and what is done on it: team, legal hold, break-glass.

With content access the page opens the case once (one audited read) and shows everything;
with metadata access (a supervisor) it shows reference, status, dates, team and due dates,
and offers break-glass. Under break-glass every page of the case carries a banner.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from servicestelle import clock, services
from servicestelle.auth.models import User
from servicestelle.cases import access as case_access
from servicestelle.cases import break_glass, forms, operations, queries, vault, views_content
from servicestelle.cases.access import CaseAccess, Reach
from servicestelle.cases.forms_case import (
    KIND_LABELS,
    BreakGlassForm,
    BreakGlassReasonForm,
    LegalHoldForm,
    MemberForm,
)
from servicestelle.cases.forms_parts import FollowUpForm, WithdrawForm
from servicestelle.cases.models import Case
from servicestelle.cases.operations import CaseError, OpenedCase
from servicestelle.cases.views_common import bp, first_error, load, me, to_case, unreadable
from servicestelle.cases.views_content import CaseContent
from servicestelle.cases.views_display import local_clock
from servicestelle.centres.queries import district_names
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require

TEAM_CHANGED = _l("Die Zuständigkeit wurde geändert.")


def member_form(access: CaseAccess, *, submitted: bool = False) -> MemberForm | None:
    """Assign (supervisors) or share (assigned counsellors) with a colleague; None if neither."""
    if not access.may_manage_members:
        return None
    assigns = access.user.can(Permission.CASE_ASSIGN)
    form = MemberForm(prefix="team") if submitted else MemberForm(prefix="team", formdata=None)
    kinds = {m.user_id: m.kind for m in access.case.members}
    # Never oneself: a supervisor who also counsels is assigned by another supervisor
    # (operations.add_member refuses it too).
    form.user_id.choices = forms.choices_of(
        (user.id, user.display_name)
        for user in operations.colleagues(access.case.centre_id)
        if user.id != access.user.id
        and (user.id not in kinds or (assigns and kinds[user.id] == "shared"))
    )
    if assigns:
        form.kind.choices = forms.choices_of(KIND_LABELS.items())
        if not submitted:
            form.kind.data = "assigned"
    else:
        form.kind.choices = forms.choices_of([("shared", KIND_LABELS["shared"])])
    return form


def _page(
    access: CaseAccess,
    *,
    opened: OpenedCase | None = None,
    content: CaseContent | None = None,
    break_glass_form: BreakGlassReasonForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    case = access.case
    user = access.user
    deadline_items = content.deadlines if content else views_content.plain_deadlines(case)
    context: dict[str, Any] = {
        "access": access,
        "case": case,
        "sections": forms.SECTIONS,
        "payload": opened.payload if opened else None,
        "district_names": district_names(case.centre_id) if opened else {},
        "content": content,
        "deadlines": deadline_items,
        "team": views_content.team(case),
        "kind_labels": KIND_LABELS,
        "member_form": member_form(access),
        "may_assign": user.can(Permission.CASE_ASSIGN),
        "legal_hold_form": LegalHoldForm() if user.can(Permission.CASE_ASSIGN) else None,
        # The assigned counsellors see who opened their case in an emergency, and why.
        "openings": break_glass.openings_of(case) if access.is_assigned else None,
        "break_glass_form": (
            break_glass_form or BreakGlassReasonForm()
            if not access.content and user.can(Permission.CASE_BREAK_GLASS)
            else None
        ),
        "break_glass_minutes": services.settings().break_glass_minutes,
        "follow_up_forms": {
            item.row.id: FollowUpForm(prefix=f"folge{item.row.id}", data={"kind": item.follow_up})
            for item in deadline_items
            if item.follow_up
        },
        "withdraw_forms": {
            consent.id: WithdrawForm(
                prefix=f"widerruf{consent.id}", data={"withdrawn_on": clock.today()}
            )
            for consent in (content.consents if content else [])
            if consent.withdrawn_on is None
        },
    }
    return render_template("cases/show.html", **context), status


@bp.get("/<int:case_id>")
@require(Permission.CASE_LIST)
def show(case_id: int) -> ResponseReturnValue:
    """One case: all of it with content access, its plaintext metadata otherwise."""
    access = load(case_id)
    if not access.content:
        return _page(access)
    try:
        opened = operations.open_case(access)  # the page's one audited read
        content = views_content.read_content(opened)
    except vault.CaseUnreadable:
        return unreadable(case_id)
    return _page(access, opened=opened, content=content)


# --- team and legal hold --------------------------------------------------------------------


@bp.post("/<int:case_id>/team")
@require(Permission.CASE_LIST)
def add_member(case_id: int) -> ResponseReturnValue:
    """Assign the case to a colleague, or share it with one."""
    access = load(case_id)
    form = member_form(access, submitted=True)
    if form is None:
        flash(_l("Sie dürfen die Zuständigkeit dieser Akte nicht ändern."), "error")
    elif not form.validate_on_submit():
        flash(first_error(form), "error")
    else:
        colleague = db.session.get(User, form.user_id.data)
        try:
            if colleague is None:
                raise CaseError(str(_l("Bitte wählen Sie eine Person.")))
            operations.add_member(access, colleague, form.kind.data)
        except CaseError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(TEAM_CHANGED, "success")
    return to_case(case_id, "team")


@bp.post("/<int:case_id>/team/<int:user_id>/entfernen")
@require(Permission.CASE_LIST)
def remove_member(case_id: int, user_id: int) -> ResponseReturnValue:
    """Take someone off the case."""
    access = load(case_id)
    try:
        operations.remove_member(access, user_id)
    except CaseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(TEAM_CHANGED, "success")
        if case_access.reach_of(me(), access.case).reach is Reach.NONE:
            return redirect(url_for("cases.index"))  # one's own sharing ended
    return to_case(case_id, "team")


@bp.post("/<int:case_id>/aufbewahrungssperre")
@require(Permission.CASE_ASSIGN)
def legal_hold(case_id: int) -> ResponseReturnValue:
    """Set or lift the legal hold (kept beyond the retention period while set)."""
    access = load(case_id)
    form = LegalHoldForm()
    if not form.validate_on_submit() or form.hold.data not in ("0", "1"):
        flash(_l("Bitte prüfen Sie Ihre Eingaben."), "error")
        return to_case(case_id)
    hold = form.hold.data == "1"
    try:
        operations.set_legal_hold(access, hold)
    except CaseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(
            _l("Die Aufbewahrungssperre ist gesetzt.")
            if hold
            else _l("Die Aufbewahrungssperre ist aufgehoben."),
            "success",
        )
    return to_case(case_id, "aufbewahrung")


# --- break-glass ----------------------------------------------------------------------------


def _open(form: BreakGlassReasonForm, case: Case) -> Response | None:
    """Open ``case`` in an emergency; None (and the reason in the form) if refused."""
    if case_access.reach_of(me(), case).content:
        flash(_l("Sie haben bereits Zugriff auf diese Akte."), "success")
        return to_case(case.id)
    try:
        grant = break_glass.open_case(me(), case, form.reason.data or "")
    except CaseError as exc:
        db.session.rollback()
        form.reason.errors.append(str(exc))
        return None
    flash(
        _l(
            "Notfallzugriff bis %(time)s Uhr geöffnet. Er wird protokolliert und von der oder dem Datenschutzbeauftragten geprüft.",
            time=local_clock(grant.expires_at),
        ),
        "warning",
    )
    return to_case(case.id)


@bp.route("/notfallzugriff", methods=["GET", "POST"])
@require(Permission.CASE_BREAK_GLASS)
def break_glass_page() -> ResponseReturnValue:
    """Open a case one is not assigned to, by its reference and with a written reason."""
    form = BreakGlassForm()
    if form.validate_on_submit():
        case = break_glass.find_case_by_reference(me(), form.reference.data)
        if queries.parse_reference(form.reference.data) is None:
            form.reference.errors.append(
                str(
                    _l(
                        "Bitte geben Sie das Aktenzeichen als Jahr und Nummer an, zum Beispiel 2026-0042."
                    )
                )
            )
        elif case is None:
            form.reference.errors.append(
                str(_l("Ihre Beratungsstelle hat keinen Fall mit diesem Aktenzeichen."))
            )
        elif (done := _open(form, case)) is not None:
            return done
    page = render_template(
        "cases/break_glass.html",
        form=form,
        minutes=services.settings().break_glass_minutes,
    )
    return page, 400 if form.is_submitted() else 200


@bp.post("/<int:case_id>/notfallzugriff")
@require(Permission.CASE_BREAK_GLASS)
def break_glass_case(case_id: int) -> ResponseReturnValue:
    """Break-glass from the metadata view of a case."""
    access = load(case_id)
    form = BreakGlassReasonForm()
    if form.validate_on_submit() and (done := _open(form, access.case)) is not None:
        return done
    return _page(access, break_glass_form=form, status=400)
