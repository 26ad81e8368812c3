from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from servicestelle.forms_common import single_line


class TokenForm(FlaskForm):
    name = StringField(
        _l("Bezeichnung"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine Bezeichnung ein.")),
            Length(max=80),
            single_line,
        ],
    )
    days = IntegerField(
        _l("Gültig für (Tage)"),
        default=90,
        validators=[
            Optional(),
            NumberRange(min=1, max=365, message=_l("Bitte 1 bis 365 Tage angeben.")),
        ],
    )
