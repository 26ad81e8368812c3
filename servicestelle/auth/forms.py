from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from servicestelle.auth.passwords import MAX_LENGTH
from servicestelle.forms_common import clean_text, single_line

# Login fields accept more than the policy allows so that an over-long value still gets the
# generic "wrong username or password" answer instead of revealing a rule.
LOGIN_FIELD_MAX = 512
TOO_LONG = _l("Das Passwort darf höchstens 128 Zeichen lang sein.")


def current_password_field(label: Any = None, required: Any = None) -> PasswordField:
    """A password the user already has (login, re-authentication, change)."""
    return PasswordField(
        label or _l("Passwort"),
        validators=[
            DataRequired(required or _l("Bitte geben Sie Ihr Passwort ein.")),
            Length(max=LOGIN_FIELD_MAX),
        ],
        render_kw={"autocomplete": "current-password"},
    )


def new_password_field(label: Any, required: Any, **options: Any) -> PasswordField:
    """A password being set; the policy itself is checked by the operation."""
    render_kw = {"autocomplete": "new-password", **options.pop("render_kw", {})}
    return PasswordField(
        label,
        validators=[DataRequired(required), Length(max=MAX_LENGTH, message=TOO_LONG), clean_text],
        render_kw=render_kw,
        **options,
    )


def code_field(label: Any, max_length: int, **render_kw: str) -> StringField:
    """A one-time code (TOTP or recovery code)."""
    return StringField(
        label,
        validators=[
            DataRequired(_l("Bitte geben Sie den Code ein.")),
            Length(max=max_length),
            single_line,
        ],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", **render_kw},
    )


class LoginForm(FlaskForm):
    username = StringField(
        _l("Benutzername"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihren Benutzernamen ein.")),
            Length(max=LOGIN_FIELD_MAX),
            single_line,
        ],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = current_password_field()
    next = HiddenField()


class SecondFactorForm(FlaskForm):
    code = code_field(
        _l("Code aus der Authenticator-App oder Wiederherstellungscode"), 40, inputmode="text"
    )


class EnrolForm(FlaskForm):
    code = code_field(_l("Sechsstelliger Code aus der App"), 12, inputmode="numeric")


class NewPasswordMixin:
    new_password = new_password_field(
        _l("Neues Passwort"),
        _l("Bitte geben Sie ein neues Passwort ein."),
        render_kw={"aria-describedby": "password-rules"},
    )
    confirm_password = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[
            DataRequired(_l("Bitte wiederholen Sie das neue Passwort.")),
            EqualTo("new_password", _l("Die beiden Eingaben stimmen nicht überein.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ForcedPasswordChangeForm(NewPasswordMixin, FlaskForm):
    pass


class PasswordChangeForm(NewPasswordMixin, FlaskForm):
    current_password = current_password_field(
        _l("Bisheriges Passwort"), _l("Bitte geben Sie Ihr bisheriges Passwort ein.")
    )


class ReauthForm(FlaskForm):
    password = current_password_field()
    code = code_field(_l("Code aus der Authenticator-App"), 40)
    next = HiddenField()
