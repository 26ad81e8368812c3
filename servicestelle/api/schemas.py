"""marshmallow schemas of the API; each lists its fields explicitly (one per audience)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = fields.String(
        required=True, metadata={"description": "Human-readable message (German)"}
    )
    request_id = fields.String(allow_none=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class CentreSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class DistrictSchema(Schema):
    """A district of the caller's centre (the register the supervisors keep)."""

    code = fields.String(required=True, metadata={"example": "innenstadt_nord"})
    name = fields.String(required=True, metadata={"example": "Innenstadt-Nord"})
    is_active = fields.Boolean(
        required=True, metadata={"description": "false: retired, not for new cases"}
    )


class MeSchema(Schema):
    """The caller's own account as the API sees it."""

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    permissions = fields.List(fields.String(), required=True)
    centre = fields.Nested(CentreSchema, required=True)


class TokenSchema(Schema):
    """A token's metadata; the token itself is never returned after creation."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class UserSummarySchema(Schema):
    """A user as the administration sees it: no credentials, no second-factor material."""

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    is_active = fields.Boolean(required=True)
    has_second_factor = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


def _no_control_characters(value: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\ufffd" for ch in value):
        raise ValidationError("must not contain control characters")


class TokenRenameSchema(Schema):
    """Body of PATCH /tokens/{id}."""

    name = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=80), _no_control_characters],
        metadata={"pattern": r"^[^\u0000-\u001f\u007f\ufffd]*$"},
    )
