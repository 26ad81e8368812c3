"""What the case endpoints under /api/v1 share: the caller, the error answers, the parts.

Error bodies carry a code, a German message and at most field names. A part (contact,
intervention, deadline, document, consent) is loaded by id within its case; its sealed
content is opened with the data key of the request's one audited read (``read_parts``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import sqlalchemy as sa
from flask import abort, g, jsonify, make_response, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, ValidationError

from servicestelle import security
from servicestelle.auth.models import User
from servicestelle.cases import access as case_access
from servicestelle.cases import operations, vault
from servicestelle.cases import payload as sealed
from servicestelle.cases.models import (
    Case,
    CaseConsent,
    CaseContact,
    CaseDeadline,
    CaseDocument,
    CaseIntervention,
)
from servicestelle.extensions import db

log = logging.getLogger(__name__)

Part = TypeVar("Part", CaseContact, CaseIntervention, CaseDeadline, CaseDocument, CaseConsent)


def me() -> User:
    return current_user


# --- answers -------------------------------------------------------------------------------


def refuse(status: int, code: str, message: str, fields: Any = None) -> NoReturn:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": g.get("request_id")}
    if fields is not None:
        error["fields"] = fields
    abort(make_response(jsonify(error=error), status))


def invalid(exc: ValidationError) -> NoReturn:
    # The same answer as requests.json_body: the messages name fields and rules, not values.
    refuse(422, "validation_failed", "Die Angaben sind ungültig.", exc.normalized_messages())


@contextmanager
def refusals() -> Iterator[None]:
    """An operation's refusal as a JSON error; the operation saved nothing."""
    try:
        yield
    except ValidationError as exc:
        db.session.rollback()
        invalid(exc)
    except operations.StaleEdit as exc:
        db.session.rollback()
        refuse(409, "stale_edit", str(exc))
    except operations.CaseError as exc:
        db.session.rollback()
        refuse(422, "refused", str(exc))
    except vault.CaseUnreadable:
        # Logged with ids by the vault; the caller learns only that it does not open.
        db.session.rollback()
        refuse(500, "case_unreadable", str(_l("Der Inhalt dieser Akte lässt sich nicht öffnen.")))


def load_args(schema: Schema) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(request.args.to_dict())
    except ValidationError as exc:
        invalid(exc)
    return loaded


def forbidden_change() -> NoReturn:
    refuse(403, "forbidden", str(_l("Sie dürfen die Zuständigkeit dieser Akte nicht ändern.")))


# --- the parts of a case ---------------------------------------------------------------------


def parts_of(model: type[Part], case_id: int) -> list[Part]:
    return list(
        db.session.scalars(
            sa.select(model).where(model.case_id == case_id).order_by(model.created_at, model.id)
        )
    )


def part_or_404(model: type[Part], access: case_access.CaseAccess, part_id: int) -> Part:
    """A part of this case. Any other id is a 404; one of a case out of reach, an audited one."""
    row = db.session.get(model, part_id)
    if row is None:
        abort(404)
    if row.case_id != access.case.id:
        other = db.session.get(Case, row.case_id)
        if other is None or case_access.reach_of(access.user, other).content:
            abort(404)
        security.deny_out_of_scope(case_access.OBJECT_TYPE, other.id, centre_id=other.centre_id)
    return row


def read_parts(access: case_access.CaseAccess) -> vault.CaseVault:
    """The case's key for opening its parts, after the one audited read of this request."""
    with refusals():
        return operations.open_case(access).vault


def open_part(opened: vault.CaseVault, table: str, column: str, row: Any, schema: Schema) -> Any:
    """A sealed part, loaded by shape and types only (payload.part_from_storage): a code
    retired from its list since it was saved is answered as stored."""
    with refusals():
        stored = opened.open_json(table, column, row.id, getattr(row, column))
        try:
            return sealed.part_from_storage(schema, stored)
        except sealed.StoredContentInvalid as exc:
            log.error("%s.%s of row %s does not have its shape at %s", table, column, row.id, exc)
            raise vault.CaseUnreadable from None


def open_content(opened: vault.CaseVault, table: str, row: Any, schema: Schema) -> dict[str, Any]:
    content: dict[str, Any] = open_part(opened, table, "content", row, schema)
    return content
