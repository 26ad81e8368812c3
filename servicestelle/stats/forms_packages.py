"""Forms of the package pages: the period of a new package draft.

Approval and rejection use the release forms (stats.forms.ApproveForm, ReasonForm).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from servicestelle.stats.forms import PARTS, PeriodForm


class PackageForm(PeriodForm):
    part = SelectField(
        _l("Zeitraum im Jahr"),
        choices=[SelectChoice(code, label) for code, label in PARTS],
        default="",
        validate_choice=False,  # validate_part says it in German
        description=_l(
            "Pakete gibt es wie Statistiken nur für ganze Jahre, Halbjahre und Quartale."
        ),
    )
