"""Login in steps (password → second factor or its enrolment → forced password change),
logout and re-authentication."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from servicestelle.auth import login_state, operations, totp
from servicestelle.auth.forms import (
    EnrolForm,
    ForcedPasswordChangeForm,
    LoginForm,
    ReauthForm,
    SecondFactorForm,
)
from servicestelle.auth.login_state import Step
from servicestelle.auth.models import User
from servicestelle.permissions import Permission, require
from servicestelle.security import is_safe_redirect
from servicestelle.sessions.interface import ServerSession

bp = Blueprint("auth", __name__)

LOGIN_FAILED = _l("Benutzername oder Passwort ist falsch.")
CODE_FAILED = _l("Der Code ist falsch oder wurde schon verwendet.")
NEXT_KEY = "login_next"
#: Recovery codes left at which the user is urged to make new ones.
FEW_RECOVERY_CODES = 3


def client_address() -> str:
    return request.remote_addr or "unknown"


def _step_url(step: Step) -> str:
    return url_for(
        {
            Step.SECOND_FACTOR: "auth.second_factor",
            Step.ENROL: "auth.enrol",
            Step.CHANGE_PASSWORD: "auth.forced_password_change",
            Step.RECOVERY_CODES: "auth.enrolment_done",
        }[step]
    )


#: Outcomes of a login step that refuse without checking anything.
REFUSED = ("throttled", "busy")


def _throttled(
    template: str, form: object, retry_at: object, outcome: str = "throttled"
) -> ResponseReturnValue:
    if outcome == "busy":
        message = _l(
            "Für dieses Konto wird gerade eine Anmeldung geprüft. "
            "Bitte versuchen Sie es gleich noch einmal."
        )
    else:
        message = _l(
            "Zu viele Fehlversuche. Bitte versuchen Sie es ab %(time)s Uhr erneut.",
            time=format_datetime(retry_at, "HH:mm:ss"),
        )
    return render_template(template, form=form, error=message), 429


def _finish(user: User, method: str) -> ResponseReturnValue:
    """Second factor done: either the forced password change or the end of the login."""
    if user.must_change_password:
        login_state.advance(Step.CHANGE_PASSWORD)
        return redirect(_step_url(Step.CHANGE_PASSWORD))
    return _complete(user, method)


def _complete(user: User, method: str) -> ResponseReturnValue:
    operations.record_login(user, method=method)
    target = session.pop(NEXT_KEY, None)
    login_state.complete(user)
    return redirect(target if is_safe_redirect(target) else url_for("dashboard.index"))


def _current_token() -> str | None:
    return session.token if isinstance(session, ServerSession) else None


@bp.route("/anmelden", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Step 1: username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    result = operations.check_password_step(
        form.username.data, form.password.data, client_address()
    )
    if result.outcome in REFUSED:
        return _throttled("auth/login.html", form, result.retry_at, result.outcome)
    if result.outcome != "ok" or result.user is None or result.next_step is None:
        return render_template("auth/login.html", form=form, error=LOGIN_FAILED)
    next_target = form.next.data
    if result.next_step is Step.ENROL:
        operations.start_enrolment(result.user)
    login_state.begin(result.user, result.next_step)
    if is_safe_redirect(next_target):
        session[NEXT_KEY] = next_target
    return redirect(_step_url(result.next_step))


def _pending_user(expected: Step) -> User | BaseResponse:
    """The half-logged-in user at the expected step, else where they should be instead."""
    state = login_state.pending()
    if state is None:
        return redirect(url_for("auth.login"))
    user, step = state
    if step != expected:
        return redirect(_step_url(step))
    return user


@bp.route("/anmelden/zweiter-faktor", methods=["GET", "POST"])
def second_factor() -> ResponseReturnValue:
    """Step 2: a code from the authenticator app or a recovery code."""
    user = _pending_user(Step.SECOND_FACTOR)
    if not isinstance(user, User):
        return user
    form = SecondFactorForm()
    if not form.validate_on_submit():
        return render_template("auth/second_factor.html", form=form)
    result = operations.check_second_factor(user, form.code.data, client_address())
    if result.outcome in REFUSED:
        return _throttled("auth/second_factor.html", form, result.retry_at, result.outcome)
    if result.outcome != "ok":
        return render_template("auth/second_factor.html", form=form, error=CODE_FAILED)
    if result.used_recovery_code:
        left = result.recovery_codes_left or 0
        flash(
            _l("Sie haben sich mit einem Wiederherstellungscode angemeldet. Übrig: %(n)s.", n=left),
            "warning" if left <= FEW_RECOVERY_CODES else "info",
        )
    return _finish(user, "recovery_code" if result.used_recovery_code else "totp")


@bp.route("/anmelden/einrichten", methods=["GET", "POST"])
def enrol() -> ResponseReturnValue:
    """Step 2 at the first login: set up the authenticator app, get recovery codes."""
    user = _pending_user(Step.ENROL)
    if not isinstance(user, User):
        return user
    form = EnrolForm()
    if form.validate_on_submit():
        enrolment = operations.confirm_enrolment(user, form.code.data, keep_token=_current_token())
        if enrolment is not None:
            # The login continues only from the codes page, so the codes are seen first.
            login_state.advance(Step.RECOVERY_CODES)
            return render_template(
                "auth/recovery_codes.html",
                codes=enrolment.recovery_codes,
                continue_url=url_for("auth.enrolment_done"),
            )
        return _enrol_page(user, form, error=CODE_FAILED)
    return _enrol_page(user, form)


def _enrol_page(user: User, form: EnrolForm, error: object = None) -> ResponseReturnValue:
    seed = operations.pending_seed(user)
    if seed is None:  # the enrolment was confirmed or reset meanwhile: start the login again
        login_state.clear_pending()
        return redirect(url_for("auth.login"))
    return render_template(
        "auth/enrol.html", form=form, error=error, **enrolment_context(user, seed)
    )


def enrolment_context(user: User, seed: bytes) -> dict[str, str]:
    """QR code and the seed in groups of four, for the app or for typing it in by hand."""
    base32 = totp.seed_to_base32(seed)
    return {
        "qr_svg": totp.qr_svg(
            totp.provisioning_uri(seed, user.username), str(_l("QR-Code für die Authenticator-App"))
        ),
        "secret_groups": " ".join(base32[i : i + 4] for i in range(0, len(base32), 4)),
    }


@bp.route("/anmelden/einrichten/weiter", methods=["GET", "POST"])
def enrolment_done() -> ResponseReturnValue:
    """After the recovery codes were shown: finish the login."""
    user = _pending_user(Step.RECOVERY_CODES)
    if not isinstance(user, User):
        return user
    if request.method == "GET":
        return render_template("auth/enrolment_done.html")
    return _finish(user, "enrolment")


@bp.route("/anmelden/passwort-aendern", methods=["GET", "POST"])
def forced_password_change() -> ResponseReturnValue:
    """Last step when an administrator set the password: choose your own."""
    user = _pending_user(Step.CHANGE_PASSWORD)
    if not isinstance(user, User):
        return user
    form = ForcedPasswordChangeForm()
    if form.validate_on_submit():
        try:
            operations.change_own_password(
                user,
                current_password=None,
                new_password=form.new_password.data,
                keep_token=_current_token(),
            )
        except operations.AccountError as exc:
            form.new_password.errors = [*form.new_password.errors, str(exc)]
        else:
            flash(_l("Ihr neues Passwort ist gespeichert."), "success")
            return _complete(user, "password_change")
    return render_template("auth/forced_password_change.html", form=form)


@bp.post("/abmelden")
def logout() -> ResponseReturnValue:
    """End the session (also a half-finished login)."""
    if current_user.is_authenticated:
        operations.record_logout(current_user)
    login_state.end()
    flash(_l("Sie sind abgemeldet."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/bestaetigen", methods=["GET", "POST"])
@require(Permission.ACCOUNT_MANAGE)
def reauth() -> ResponseReturnValue:
    """Confirm identity with password and code before a sensitive action."""
    form = ReauthForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if not form.validate_on_submit():
        return render_template("auth/reauth.html", form=form)
    user: User = current_user
    password_step = operations.check_password_step(
        user.username, form.password.data, client_address(), flow="reauth"
    )
    if password_step.outcome in REFUSED:
        return _throttled("auth/reauth.html", form, password_step.retry_at, password_step.outcome)
    code_step = (
        operations.check_second_factor(user, form.code.data, client_address(), flow="reauth")
        if password_step.outcome == "ok"
        else None
    )
    if code_step is not None and code_step.outcome in REFUSED:
        return _throttled("auth/reauth.html", form, code_step.retry_at, code_step.outcome)
    if code_step is None or code_step.outcome != "ok":
        return render_template(
            "auth/reauth.html",
            form=form,
            error=_l("Passwort oder Code ist falsch."),
        )
    operations.record_reauthentication(user)
    login_state.mark_fresh()
    target = form.next.data
    return redirect(target if is_safe_redirect(target) else url_for("dashboard.index"))
