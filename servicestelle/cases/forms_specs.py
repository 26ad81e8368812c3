"""How the case form is built from the catalogue: one spec per field of the payload.

A ``SelectionSpec`` turns a code list into checkboxes (multi-select) or radio buttons (single),
with a ``_sub`` companion for lists with sub-items and an ``_other`` companion for the free
text of "Anderes"; a ``ValueSpec`` is a plain text, date or code; a ``MetaSpec`` a plaintext
column of the case row. Each spec makes its fields, reads them into the payload and writes
the payload back into form data; forms.py arranges them into ``SECTIONS``.

Codes are not checked against their lists here (``validate_choice=False``): payload.py does it
for every way a case is saved, and its German messages name the list, never the value sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import Form, RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from servicestelle import catalogue
from servicestelle.cases.forms_fields import Checkboxes, choices_of, code_choices, text_field
from servicestelle.cases.payload import SHORT_TEXT
from servicestelle.catalogue import CodeList


@dataclass(frozen=True)
class SelectionSpec:
    """A code-list selection: ``{"codes": [...], "sub": [...], "other": "..."}``."""

    kind: ClassVar[str] = "selection"
    section: str
    key: str
    code_list: CodeList
    label: LazyString | None = None

    @property
    def name(self) -> str:
        return f"{self.section}_{self.key}"

    @property
    def sub_name(self) -> str:
        return f"{self.name}_sub"

    @property
    def other_name(self) -> str:
        return f"{self.name}_other"

    @property
    def has_sub(self) -> bool:
        return bool(self.code_list.sub_values())

    @property
    def has_other(self) -> bool:
        return catalogue.ANDERES.code in self.code_list.values()

    @property
    def title(self) -> LazyString:
        return self.label or self.code_list.label

    def children(self, code: str) -> tuple[str, ...]:
        """The sub-item codes under a top-level code, in display order."""
        entry = next((e for e in self.code_list.entries() if e.code == code), None)
        return () if entry is None else tuple(sub.code for sub in entry.sub)

    def fields(self) -> dict[str, Any]:
        made: dict[str, Any] = {}
        choices = code_choices(self.code_list)
        if self.code_list.multiple:
            made[self.name] = Checkboxes(self.title, choices=choices, validate_choice=False)
        else:
            made[self.name] = RadioField(self.title, choices=choices, validate_choice=False)
        if self.has_sub:
            subs = choices_of((s.code, s.label) for e in self.code_list.entries() for s in e.sub)
            made[self.sub_name] = Checkboxes(
                _l("%(list)s: Unterpunkte", list=self.title), choices=subs, validate_choice=False
            )
        if self.has_other:
            made[self.other_name] = text_field(
                _l("%(list)s: Anderes, und zwar", list=self.title), SHORT_TEXT
            )
        return made

    def read(self, form: Form) -> dict[str, Any]:
        chosen = form[self.name].data
        codes = list(chosen or []) if self.code_list.multiple else ([chosen] if chosen else [])
        return {
            "codes": codes,
            "sub": list(form[self.sub_name].data or []) if self.has_sub else [],
            "other": (form[self.other_name].data or "") if self.has_other else "",
        }

    def write(self, value: Mapping[str, Any] | None) -> dict[str, Any]:
        value = value or {}
        codes = list(value.get("codes", []))
        data: dict[str, Any] = {
            self.name: codes if self.code_list.multiple else (codes[0] if codes else None)
        }
        if self.has_sub:
            data[self.sub_name] = list(value.get("sub", []))
        if self.has_other:
            data[self.other_name] = value.get("other", "")
        return data

    def field_for(self, part: str) -> str:
        return self.other_name if part == "other" and self.has_other else self.name


@dataclass(frozen=True)
class ValueSpec:
    """A plain value of the payload: a text, a date, or one code stored as a string."""

    kind: ClassVar[str] = "value"
    section: str
    key: str
    label: LazyString
    make: Callable[[LazyString], Any]
    default: Any = ""
    #: The list a code-valued string comes from (its label is shown, not the code).
    code_list: CodeList | None = None
    multiline: bool = False

    @property
    def name(self) -> str:
        return f"{self.section}_{self.key}"

    @property
    def title(self) -> LazyString:
        return self.label

    def fields(self) -> dict[str, Any]:
        return {self.name: self.make(self.label)}

    def read(self, form: Form) -> Any:
        value = form[self.name].data
        return self.default if value in (None, "") else value

    def write(self, value: Any) -> dict[str, Any]:
        return {self.name: value}

    def field_for(self, part: str) -> str:
        return self.name


@dataclass(frozen=True)
class DistrictSpec(ValueSpec):
    """The district from the centre's register (``incident.district_code``): a select whose
    options the view sets (``forms.offer_districts``); the case page shows the district's name."""


#: The option for "no district": the value the payload stores then is "".
NO_DISTRICT = _l("Keine Angabe")


def district_select(label: LazyString) -> SelectField:
    # The register is checked when the case is saved (operations.check_district), like the
    # code lists are checked by payload.py: the message names the list, never the value sent.
    return SelectField(
        label,
        choices=[SelectChoice("", NO_DISTRICT)],
        default="",
        validate_choice=False,
        description=_l(
            "Für Statistiken und Berichte. Die Liste pflegt die Leitung unter „Stadtteile und Kreise“."
        ),
    )


@dataclass(frozen=True)
class MetaSpec:
    """A plaintext field of the case row (status, dates), not part of the payload."""

    kind: ClassVar[str] = "meta"
    name: str
    make: Callable[[], Any]

    def fields(self) -> dict[str, Any]:
        return {self.name: self.make()}


Spec = SelectionSpec | ValueSpec | MetaSpec


@dataclass(frozen=True)
class Section:
    id: str
    legend: LazyString
    specs: tuple[Spec, ...]


def text_spec(
    section: str, key: str, label: LazyString, limit: int, *, multiline: bool = False, **kwargs: Any
) -> ValueSpec:
    return ValueSpec(
        section,
        key,
        label,
        lambda text: text_field(text, limit, multiline=multiline, **kwargs),
        multiline=multiline,
    )
