"""User administration for the admin role, limited to the admin's own centre."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicestelle.admin.forms import PasswordResetForm, RolesForm, UserCreateForm
from servicestelle.auth import operations
from servicestelle.auth.freshness import fresh_auth_required
from servicestelle.auth.models import User
from servicestelle.auth.queries import get_user_in_centre_or_404, users_of_centre
from servicestelle.permissions import Permission, require
from servicestelle.roles import parse_roles

bp = Blueprint("admin", __name__, url_prefix="/verwaltung")


def _me() -> User:
    return current_user


@bp.get("/benutzer")
@require(Permission.USERS_READ)
def users() -> ResponseReturnValue:
    """All users of the own centre."""
    return render_template("admin/users.html", users=users_of_centre(_me().centre_id))


@bp.route("/benutzer/neu", methods=["GET", "POST"])
@require(Permission.USERS_MANAGE)
@fresh_auth_required
def create_user() -> ResponseReturnValue:
    """Create a user with a one-time password; they set up their second factor at first login."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            created = operations.create_user(
                centre=_me().centre,
                username=form.username.data,
                display_name=form.display_name.data or "",
                password=form.password.data,
                roles=parse_roles(form.roles.data),
                must_change_password=True,
            )
        except (operations.AccountError, ValueError) as exc:
            form.form_errors.append(str(exc))
        else:
            flash(_l("Das Konto %(name)s wurde angelegt.", name=created.user.username), "success")
            return redirect(url_for("admin.user_detail", user_id=created.user.id))
    return render_template("admin/user_create.html", form=form)


@bp.get("/benutzer/<int:user_id>")
@require(Permission.USERS_READ)
def user_detail(user_id: int) -> ResponseReturnValue:
    """One user: roles, state, second factor."""
    return _detail_page(get_user_in_centre_or_404(user_id, _me().centre_id))


def _detail_page(
    user: User,
    roles_form: RolesForm | None = None,
    password_form: PasswordResetForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The user page, keeping a form that failed validation as the admin filled it."""
    page = render_template(
        "admin/user_detail.html",
        user=user,
        roles_form=roles_form or RolesForm(data={"roles": sorted(user.roles)}),
        password_form=password_form or PasswordResetForm(),
    )
    return page, status


def _apply(user: User, action: str) -> ResponseReturnValue:
    """Run an account change, report the outcome, return to the user page."""
    me = _me()
    try:
        if action == "disable":
            operations.disable_user(me, user)
            message = _l("Das Konto wurde deaktiviert; alle Sitzungen sind beendet.")
        elif action == "enable":
            operations.enable_user(me, user)
            message = _l("Das Konto ist wieder aktiv.")
        else:
            operations.reset_second_factor(me, user)
            message = _l(
                "Der zweite Faktor wurde zurückgesetzt; die Person richtet ihn bei der nächsten Anmeldung neu ein."
            )
    except operations.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(message, "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/benutzer/<int:user_id>/rollen")
@require(Permission.USERS_MANAGE)
@fresh_auth_required
def set_roles(user_id: int) -> ResponseReturnValue:
    """Replace a user's roles (separation of duties enforced); their sessions end."""
    user = get_user_in_centre_or_404(user_id, _me().centre_id)
    form = RolesForm()
    if form.validate_on_submit():
        try:
            operations.set_roles(_me(), user, parse_roles(form.roles.data))
        except (operations.AccountError, ValueError) as exc:
            form.roles.errors = [*form.roles.errors, str(exc)]
        else:
            flash(
                _l("Die Rollen wurden geändert; alle Sitzungen der Person sind beendet."), "success"
            )
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _detail_page(user, roles_form=form, status=400)


@bp.post("/benutzer/<int:user_id>/deaktivieren")
@require(Permission.USERS_MANAGE)
@fresh_auth_required
def disable(user_id: int) -> ResponseReturnValue:
    """Disable an account."""
    return _apply(get_user_in_centre_or_404(user_id, _me().centre_id), "disable")


@bp.post("/benutzer/<int:user_id>/aktivieren")
@require(Permission.USERS_MANAGE)
@fresh_auth_required
def enable(user_id: int) -> ResponseReturnValue:
    """Enable a disabled account."""
    return _apply(get_user_in_centre_or_404(user_id, _me().centre_id), "enable")


@bp.post("/benutzer/<int:user_id>/zweiter-faktor-zuruecksetzen")
@require(Permission.USERS_MANAGE)
@fresh_auth_required
def reset_second_factor(user_id: int) -> ResponseReturnValue:
    """Drop a user's second factor so that they enrol again."""
    return _apply(get_user_in_centre_or_404(user_id, _me().centre_id), "reset_second_factor")


@bp.post("/benutzer/<int:user_id>/passwort")
@require(Permission.USERS_MANAGE)
@fresh_auth_required
def reset_password(user_id: int) -> ResponseReturnValue:
    """Set a one-time password the user must change at the next login."""
    user = get_user_in_centre_or_404(user_id, _me().centre_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            operations.reset_password(_me(), user, form.new_password.data)
        except operations.AccountError as exc:
            form.new_password.errors = [*form.new_password.errors, str(exc)]
        else:
            flash(
                _l("Das Einmal-Passwort ist gesetzt; alle Sitzungen der Person sind beendet."),
                "success",
            )
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _detail_page(user, password_form=form, status=400)
