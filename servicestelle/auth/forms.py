from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from servicestelle.auth.passwords import MAX_LENGTH
from servicestelle.forms_common import clean_text, single_line

# Login fields accept more than the policy allows so that an over-long value still gets the
# generic "wrong username or password" answer instead of revealing a rule.
LOGIN_FIELD_MAX = 512


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
    password = PasswordField(
        _l("Passwort"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihr Passwort ein.")),
            Length(max=LOGIN_FIELD_MAX),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code aus der Authenticator-App oder Wiederherstellungscode"),
        validators=[DataRequired(_l("Bitte geben Sie den Code ein.")), Length(max=40), single_line],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"},
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("Sechsstelliger Code aus der App"),
        validators=[DataRequired(_l("Bitte geben Sie den Code ein.")), Length(max=12), single_line],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class NewPasswordMixin:
    new_password = PasswordField(
        _l("Neues Passwort"),
        validators=[
            DataRequired(_l("Bitte geben Sie ein neues Passwort ein.")),
            Length(
                max=MAX_LENGTH, message=_l("Das Passwort darf höchstens 128 Zeichen lang sein.")
            ),
            clean_text,
        ],
        render_kw={"autocomplete": "new-password", "aria-describedby": "password-rules"},
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
    current_password = PasswordField(
        _l("Bisheriges Passwort"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihr bisheriges Passwort ein.")),
            Length(max=LOGIN_FIELD_MAX),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class ReauthForm(FlaskForm):
    password = PasswordField(
        _l("Passwort"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihr Passwort ein.")),
            Length(max=LOGIN_FIELD_MAX),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code aus der Authenticator-App"),
        validators=[DataRequired(_l("Bitte geben Sie den Code ein.")), Length(max=40), single_line],
        render_kw={"autocomplete": "one-time-code"},
    )
    next = HiddenField()
