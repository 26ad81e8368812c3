"""The small forms of the case page (views_case.py): team, legal hold and break-glass."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from servicestelle.cases.forms_fields import choices_of
from servicestelle.forms_common import clean_text, single_line

KIND_LABELS = {"assigned": _l("zuständig"), "shared": _l("geteilt")}


class MemberForm(FlaskForm):
    user_id = SelectField(
        _l("Kollegin oder Kollege"),
        coerce=int,
        validators=[InputRequired(_l("Bitte wählen Sie eine Person."))],
        invalid_choice_message=_l("Bitte wählen Sie eine Person."),
    )
    kind = RadioField(
        _l("Art"),
        choices=choices_of(KIND_LABELS.items()),
        default="shared",
        validators=[InputRequired(_l("Bitte wählen Sie die Art."))],
        invalid_choice_message=_l("Bitte wählen Sie die Art."),
    )


class LegalHoldForm(FlaskForm):
    hold = HiddenField(validators=[InputRequired()])


class BreakGlassReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Begründung"),
        validators=[
            InputRequired(_l("Bitte begründen Sie den Notfallzugriff.")),
            Length(max=1000, message=_l("Höchstens %(max)d Zeichen.")),
            clean_text,
        ],
        description=_l(
            "Warum brauchen Sie die Akte jetzt? Die Begründung liest die oder der Datenschutzbeauftragte."
        ),
    )


class BreakGlassForm(BreakGlassReasonForm):
    reference = StringField(
        _l("Aktenzeichen"),
        validators=[
            InputRequired(_l("Bitte geben Sie das Aktenzeichen an.")),
            Length(max=16, message=_l("Höchstens %(max)d Zeichen.")),
            single_line,
        ],
        description=_l("Zum Beispiel 2026-0042."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
