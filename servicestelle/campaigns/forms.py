"""Forms of campaign planning, with German messages; the operations check again.

A form that fails comes back with what was typed and the message next to the field; nothing
is saved (views.py answers 400).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from servicestelle.campaigns import codes
from servicestelle.campaigns.models import TEXT_MAX, TITLE_MAX
from servicestelle.campaigns.operations import BUDGET_MAX_CENTS, OUTPUT_MAX, CampaignInput
from servicestelle.forms_common import clean_text, single_line

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
UNKNOWN_CHOICE = _l("Die Auswahl enthält einen unbekannten Wert.")
TOO_LONG = _l("Höchstens %(max)d Zeichen.")
#: "1500", "1.500", "1.500,50", "1500,5", "1500.50" (a point before exactly two or one
#: digits at the end is a decimal point, as typed by people used to English notation).
_EURO = re.compile(r"(?P<int>\d{1,3}(?:\.\d{3})+|\d+)(?:[,.](?P<cents>\d{1,2}))?")


class Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def plausible_year(form: Form, field: Field) -> None:
    if field.data is not None and not 2000 <= field.data.year <= 2100:
        raise ValidationError(str(_l("Bitte prüfen Sie das Jahr.")))


def date_field(label: LazyString, *, required: bool) -> Any:
    first = InputRequired(_l("Bitte geben Sie ein Datum an.")) if required else Optional()
    return DateField(
        label,
        format=DATE_FORMATS,
        validators=[first, plausible_year],
        invalid_value_message=_l("Bitte geben Sie ein gültiges Datum an (TT.MM.JJJJ)."),
    )


def parse_euros(text: str) -> int:
    """Euro text → cents; ValueError for anything that is not an amount of at most 2 decimals."""
    cleaned = text.replace("€", "").replace("\u00a0", "").replace(" ", "").strip()
    match = _EURO.fullmatch(cleaned)
    if match is None:
        raise ValueError(text)
    try:
        euros = Decimal(match.group("int").replace(".", ""))
        cents = Decimal((match.group("cents") or "0").ljust(2, "0"))
    except InvalidOperation:
        raise ValueError(text) from None
    return int(euros * 100 + cents)


def euros(cents: int | None) -> str:
    """Cents as German euro text: "1.500,50"."""
    if cents is None:
        return ""
    whole, rest = divmod(cents, 100)
    return f"{whole:,}".replace(",", ".") + f",{rest:02d}"


def _choices(labels: Mapping[str, object]) -> list[SelectChoice]:
    # The labels stay lazy: these lists are built at import, str() here would freeze them in
    # the default language for every request (tests/test_english_complete.py).
    return [SelectChoice(code, label) for code, label in labels.items()]


def _checkboxes(label: LazyString, description: LazyString | None = None) -> Any:
    return Checkboxes(
        label,
        invalid_choice_message=UNKNOWN_CHOICE,
        description=description,
    )


class CampaignForm(FlaskForm):
    title = StringField(
        _l("Titel"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Titel an.")),
            Length(max=TITLE_MAX, message=TOO_LONG),
            single_line,
        ],
        filters=[_strip],
    )
    goal = TextAreaField(
        _l("Ziel"),
        validators=[Length(max=TEXT_MAX, message=TOO_LONG), clean_text],
        description=_l("Was soll sich ändern, und für wen? Bitte keine Angaben zu Ratsuchenden."),
        filters=[_strip],
        render_kw={"rows": 3},
    )
    status = SelectField(
        _l("Stand"),
        choices=_choices(codes.STATUS_LABELS),
        default="idee",
        validators=[InputRequired(_l("Bitte wählen Sie einen Stand."))],
        invalid_choice_message=_l("Bitte wählen Sie einen Stand aus der Liste."),
    )
    starts_on = date_field(_l("Beginn"), required=True)
    ends_on = date_field(_l("Ende"), required=True)
    budget = StringField(
        _l("Budget in Euro"),
        validators=[Length(max=20, message=TOO_LONG)],
        description=_l("Optional, z. B. 1.500,00"),
        filters=[_strip],
        render_kw={"inputmode": "decimal"},
    )
    grounds = _checkboxes(_l("Diskriminierungsmerkmale"))
    life_areas = _checkboxes(_l("Lebensbereiche"))
    districts = _checkboxes(_l("Stadtteile oder Kreise"))
    audiences = _checkboxes(_l("Zielgruppen"))
    audience_other = StringField(
        _l("Weitere Zielgruppen"),
        validators=[Length(max=TITLE_MAX, message=TOO_LONG), single_line],
        description=_l("Gruppen oder Einrichtungen, keine Namen von Personen."),
        filters=[_strip],
    )
    # A suggestion's figure, linked as evidence (views.py fills these from the query).
    evidence_release = HiddenField()
    evidence_key = HiddenField()
    link_evidence = BooleanField(_l("Diese Zahl als Beleg verknüpfen"), default=True)
    indicator = SelectField(
        _l("Dieselbe Zahl als Indikator"),
        choices=_choices({"": _l("kein Indikator"), **codes.DIRECTION_LABELS}),
        default="",
        invalid_choice_message=_l("Bitte wählen Sie eine Richtung aus der Liste."),
        description=_l(
            "Welche Richtung soll die Zahl nehmen? Der Vergleich nach der Kampagne zeigt sie."
        ),
    )

    def __init__(self, districts: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.grounds.choices = _grouped_grounds()
        self.life_areas.choices = _choices(codes.LIFE_AREA_LABELS)
        self.districts.choices = _choices(districts)
        self.audiences.choices = _choices(codes.AUDIENCE_LABELS)
        self.budget_cents: int | None = None

    def validate_ends_on(self, field: DateField) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(str(_l("Das Ende liegt vor dem Beginn.")))

    def validate_budget(self, field: StringField) -> None:
        if not field.data:
            self.budget_cents = None
            return
        if field.data.lstrip().startswith("-"):
            raise ValidationError(str(_l("Das Budget kann nicht negativ sein.")))
        try:
            cents = parse_euros(field.data)
        except ValueError:
            raise ValidationError(
                str(_l("Bitte geben Sie einen Betrag in Euro an, z. B. 1.500,00."))
            ) from None
        if cents > BUDGET_MAX_CENTS:
            raise ValidationError(str(_l("Bitte einen Betrag von 0 bis 10.000.000 Euro.")))
        self.budget_cents = cents

    def as_input(self) -> CampaignInput:
        """The validated form as the operations take it."""
        starts_on, ends_on = self.starts_on.data, self.ends_on.data
        if starts_on is None or ends_on is None:  # both are required: validate() said so
            raise ValueError("as_input() before a successful validate()")
        return CampaignInput(
            title=self.title.data or "",
            goal=self.goal.data or "",
            status=self.status.data or "",
            starts_on=starts_on,
            ends_on=ends_on,
            budget_cents=self.budget_cents,
            grounds=list(self.grounds.data or []),
            life_areas=list(self.life_areas.data or []),
            districts=list(self.districts.data or []),
            audiences=list(self.audiences.data or []),
            audience_other=self.audience_other.data or "",
        )


def _grouped_grounds() -> list[SelectChoice]:
    """Grounds, each racism sub-form marked as such (a checkbox list has no nesting)."""
    return [
        SelectChoice(
            code,
            f"{codes.GROUND_LABELS['rassismus_antisemitismus_herkunft']} – {label}"
            if code in codes.SUB_GROUNDS
            else str(label),
        )
        for code, label in codes.GROUND_LABELS.items()
    ]


class ActivityForm(FlaskForm):
    title = StringField(
        _l("Aktivität"),
        validators=[
            DataRequired(_l("Bitte geben Sie an, was stattfindet.")),
            Length(max=TITLE_MAX, message=TOO_LONG),
            single_line,
        ],
        filters=[_strip],
        description=_l("z. B. Workshop an der Gesamtschule, Plakataktion, Fachtag"),
    )
    starts_on = date_field(_l("Datum (Beginn)"), required=True)
    ends_on = date_field(_l("Ende (bei mehreren Tagen)"), required=False)
    responsible = SelectField(
        _l("Verantwortlich"),
        invalid_choice_message=_l("Bitte wählen Sie eine Person aus der Liste."),
    )

    def __init__(self, team: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.responsible.choices = [
            SelectChoice("", str(_l("niemand Bestimmtes"))),
            *(SelectChoice(str(user_id), name) for user_id, name in team),
        ]

    def validate_ends_on(self, field: DateField) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(str(_l("Das Ende liegt vor dem Beginn.")))

    @property
    def responsible_id(self) -> int | None:
        return int(self.responsible.data) if self.responsible.data else None


def figure_choices(groups: Sequence[tuple[str, Sequence[Any]]], show: Callable[[Any], str]) -> Any:
    """Figures grouped by table title, for a select with option groups."""
    return {title: [(figure.key, show(figure)) for figure in items] for title, items in groups}


class EvidenceForm(FlaskForm):
    release = HiddenField()
    key = SelectField(
        _l("Zahl"),
        validators=[InputRequired(_l("Bitte wählen Sie eine Zahl."))],
        invalid_choice_message=_l("Bitte wählen Sie eine Zahl aus der Liste."),
    )


class IndicatorForm(FlaskForm):
    release = HiddenField()
    key = SelectField(
        _l("Zahl"),
        validators=[InputRequired(_l("Bitte wählen Sie eine Zahl."))],
        invalid_choice_message=_l("Bitte wählen Sie eine Zahl aus der Liste."),
        description=_l(
            "Auch eine gesperrte Zahl („•“) kann Indikator sein: Später ist sie vielleicht veröffentlicht."
        ),
    )
    direction = RadioField(
        _l("Richtung"),
        choices=_choices(codes.DIRECTION_LABELS),
        validators=[InputRequired(_l("Bitte wählen Sie eine Richtung."))],
        invalid_choice_message=_l("Bitte wählen Sie eine Richtung aus der Liste."),
    )


def _count_field(label: LazyString) -> Any:
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(min=0, max=OUTPUT_MAX, message=_l("Bitte eine Zahl von 0 bis 1.000.000.")),
        ],
        invalid_value_message=_l("Bitte eine ganze Zahl eingeben."),
        render_kw={"inputmode": "numeric"},
    )


class OutputsForm(FlaskForm):
    events_held = _count_field(_l("Durchgeführte Veranstaltungen"))
    people_reached = _count_field(_l("Erreichte Personen (geschätzt)"))
    outputs_note = TextAreaField(
        _l("Notizen zur Auswertung"),
        validators=[Length(max=TEXT_MAX, message=TOO_LONG), clean_text],
        filters=[_strip],
        render_kw={"rows": 3},
    )
