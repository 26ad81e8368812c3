"""Statistics releases under /api/v1/stats: list, read, draft, reject, revoke.

Approval is not offered here: it needs a fresh re-authentication (password and code), which is
a browser step; a second supervisor approves on the release's page. The answers are the UI's:
published and revoked releases for ``stats:read`` (the signed JSON export, each read audited as
an export), drafts and rejected drafts additionally for ``stats:release``; another centre's
release, or a draft asked for by a reader, is a 404 (audited).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

from flask import abort, g, jsonify, make_response, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicestelle.api.requests import json_body
from servicestelle.api.stats_schemas import (
    StatsDraftRequestSchema,
    StatsDraftSchema,
    StatsReasonSchema,
    StatsReleaseSchema,
)
from servicestelle.api.views import bp
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.stats import exports, operations, queries
from servicestelle.stats.periods import Period, PeriodError
from servicestelle.stats.release_models import OUT, Release

_OUT = {status.value for status in OUT}


def _me() -> User:
    return current_user


def _refuse(status: int, code: str, message: str, fields: Any = None) -> NoReturn:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": g.get("request_id")}
    if fields is not None:
        error["fields"] = fields
    abort(make_response(jsonify(error=error), status))


def _summary(release: Release) -> dict[str, Any]:
    return {
        "id": release.id,
        "period": release.period,
        "period_label": Period.parse(release.period).label(),
        "status": release.status,
        "tables": release.table_list,
        "k": release.k,
        "catalogue_version": release.catalogue_version,
        "audit_passed": release.audit_passed,
        "drafted_at": release.drafted_at,
        "decided_at": release.decided_at,
        "revoked_at": release.revoked_at,
    }


def _draft(release: Release) -> dict[str, Any]:
    data: dict[str, Any] = StatsDraftSchema().dump(
        {
            **_summary(release),
            "content": json.loads(release.content),
            "content_sha256": release.content_hash,
            "audit": json.loads(release.audit),
            "reason": release.reason,
        }
    )
    return data


@bp.get("/stats/releases")
@require(Permission.STATS_READ)
def list_stats_releases() -> ResponseReturnValue:
    """The releases of the caller's centre the caller may see, newest period first.
    ---
    get:
      summary: List statistics releases
      description: >-
        Published and revoked releases for every role with stats:read; drafts and rejected
        drafts as well for supervisors (stats:release). No figures: read one release for them.
      security: [{bearer: []}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: StatsRelease}}}}
        401: {content: {application/json: {schema: Error}}}
        403: {content: {application/json: {schema: Error}}}
    """
    releases = queries.releases_visible_to(_me())
    return jsonify(StatsReleaseSchema(many=True).dump([_summary(r) for r in releases]))


@bp.get("/stats/releases/<int:release_id>")
@require(Permission.STATS_READ)
def get_stats_release(release_id: int) -> ResponseReturnValue:
    """A published or revoked release as its signed JSON export; for a supervisor, a draft
    with its frozen content and attacker audit.
    ---
    get:
      summary: Read a statistics release
      description: >-
        A published or revoked release answers with the signed export (format
        servicestelle.release/1; verify content_sha256 and the Ed25519 signature with the
        public key). A revoked release carries its signed revocation (revocation, format
        servicestelle.release-revocation/1, same key): this answer is the current, signed
        status. Each such read is audited as an export. A draft or rejected draft
        answers, for supervisors only, with its content and its stored attacker audit.
      security: [{bearer: []}]
      parameters:
        - {in: path, name: release_id, required: true, schema: {type: integer}}
      responses:
        200:
          content:
            application/json:
              schema:
                oneOf:
                  - $ref: '#/components/schemas/StatsReleaseExport'
                  - $ref: '#/components/schemas/StatsDraft'
        401: {content: {application/json: {schema: Error}}}
        403: {content: {application/json: {schema: Error}}}
        404: {content: {application/json: {schema: Error}}}
    """
    release = queries.get_release_or_404(release_id, _me())
    if release.status not in _OUT:
        return jsonify(_draft(release))
    document = exports.export_json(release, queries.centre_code(release.centre_id))
    operations.record_export(_me(), release, "json")
    return jsonify(document)


@bp.post("/stats/releases")
@require(Permission.STATS_RELEASE)
def draft_stats_release() -> ResponseReturnValue:
    """Draft a release: count, suppress, audit and freeze (takes seconds).
    ---
    post:
      summary: Draft a statistics release
      description: >-
        Counts the period's cases for the chosen catalogue tables, suppresses small counts,
        runs the attacker audit and freezes the draft. Approval is not offered in the API:
        it needs a fresh re-authentication (password and code) in the browser, by a
        supervisor other than the drafter, on the release's page.
      security: [{bearer: []}]
      requestBody:
        required: true
        content: {application/json: {schema: StatsDraftRequest}}
      responses:
        201: {content: {application/json: {schema: StatsDraft}}}
        400: {content: {application/json: {schema: Error}}}
        401: {content: {application/json: {schema: Error}}}
        403: {content: {application/json: {schema: Error}}}
        415: {content: {application/json: {schema: Error}}}
        422: {content: {application/json: {schema: ValidationFailed}}}
    """
    body = json_body(StatsDraftRequestSchema())
    try:
        period = Period.parse(body["period"])
    except PeriodError as exc:
        _refuse(422, "validation_failed", "Die Angaben sind ungültig.", {"period": [str(exc)]})
    known = {table.id for table in operations.catalogue()}
    unknown = [index for index, table_id in enumerate(body["tables"]) if table_id not in known]
    if unknown:
        message = str(_l("Diese Tabelle gibt es im Katalog nicht."))
        _refuse(
            422,
            "validation_failed",
            "Die Angaben sind ungültig.",
            {"tables": {str(index): [message] for index in unknown}},
        )
    try:
        release = operations.draft_release(_me(), period, body["tables"])
    except operations.ReleaseError as exc:
        db.session.rollback()
        _refuse(422, "refused", str(exc))
    response = make_response(jsonify(_draft(release)), 201)
    response.headers["Location"] = url_for("api.get_stats_release", release_id=release.id)
    return response


#: The OpenAPI part both decisions share (apispec reads it from the view's docstring).
_DECISION_DOC = """{title}
---
post:
  summary: {summary}
  description: >-
    {description}
  security: [{{bearer: []}}]
  parameters:
    - {{in: path, name: release_id, required: true, schema: {{type: integer}}}}
  requestBody:
    required: true
    content: {{application/json: {{schema: StatsReason}}}}
  responses:
    200: {{content: {{application/json: {{schema: StatsRelease}}}}}}
    400: {{content: {{application/json: {{schema: Error}}}}}}
    401: {{content: {{application/json: {{schema: Error}}}}}}
    403: {{content: {{application/json: {{schema: Error}}}}}}
    404: {{content: {{application/json: {{schema: Error}}}}}}
    415: {{content: {{application/json: {{schema: Error}}}}}}
    422: {{content: {{application/json: {{schema: ValidationFailed}}}}}}
"""


def _decision(
    action: str,
    step: Callable[[User, Release, str], None],
    *,
    title: str,
    summary: str,
    description: str,
) -> Callable[[int], ResponseReturnValue]:
    """Register POST /stats/releases/<id>/<action> as endpoint api.<action>_stats_release:
    load → check (the operation refuses in German) → act, answering with the summary."""

    def view(release_id: int) -> ResponseReturnValue:
        release = queries.get_release_or_404(release_id, _me())
        body = json_body(StatsReasonSchema())
        try:
            step(_me(), release, body["reason"])
        except operations.ReleaseError as exc:
            db.session.rollback()
            _refuse(422, "refused", str(exc))
        return jsonify(StatsReleaseSchema().dump(_summary(release)))

    name = f"{action}_stats_release"
    view.__name__ = view.__qualname__ = name
    view.__doc__ = _DECISION_DOC.format(title=title, summary=summary, description=description)
    guarded = require(Permission.STATS_RELEASE)(view)
    bp.add_url_rule(f"/stats/releases/<int:release_id>/{action}", name, guarded, methods=["POST"])
    return guarded


reject_stats_release = _decision(
    "reject",
    operations.reject_release,
    title="Reject a draft with a reason (the drafter may discard their own).",
    summary="Reject a draft",
    description="The reason stays with the draft; the audit entry carries the content hash.",
)
revoke_stats_release = _decision(
    "revoke",
    operations.revoke_release,
    title="Withdraw a published release with a reason; its figures stay known to later audits.",
    summary="Revoke a published release",
    description="The revocation is signed with the centre's release key; reading the release "
    "afterwards answers with the export whose revocation carries that signature "
    "(servicestelle.release-revocation/1). An export taken before still verifies as "
    "published: check the status here.",
)
