"""Forms of the report pages: a new report, a vignette, its review, a policy demand.

Every text field has a length limit and refuses control characters; the messages are German;
a refused form comes back with what was typed.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from servicestelle.forms_common import clean_text, single_line
from servicestelle.reports.models import (
    DEMAND_TEXT_MAX,
    DEMAND_TITLE_MAX,
    REASON_MAX,
    TITLE_MAX,
    VIGNETTE_MAX,
)
from servicestelle.stats.forms import PeriodForm


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


LENGTH = _l("Höchstens %(max)d Zeichen.")


class ReportForm(PeriodForm):
    """A new report: its title and period (year, half-year or quarter)."""

    title = StringField(
        _l("Titel"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Titel an.")),
            Length(max=TITLE_MAX, message=LENGTH),
            single_line,
        ],
        filters=[_strip],
        description=_l("Zum Beispiel „Antidiskriminierungsbericht 2026“."),
    )


VIGNETTE_HINT = _l(
    "Für die Veröffentlichung geschrieben: keine Namen, keine Orte, Daten oder Einzelheiten, an "
    "denen jemand die Person oder die Gegenseite erkennen könnte. Eine Leitung prüft den Text, "
    "bevor er im Bericht erscheint."
)


def _text_field(label: Any, maximum: int, required: Any, hint: Any = None) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[DataRequired(required), Length(max=maximum, message=LENGTH), clean_text],
        filters=[_strip],
        description=hint,
        render_kw={"rows": 8},
    )


class VignetteForm(FlaskForm):
    """A vignette proposed from a case, for one of the centre's draft reports."""

    report = SelectField(
        _l("Bericht"),
        validators=[InputRequired(_l("Bitte wählen Sie einen Bericht."))],
        validate_choice=False,  # validate_report says it in German
        description=_l("Nur Berichte im Entwurf nehmen Vignetten auf."),
    )
    text = _text_field(
        _l("Anonymisierte Fallvignette"),
        VIGNETTE_MAX,
        _l("Bitte schreiben Sie die Vignette."),
        VIGNETTE_HINT,
    )

    def offer(self, reports: list[tuple[int, str]]) -> None:
        self.report.choices = [("", _l("Bitte wählen"))] + [
            (str(report_id), label) for report_id, label in reports
        ]

    def validate_report(self, field: SelectField) -> None:
        offered = {value for value, _label in field.choices or [] if value}
        if field.data not in offered:
            raise ValidationError(str(_l("Bitte wählen Sie einen Bericht aus der Liste.")))


class AcceptForm(FlaskForm):
    """Accept a vignette; the reviewer may edit its text first."""

    text = _text_field(
        _l("Text der Vignette"),
        VIGNETTE_MAX,
        _l("Die Vignette darf nicht leer sein."),
        VIGNETTE_HINT,
    )


class RefuseForm(FlaskForm):
    """Refuse a vignette, with a reason for the proposer."""

    reason = TextAreaField(
        _l("Begründung der Ablehnung"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine Begründung an.")),
            Length(max=REASON_MAX, message=LENGTH),
            clean_text,
        ],
        filters=[_strip],
        description=_l("Schreiben Sie über den Text, nicht über Personen."),
        render_kw={"rows": 3},
    )


class DemandForm(FlaskForm):
    """A policy demand (Forderung): a short title and an explanation."""

    title = StringField(
        _l("Forderung"),
        validators=[
            DataRequired(_l("Bitte formulieren Sie die Forderung.")),
            Length(max=DEMAND_TITLE_MAX, message=LENGTH),
            single_line,
        ],
        filters=[_strip],
        description=_l("Zum Beispiel „Ein Landesantidiskriminierungsgesetz für NRW“."),
    )
    text = TextAreaField(
        _l("Begründung (freiwillig)"),
        validators=[Length(max=DEMAND_TEXT_MAX, message=LENGTH), clean_text],
        filters=[_strip],
        render_kw={"rows": 5},
    )


class MoveForm(FlaskForm):
    """Move a demand one place up or down."""

    direction = HiddenField(
        validators=[InputRequired(_l("Bitte wählen Sie eine Richtung."))],
    )

    def validate_direction(self, field: HiddenField) -> None:
        if field.data not in ("hoch", "runter"):
            raise ValidationError(str(_l("Bitte wählen Sie eine Richtung.")))

    @property
    def step(self) -> int:
        return -1 if self.direction.data == "hoch" else 1
