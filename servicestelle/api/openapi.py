"""The OpenAPI document, generated from the marshmallow schemas and the views' docstrings."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app

from servicestelle import catalogue
from servicestelle.api import case_schemas, report_schemas, schemas, stats_schemas
from servicestelle.cases import filetypes
from servicestelle.converters import MAX_ID
from servicestelle.stats import exports
from servicestelle.stats import operations as stats_operations

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
        cache = _bound_path_ids(_complete_case_operations(_build().to_dict()))
        _document_media_types(cache)
        _selection_rules(cache)
        _catalogue_tables(cache)
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


#: What the ``int`` URL converter accepts (servicestelle/converters.py); any other number is
#: a 404.
PATH_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _bound_path_ids(document: dict[str, Any]) -> dict[str, Any]:
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    parameter["schema"] = dict(PATH_ID)
    return document


def _document_media_types(document: dict[str, Any]) -> None:
    """A download is sent as the type its content was recognised as (cases/filetypes.py)."""
    path = document["paths"][f"{CASE_PATHS}/{{case_id}}/documents/{{document_id}}"]
    binary = {"schema": {"type": "string", "format": "binary"}}
    path["get"]["responses"]["200"]["content"] = {
        filetype.media_type: binary for filetype in filetypes.ALLOWED
    }


def _catalogue_tables(document: dict[str, Any]) -> None:
    """The table ids a draft may name: this instance's catalogue (a coordinator's differs)."""
    tables = document["components"]["schemas"]["StatsDraftRequest"]["properties"]["tables"]
    tables["items"]["enum"] = [table.id for table in stats_operations.catalogue()]


def _selection_rules(document: dict[str, Any]) -> None:
    """Say what ``CodeList.validate`` refuses beyond unknown codes, in OpenAPI 3.0 terms.

    A sub-item counts as its parent: a single-choice list takes one top-level code with its
    sub-items, and "keine_angabe" stands alone.
    """
    code_lists = {
        value.name: value
        for value in vars(catalogue).values()
        if isinstance(value, catalogue.CodeList)
    }
    schemas = document["components"]["schemas"]
    for name, code_list in code_lists.items():
        schema = schemas.get(f"Selection_{name}")
        if schema is None:
            continue
        subs = sorted(code_list.sub_values())
        if not subs:
            schema["properties"]["sub"] = _array(maximum=0)
        if not code_list.multiple:
            schema["anyOf"] = [
                {"properties": {"codes": _array(maximum=0), "sub": _array(maximum=0)}}
            ]
            for entry in code_list.entries():
                children = [sub.code for sub in entry.sub]
                schema["anyOf"].append(
                    {
                        "properties": {
                            "codes": _array([entry.code]),
                            "sub": _array(children) if children else _array(maximum=0),
                        }
                    }
                )
        elif catalogue.KEINE_ANGABE.code in code_list.values():
            others = sorted(code_list.values() - {catalogue.KEINE_ANGABE.code})
            schema["anyOf"] = [
                {"properties": {"codes": _array(others)}},
                {
                    "properties": {
                        "codes": _array([catalogue.KEINE_ANGABE.code]),
                        "sub": _array(maximum=0),
                    }
                },
            ]


def _array(enum: list[str] | None = None, maximum: int | None = None) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "string"}
    if enum is not None:
        items["enum"] = enum
    array: dict[str, Any] = {"type": "array", "items": items}
    if maximum is not None:
        array["maxItems"] = maximum
    return array


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
