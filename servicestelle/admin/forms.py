from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from servicestelle.auth.forms import new_password_field
from servicestelle.forms_common import single_line
from servicestelle.roles import ROLE_LABELS, Role


class RoleCheckboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _role_field() -> RoleCheckboxes:
    return RoleCheckboxes(
        _l("Rollen"),
        choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in Role],
        validators=[DataRequired(_l("Bitte wählen Sie mindestens eine Rolle."))],
    )


class UserCreateForm(FlaskForm):
    username = StringField(
        _l("Benutzername"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Benutzernamen ein.")),
            Length(max=64),
            single_line,
        ],
        description=_l("2–64 Zeichen: Kleinbuchstaben, Ziffern, Punkt, Binde- und Unterstrich."),
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    display_name = StringField(
        _l("Anzeigename"),
        validators=[Length(max=120), single_line],
        render_kw={"autocomplete": "off"},
    )
    password = new_password_field(
        _l("Erstes Passwort"),
        _l("Bitte vergeben Sie ein erstes Passwort."),
        description=_l(
            "Mindestens 12 Zeichen. Die Person muss es bei der ersten Anmeldung ändern."
        ),
    )
    roles = _role_field()


class RolesForm(FlaskForm):
    roles = _role_field()


class PasswordResetForm(FlaskForm):
    new_password = new_password_field(
        _l("Neues Einmal-Passwort"), _l("Bitte geben Sie ein Passwort ein.")
    )
