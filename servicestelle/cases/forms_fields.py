"""Field helpers shared by the forms of the case pages: dates, texts, code-list choices.

Every text field has its length limit and the house check for control characters; every
date field accepts both ISO and German notation and refuses an implausible year.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    Field,
    Form,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from servicestelle import clock
from servicestelle.cases.payload import EARLIEST_YEAR, LATEST_YEAR
from servicestelle.catalogue import CodeList
from servicestelle.forms_common import clean_text, single_line

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


class Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def choices_of(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def code_choices(code_list: CodeList) -> list[SelectChoice]:
    return choices_of((entry.code, entry.label) for entry in code_list.entries())


def plausible_date(form: Form, field: Field) -> None:
    if field.data is not None and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(str(_l("Bitte prüfen Sie das Jahr.")))


def not_in_future(form: Form, field: Field) -> None:
    if field.data is not None and field.data > clock.today():
        raise ValidationError(str(_l("Das Datum liegt in der Zukunft.")))


def date_field(
    label: LazyString, *, required: bool = False, past: bool = True, **kwargs: Any
) -> Any:
    first = InputRequired(_l("Bitte geben Sie ein Datum an.")) if required else Optional()
    checks: list[Callable[[Form, Field], None]] = [plausible_date]
    if past:
        checks.append(not_in_future)
    return DateField(
        label,
        format=DATE_FORMATS,
        validators=[first, *checks],
        invalid_value_message=_l("Bitte geben Sie ein gültiges Datum an (TT.MM.JJJJ)."),
        **kwargs,
    )


def text_field(label: LazyString, limit: int, *, multiline: bool = False, **kwargs: Any) -> Any:
    field_class = TextAreaField if multiline else StringField
    return field_class(
        label,
        validators=[
            Length(max=limit, message=_l("Höchstens %(max)d Zeichen.")),
            clean_text if multiline else single_line,
        ],
        **kwargs,
    )


def radio_field(code_list: CodeList, message: LazyString, **kwargs: Any) -> Any:
    return RadioField(
        kwargs.pop("label", code_list.label),
        choices=code_choices(code_list),
        validators=[InputRequired(message)],
        invalid_choice_message=message,
        **kwargs,
    )
