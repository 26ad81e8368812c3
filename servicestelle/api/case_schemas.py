"""marshmallow schemas of the case endpoints: request bodies and answers, fields listed.

The sealed content keeps the shape of ``cases/payload.py``: the case payload is nested as it
is, and each part's body extends its content schema with the plaintext columns of its row.
Metadata answers (lists, searches, a supervisor's view) have no field that could hold content.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from servicestelle import catalogue
from servicestelle.cases import payload as sealed
from servicestelle.cases.deadlines import Urgency
from servicestelle.cases.models import MEMBER_KINDS, STATUSES
from servicestelle.cases.queries import SEARCH_FIELDS
from servicestelle.converters import MAX_ID

_STATUS = validate.OneOf(STATUSES)


def _strict_boolean(**kwargs: Any) -> fields.Boolean:
    """JSON true/false only: "no" or 0 must not set a legal hold by accident."""
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)


def _id(**kwargs: Any) -> fields.Integer:
    """An id or a version number: a positive 32-bit integer (a larger one would overflow the
    column: a database error instead of a refusal)."""
    return fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID, error=str(_l("Eine Zahl von {min} bis {max}."))),
        **kwargs,
    )


#: What ``_single_line`` accepts, for the OpenAPI document (JSON Schema regex).
SINGLE_LINE_PATTERN = r"^[^\u0000-\u001f\u007f]*$"


def _single_line(value: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError(str(_l("Bitte ohne Steuerzeichen und in einer Zeile.")))


# --- metadata ------------------------------------------------------------------------------


class MemberSchema(Schema):
    user_id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(MEMBER_KINDS)})


class NextDeadlineSchema(Schema):
    due_on = fields.Date(required=True)
    uncertain = fields.Boolean(required=True, metadata={"description": "Frist unsicher"})
    urgency = fields.String(required=True, metadata={"enum": [u.value for u in Urgency]})


class CaseSummarySchema(Schema):
    """A case's plaintext metadata: what lists, searches and supervisors see."""

    id = fields.Integer(required=True)
    reference = fields.String(required=True, metadata={"example": "2026-0042"})
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    opened_on = fields.Date(required=True)
    closed_on = fields.Date(allow_none=True)
    legal_hold = fields.Boolean(required=True)
    members = fields.List(fields.Nested(MemberSchema), required=True)
    next_deadline = fields.Nested(NextDeadlineSchema, allow_none=True)


class CasePageSchema(Schema):
    items = fields.List(fields.Nested(CaseSummarySchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class CaseSearchPageSchema(CasePageSchema):
    possible_matches = fields.Boolean(
        required=True,
        metadata={
            "description": "Blind-index search: the items may include cases that only share "
            "the index value (check the content)."
        },
    )


class CaseDetailSchema(CaseSummarySchema):
    """One case: metadata always, the content only for who may read it (then audited)."""

    content_version = fields.Integer(required=True)
    reach = fields.String(required=True, metadata={"enum": ["content", "break_glass", "metadata"]})
    content_visible = fields.Boolean(required=True)
    content = fields.Nested(sealed.CasePayloadSchema, allow_none=True)


class CaseSavedSchema(Schema):
    """Answer to creating or saving a case: what the next save must quote."""

    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    status = fields.String(required=True)
    opened_on = fields.Date(required=True)
    closed_on = fields.Date(allow_none=True)
    content_version = fields.Integer(required=True)


# --- requests about cases --------------------------------------------------------------------


class CaseListQuerySchema(Schema):
    """Query of GET /cases; unknown parameters are refused (a name never belongs in a URL)."""

    status = fields.String(validate=_STATUS)
    deadline = fields.String(validate=validate.OneOf(["overdue", "due_soon"]))
    assignee = fields.String(
        validate=validate.Regexp(
            r"^(me|none|[0-9]{1,9})$", error=str(_l("me, none oder eine Id."))
        ),
        metadata={"description": "me, none or a user id"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class CaseSearchSchema(Schema):
    """Body of POST /cases/search: the text travels in the body, never in the URL."""

    field = fields.String(required=True, validate=validate.OneOf(SEARCH_FIELDS))
    text = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=sealed.SHORT_TEXT), _single_line],
        metadata={"pattern": SINGLE_LINE_PATTERN},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class CaseCreateSchema(Schema):
    status = fields.String(load_default="open", validate=_STATUS)
    opened_on = sealed.day(load_default=None, allow_none=True)
    closed_on = sealed.day(load_default=None, allow_none=True)
    content = fields.Nested(sealed.CasePayloadSchema, load_default=sealed.empty_payload)


class CaseUpdateSchema(Schema):
    """Body of PUT /cases/{id}: the whole record, and the version it was based on."""

    status = fields.String(required=True, validate=_STATUS)
    opened_on = sealed.day(required=True)
    closed_on = sealed.day(load_default=None, allow_none=True)
    content = fields.Nested(sealed.CasePayloadSchema, required=True)
    content_version = _id(required=True)


class MemberAddSchema(Schema):
    user_id = _id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(MEMBER_KINDS))


class LegalHoldSchema(Schema):
    legal_hold = _strict_boolean(required=True)


# --- the parts of a case -----------------------------------------------------------------------


class ContactCreateSchema(sealed.ContactContentSchema):
    occurred_on = sealed.day(required=True)


class ContactSchema(ContactCreateSchema):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class InterventionCreateSchema(sealed.InterventionContentSchema):
    occurred_on = sealed.day(required=True)


class InterventionSchema(InterventionCreateSchema):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class DeadlineCreateSchema(sealed.DeadlineContentSchema):
    uncertain = _strict_boolean(load_default=False)


class DeadlineSchema(DeadlineCreateSchema):
    id = fields.Integer(required=True)
    due_on = fields.Date(required=True)
    done_on = fields.Date(allow_none=True)
    urgency = fields.String(required=True, metadata={"enum": [u.value for u in Urgency]})
    created_at = fields.DateTime(required=True)


class ConsentCreateSchema(Schema):
    purpose = fields.String(
        required=True, validate=validate.OneOf(sorted(catalogue.CONSENT_PURPOSES.values()))
    )
    given_on = sealed.day(required=True)
    form = fields.String(
        required=True, validate=validate.OneOf(sorted(catalogue.CONSENT_FORMS.values()))
    )


class ConsentSchema(ConsentCreateSchema):
    id = fields.Integer(required=True)
    withdrawn_on = fields.Date(allow_none=True)
    created_at = fields.DateTime(required=True)


class ConsentWithdrawSchema(Schema):
    withdrawn_on = sealed.day(required=True)


class DocumentUploadSchema(sealed.DocumentDescriptionSchema):
    """The form fields of a document upload beside the file itself (its name comes with it)."""

    class Meta:
        exclude = ("filename",)


class DocumentSchema(sealed.DocumentDescriptionSchema):
    """A document's row and its sealed name and description (the bytes are a download)."""

    id = fields.Integer(required=True)
    media_type = fields.String(required=True)
    size = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


# --- errors -------------------------------------------------------------------------------------


class ValidationDetailSchema(Schema):
    code = fields.String(required=True, metadata={"example": "validation_failed"})
    message = fields.String(required=True)
    request_id = fields.String(allow_none=True)
    fields_ = fields.Dict(
        data_key="fields",
        metadata={"description": "Messages per field (nested like the body); never the values"},
    )


class ValidationFailedSchema(Schema):
    error = fields.Nested(ValidationDetailSchema, required=True)


#: Component name → schema, registered in the OpenAPI document (servicestelle/api/openapi.py).
#: Nested schemas come before the ones that nest them (else they are registered twice).
OPENAPI_SCHEMAS: dict[str, type[Schema]] = {
    "CasePayload": sealed.CasePayloadSchema,
    "Member": MemberSchema,
    "CaseSummary": CaseSummarySchema,
    "CasePage": CasePageSchema,
    "CaseSearchPage": CaseSearchPageSchema,
    "CaseDetail": CaseDetailSchema,
    "CaseSaved": CaseSavedSchema,
    "CaseSearch": CaseSearchSchema,
    "CaseCreate": CaseCreateSchema,
    "CaseUpdate": CaseUpdateSchema,
    "MemberAdd": MemberAddSchema,
    "LegalHold": LegalHoldSchema,
    "ContactCreate": ContactCreateSchema,
    "Contact": ContactSchema,
    "InterventionCreate": InterventionCreateSchema,
    "Intervention": InterventionSchema,
    "DeadlineCreate": DeadlineCreateSchema,
    "Deadline": DeadlineSchema,
    "ConsentCreate": ConsentCreateSchema,
    "Consent": ConsentSchema,
    "ConsentWithdraw": ConsentWithdrawSchema,
    "Document": DocumentSchema,
    "ValidationFailed": ValidationFailedSchema,
}
