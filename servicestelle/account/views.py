"""Self-service for every role: password, second factor, recovery codes, API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicestelle.account.forms import TokenForm
from servicestelle.api import operations as token_operations
from servicestelle.api.queries import tokens_of
from servicestelle.api.views import get_own_token_or_404
from servicestelle.auth import operations
from servicestelle.auth.forms import EnrolForm, PasswordChangeForm
from servicestelle.auth.freshness import fresh_auth_required
from servicestelle.auth.models import User
from servicestelle.auth.queries import unused_recovery_codes
from servicestelle.auth.views import client_address, enrolment_context
from servicestelle.permissions import Permission, require
from servicestelle.sessions.interface import ServerSession

bp = Blueprint("account", __name__, url_prefix="/konto")


def _me() -> User:
    return current_user


def _token() -> str | None:
    return session.token if isinstance(session, ServerSession) else None


@bp.get("/")
@require(Permission.ACCOUNT_MANAGE)
def index() -> ResponseReturnValue:
    """Overview of the own account."""
    me = _me()
    return render_template(
        "account/index.html", me=me, recovery_left=len(unused_recovery_codes(me.id))
    )


@bp.route("/passwort", methods=["GET", "POST"])
@require(Permission.ACCOUNT_MANAGE)
def change_password() -> ResponseReturnValue:
    """Change the own password; other sessions end."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            operations.change_own_password(
                _me(),
                current_password=form.current_password.data,
                new_password=form.new_password.data,
                keep_token=_token(),
                client_address=client_address(),
            )
        except operations.AccountError as exc:
            form.new_password.errors = [*form.new_password.errors, str(exc)]
            status = exc.status
        else:
            session.regenerate()  # type: ignore[attr-defined]
            flash(
                _l("Ihr neues Passwort ist gespeichert. Andere Sitzungen wurden beendet."),
                "success",
            )
            return redirect(url_for("account.index"))
    return render_template("account/change_password.html", form=form), status


@bp.post("/wiederherstellungscodes")
@require(Permission.ACCOUNT_MANAGE)
@fresh_auth_required
def new_recovery_codes() -> ResponseReturnValue:
    """Replace all recovery codes; the new ones are shown once."""
    codes = operations.regenerate_recovery_codes(_me())
    return render_template("auth/recovery_codes.html", codes=codes, continue_url=None)


@bp.post("/zweiter-faktor/neu")
@require(Permission.ACCOUNT_MANAGE)
@fresh_auth_required
def start_reenrolment() -> ResponseReturnValue:
    """Begin moving the second factor to a new device."""
    operations.start_enrolment(_me())
    return redirect(url_for("account.reenrol"))


@bp.route("/zweiter-faktor", methods=["GET", "POST"])
@require(Permission.ACCOUNT_MANAGE)
@fresh_auth_required
def reenrol() -> ResponseReturnValue:
    """Confirm the new device; the old one works until then. Fresh authentication here too:
    a move started and abandoned must not be finished later from a left-open session."""
    me = _me()
    seed = operations.pending_seed(me)
    if seed is None:
        return redirect(url_for("account.index"))
    form = EnrolForm()
    error = None
    if form.validate_on_submit():
        enrolment = operations.confirm_enrolment(me, form.code.data, keep_token=_token())
        if enrolment is not None:
            flash(
                _l("Der zweite Faktor ist eingerichtet. Andere Sitzungen wurden beendet."),
                "success",
            )
            return render_template(
                "auth/recovery_codes.html", codes=enrolment.recovery_codes, continue_url=None
            )
        error = _l("Der Code ist falsch oder wurde schon verwendet.")
    return render_template(
        "account/reenrol.html", form=form, error=error, **enrolment_context(me, seed)
    )


@bp.get("/tokens")
@require(Permission.ACCOUNT_MANAGE)
def tokens() -> ResponseReturnValue:
    """List own API tokens; creating one needs fresh authentication."""
    return render_template(
        "account/tokens.html", form=TokenForm(), tokens=tokens_of(_me()), new_token=None
    )


@bp.post("/tokens/neu")
@require(Permission.ACCOUNT_MANAGE)
@fresh_auth_required
def create_token() -> ResponseReturnValue:
    """Issue a personal API token, shown once."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            new_token = token_operations.create_token(_me(), form.name.data, form.days.data)
        except token_operations.TokenError as exc:
            form.name.errors = [*form.name.errors, str(exc)]
    status = 200 if new_token is not None else 400
    page = render_template(
        "account/tokens.html", form=form, tokens=tokens_of(_me()), new_token=new_token
    )
    return page, status


@bp.post("/tokens/<int:token_id>/widerrufen")
@require(Permission.ACCOUNT_MANAGE)
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke one of the own tokens."""
    token_operations.revoke_token(get_own_token_or_404(_me(), token_id))
    flash(_l("Das Token wurde widerrufen."), "success")
    return redirect(url_for("account.tokens"))
