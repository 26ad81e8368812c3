"""Forms of the package pages: the period of a new package draft.

Approval and rejection use the release forms (stats.forms.ApproveForm, ReasonForm).
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from servicestelle.stats.forms import PARTS, last_completed_quarter, year_choices
from servicestelle.stats.periods import Period, PeriodError


class PackageForm(FlaskForm):
    year = SelectField(
        _l("Jahr"),
        validators=[InputRequired(_l("Bitte wählen Sie ein Jahr."))],
        validate_choice=False,  # validate_year says it in German
    )
    part = SelectField(
        _l("Zeitraum im Jahr"),
        choices=[SelectChoice(code, label) for code, label in PARTS],
        default="",
        validate_choice=False,
        description=_l(
            "Pakete gibt es wie Statistiken nur für ganze Jahre, Halbjahre und Quartale."
        ),
    )

    def __init__(self, today: date, **kwargs: object) -> None:
        year, part = last_completed_quarter(today)
        kwargs.setdefault("data", {"year": str(year), "part": part})
        super().__init__(**kwargs)
        self.year.choices = year_choices(today)

    def validate_year(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError(str(_l("Bitte wählen Sie ein Jahr aus der Liste.")))

    def validate_part(self, field: SelectField) -> None:
        if field.data not in {code for code, _label in PARTS}:
            raise ValidationError(str(_l("Bitte wählen Sie einen Zeitraum aus der Liste.")))

    def period(self) -> Period:
        """The chosen period (after validation)."""
        code = self.year.data if not self.part.data else f"{self.year.data}-{self.part.data}"
        return Period.parse(code or "")

    def validate(self, extra_validators: object = None) -> bool:
        valid = super().validate(extra_validators)
        if valid:
            try:
                self.period()
            except PeriodError as exc:
                self.year.errors = [*self.year.errors, str(exc)]
                return False
        return valid
