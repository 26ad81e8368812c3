"""The coordinator's forms: the upload of one package file, the withdrawal of a package."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from servicestelle.forms_common import clean_text
from servicestelle.stats.release_models import REASON_MAX


class ImportForm(FlaskForm):
    file = FileField(
        _l("Paketdatei"),
        validators=[FileRequired(_l("Bitte wählen Sie eine Paketdatei."))],
        description=_l(
            "Die JSON-Datei, die eine Beratungsstelle nach der Freigabe ihres Pakets "
            "heruntergeladen hat (koordinierungspaket-…json)."
        ),
    )


class WithdrawForm(FlaskForm):
    """Withdrawing an imported package: the reason stays with it; ``next`` brings the
    supervisor back after re-authentication."""

    reason = TextAreaField(
        _l("Begründung"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine Begründung an.")),
            Length(max=REASON_MAX, message=_l("Höchstens %(max)d Zeichen.")),
            clean_text,
        ],
        description=_l(
            "Schreiben Sie über die Zahlen, nicht über Personen, etwa: „Die Stelle hat Fälle "
            "doppelt gezählt und sendet ein berichtigtes Paket.“ Die Begründung wird mit dem "
            "Paket gespeichert."
        ),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"rows": 3},
    )
    next = HiddenField()
