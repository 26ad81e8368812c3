"""The import form of the district profiles: a year and a CSV file."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from servicestelle.centres.profile_operations import EARLIEST_YEAR, LATEST_YEAR
from servicestelle.converters import small_int

#: How many years back the year select reaches.
YEARS_BACK = 15


class ProfileImportForm(FlaskForm):
    year = SelectField(
        _l("Jahr der Zahlen"),
        validators=[InputRequired(_l("Bitte wählen Sie ein Jahr."))],
        validate_choice=False,  # validate_year says it in German
        description=_l(
            "Das Jahr, das die Zahlen beschreiben (meist der Stand am 31. Dezember). Gibt es "
            "für das Jahr schon Zahlen, werden sie ersetzt."
        ),
    )
    file = FileField(
        _l("CSV-Datei"),
        validators=[FileRequired(_l("Bitte wählen Sie eine CSV-Datei."))],
        description=_l(
            "UTF-8, Trennzeichen Semikolon oder Komma; Spalten code, name, einwohner und "
            "wahlweise weitere (siehe unten)."
        ),
        render_kw={"accept": ".csv,text/csv"},
    )

    def __init__(self, today: date, **kwargs: object) -> None:
        kwargs.setdefault("data", {"year": str(today.year - 1)})
        super().__init__(**kwargs)
        first = max(EARLIEST_YEAR, today.year - YEARS_BACK)
        self.year.choices = [
            SelectChoice(str(year), str(year)) for year in range(today.year, first - 1, -1)
        ]

    def validate_year(self, field: SelectField) -> None:
        year = small_int(str(field.data or ""))
        if year is None or not EARLIEST_YEAR <= year <= LATEST_YEAR:
            raise ValidationError(str(_l("Bitte wählen Sie ein Jahr von 2000 bis 2100.")))

    def year_value(self) -> int:
        return int(str(self.year.data))
