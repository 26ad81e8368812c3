"""Validators shared by every form."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import Field, Form
from wtforms.validators import ValidationError


def clean_text(form: Form, field: Field) -> None:
    """Refuse control characters and the marks of undecodable input (invalid UTF-8)."""
    value = field.data or ""
    if not isinstance(value, str):
        return
    for char in value:
        if char == "\ufffd" or (unicodedata.category(char) == "Cc" and char not in "\r\n\t"):
            raise ValidationError(str(_l("Das Feld enthält unzulässige Zeichen.")))


def single_line(form: Form, field: Field) -> None:
    """Like clean_text, and no line breaks or tabs either (names, labels)."""
    clean_text(form, field)
    if any(char in "\r\n\t" for char in field.data or ""):
        raise ValidationError(str(_l("Das Feld enthält unzulässige Zeichen.")))
