"""Deny by default, security headers and the request id.

Every endpoint either appears in PUBLIC_ENDPOINTS or LOGIN_FLOW_ENDPOINTS, or its view is
decorated with ``@require(Permission.X)``. An endpoint with neither is refused with 403 for
everyone, and tests/test_route_matrix.py fails the build.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
import uuid
from datetime import timedelta
from typing import NoReturn
from urllib.parse import unquote_to_bytes, urlsplit

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from audit import AuditEvent, Outcome, audit_entry, escape_text
from audit.chain import parse_details
from servicestelle import clock, services
from servicestelle.extensions import db
from servicestelle.permissions import REQUIRED_PERMISSION_ATTR, Permission

log = logging.getLogger(__name__)

#: Reachable without any login.
PUBLIC_ENDPOINTS = frozenset(
    {
        "accessibility.statement",  # § 7 BITV 2.0: the statement is for everyone, logged in or not
        "api.openapi",
        "auth.login",
        "auth.logout",  # ending one's own session is always allowed (POST with CSRF)
        "health.healthz",
        "i18n.set_language",
        "static",
    }
)
#: Reachable only half-way through a login (password given, next step pending).
LOGIN_FLOW_ENDPOINTS = frozenset(
    {"auth.second_factor", "auth.enrol", "auth.enrolment_done", "auth.forced_password_change"}
)
#: A denial repeated within this window is refused and logged, but not audited again.
DENIAL_REPEAT_WINDOW = timedelta(seconds=60)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def required_permission(app: Flask, endpoint: str) -> Permission | None:
    view = app.view_functions.get(endpoint)
    return getattr(view, REQUIRED_PERMISSION_ATTR, None)


def guard() -> BaseResponse | None:
    """before_request: load → check happens here for every endpoint, before any view runs."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route matched: routing answers 404/405 without touching data
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if endpoint in LOGIN_FLOW_ENDPOINTS:
        from servicestelle.auth import login_state

        if login_state.pending() is None:
            return redirect(url_for("auth.login"))
        return None
    permission = required_permission(current_app, endpoint)
    if permission is None:
        log.error("endpoint without declared permission refused: %s", endpoint)
        _record_denial(endpoint, None)
        abort(403)
    if not current_user.is_authenticated:
        if is_api_request():
            abort(401)
        return redirect(url_for("auth.login", next=_safe_next()))
    if not current_user.can(permission):
        _record_denial(endpoint, permission)
        abort(403)
    return None


def deny_out_of_scope(object_type: str, object_id: int, *, centre_id: int | None) -> NoReturn:
    """An object that exists but is not the caller's to touch: 404, and audited.

    The answer is the same as for an object that does not exist (existence stays hidden);
    the audit entry is what tells the DPO that someone tried. ``centre_id`` is the centre of
    the *object*: the entry belongs to the DPO whose data was probed, and the prober's own
    centre does not learn from its log that the id exists.
    """
    # Whatever the request changed so far is not saved with the denial.
    db.session.rollback()
    _record_denial(
        request.endpoint or "",
        None,
        object_type=object_type,
        object_id=object_id,
        centre_id=centre_id,
    )
    abort(404)


def _record_denial(
    endpoint: str,
    permission: Permission | None,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    centre_id: int | None = None,
) -> None:
    """Authorisation failures of a logged-in user are audited (ASVS 16.3.2), repeats once.

    Anonymous requests are not: they are sent to the login page, and writing an entry for
    each would let anyone on the network fill the log. A logged-in user (or a script with
    their API token) could do the same with a loop of refused requests, so a denial is
    audited at most once per DENIAL_REPEAT_WINDOW for the same actor and endpoint (and, for
    objects out of scope, the same object: each object probed is the DPO's business). A
    repeat is refused all the same and counted in the application log. (Parallel requests
    may each find no recent entry and each write one; the bound is per window, not exact.)
    """
    if not current_user.is_authenticated:
        return
    from servicestelle import audit_trail

    reason = "permission" if object_type is None else "out_of_scope"
    # A permission denial names its endpoint as the object, so the repeat check (and the
    # DPO's search) finds it by indexed columns instead of parsing details.
    target_type, target_id = (
        ("endpoint", endpoint) if object_type is None else (object_type, str(object_id))
    )
    if _denied_recently(current_user.id, endpoint, target_type, target_id):
        log.info(
            "access denied again, not audited: user_id=%s endpoint=%s reason=%s",
            current_user.id,
            endpoint,
            reason,
        )
        return
    log.info("access denied: user_id=%s endpoint=%s reason=%s", current_user.id, endpoint, reason)
    audit_trail.record(
        AuditEvent.ACCESS_REQUEST_DENY,
        Outcome.DENIED,
        object_type=target_type,
        object_id=target_id,
        centre_id=centre_id,
        details={
            "endpoint": endpoint,
            "method": request.method,
            "permission": None if permission is None else permission.value,
            "reason": reason,
        },
    )
    db.session.commit()


def _denied_recently(actor_id: int, endpoint: str, object_type: str, object_id: str) -> bool:
    """Whether this actor's denial of this endpoint and object was audited within the window."""
    column = audit_entry.c
    recent = db.session.scalars(
        sa.select(column.details).where(
            column.actor_id == actor_id,  # indexed; the other conditions narrow its few rows
            column.action == AuditEvent.ACCESS_REQUEST_DENY.value,
            column.ts > clock.now() - DENIAL_REPEAT_WINDOW,
            column.object_type == escape_text(object_type),
            column.object_id == escape_text(object_id),
        )
    )
    # For an endpoint the object is the endpoint; for an object, view and change differ.
    return any(parse_details(details).get("endpoint") == endpoint for details in recent)


def _safe_next() -> str | None:
    # Only GET targets are worth returning to; a path, never a full URL (no open redirect).
    return request.full_path.rstrip("?") if request.method == "GET" else None


def is_safe_redirect(target: str | None) -> bool:
    """Only a path on this site.

    Refuses schemes, hosts, protocol-relative and backslash forms, and any whitespace or
    control character: URL parsers drop tabs and newlines, so "/\t/evil.example" would
    otherwise leave as "//evil.example".
    """
    if not target or len(target) > 2048:
        return False
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in target):
        return False
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def assign_request_id() -> None:
    g.request_id = uuid.uuid4().hex


def reject_undecodable_forms() -> None:
    """400 for a url-encoded form that is not valid UTF-8.

    Werkzeug keeps undecodable values percent-encoded ("m%FF%FEria") instead of failing, which
    would let garbage pass validation; browsers always send UTF-8, so refusing loses nothing.
    """
    if (
        request.method in ("GET", "HEAD", "OPTIONS")
        or request.mimetype != "application/x-www-form-urlencoded"
    ):
        return
    raw = request.get_data(cache=True)
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        abort(400, description="invalid_utf8")


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    nonce = csp_nonce()
    headers["Content-Security-Policy"] = (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}'; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "form-action 'self'; "
        "base-uri 'none'; "
        "object-src 'none'; "
        "frame-ancestors 'none'"
    )
    headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, not no-referrer: Flask-WTF checks the Referer of HTTPS form posts.
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if services.settings().hsts:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        # Nothing the service renders may sit in a browser or proxy cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if "request_id" in g:
        headers["X-Request-Id"] = g.request_id
    return response


def init_app(app: Flask) -> None:
    app.before_request(assign_request_id)
    app.before_request(reject_undecodable_forms)
    app.before_request(guard)
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
