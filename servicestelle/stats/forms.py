"""Forms of the statistics pages: a new draft (period and tables), a reason, an approval.

The rules themselves (which periods exist, which tables, who may decide) are in periods.py,
tables.py and operations.py; the forms offer only what those allow and say so in German.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from servicestelle.forms_common import clean_text
from servicestelle.stats.periods import EARLIEST_YEAR, Period, PeriodError
from servicestelle.stats.release_models import REASON_MAX
from servicestelle.stats.tables import TABLES, Table

#: How many years back the year select reaches (older releases are rare, but possible).
YEARS_BACK = 9
#: The part of a year, as the form offers it; "" is the whole year.
PARTS = (
    ("", _l("ganzes Jahr")),
    ("H1", _l("1. Halbjahr")),
    ("H2", _l("2. Halbjahr")),
    ("Q1", _l("1. Quartal")),
    ("Q2", _l("2. Quartal")),
    ("Q3", _l("3. Quartal")),
    ("Q4", _l("4. Quartal")),
)


class Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def last_completed_quarter(today: date) -> tuple[int, str]:
    """The year and part the form suggests: the quarter that ended last."""
    quarter = (today.month - 1) // 3 + 1
    if quarter == 1:
        return today.year - 1, "Q4"
    return today.year, f"Q{quarter - 1}"


def year_choices(today: date) -> list[SelectChoice]:
    first = max(EARLIEST_YEAR, today.year - YEARS_BACK)
    return [SelectChoice(str(year), str(year)) for year in range(today.year, first - 1, -1)]


class PeriodForm(FlaskForm):
    """A year and a part of it (whole, half-year, quarter), suggested as the quarter that
    ended last: the period of a release draft or of a coordinator package."""

    year = SelectField(
        _l("Jahr"),
        validators=[InputRequired(_l("Bitte wählen Sie ein Jahr."))],
        validate_choice=False,  # validate_year says it in German
    )
    part = SelectField(
        _l("Zeitraum im Jahr"),
        choices=[SelectChoice(code, label) for code, label in PARTS],
        default="",
        validate_choice=False,  # validate_part says it in German
        description=_l("Statistiken gibt es nur für ganze Jahre, Halbjahre und Quartale."),
    )

    def __init__(
        self, today: date, data: dict[str, object] | None = None, **kwargs: object
    ) -> None:
        year, part = last_completed_quarter(today)
        kwargs.setdefault("data", {"year": str(year), "part": part, **(data or {})})
        super().__init__(**kwargs)
        self.year.choices = year_choices(today)

    def validate_year(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError(str(_l("Bitte wählen Sie ein Jahr aus der Liste.")))

    def validate_part(self, field: SelectField) -> None:
        if field.data not in {code for code, _label in PARTS}:
            raise ValidationError(str(_l("Bitte wählen Sie einen Zeitraum aus der Liste.")))

    def period(self) -> Period:
        """The chosen period (after validation); PeriodError should the parts not fit."""
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


class DraftForm(PeriodForm):
    tables = Checkboxes(
        _l("Tabellen"),
        validate_choice=False,  # validate_tables says it in German
        description=_l(
            "Alle Tabellen des Katalogs außer „Mehrfachdiskriminierung“ sind vorgewählt. Jene "
            "verknüpft die Merkmale eng miteinander: Bei kleinen Fallzahlen kann sie weitere "
            "Sperrungen auslösen, auch in der Tabelle der Merkmale und bei der Gesamtzahl. "
            "Jede Tabelle nennt ihre Zählbasis und ob Mehrfachnennungen möglich sind."
        ),
    )

    def __init__(self, today: date, catalogue: Sequence[Table] = TABLES, **kwargs: object) -> None:
        """``catalogue``: the tables this instance offers (operations.catalogue())."""
        self.catalogue = tuple(catalogue)
        preselected = [table.id for table in self.catalogue if not table.optional]
        super().__init__(today, {"tables": preselected}, **kwargs)
        self.tables.choices = [SelectChoice(table.id, table.title) for table in self.catalogue]

    def validate_tables(self, field: Checkboxes) -> None:
        known = {table.id for table in self.catalogue}
        if not field.data:
            raise ValidationError(str(_l("Bitte wählen Sie mindestens eine Tabelle.")))
        if any(table_id not in known for table_id in field.data):
            raise ValidationError(str(_l("Diese Tabelle gibt es im Katalog nicht.")))


class ReasonForm(FlaskForm):
    """Rejecting a draft or revoking a release: the reason stays with the release."""

    reason = TextAreaField(
        _l("Begründung"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine Begründung an.")),
            Length(max=REASON_MAX, message=_l("Höchstens %(max)d Zeichen.")),
            clean_text,
        ],
        description=_l(
            "Schreiben Sie über die Zahlen, nicht über Personen. Die Begründung wird mit der "
            "Statistik gespeichert."
        ),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"rows": 3},
    )


class ApproveForm(FlaskForm):
    """Approval carries no data; ``next`` brings the approver back after re-authentication."""

    next = HiddenField()
