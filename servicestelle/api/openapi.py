"""The OpenAPI document, generated from the marshmallow schemas and the views' docstrings."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app

from servicestelle.api import schemas

TITLE = "Servicestelle API"
VERSION = "1"
#: Views documented in the OpenAPI document, in the order they appear there.
DOCUMENTED_ENDPOINTS = (
    "api.me",
    "api.list_tokens",
    "api.rename_token",
    "api.revoke_token",
    "api.list_users",
)


def openapi_document() -> dict[str, Any]:
    cache: dict[str, Any] | None = current_app.extensions.get("servicestelle.openapi")
    if cache is None:
        cache = _build().to_dict()
        current_app.extensions["servicestelle.openapi"] = cache
    return cache


def _build() -> APISpec:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        info={"description": "Personal API tokens (Bearer). German error messages, English codes."},
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=schemas.ErrorSchema)
    spec.components.schema("Me", schema=schemas.MeSchema)
    spec.components.schema("Token", schema=schemas.TokenSchema)
    spec.components.schema("TokenRename", schema=schemas.TokenRenameSchema)
    spec.components.schema("UserSummary", schema=schemas.UserSummarySchema)
    for endpoint in DOCUMENTED_ENDPOINTS:
        spec.path(view=current_app.view_functions[endpoint], app=current_app)
    return spec
