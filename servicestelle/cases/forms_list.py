"""The forms of the case list (views.py): its filters (GET) and its search (POST)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from servicestelle import catalogue
from servicestelle.cases.forms_fields import choices_of, code_choices
from servicestelle.cases.payload import SHORT_TEXT
from servicestelle.forms_common import single_line

DEADLINE_FILTERS = {
    "overdue": _l("Überfällig"),
    "due_soon": _l("In den nächsten 14 Tagen fällig"),
}
SEARCH_FIELDS = {
    "reference": _l("Aktenzeichen"),
    "pseudonym": _l("Pseudonym"),
    "respondent": _l("Verursachende"),
}


class FilterForm(FlaskForm):
    """GET filters: nothing here names a person, so they may stand in the address."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Alle")), *code_choices(catalogue.CASE_STATUS)],
        default="",
        invalid_choice_message=_l("Unbekannter Wert."),
    )
    frist = SelectField(
        _l("Frist"),
        choices=choices_of([("", _l("Alle")), *DEADLINE_FILTERS.items()]),
        default="",
        invalid_choice_message=_l("Unbekannter Wert."),
    )
    zustaendig = SelectField(
        _l("Zuständigkeit"), default="", invalid_choice_message=_l("Unbekannter Wert.")
    )

    def offer_assignees(self, colleagues: Iterable[tuple[int, str]]) -> None:
        self.zustaendig.choices = choices_of(
            [
                ("", _l("Alle")),
                ("me", _l("Meine Fälle")),
                ("none", _l("Niemandem zugewiesen")),
                *((str(user_id), name) for user_id, name in colleagues),
            ]
        )


class SearchForm(FlaskForm):
    """POST: a pseudonym or a respondent's name must not stand in an address or access log."""

    feld = RadioField(
        _l("Suchen nach"),
        choices=choices_of(SEARCH_FIELDS.items()),
        default="reference",
        validators=[InputRequired(_l("Bitte wählen Sie, wonach gesucht wird."))],
        invalid_choice_message=_l("Bitte wählen Sie, wonach gesucht wird."),
    )
    text = StringField(
        _l("Suchbegriff"),
        validators=[
            InputRequired(_l("Bitte geben Sie einen Suchbegriff ein.")),
            Length(max=SHORT_TEXT, message=_l("Höchstens %(max)d Zeichen.")),
            single_line,
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
