"""The coordinator's upload form: one package file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class ImportForm(FlaskForm):
    file = FileField(
        _l("Paketdatei"),
        validators=[FileRequired(_l("Bitte wählen Sie eine Paketdatei."))],
        description=_l(
            "Die JSON-Datei, die eine Beratungsstelle nach der Freigabe ihres Pakets "
            "heruntergeladen hat (koordinierungspaket-…json)."
        ),
    )
