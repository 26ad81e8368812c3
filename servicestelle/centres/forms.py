"""Forms of the district register (the rules themselves are in operations.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from servicestelle.centres.models import DISTRICT_CODE_MAX, DISTRICT_NAME_MAX
from servicestelle.centres.operations import CODE_RULE
from servicestelle.forms_common import single_line


def _name_field() -> StringField:
    return StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Bitte geben Sie einen Namen an.")),
            Length(max=DISTRICT_NAME_MAX, message=_l("Höchstens %(max)d Zeichen.")),
            single_line,
        ],
        description=_l("So steht der Eintrag im Fallformular, zum Beispiel Innenstadt-Nord."),
        render_kw={"autocomplete": "off"},
    )


class DistrictForm(FlaskForm):
    name = _name_field()
    code = StringField(
        _l("Code"),
        validators=[
            InputRequired(_l("Bitte geben Sie einen Code an.")),
            Length(max=DISTRICT_CODE_MAX, message=_l("Höchstens %(max)d Zeichen.")),
            single_line,
        ],
        description=_l(
            "%(rule)s Statistiken und Berichte zählen nach dem Code; er lässt sich später nicht mehr ändern.",
            rule=CODE_RULE,
        ),
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )


class DistrictRenameForm(FlaskForm):
    name = _name_field()
