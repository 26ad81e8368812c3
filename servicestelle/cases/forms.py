"""Forms of the case pages: the long case form, built from the catalogue, and the small ones.

The case form has one field per code list (checkboxes for a multi-select list, radio buttons
for a single one), a ``_sub`` companion for lists with sub-items and an ``_other`` companion
for the free text of "Anderes". ``SECTIONS`` says which field belongs to which fieldset, in
display order; ``to_payload`` / ``from_payload`` convert between the form and the payload dict
of payload.py, and ``apply_errors`` puts marshmallow's messages next to the fields they name.

Codes are not checked against their lists here (``validate_choice=False``): payload.py does it
for every way a case is saved, and its German messages name the list, never the value sent.
The district select (``DISTRICT``) is the centre's own register: the view sets its options and
cases/districts.py checks the code sent, as the API does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Field,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from servicestelle import catalogue, clock
from servicestelle.cases import operations
from servicestelle.cases.payload import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    LONG_TEXT,
    MEDIUM_TEXT,
    SHORT_TEXT,
)
from servicestelle.catalogue import CodeList
from servicestelle.centres.models import District
from servicestelle.converters import MAX_ID
from servicestelle.forms_common import clean_text, single_line

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


class Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def choices_of(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def code_choices(code_list: CodeList) -> list[SelectChoice]:
    return choices_of((entry.code, entry.label) for entry in code_list.entries())


def plausible_date(form: Form, field: Field) -> None:
    if field.data is not None and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(str(_l("Bitte prüfen Sie das Jahr.")))


def not_in_future(form: Form, field: Field) -> None:
    if field.data is not None and field.data > clock.today():
        raise ValidationError(str(_l("Das Datum liegt in der Zukunft.")))


def _date(label: LazyString, *, required: bool = False, past: bool = True, **kwargs: Any) -> Any:
    first = InputRequired(_l("Bitte geben Sie ein Datum an.")) if required else Optional()
    checks: list[Callable[[Form, Field], None]] = [plausible_date]
    if past:
        checks.append(not_in_future)
    return DateField(
        label,
        format=DATE_FORMATS,
        validators=[first, *checks],
        invalid_value_message=_l("Bitte geben Sie ein gültiges Datum an (TT.MM.JJJJ)."),
        **kwargs,
    )


def _text(label: LazyString, limit: int, *, multiline: bool = False, **kwargs: Any) -> Any:
    field_class = TextAreaField if multiline else StringField
    return field_class(
        label,
        validators=[
            Length(max=limit, message=_l("Höchstens %(max)d Zeichen.")),
            clean_text if multiline else single_line,
        ],
        **kwargs,
    )


def _radio(code_list: CodeList, message: LazyString, **kwargs: Any) -> Any:
    return RadioField(
        kwargs.pop("label", code_list.label),
        choices=code_choices(code_list),
        validators=[InputRequired(message)],
        invalid_choice_message=message,
        **kwargs,
    )


# --- the parts of the case form -------------------------------------------------------------


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
            made[self.other_name] = _text(
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
    options the view sets (``offer_districts``); the case page shows the district's name."""


#: The option for "no district": the value the payload stores then is "".
NO_DISTRICT = _l("Keine Angabe")


def _district_select(label: LazyString) -> SelectField:
    # The register is checked when the case is saved (cases/districts.py), like the code
    # lists are checked by payload.py: the message names the list, never the value sent.
    return SelectField(
        label,
        choices=[SelectChoice("", NO_DISTRICT)],
        default="",
        validate_choice=False,
        description=_l(
            "Für Statistiken und Berichte. Die Liste pflegt die Leitung unter „Stadtteile und Kreise“."
        ),
    )


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


def _text_spec(
    section: str, key: str, label: LazyString, limit: int, *, multiline: bool = False, **kwargs: Any
) -> ValueSpec:
    return ValueSpec(
        section,
        key,
        label,
        lambda text: _text(text, limit, multiline=multiline, **kwargs),
        multiline=multiline,
    )


DISTRICT = DistrictSpec("incident", "district_code", _l("Stadtteil oder Kreis"), _district_select)

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
                lambda: _date(
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
            ValueSpec("incident", "date", _l("Datum des Vorfalls"), _date, default=None),
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
            _text_spec("incident", "place", _l("Ort des Vorfalls"), SHORT_TEXT),
            DISTRICT,
            _text_spec(
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
            _text_spec(
                "respondent",
                "name",
                _l("Name der Person oder Stelle"),
                SHORT_TEXT,
                description=_l(
                    "Verschlüsselt gespeichert; hilft, wiederholt auftretende Verursachende zu erkennen."
                ),
            ),
            _text_spec("respondent", "address", _l("Anschrift"), MEDIUM_TEXT, multiline=True),
        ),
    ),
    Section(
        "ratsuchende",
        _l("Ratsuchende Person"),
        (
            _text_spec(
                "client",
                "pseudonym",
                _l("Selbstgewähltes Pseudonym"),
                SHORT_TEXT,
                description=_l(
                    "Kein Klarname nötig. Die Akte lässt sich über das Pseudonym wiederfinden."
                ),
            ),
            _text_spec(
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
            _text_spec(
                "account",
                "client_goal",
                _l("Anliegen der ratsuchenden Person"),
                MEDIUM_TEXT,
                multiline=True,
            ),
            _text_spec("account", "narrative", _l("Was ist passiert?"), LONG_TEXT, multiline=True),
            SelectionSpec("account", "consequences", catalogue.CONSEQUENCES),
            _text_spec(
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
                lambda: _date(
                    _l("Abschlussdatum"),
                    description=_l(
                        "Nur bei Status „Abgeschlossen“; leer lassen, wenn heute abgeschlossen wird."
                    ),
                ),
            ),
            SelectionSpec("closure", "outcome", catalogue.OUTCOMES),
            SelectionSpec("closure", "reason", catalogue.CLOSURE_REASONS),
            _text_spec(
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


# --- parts of a case ------------------------------------------------------------------------


class ContactForm(FlaskForm):
    occurred_on = _date(_l("Datum des Kontakts"), required=True)
    channel = _radio(catalogue.CONTACT_CHANNELS, _l("Bitte wählen Sie den Kontaktweg."))
    duration_minutes = IntegerField(
        _l("Dauer in Minuten"),
        validators=[
            Optional(),
            NumberRange(min=0, max=24 * 60, message=_l("Bitte 0 bis 1440 Minuten.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    note = _text(_l("Notiz"), LONG_TEXT, multiline=True)


class InterventionForm(FlaskForm):
    occurred_on = _date(_l("Datum"), required=True)
    type = _radio(
        catalogue.INTERVENTIONS,
        _l("Bitte wählen Sie die Art der Intervention."),
        label=_l("Art der Intervention"),
    )
    details = _text(_l("Einzelheiten"), LONG_TEXT, multiline=True)
    result = _text(_l("Ergebnis"), MEDIUM_TEXT, multiline=True)


class DeadlineForm(FlaskForm):
    kind = _radio(catalogue.DEADLINE_KINDS, _l("Bitte wählen Sie die Fristart."))
    trigger_on = _date(
        _l("Ausgangsdatum"),
        required=True,
        past=False,
        description=_l(
            "Zugang der Ablehnung, Kenntnis von der Benachteiligung oder Datum der schriftlichen Geltendmachung."
        ),
    )
    uncertain = BooleanField(_l("Datum ist ungefähr"))
    note = _text(_l("Notiz"), MEDIUM_TEXT, multiline=True)


class FollowUpForm(FlaskForm):
    """The deadline that meeting another one starts (ArbGG §61b after AGG §15(4))."""

    kind = HiddenField(validators=[InputRequired()])
    trigger_on = _date(_l("Datum der schriftlichen Geltendmachung"), required=True)
    uncertain = BooleanField(_l("Datum ist ungefähr"))
    mark_done = BooleanField(_l("Die bisherige Frist als erledigt markieren"), default=True)


class DocumentForm(FlaskForm):
    file = FileField(_l("Datei"), validators=[FileRequired(_l("Bitte wählen Sie eine Datei."))])
    description = _text(_l("Beschreibung"), MEDIUM_TEXT, multiline=True)


class ConsentForm(FlaskForm):
    purpose = _radio(
        catalogue.CONSENT_PURPOSES, _l("Bitte wählen Sie den Zweck."), label=_l("Zweck")
    )
    given_on = _date(_l("Erteilt am"), required=True)
    given_as = _radio(catalogue.CONSENT_FORMS, _l("Bitte wählen Sie die Form."), label=_l("Form"))


class WithdrawForm(FlaskForm):
    withdrawn_on = _date(_l("Widerrufen am"), required=True)


KIND_LABELS = {"assigned": _l("zuständig"), "shared": _l("geteilt")}


class MemberForm(FlaskForm):
    user_id = SelectField(
        _l("Kollegin oder Kollege"),
        coerce=int,
        validators=[InputRequired(_l("Bitte wählen Sie eine Person."))],
        invalid_choice_message=_l("Bitte wählen Sie eine Person."),
    )
    kind = RadioField(
        _l("Art"),
        choices=choices_of(KIND_LABELS.items()),
        default="shared",
        validators=[InputRequired(_l("Bitte wählen Sie die Art."))],
        invalid_choice_message=_l("Bitte wählen Sie die Art."),
    )


class LegalHoldForm(FlaskForm):
    hold = HiddenField(validators=[InputRequired()])


class BreakGlassReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Begründung"),
        validators=[
            InputRequired(_l("Bitte begründen Sie den Notfallzugriff.")),
            Length(max=1000, message=_l("Höchstens %(max)d Zeichen.")),
            clean_text,
        ],
        description=_l(
            "Warum brauchen Sie die Akte jetzt? Die Begründung liest die oder der Datenschutzbeauftragte."
        ),
    )


class BreakGlassForm(BreakGlassReasonForm):
    reference = StringField(
        _l("Aktenzeichen"),
        validators=[
            InputRequired(_l("Bitte geben Sie das Aktenzeichen an.")),
            Length(max=16, message=_l("Höchstens %(max)d Zeichen.")),
            single_line,
        ],
        description=_l("Zum Beispiel 2026-0042."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


# --- the case list --------------------------------------------------------------------------

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
