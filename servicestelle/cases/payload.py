"""The sealed content of a case and of its parts: shape, limits and validation.

One marshmallow schema per sealed column, used by the API (JSON in) and by the operations
(everything is validated again before it is sealed, whichever way it came). What was sealed
is read back by shape and types only (``from_storage``): a code retired from its list later
must not make a case unopenable.

Code lists come from catalogue.py; a selection is ``{"codes": [...], "sub": [...], "other":
"..."}`` — the chosen codes, the chosen sub-items, and the free text of ``anderes`` (kept
only when ``anderes`` is chosen: what was not asked for is not stored).

Drafts may be incomplete: nothing is required except what a record cannot exist without
(a contact's date and channel …). Closing a case asks for its outcome (``closing_gaps``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    missing,
    post_load,
    validate,
    validates_schema,
)

from servicestelle import catalogue
from servicestelle.catalogue import CodeList

PAYLOAD_VERSION = 1
SHORT_TEXT = 200
MEDIUM_TEXT = 2_000
LONG_TEXT = 20_000

#: Dates outside these years are typing mistakes ("0202" for "2022", "9999" for a deadline);
#: the upper bound also keeps a deadline's computed due date within what ``date`` holds.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100

_CONTROL = {chr(c) for c in range(32)} - {"\n", "\t"} | {"\x7f"}


def plausible_day(value: date) -> None:
    """A date of a case (incident, contact, deadline, consent …) lies within the bounds."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(str(_l("Bitte prüfen Sie das Jahr.")))


#: The year bounds as the OpenAPI document states them (1900–2100).
DAY_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)-"


def day(**kwargs: Any) -> fields.Date:
    """A date field of a request or a sealed part, within EARLIEST_YEAR..LATEST_YEAR."""
    return fields.Date(validate=plausible_day, metadata={"pattern": DAY_PATTERN}, **kwargs)


def _no_control_characters(value: str) -> None:
    if any(ch in _CONTROL for ch in value.replace("\r\n", "\n")):
        raise ValidationError(str(_l("Bitte ohne Steuerzeichen.")))


def _text(limit: int, *, single_line: bool = False) -> fields.String:
    checks: list[Any] = [
        validate.Length(max=limit, error=str(_l("Höchstens {max} Zeichen."))),
        _no_control_characters,
    ]
    if single_line:
        checks.append(validate.Regexp(r"^[^\n\r]*$", error=str(_l("Bitte in einer Zeile."))))
    # For the OpenAPI document, which checks the answers as well: stored text keeps the CRLF
    # a browser sends.
    pattern = SINGLE_LINE_PATTERN if single_line else TEXT_PATTERN
    return fields.String(load_default="", validate=checks, metadata={"pattern": pattern})


#: What ``_text`` accepts, as the OpenAPI document states it (JSON Schema regex).
TEXT_PATTERN = r"^(?:[^\u0000-\u0008\u000b-\u001f\u007f]|\u000d\u000a)*$"
SINGLE_LINE_PATTERN = r"^[^\u0000-\u0008\u000a-\u001f\u007f]*$"


def selection_schema(code_list: CodeList) -> type[Schema]:
    """A schema for one code-list selection; validates the codes against the list."""

    class SelectionSchema(Schema):
        class Meta:
            unknown = EXCLUDE

        codes = fields.List(
            fields.String(metadata={"enum": sorted(code_list.values())}), load_default=list
        )
        sub = fields.List(
            fields.String(metadata={"enum": sorted(code_list.sub_values())}), load_default=list
        )
        other = _text(SHORT_TEXT, single_line=True)

        @validates_schema
        def _known_codes(self, data: Mapping[str, Any], **_: Any) -> None:
            problems = code_list.validate(data.get("codes", []), data.get("sub", []))
            if problems:
                raise ValidationError([str(p) for p in problems], "codes")

        @post_load
        def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
            codes, sub = code_list.with_parents(data["codes"], data["sub"])
            other = data["other"].strip() if catalogue.ANDERES.code in codes else ""
            return {"codes": codes, "sub": sub, "other": other}

    SelectionSchema.__name__ = f"Selection_{code_list.name}"
    return SelectionSchema


def _selection(code_list: CodeList) -> fields.Nested:
    return fields.Nested(selection_schema(code_list), load_default=empty_selection)


def empty_selection() -> dict[str, Any]:
    return {"codes": [], "sub": [], "other": ""}


class RegisterCode(fields.String):
    """A code from a register the centre keeps itself (its districts), "" for none.

    This schema checks the shape only: it cannot know the centre. Whoever saves a case checks
    the code against the centre's register (cases/operations.py); a code is never free text.
    """

    def __init__(self, **kwargs: Any) -> None:
        pattern = validate.Regexp(
            r"^[a-z0-9_]{0,32}\Z", error=str(_l("Bitte wählen Sie einen Eintrag aus der Liste."))
        )
        super().__init__(load_default="", validate=pattern, **kwargs)


class IncidentSchema(Schema):
    date = day(load_default=None, allow_none=True)
    date_precision = fields.String(
        load_default="genau", validate=validate.OneOf(sorted(catalogue.DATE_PRECISION.values()))
    )
    place = _text(SHORT_TEXT, single_line=True)
    #: The centre's own description of where; sealed, never in a statistic.
    district = _text(SHORT_TEXT, single_line=True)
    #: The district from the centre's register (centres.models.District.code): what
    #: statistics and reports count by.
    district_code = RegisterCode()


class ClassificationSchema(Schema):
    grounds = _selection(catalogue.GROUNDS)
    life_areas = _selection(catalogue.LIFE_AREAS)
    forms = _selection(catalogue.FORMS)
    level = _selection(catalogue.LEVELS)
    agg_relevance = _selection(catalogue.AGG_RELEVANCE)
    legal_mode = _selection(catalogue.LEGAL_MODE)
    perspective = _selection(catalogue.PERSPECTIVE)


class RespondentSchema(Schema):
    type = _selection(catalogue.RESPONDENT_TYPES)
    name = _text(SHORT_TEXT, single_line=True)
    address = _text(MEDIUM_TEXT)


class ClientSchema(Schema):
    pseudonym = _text(SHORT_TEXT, single_line=True)
    #: Optional: anonymous counselling must work without any way to reach the person.
    contact = _text(MEDIUM_TEXT)
    age_band = _selection(catalogue.AGE_BANDS)
    gender = _selection(catalogue.GENDERS)
    requester_type = _selection(catalogue.REQUESTER_TYPES)
    channel = _selection(catalogue.CONTACT_CHANNELS)
    referral_source = _selection(catalogue.REFERRAL_SOURCES)
    language_support = _selection(catalogue.LANGUAGE_SUPPORT)


class AccountSchema(Schema):
    """The client's account: goal, what happened, what it did to them."""

    client_goal = _text(MEDIUM_TEXT)
    narrative = _text(LONG_TEXT)
    consequences = _selection(catalogue.CONSEQUENCES)
    consequences_note = _text(MEDIUM_TEXT)


class ClosureSchema(Schema):
    outcome = _selection(catalogue.OUTCOMES)
    reason = _selection(catalogue.CLOSURE_REASONS)
    note = _text(MEDIUM_TEXT)


def _section(schema: type[Schema]) -> fields.Nested:
    empty = schema()  # built once: a schema is a few ms to build, and holds no state per load
    return fields.Nested(schema, load_default=lambda: empty.load({}))


class CasePayloadSchema(Schema):
    """Everything sealed in ``cases.payload``."""

    class Meta:
        unknown = EXCLUDE

    incident = _section(IncidentSchema)
    classification = _section(ClassificationSchema)
    respondent = _section(RespondentSchema)
    client = _section(ClientSchema)
    account = _section(AccountSchema)
    closure = _section(ClosureSchema)


#: One instance for every load, dump and read back: building the schema (and, through its
#: ``Nested`` fields, two dozen more, each copying its fields) cost 6 ms per call, 16 times a
#: load. It is stateless between calls (no context, ``only``, ``partial`` or ``many`` is ever
#: set on it); marshmallow keeps the state of one load or dump in the call, not the instance.
_PAYLOAD_SCHEMA = CasePayloadSchema()


def load_payload(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated, normalised payload; ValidationError with messages per field otherwise."""
    loaded: dict[str, Any] = _PAYLOAD_SCHEMA.load(data)
    return loaded


def to_storage(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-ready form that is sealed (dates as ISO strings, a format version)."""
    stored: dict[str, Any] = _PAYLOAD_SCHEMA.dump(payload)
    stored["v"] = PAYLOAD_VERSION
    return stored


class StoredContentInvalid(ValueError):
    """Sealed content does not have the shape of its schema: a bug or a format change, never
    a person's input (it was validated when saved). The message is the path, never a value."""


def from_storage(stored: Any) -> dict[str, Any]:
    """A sealed payload back into its loaded form, checking shape and types only.

    It was validated when it was saved. What changed since must not make the case unopenable:
    a code retired from its list is kept as stored (the pages show the code itself), a limit
    lowered since cuts nothing. Every write validates strictly again (``load_payload``).
    """
    return _lenient(_PAYLOAD_SCHEMA, stored, "payload")


def part_from_storage(schema: Schema, stored: Any) -> dict[str, Any]:
    """A sealed part (contact, intervention, deadline, document description), as leniently."""
    return _lenient(schema, stored, type(schema).__name__)


def _lenient(schema: Schema, stored: Any, path: str) -> dict[str, Any]:
    """The fields of ``schema`` from ``stored`` by their types, defaults for missing ones;
    no validator, hook or code list runs. Keys the schema does not know are left out."""
    if not isinstance(stored, Mapping):
        raise StoredContentInvalid(path)
    loaded: dict[str, Any] = {}
    for name, schema_field in schema.fields.items():
        where = f"{path}.{name}"
        if name not in stored:
            if schema_field.required:
                raise StoredContentInvalid(where)
            default = schema_field.load_default
            if default is not missing:
                loaded[name] = default() if callable(default) else default
        elif stored[name] is None and schema_field.allow_none:
            loaded[name] = None
        else:
            loaded[name] = _lenient_value(schema_field, stored[name], where)
    return loaded


def _lenient_value(schema_field: fields.Field, value: Any, where: str) -> Any:
    if isinstance(schema_field, fields.Nested):
        return _lenient(schema_field.schema, value, where)
    if isinstance(schema_field, fields.List):
        if not isinstance(value, list):
            raise StoredContentInvalid(where)
        return [_lenient_value(schema_field.inner, item, where) for item in value]
    if isinstance(schema_field, fields.Date):
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise StoredContentInvalid(where) from None
    if isinstance(schema_field, fields.Integer):
        if not isinstance(value, int) or isinstance(value, bool):
            raise StoredContentInvalid(where)
        return value
    if isinstance(schema_field, fields.String):
        if not isinstance(value, str):
            raise StoredContentInvalid(where)
        return value
    raise TypeError(f"no lenient loading for {type(schema_field).__name__} ({where})")


def empty_payload() -> dict[str, Any]:
    return load_payload({})


def closing_gaps(payload: Mapping[str, Any]) -> list[str]:
    """What a case needs before it can be closed (German messages)."""
    gaps = []
    if not payload["closure"]["outcome"]["codes"]:
        gaps.append(str(_l("Bitte geben Sie das Ergebnis an.")))
    if not payload["closure"]["reason"]["codes"]:
        gaps.append(str(_l("Bitte geben Sie den Abschlussgrund an.")))
    return gaps


# --- the parts of a case --------------------------------------------------------------


class ContactContentSchema(Schema):
    channel = fields.String(
        required=True, validate=validate.OneOf(sorted(catalogue.CONTACT_CHANNELS.values()))
    )
    duration_minutes = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=24 * 60)
    )
    note = _text(LONG_TEXT)


class InterventionContentSchema(Schema):
    type = fields.String(
        required=True, validate=validate.OneOf(sorted(catalogue.INTERVENTIONS.values()))
    )
    details = _text(LONG_TEXT)
    result = _text(MEDIUM_TEXT)


class DeadlineContentSchema(Schema):
    kind = fields.String(
        required=True, validate=validate.OneOf(sorted(catalogue.DEADLINE_KINDS.values()))
    )
    trigger_on = day(required=True)
    note = _text(MEDIUM_TEXT)


class DocumentDescriptionSchema(Schema):
    #: The uploaded file name can name the client ("Kündigung_Yilmaz.pdf"): sealed, and never
    #: used for the download (filetypes.safe_download_name).
    filename = _text(SHORT_TEXT, single_line=True)
    description = _text(MEDIUM_TEXT)
