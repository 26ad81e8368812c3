"""marshmallow schemas of the report endpoints: a report in a list, and a report with its
figures — the release's tables as they are (``exports.TableSchema``: null where a cell is
suppressed), the key figures, rates and trend the report shows, its vignettes and demands."""

from __future__ import annotations

from marshmallow import Schema, fields

from servicestelle.reports.models import ReportStatus
from servicestelle.stats.exports import TableSchema


class ReportReleaseSchema(Schema):
    """The published release a report reads its figures from."""

    id = fields.Integer(required=True)
    period = fields.String(required=True)
    published_at = fields.DateTime(required=True)
    content_sha256 = fields.String(required=True)
    k = fields.Integer(required=True, metadata={"description": "Minimum published count"})


class ReportSummarySchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    period = fields.String(required=True, metadata={"example": "2026"})
    period_label = fields.String(required=True, metadata={"example": "Jahr 2026"})
    status = fields.String(
        required=True, metadata={"enum": [status.value for status in ReportStatus]}
    )
    created_at = fields.DateTime(required=True)
    finalised_at = fields.DateTime(allow_none=True)
    release_id = fields.Integer(
        allow_none=True,
        metadata={"description": "The published release of the period (null: no figures)"},
    )


class KeyFigureSchema(Schema):
    label = fields.String(required=True)
    value = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: not published"}
    )
    share = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Percent; only where both figures are published, base >= 20"},
    )
    base_label = fields.String(required=True)


class RateSchema(Schema):
    label = fields.String(required=True)
    count = fields.Integer(required=True, allow_none=True)
    population = fields.Integer(required=True, allow_none=True)
    per_10000 = fields.Float(required=True, allow_none=True)


class RatesSchema(Schema):
    year = fields.Integer(required=True, metadata={"description": "Profile year used"})
    rows = fields.List(fields.Nested(RateSchema), required=True)


class ChangeSchema(Schema):
    label = fields.String(required=True)
    before = fields.String(required=True, metadata={"description": "• suppressed, — absent"})
    now = fields.String(required=True)
    change = fields.String(
        required=True, metadata={"description": "Only where both figures are published"}
    )


class ReportTableSchema(Schema):
    table = fields.Nested(TableSchema, required=True)
    trend = fields.List(
        fields.Nested(ChangeSchema),
        required=True,
        allow_none=True,
        metadata={"description": "null: no comparable earlier release (or table)"},
    )


class SectionSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    tables = fields.List(fields.Nested(ReportTableSchema), required=True)
    key_figures = fields.List(fields.Nested(KeyFigureSchema), required=True)
    rates = fields.Nested(RatesSchema, required=True, allow_none=True)
    missing_tables = fields.List(fields.String(), required=True)


class VignetteSchema(Schema):
    position = fields.Integer(
        required=True,
        metadata={"description": "Place in the report, from 1 (no database id: see SECURITY.md)"},
    )
    text = fields.String(required=True)


class DemandSchema(Schema):
    position = fields.Integer(required=True)
    title = fields.String(required=True)
    text = fields.String(required=True)


class ReportSchema(ReportSummarySchema):
    """A report with everything it shows (accepted vignettes only)."""

    representative = fields.Boolean(
        required=True,
        metadata={"description": "Always false: only cases that reached the centre"},
    )
    release = fields.Nested(ReportReleaseSchema, required=True, allow_none=True)
    previous_release = fields.Nested(ReportReleaseSchema, required=True, allow_none=True)
    revoked_release_ids = fields.List(fields.Integer(), required=True)
    finalised_on_revoked_release_id = fields.Integer(required=True, allow_none=True)
    newer_release_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "A finalised report: a later published release of the period "
            "(the report keeps the figures it was finalised on)"
        },
    )
    sections = fields.List(fields.Nested(SectionSchema), required=True)
    vignettes = fields.List(fields.Nested(VignetteSchema), required=True)
    demands = fields.List(fields.Nested(DemandSchema), required=True)


#: Registered in the OpenAPI document (api/openapi.py).
OPENAPI_SCHEMAS: dict[str, type[Schema]] = {
    "ReportSummary": ReportSummarySchema,
    "Report": ReportSchema,
}
