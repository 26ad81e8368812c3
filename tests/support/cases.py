"""Helpers for the case security tests: a case with a canary in every free-text field, written
through the operations (never around them), and a request context acting as one user.

A canary is ``KANARIE-<where>-7f3a``: distinct per field, so a leak names the field it came
from, and sharing the stem ``KANARIE`` so one search finds any of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask
from flask_login import login_user
from marshmallow import Schema, fields, validate

from servicestelle import catalogue
from servicestelle.auth.models import User
from servicestelle.cases import access, break_glass, operations, parts
from servicestelle.cases import payload as rules
from servicestelle.cases.models import Case
from servicestelle.extensions import db

STEM = "KANARIE"
INCIDENT_DAY = date(2026, 2, 16)
TRIGGER_DAY = date(2026, 2, 20)


def canary(where: str) -> str:
    return f"{STEM}-{where}-7f3a"


def encodings(text: str) -> dict[str, bytes]:
    """The forms a leaked text could take in a file, a dump or a log."""
    utf8 = text.encode("utf-8")
    return {
        "utf-8": utf8,
        "utf-8 lower-case": text.lower().encode("utf-8"),
        "utf-16-le": text.encode("utf-16-le"),
        "hex": utf8.hex().encode("ascii"),  # how pg_dump writes bytea
        "HEX": utf8.hex().upper().encode("ascii"),
    }


def leaks(haystack: bytes, canaries: list[str]) -> list[str]:
    """``"<canary> as <encoding>"`` for each canary found in ``haystack``."""
    found = []
    for text in [STEM, *canaries]:
        for name, needle in encodings(text).items():
            if needle in haystack:
                found.append(f"{text} as {name}")
    return found


# --- the payload: one canary per free-text field -------------------------------------------


def is_free_text(schema_field: fields.Field) -> bool:
    """A string a person types: not a code of a list, not a code of the centre's register."""
    return (
        isinstance(schema_field, fields.String)
        and not isinstance(schema_field, rules.RegisterCode)
        and not any(isinstance(check, validate.OneOf) for check in schema_field.validators)
    )


def _selection_list(schema_field: fields.Field) -> catalogue.CodeList | None:
    """The code list of a selection field (payload.selection_schema names its class)."""
    if not isinstance(schema_field, fields.Nested):
        return None
    name = getattr(schema_field.nested, "__name__", "")
    if not name.startswith("Selection_"):
        return None
    return catalogue.by_name(name.removeprefix("Selection_"))


def payload_fields() -> Iterator[tuple[str, str, fields.Field]]:
    """(section, name, field) for every field of the sealed case payload."""
    for section, nested in rules.CasePayloadSchema().fields.items():
        assert isinstance(nested, fields.Nested)
        schema = nested.nested
        instance: Schema = schema() if isinstance(schema, type) else schema  # type: ignore[assignment]
        for name, schema_field in instance.fields.items():
            yield section, name, schema_field


def selection_paths() -> dict[str, str]:
    """``"section.field"`` → code list name, for every code-list selection of the payload."""
    paths = {}
    for section, name, schema_field in payload_fields():
        code_list = _selection_list(schema_field)
        if code_list is not None:
            paths[f"{section}.{name}"] = code_list.name
    return paths


def text_paths() -> list[str]:
    """``"section.field"`` of every free-text field of the payload (not the ``other`` texts)."""
    return [
        f"{section}.{name}"
        for section, name, schema_field in payload_fields()
        if is_free_text(schema_field)
    ]


def canary_payload(tag: str = "") -> tuple[dict[str, Any], list[str]]:
    """A payload with a canary in every free-text field and in every ``other`` text (with
    ``anderes`` chosen wherever the list offers it); returns it and its canaries."""
    content: dict[str, dict[str, Any]] = {}
    canaries = []
    for section, name, schema_field in payload_fields():
        target = content.setdefault(section, {})
        where = f"{section}.{name}{tag}"
        code_list = _selection_list(schema_field)
        if is_free_text(schema_field):
            target[name] = canary(where)
            canaries.append(target[name])
        elif code_list is not None and catalogue.ANDERES.code in code_list.values():
            target[name] = {"codes": [catalogue.ANDERES.code], "other": canary(f"{where}.other")}
            canaries.append(target[name]["other"])
    content["incident"]["date"] = INCIDENT_DAY.isoformat()
    return content, canaries


# --- acting as a user ----------------------------------------------------------------------


@contextmanager
def acting_as(app: Flask, user_id: int) -> Iterator[User]:
    """A request context with ``user_id`` logged in (audit entries name them as the actor)."""
    with app.test_request_context():
        user = db.session.get(User, user_id)
        assert user is not None
        login_user(user)
        yield user


def load(user_id: int, case_id: int, *, content: bool = True) -> access.CaseAccess:
    """Inside acting_as: the case as ``user_id`` reaches it (404, audited, if not at all)."""
    user = db.session.get(User, user_id)
    assert user is not None
    return access.load(case_id, user, content=content)


# --- a fully filled case -------------------------------------------------------------------


@dataclass
class FilledCase:
    case_id: int
    contact_id: int
    intervention_id: int
    deadline_id: int
    document_id: int
    grant_id: int
    #: Every canary written, and the ones readable afterwards (one was replaced by an update).
    canaries: list[str] = field(default_factory=list)
    readable: list[str] = field(default_factory=list)


def document_text() -> bytes:
    return f"Gesprächsnotiz\n{canary('document.content')}\n".encode()


def fill_case(app: Flask, owner_id: int, colleague_id: int) -> FilledCase:
    """Create a case with canaries everywhere a person can type, through the operations:
    payload (then updated once), contact, intervention, deadline, document, break-glass."""
    content, canaries = canary_payload()
    with acting_as(app, owner_id) as owner:
        case = operations.create_case(owner, content)
        case_id = case.id
    updated = {**content, "account": {**content["account"]}}
    updated["account"]["narrative"] = canary("account.narrative.updated")
    with acting_as(app, owner_id):
        access_ = load(owner_id, case_id)
        operations.update_case(access_, updated, operations.Metadata(), based_on=1)
    extra = [
        canary("contact.note"),
        canary("intervention.details"),
        canary("intervention.result"),
        canary("deadline.note"),
        canary("document.content"),
        canary("document.filename"),
        canary("document.description"),
    ]
    with acting_as(app, owner_id):
        access_ = load(owner_id, case_id)
        contact = parts.add_contact(
            access_,
            INCIDENT_DAY,
            {"channel": "telefon", "duration_minutes": 30, "note": canary("contact.note")},
        )
        intervention = parts.add_intervention(
            access_,
            INCIDENT_DAY,
            {
                "type": "anderes",
                "details": canary("intervention.details"),
                "result": canary("intervention.result"),
            },
        )
        deadline = parts.add_deadline(
            access_, "agg_15_4", TRIGGER_DAY, uncertain=True, note=canary("deadline.note")
        )
        document = parts.add_document(
            access_,
            document_text(),
            filename=canary("document.filename") + ".txt",
            description=canary("document.description"),
        )
        ids = (contact.id, intervention.id, deadline.id, document.id)
    with acting_as(app, colleague_id) as colleague:
        target = db.session.get(Case, case_id)
        assert target is not None
        grant = break_glass.open_case(colleague, target, canary("break_glass.reason"))
        grant_id = grant.id
    every = [*canaries, canary("account.narrative.updated"), *extra, canary("break_glass.reason")]
    readable = [text for text in every if text != canary("account.narrative")]
    return FilledCase(case_id, *ids, grant_id, every, readable)
