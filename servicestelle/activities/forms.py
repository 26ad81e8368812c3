"""The activity form and the list filters (the rules themselves are in operations.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from servicestelle.activities import codes
from servicestelle.activities.models import (
    DESCRIPTION_MAX,
    PARTICIPANTS_MAX,
    PARTNERS_MAX,
    TITLE_MAX,
)
from servicestelle.forms_common import clean_text, single_line
from servicestelle.stats.periods import EARLIEST_YEAR, LATEST_YEAR

NO_PERSONAL_DATA = _l(
    "Keine Namen oder anderen Angaben zu Ratsuchenden: Dieser Eintrag beschreibt die Arbeit "
    "der Beratungsstelle, keinen Fall."
)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _choices(pairs: Mapping[str, Any], empty: Any | None = None) -> list[SelectChoice]:
    offered = [SelectChoice(code, label) for code, label in pairs.items()]
    return [SelectChoice("", empty), *offered] if empty is not None else offered


def _one_of(allowed: Sequence[str] | Mapping[str, Any], message: Any) -> Any:
    def check(form: Any, field: Field) -> None:
        if field.data and field.data not in allowed:
            raise ValidationError(str(message))

    return check


#: ISO (what a browser's date input sends) and German notation (typed without one).
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


def _plausible_year(form: Any, field: Field) -> None:
    if field.data is not None and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(str(_l("Bitte prüfen Sie das Jahr.")))


def date_field(label: Any, *, required: bool = False, **kwargs: Any) -> Any:
    """A date, past or future (an activity may be planned); the activities module may not
    import the case forms' helper (tests/test_stats_boundaries.py), so it has its own."""
    first = InputRequired(_l("Bitte geben Sie ein Datum an.")) if required else Optional()
    return DateField(
        label,
        format=DATE_FORMATS,
        validators=[first, _plausible_year],
        invalid_value_message=_l("Bitte geben Sie ein gültiges Datum an (TT.MM.JJJJ)."),
        **kwargs,
    )


class CountField(IntegerField):
    """A whole number ≥ 0 or nothing; a German message for anything else (IntegerField's
    own is English)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        if not text:
            return
        if not (text.isascii() and text.isdigit()):  # "²".isdigit(), but int() refuses it
            raise ValueError(str(_l("Bitte geben Sie eine ganze Zahl ab 0 an.")))
        self.data = int(text)


def _count_range(form: Any, field: Field) -> None:
    if field.data is not None and field.data > PARTICIPANTS_MAX:
        raise ValidationError(str(_l("Bitte eine Zahl von 0 bis %(max)d.", max=PARTICIPANTS_MAX)))


class ActivityForm(FlaskForm):
    title = StringField(
        _l("Titel"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Titel an.")),  # also when only spaces
            Length(max=TITLE_MAX, message=_l("Höchstens %(max)d Zeichen.")),
            single_line,
        ],
        filters=[_strip],
        description=_l("Zum Beispiel „Workshop Gesamtschule Nord“."),
    )
    starts_on = date_field(_l("Datum"), required=True)
    ends_on = date_field(
        _l("Letzter Tag (bei mehrtägigen Aktivitäten)"),
        description=_l("Leer lassen, wenn die Aktivität an einem Tag stattfand."),
    )
    type = SelectField(
        _l("Art der Aktivität"),
        choices=_choices(codes.TYPES, _l("Bitte wählen")),
        validators=[
            InputRequired(_l("Bitte wählen Sie die Art der Aktivität.")),
            _one_of(codes.TYPES, _l("Bitte wählen Sie die Art der Aktivität.")),
        ],
        validate_choice=False,  # _one_of says it in German
    )
    eckpunkt = SelectField(
        _l("Eckpunkt"),
        choices=_choices(codes.ECKPUNKTE, _l("Bitte wählen")),
        validators=[
            InputRequired(_l("Bitte wählen Sie einen Eckpunkt.")),
            _one_of(codes.ECKPUNKTE, _l("Bitte wählen Sie einen Eckpunkt.")),
        ],
        validate_choice=False,
        description=_l("Die vier Eckpunkte der Integrationsagenturen NRW."),
    )
    task = SelectField(
        _l("Aufgabenfeld oder Servicefunktion"),
        validators=[
            _one_of(codes.TASKS, _l("Bitte wählen Sie ein Aufgabenfeld oder eine Servicefunktion."))
        ],
        validate_choice=False,
        description=_l("Nur beim Eckpunkt Antidiskriminierungsarbeit, dort aber immer."),
    )
    district_code = SelectField(
        _l("Stadtteil oder Kreis"), validate_choice=False, description=_l("Wahlweise.")
    )
    participants = CountField(
        _l("Teilnehmende"),
        validators=[Optional(), _count_range],
        description=_l("Anzahl, wahlweise; leer lassen, wenn unbekannt."),
        render_kw={"inputmode": "numeric"},
    )
    partners = StringField(
        _l("Partnerorganisationen"),
        validators=[
            Length(max=PARTNERS_MAX, message=_l("Höchstens %(max)d Zeichen.")),
            single_line,
        ],
        filters=[_strip],
        description=_l("Organisationen, mit denen die Aktivität stattfand; wahlweise."),
    )
    description = TextAreaField(
        _l("Kurzbeschreibung"),
        validators=[
            Length(max=DESCRIPTION_MAX, message=_l("Höchstens %(max)d Zeichen.")),
            clean_text,
        ],
        filters=[_strip],
        description=NO_PERSONAL_DATA,
        render_kw={"rows": 4},
    )

    def __init__(self, districts: Mapping[str, str] | None, **kwargs: Any) -> None:
        """``districts``: code → name of what the form offers; None: no district field (a
        coordinator has no register)."""
        super().__init__(**kwargs)
        self.offered_districts = districts or {}
        self.task.choices = {  # grouped: rendered as optgroups
            None: [SelectChoice("", _l("keine Angabe"))],  # before the groups, in none
            **{
                str(group): [SelectChoice(code, label) for code, label in members.items()]
                for group, members in codes.TASK_GROUPS
            },
        }
        self.district_code.choices = _choices(self.offered_districts, _l("keine Angabe"))
        if districts is None:
            del self.district_code

    def validate_district_code(self, field: Field) -> None:
        if field.data and field.data not in self.offered_districts:
            raise ValidationError(
                str(
                    _l(
                        "Diesen Stadtteil oder Kreis bietet Ihre Beratungsstelle nicht an. "
                        "Bitte wählen Sie einen aus der Liste."
                    )
                )
            )

    def validate_ends_on(self, field: Field) -> None:
        if field.data is not None and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(str(_l("Der letzte Tag liegt vor dem ersten.")))

    def validate_task(self, field: Field) -> None:
        eckpunkt = self.eckpunkt.data
        if eckpunkt == codes.ANTIDISKRIMINIERUNG and not field.data:
            raise ValidationError(
                str(_l("Bitte wählen Sie ein Aufgabenfeld oder eine Servicefunktion."))
            )
        if field.data and eckpunkt in codes.ECKPUNKTE and eckpunkt != codes.ANTIDISKRIMINIERUNG:
            raise ValidationError(
                str(
                    _l(
                        "Aufgabenfelder und Servicefunktionen gehören zum Eckpunkt "
                        "Antidiskriminierungsarbeit."
                    )
                )
            )


class FilterForm(FlaskForm):
    """The list's filters (GET, no token: it changes nothing)."""

    class Meta:
        csrf = False

    jahr = SelectField(_l("Jahr"), validate_choice=False)
    art = SelectField(_l("Art"), validate_choice=False)
    eckpunkt = SelectField(_l("Eckpunkt"), validate_choice=False)
    aufgabe = SelectField(_l("Aufgabenfeld oder Servicefunktion"), validate_choice=False)
    stadtteil = SelectField(_l("Stadtteil oder Kreis"), validate_choice=False)

    def __init__(self, years: Sequence[int], districts: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.jahr.choices = [SelectChoice(str(year), str(year)) for year in years]
        self.art.choices = _choices(codes.TYPES, _l("alle"))
        self.eckpunkt.choices = _choices(codes.ECKPUNKTE, _l("alle"))
        self.aufgabe.choices = _choices(codes.TASKS, _l("alle"))
        self.stadtteil.choices = _choices(districts, _l("alle"))
        if not districts:
            del self.stadtteil

    def chosen(self, name: str, allowed: Mapping[str, Any]) -> str | None:
        """A filter's code, if it is one the list knows (anything else: no filter)."""
        field = self._fields.get(name)
        value = field.data if field is not None else None
        return value if isinstance(value, str) and value in allowed else None
