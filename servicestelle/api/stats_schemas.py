"""marshmallow schemas of the statistics endpoints: request bodies and answers, fields listed.

The export of a published release is exports.ReleaseExportSchema (servicestelle.release/1);
a draft as supervisors see it carries its frozen content and the stored attacker audit
(intervals and reasons, never a suppressed value: none is stored).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from servicestelle.stats.release_models import REASON_MAX, ReleaseStatus
from servicestelle.stats.tables import TABLES


def _no_control_characters(value: str) -> None:
    if any((ord(ch) < 32 and ch not in "\r\n\t") or ord(ch) == 127 for ch in value):
        raise ValidationError(str(_l("Bitte ohne Steuerzeichen.")))


class StatsReleaseSchema(Schema):
    """A release in a list: what it covers and where it stands; no figures."""

    id = fields.Integer(required=True)
    period = fields.String(required=True, metadata={"example": "2026-Q1"})
    period_label = fields.String(required=True, metadata={"example": "1. Quartal 2026"})
    status = fields.String(
        required=True, metadata={"enum": [status.value for status in ReleaseStatus]}
    )
    tables = fields.List(fields.String(), required=True)
    k = fields.Integer(required=True, metadata={"description": "Minimum published count"})
    catalogue_version = fields.Integer(required=True)
    audit_passed = fields.Boolean(required=True)
    drafted_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class StatsDraftSchema(StatsReleaseSchema):
    """A draft (or rejected draft) for supervisors: the frozen content and its audit."""

    content = fields.Dict(
        required=True, metadata={"description": "servicestelle.release-content/1"}
    )
    content_sha256 = fields.String(required=True)
    audit = fields.Dict(
        required=True,
        metadata={
            "description": "The attacker audit: primary, complementary (with the cell each "
            "protects), and per suppressed cell its feasible interval and verdict"
        },
    )
    reason = fields.String(allow_none=True, metadata={"description": "Why it was rejected"})


class StatsDraftRequestSchema(Schema):
    """Body of POST /stats/releases."""

    period = fields.String(
        required=True,
        validate=validate.Length(min=4, max=7),
        metadata={
            "description": "A year, half-year or quarter (2000–2100)",
            "example": "2026-Q1",
            # What stats.periods.Period.parse accepts.
            "pattern": r"^(20[0-9]{2}|2100)(-(Q[1-4]|H[12]))?$",
        },
    )
    tables = fields.List(
        # Which ids exist depends on the instance (operations.catalogue()): checked by the view.
        fields.String(validate=validate.Regexp(r"^[a-z0-9_]{1,64}$")),
        required=True,
        validate=validate.Length(min=1, max=len(TABLES)),
        metadata={"description": "Table ids of the catalogue", "example": ["faelle", "alter"]},
    )


class StatsReasonSchema(Schema):
    """Body of POST /stats/releases/{id}/reject and /revoke."""

    reason = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=REASON_MAX), _no_control_characters],
        metadata={
            "description": "About the figures, not about people",
            "pattern": r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$",
        },
    )
