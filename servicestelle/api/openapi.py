"""The OpenAPI document, generated from the marshmallow schemas and the views' docstrings."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app

from servicestelle.api import case_schemas, report_schemas, schemas, stats_schemas
from servicestelle.stats import exports

TITLE = "Servicestelle API"
VERSION = "1"
#: Views documented in the OpenAPI document, in the order they appear there.
DOCUMENTED_ENDPOINTS = (
    "api.me",
    "api.list_tokens",
    "api.rename_token",
    "api.revoke_token",
    "api.list_users",
    "api.list_districts",
    # servicestelle/api/cases.py and cases_*.py
    "api.list_cases",
    "api.search_cases",
    "api.create_case",
    "api.get_case",
    "api.update_case",
    "api.add_member",
    "api.remove_member",
    "api.set_legal_hold",
    "api.list_contacts",
    "api.add_contact",
    "api.list_interventions",
    "api.add_intervention",
    "api.list_deadlines",
    "api.add_deadline",
    "api.mark_deadline_done",
    "api.list_consents",
    "api.record_consent",
    "api.withdraw_consent",
    "api.list_documents",
    "api.add_document",
    "api.download_document",
    # servicestelle/api/stats.py (approval is a browser step: fresh re-authentication)
    "api.list_stats_releases",
    "api.get_stats_release",
    "api.draft_stats_release",
    "api.reject_stats_release",
    "api.revoke_stats_release",
    # servicestelle/api/reports.py
    "api.list_reports",
    "api.get_report",
)
#: Paths whose operations get the shared parts below instead of repeating them in docstrings.
CASE_PATHS = "/api/v1/cases"


def openapi_document() -> dict[str, Any]:
    cache: dict[str, Any] | None = current_app.extensions.get("servicestelle.openapi")
    if cache is None:
        cache = _complete_case_operations(_build().to_dict())
        current_app.extensions["servicestelle.openapi"] = cache
    return cache


def _build() -> APISpec:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        info={
            "description": "Personal API tokens (Bearer). German error messages, English codes. "
            "Statistics releases are drafted, read, rejected and revoked here; approving one "
            "needs a fresh re-authentication (password and code) by a second supervisor and "
            "is therefore offered in the browser only."
        },
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=schemas.ErrorSchema)
    spec.components.schema("Me", schema=schemas.MeSchema)
    spec.components.schema("Token", schema=schemas.TokenSchema)
    spec.components.schema("TokenRename", schema=schemas.TokenRenameSchema)
    spec.components.schema("UserSummary", schema=schemas.UserSummarySchema)
    spec.components.schema("District", schema=schemas.DistrictSchema)
    for name, schema in case_schemas.OPENAPI_SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    spec.components.schema("StatsRelease", schema=stats_schemas.StatsReleaseSchema)
    spec.components.schema("StatsDraft", schema=stats_schemas.StatsDraftSchema)
    spec.components.schema("StatsDraftRequest", schema=stats_schemas.StatsDraftRequestSchema)
    spec.components.schema("StatsReason", schema=stats_schemas.StatsReasonSchema)
    spec.components.schema("StatsReleaseExport", schema=exports.ReleaseExportSchema)
    for name, schema in report_schemas.OPENAPI_SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for endpoint in DOCUMENTED_ENDPOINTS:
        spec.path(view=current_app.view_functions[endpoint], app=current_app)
    return spec


def _complete_case_operations(document: dict[str, Any]) -> dict[str, Any]:
    for path, operations in document["paths"].items():
        if path.startswith(CASE_PATHS):
            for method, operation in operations.items():
                _complete_case_operation(path, method, operation)
    return document


def _error(description: str, schema: str = "Error") -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _complete_case_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    """What every case operation shares: the token, the path ids, the error answers."""
    operation.setdefault("security", [{"bearer": []}])
    declared = {parameter["name"] for parameter in operation.get("parameters", [])}
    for name in re.findall(r"{(\w+)}", path):
        if name not in declared:
            operation.setdefault("parameters", []).append(
                {"in": "path", "name": name, "required": True, "schema": {"type": "integer"}}
            )
    responses = operation["responses"]
    responses.setdefault("401", _error("No valid bearer token"))
    responses.setdefault("403", _error("The role lacks the permission"))
    if "{" in path:
        responses.setdefault("404", _error("No such case, or not within the caller's reach"))
    body = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        responses.setdefault("400", _error("The body is not valid JSON"))
    if body:
        responses.setdefault("415", _error("Wrong content type"))
    if method != "get":
        responses.setdefault(
            "422", _error("Invalid fields, or a rule of the case refuses it", "ValidationFailed")
        )
