"""How the case pages show things: labels of codes, dates, urgency as words (template helpers).

Everything here formats what a view already loaded; nothing reads the database or decrypts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from babel.numbers import format_decimal
from flask_babel import format_date, format_time, get_locale, ngettext
from flask_babel import gettext as _

from servicestelle import catalogue, clock
from servicestelle.cases import deadlines, filetypes
from servicestelle.cases.forms_specs import DistrictSpec, SelectionSpec, ValueSpec
from servicestelle.catalogue import CodeList

FILE_TYPE_LABELS = {filetype.media_type: filetype.label for filetype in filetypes.ALLOWED}
ALLOWED_FILE_TYPES = ", ".join(filetype.extension.upper() for filetype in filetypes.ALLOWED)


def code_label(code_list: CodeList, code: str) -> str:
    try:
        return str(code_list.label_of(code))
    except KeyError:
        return code  # a code retired from its list since it was saved: shown as stored


def list_label(list_name: str, code: str | None) -> str:
    return "" if code is None else code_label(catalogue.by_name(list_name), code)


def selection_text(spec: SelectionSpec, value: Mapping[str, Any]) -> str:
    """ "Rassismus (Antisemitismus); Anderes: …" for a stored selection."""
    chosen_subs = set(value.get("sub", []))
    parts = []
    for code in value.get("codes", []):
        text = code_label(spec.code_list, code)
        children = [code_label(spec.code_list, s) for s in spec.children(code) if s in chosen_subs]
        if children:
            text += f" ({', '.join(children)})"
        if code == catalogue.ANDERES.code and value.get("other"):
            text += f": {value['other']}"
        parts.append(text)
    return "; ".join(parts)


def value_text(
    spec: SelectionSpec | ValueSpec,
    payload: Mapping[str, Any],
    districts: Mapping[str, str] | None = None,
) -> str:
    """A payload value as the case page shows it ("" when nothing was entered).

    ``districts`` maps the centre's district codes to their names (the view loads them).
    """
    value = payload.get(spec.section, {}).get(spec.key)
    if isinstance(spec, SelectionSpec):
        return selection_text(spec, value or {})
    if value is None or value == "":
        return ""
    if isinstance(spec, DistrictSpec):
        return (districts or {}).get(value, value)
    if isinstance(value, date):
        return local_date(value)
    if spec.code_list is not None:
        return code_label(spec.code_list, value)
    return str(value)


def local_date(day: date | None) -> str:
    return "" if day is None else format_date(day, "medium")


def local_clock(moment: datetime | None) -> str:
    """HH:MM in the centre's time zone."""
    return "" if moment is None else format_time(moment, "HH:mm")


def status_label(status: str) -> str:
    return code_label(catalogue.CASE_STATUS, status)


def urgency_text(due_on: date, urgency: deadlines.Urgency) -> str:
    """The urgency in words: colour on the page only repeats what this says."""
    days = (due_on - clock.today()).days
    if urgency is deadlines.Urgency.DONE:
        return _("Erledigt")
    if urgency is deadlines.Urgency.OVERDUE:
        return ngettext("Überfällig seit %(num)s Tag", "Überfällig seit %(num)s Tagen", -days)
    if days == 0:
        return _("Heute fällig")
    return ngettext("Fällig in %(num)s Tag", "Fällig in %(num)s Tagen", days)


def file_size(size: int) -> str:
    locale = str(get_locale() or "de")
    if size < 1024:
        return ngettext("%(num)s Byte", "%(num)s Bytes", size)
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(size / 1024, "#,##0.#", locale=locale))
    return _("%(size)s MB", size=format_decimal(size / 1048576, "#,##0.#", locale=locale))


def file_type(media_type: str) -> str:
    return FILE_TYPE_LABELS.get(media_type, media_type)


def helpers() -> dict[str, Any]:
    return {
        "code_label": code_label,
        "list_label": list_label,
        "value_text": value_text,
        "local_date": local_date,
        "local_clock": local_clock,
        "status_label": status_label,
        "urgency_text": urgency_text,
        "file_size": file_size,
        "file_type": file_type,
        "allowed_file_types": ALLOWED_FILE_TYPES,
    }
