"""The case form: every field of a case, built from the catalogue, in its sections.

``SECTIONS`` says which field belongs to which fieldset, in display order (the specs that make
the fields are in forms_specs.py); ``to_payload`` / ``from_payload`` convert between the form
and the payload dict of payload.py, and ``apply_errors`` puts marshmallow's messages next to
the fields they name.

The district select (``DISTRICT``) is the centre's own register: the view sets its options
(``offer_districts``) and operations.py checks the code sent when the case is saved, as for
every other way of saving a case.

The smaller forms of the case pages are in forms_parts.py (the parts of a case), forms_case.py
(team, legal hold, break-glass) and forms_list.py (the case list).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, IntegerField, RadioField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from servicestelle import catalogue, clock
from servicestelle.cases import operations
from servicestelle.cases.forms_fields import choices_of as choices_of  # views_case.py uses it
from servicestelle.cases.forms_fields import code_choices, date_field
from servicestelle.cases.forms_specs import (
    NO_DISTRICT,
    DistrictSpec,
    MetaSpec,
    Section,
    SelectionSpec,
    ValueSpec,
    district_select,
    text_spec,
)
from servicestelle.cases.payload import LONG_TEXT, MEDIUM_TEXT, SHORT_TEXT
from servicestelle.centres.models import District
from servicestelle.converters import MAX_ID

DISTRICT = DistrictSpec("incident", "district_code", _l("Stadtteil oder Kreis"), district_select)


def offer_districts(form: Form, districts: Iterable[District]) -> None:
    """The options of the district select: "Keine Angabe", then ``districts`` as given."""
    form[DISTRICT.name].choices = [
        SelectChoice("", NO_DISTRICT),
        *(
            SelectChoice(
                district.code,
                district.name
                if district.is_active
                else _l("%(name)s (stillgelegt)", name=district.name),
            )
            for district in districts
        ),
    ]


SECTIONS: tuple[Section, ...] = (
    Section(
        "akte",
        _l("Akte"),
        (
            MetaSpec(
                "status",
                lambda: RadioField(
                    _l("Status"),
                    choices=code_choices(catalogue.CASE_STATUS),
                    default="open",
                    validators=[Optional()],
                    invalid_choice_message=_l("Bitte wählen Sie den Status."),
                ),
            ),
            MetaSpec(
                "opened_on",
                lambda: date_field(
                    _l("Datum des Erstkontakts"),
                    description=_l("Leer lassen, wenn der Erstkontakt heute war."),
                ),
            ),
        ),
    ),
    Section(
        "vorfall",
        _l("Vorfall"),
        (
            ValueSpec("incident", "date", _l("Datum des Vorfalls"), date_field, default=None),
            ValueSpec(
                "incident",
                "date_precision",
                catalogue.DATE_PRECISION.label,
                lambda text: RadioField(
                    text,
                    choices=code_choices(catalogue.DATE_PRECISION),
                    default="genau",
                    validate_choice=False,
                ),
                default="genau",
                code_list=catalogue.DATE_PRECISION,
            ),
            text_spec("incident", "place", _l("Ort des Vorfalls"), SHORT_TEXT),
            DISTRICT,
            text_spec(
                "incident",
                "district",
                _l("Ort oder Stadtteil, freie Angabe"),
                SHORT_TEXT,
                description=_l(
                    "Falls die Liste nicht passt oder genauer sein soll. Vertraulich: Diese Angabe erscheint in keiner Statistik."
                ),
            ),
        ),
    ),
    Section(
        "einordnung",
        _l("Einordnung"),
        (
            SelectionSpec("classification", "grounds", catalogue.GROUNDS),
            SelectionSpec("classification", "life_areas", catalogue.LIFE_AREAS),
            SelectionSpec("classification", "forms", catalogue.FORMS),
            SelectionSpec("classification", "level", catalogue.LEVELS),
            SelectionSpec("classification", "agg_relevance", catalogue.AGG_RELEVANCE),
            SelectionSpec("classification", "legal_mode", catalogue.LEGAL_MODE),
            SelectionSpec("classification", "perspective", catalogue.PERSPECTIVE),
        ),
    ),
    Section(
        "verursachende",
        _l("Verursachende"),
        (
            SelectionSpec(
                "respondent", "type", catalogue.RESPONDENT_TYPES, _l("Art der Verursachenden")
            ),
            text_spec(
                "respondent",
                "name",
                _l("Name der Person oder Stelle"),
                SHORT_TEXT,
                description=_l(
                    "Verschlüsselt gespeichert; hilft, wiederholt auftretende Verursachende zu erkennen."
                ),
            ),
            text_spec("respondent", "address", _l("Anschrift"), MEDIUM_TEXT, multiline=True),
        ),
    ),
    Section(
        "ratsuchende",
        _l("Ratsuchende Person"),
        (
            text_spec(
                "client",
                "pseudonym",
                _l("Selbstgewähltes Pseudonym"),
                SHORT_TEXT,
                description=_l(
                    "Kein Klarname nötig. Die Akte lässt sich über das Pseudonym wiederfinden."
                ),
            ),
            text_spec(
                "client",
                "contact",
                _l("Kontaktdaten"),
                MEDIUM_TEXT,
                multiline=True,
                description=_l(
                    "Freiwillig: Anonyme Beratung ist möglich, dann bleibt das Feld leer."
                ),
            ),
            SelectionSpec("client", "age_band", catalogue.AGE_BANDS),
            SelectionSpec("client", "gender", catalogue.GENDERS),
            SelectionSpec("client", "requester_type", catalogue.REQUESTER_TYPES),
            SelectionSpec("client", "channel", catalogue.CONTACT_CHANNELS),
            SelectionSpec("client", "referral_source", catalogue.REFERRAL_SOURCES),
            SelectionSpec("client", "language_support", catalogue.LANGUAGE_SUPPORT),
        ),
    ),
    Section(
        "schilderung",
        _l("Schilderung"),
        (
            text_spec(
                "account",
                "client_goal",
                _l("Anliegen der ratsuchenden Person"),
                MEDIUM_TEXT,
                multiline=True,
            ),
            text_spec("account", "narrative", _l("Was ist passiert?"), LONG_TEXT, multiline=True),
            SelectionSpec("account", "consequences", catalogue.CONSEQUENCES),
            text_spec(
                "account",
                "consequences_note",
                _l("Folgen: Erläuterung"),
                MEDIUM_TEXT,
                multiline=True,
            ),
        ),
    ),
    Section(
        "abschluss",
        _l("Abschluss"),
        (
            MetaSpec(
                "closed_on",
                lambda: date_field(
                    _l("Abschlussdatum"),
                    description=_l(
                        "Nur bei Status „Abgeschlossen“; leer lassen, wenn heute abgeschlossen wird."
                    ),
                ),
            ),
            SelectionSpec("closure", "outcome", catalogue.OUTCOMES),
            SelectionSpec("closure", "reason", catalogue.CLOSURE_REASONS),
            text_spec(
                "closure", "note", _l("Anmerkung zum Abschluss"), MEDIUM_TEXT, multiline=True
            ),
        ),
    ),
)

PAYLOAD_SPECS: tuple[SelectionSpec | ValueSpec, ...] = tuple(
    spec
    for section in SECTIONS
    for spec in section.specs
    if isinstance(spec, SelectionSpec | ValueSpec)
)


#: The hidden version of a case form did not come back as it was sent.
RELOAD = _l("Das Formular kam unvollständig an. Bitte laden Sie die Akte neu.")


class CaseFormBase(FlaskForm):
    """Cross-field checks; the fields themselves come from SECTIONS (``CaseForm``)."""

    #: The version the form was filled from: a save over a newer one is refused (StaleEdit).
    content_version = IntegerField(
        widget=widgets.HiddenInput(),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_ID, message=RELOAD),
        ],
    )

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        valid: bool = super().validate(extra_validators)
        if self.content_version.errors:
            # A hidden field has no label to stand beside (and WTForms' own message for a
            # value that is no number is English): one message on top of the form.
            self.form_errors.append(str(RELOAD))
            self.content_version.errors = []
        opened, closed = self["opened_on"].data, self["closed_on"].data
        if self["status"].data == "closed":
            if closed is not None and closed < (opened or clock.today()):
                self["closed_on"].errors.append(
                    str(_l("Das Abschlussdatum liegt vor dem Erstkontakt."))
                )
                valid = False
            if not self["closure_outcome"].data:
                self["closure_outcome"].errors.append(str(_l("Bitte geben Sie das Ergebnis an.")))
                valid = False
            if not self["closure_reason"].data:
                self["closure_reason"].errors.append(
                    str(_l("Bitte geben Sie den Abschlussgrund an."))
                )
                valid = False
        return valid


def _case_form_fields() -> dict[str, Any]:
    # Created in display order: WTForms orders fields (and so the error summary) by creation.
    made: dict[str, Any] = {}
    for section in SECTIONS:
        for spec in section.specs:
            made.update(spec.fields())
    return made


class CaseForm(CaseFormBase):
    """Every field of a case, grouped by SECTIONS."""


for _name, _field in _case_form_fields().items():
    setattr(CaseForm, _name, _field)


def to_payload(form: Form) -> dict[str, Any]:
    """The payload dict of payload.py from a submitted case form."""
    content: dict[str, dict[str, Any]] = {}
    for spec in PAYLOAD_SPECS:
        content.setdefault(spec.section, {})[spec.key] = spec.read(form)
    return content


def metadata(form: Form) -> operations.Metadata:
    return operations.Metadata(
        status=form["status"].data or "open",
        opened_on=form["opened_on"].data,
        closed_on=form["closed_on"].data,
    )


def from_payload(
    content: Mapping[str, Any], *, status: str, opened_on: date, closed_on: date | None
) -> dict[str, Any]:
    """Data for a case form filled from a stored case."""
    data: dict[str, Any] = {"status": status, "opened_on": opened_on, "closed_on": closed_on}
    for spec in PAYLOAD_SPECS:
        data.update(spec.write(content.get(spec.section, {}).get(spec.key)))
    return data


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, Mapping):
        return [text for value in messages.values() for text in _flatten(value)]
    if isinstance(messages, list | tuple):
        return [text for value in messages for text in _flatten(value)]
    return [str(messages)]


def apply_errors(form: Form, messages: Mapping[str, Any] | list[Any]) -> None:
    """Put marshmallow's messages (``{"section": {"key": …}}``) next to their fields."""
    if not isinstance(messages, Mapping):
        form.form_errors.extend(_flatten(messages))
        return
    by_path = {(spec.section, spec.key): spec for spec in PAYLOAD_SPECS}
    for section, inner in messages.items():
        for key, value in inner.items() if isinstance(inner, Mapping) else [("", inner)]:
            spec = by_path.get((section, key))
            if spec is None:
                form.form_errors.extend(_flatten(value))
                continue
            parts: Iterable[tuple[str, Any]] = (
                value.items() if isinstance(value, Mapping) else [("", value)]
            )
            for part, texts in parts:
                form[spec.field_for(part)].errors.extend(_flatten(texts))
