"""The instance mode (``SERVICESTELLE_MODE``): a centre, or the statewide coordinator.

A coordinator has no case module. Its users hold no case or district permission (so no page
offers a case), every route of the case module — the case pages, the district register, the
case and district API, a centre's package pages — answers 404 to everyone, before the
permission guard runs, and the case commands refuse. Its statistics store stays empty: it
has no cases to derive records from; its releases count the centres' packages instead
(stats.operations.sources). A centre (the default) is untouched by all of this.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, has_app_context, request

from servicestelle.permissions import Permission

#: Permissions nobody holds on a coordinator: there are no cases and no district register.
WITHHELD_ON_COORDINATOR = frozenset(
    {
        Permission.CASE_ASSIGN,
        Permission.CASE_BREAK_GLASS,
        Permission.CASE_LIST,
        Permission.CASE_WORK,
        Permission.DISTRICTS_MANAGE,
    }
)
#: The modules whose views only a centre serves.
CENTRE_ONLY_VIEWS = (
    "servicestelle.cases.",
    "servicestelle.centres.",
    "servicestelle.api.cases",
    "servicestelle.api.districts",
    "servicestelle.stats.views_packages",
)


def is_coordinator() -> bool:
    """Whether the current app is a coordinator (False outside an app)."""
    if not has_app_context():
        return False
    settings = current_app.extensions.get("servicestelle.settings")
    return settings is not None and settings.is_coordinator


def withheld_permissions() -> frozenset[Permission]:
    return WITHHELD_ON_COORDINATOR if is_coordinator() else frozenset()


def is_centre_only(app: Flask, endpoint: str) -> bool:
    view = app.view_functions.get(endpoint)
    module = getattr(view, "__module__", "") or ""
    return any(module == name or module.startswith(name) for name in CENTRE_ONLY_VIEWS)


def _no_case_module() -> None:
    endpoint = request.endpoint
    if endpoint is not None and is_centre_only(current_app, endpoint):
        abort(404)


def init_app(app: Flask) -> None:
    """Template flag for both modes; on a coordinator, the 404 for the case module, placed
    just before the permission guard (so anonymous callers and every role get the same)."""
    settings = app.extensions["servicestelle.settings"]
    app.context_processor(_template_context)
    if not settings.is_coordinator:
        return
    from servicestelle import security

    funcs = app.before_request_funcs.setdefault(None, [])
    position = funcs.index(security.guard) if security.guard in funcs else 0
    funcs.insert(position, _no_case_module)


def _template_context() -> dict[str, Any]:
    return {"is_coordinator": is_coordinator()}
