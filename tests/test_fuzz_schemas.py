"""Every marshmallow schema of the application, given any JSON value, either loads it or raises
``marshmallow.ValidationError`` — never a TypeError, KeyError or AttributeError from a
validator or a post-load hook that trusted the shape of its input (the API would answer 500).

The schemas are discovered, not listed: every ``Schema`` subclass defined under servicestelle/
(a new one is tested without anyone adding it here). Inputs are arbitrary JSON (NaN and
Infinity included: Python's JSON reader accepts them) and documents shaped like the schema —
its own field names, values of the field's kind or of any other, choices from its ``OneOf``
validators, nested schemas likewise — so validators and hooks behind the type checks run.

No database: not parametrised by backend.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import pkgutil
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

import servicestelle

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=25)

odd_strings = st.sampled_from(
    ["", " ", "\ud800", "\x00", "a" * 5000, "2026-02-30", "2026-01-01T00:00:00", "1e400", "-1"]
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63)
    | st.floats()
    | st.text(max_size=12)
    | odd_strings
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def _discover() -> list[type[Schema]]:
    for module in pkgutil.walk_packages(servicestelle.__path__, "servicestelle."):
        importlib.import_module(module.name)
    found: dict[str, type[Schema]] = {}
    pending = list(Schema.__subclasses__())
    while pending:
        schema = pending.pop()
        pending.extend(schema.__subclasses__())
        if schema.__module__.startswith("servicestelle."):
            found[f"{schema.__module__}.{schema.__name__}"] = schema
    return [found[name] for name in sorted(found)]


SCHEMAS = _discover()


def _choices(field: fields.Field) -> list[Any]:
    return [
        choice
        for validator in field.validators
        if isinstance(validator, validate.OneOf)
        for choice in validator.choices
    ]


def _typed(field: fields.Field, depth: int) -> st.SearchStrategy[Any]:
    """A value of the field's own kind (the type check passes, the validators decide)."""
    if isinstance(field, fields.Nested):
        shaped = shaped_like(type(field.schema), depth + 1)
        return st.lists(shaped, max_size=3) if field.many else shaped
    if isinstance(field, fields.List):
        return st.lists(_value(field.inner, depth + 1), max_size=4)
    if isinstance(field, fields.Boolean):
        return st.booleans()
    if isinstance(field, fields.Integer):
        return st.integers(min_value=-(2**70), max_value=2**70)
    if isinstance(field, fields.Number):
        return st.floats() | st.integers()
    if isinstance(field, fields.DateTime):
        return st.datetimes().map(lambda moment: moment.isoformat())
    if isinstance(field, fields.Date):
        return st.dates().map(lambda day: day.isoformat())
    if isinstance(field, fields.Dict | fields.Mapping):
        return st.dictionaries(st.text(max_size=8), json_values, max_size=4)
    return st.text(max_size=40) | odd_strings


def _value(field: fields.Field, depth: int) -> st.SearchStrategy[Any]:
    options = [json_values]
    if depth < 4:
        options.append(_typed(field, depth))
    choices = _choices(field)
    if choices:
        options.append(st.sampled_from(choices))
    return st.one_of(options)


def shaped_like(schema: type[Schema], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Documents with the schema's field names (any of them missing) and fitting values."""
    declared = schema().load_fields
    names = {field.data_key or name: field for name, field in declared.items()}
    return st.fixed_dictionaries(
        {},
        optional={name: st.deferred(lambda f=f: _value(f, depth)) for name, f in names.items()},
    )


def test_the_discovery_finds_the_schemas_of_every_audience():
    names = {schema.__name__ for schema in SCHEMAS}
    assert {"CasePayloadSchema", "PackageDocumentSchema", "CaseCreateSchema"} <= names
    assert {"ReleaseExportSchema", "StatsDraftRequestSchema", "TokenRenameSchema"} <= names
    assert len(SCHEMAS) >= 80


@pytest.mark.parametrize(
    "schema", SCHEMAS, ids=lambda schema: f"{schema.__module__}.{schema.__name__}"
)
def test_any_json_loads_or_is_a_validation_error(schema):
    @FUZZ
    @given(value=st.one_of(json_values, shaped_like(schema)))
    def loads_or_refuses(value: Any) -> None:
        # A ValidationError is the declared refusal; anything else fails the test.
        with contextlib.suppress(ValidationError):
            schema().load(value)

    loads_or_refuses()


def test_the_shaped_documents_reach_past_the_type_checks():
    """The shaped strategy is not vacuous: it produces documents a schema loads."""
    from servicestelle.api.case_schemas import LegalHoldSchema

    loaded = []

    @FUZZ
    @given(value=shaped_like(LegalHoldSchema))
    def collect(value: Any) -> None:
        with contextlib.suppress(ValidationError):
            loaded.append(LegalHoldSchema().load(value))

    collect()
    assert loaded
    assert not any(isinstance(v, float) and math.isnan(v) for v in loaded)
