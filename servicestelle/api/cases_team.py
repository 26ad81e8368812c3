"""Who works on a case, and how long it is kept: members and the legal hold under /api/v1."""

from __future__ import annotations

from flask import Response, abort, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from servicestelle.api import case_schemas as schemas
from servicestelle.api.cases_common import forbidden_change, me, refusals, refuse
from servicestelle.api.requests import json_body
from servicestelle.api.views import bp
from servicestelle.auth.models import User
from servicestelle.cases import access as case_access
from servicestelle.cases import operations
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require


@bp.post("/cases/<int:case_id>/members")
@require(Permission.CASE_LIST)
def add_member(case_id: int) -> ResponseReturnValue:
    """Assign (supervisors) or share with a colleague (supervisors, assigned counsellors).
    ---
    post:
      summary: Add a member to a case, or change their kind
      requestBody: {required: true, content: {application/json: {schema: MemberAdd}}}
      responses:
        200: {description: Kind changed, content: {application/json: {schema: Member}}}
        201: {description: Added, content: {application/json: {schema: Member}}}
        403:
          description: Not allowed; nobody adds themself unless already working on the case
          content: {application/json: {schema: Error}}
    """
    access = case_access.load(case_id, me())
    body = json_body(schemas.MemberAddSchema())
    existing = next((m for m in access.case.members if m.user_id == body["user_id"]), None)
    # Assigning, or turning an assignment into a share, changes who is responsible.
    assigns = body["kind"] == "assigned" or (existing is not None and existing.kind == "assigned")
    if not access.may_manage_members or (assigns and not me().can(Permission.CASE_ASSIGN)):
        forbidden_change()
    if body["user_id"] == me().id and not access.may_add_self:
        refuse(403, "forbidden", str(operations.SELF_ASSIGNMENT_REFUSED))
    user = db.session.get(User, body["user_id"])
    if user is None or user.centre_id != access.case.centre_id:
        # The same answer as for a colleague who may not work on cases: ids stay opaque.
        refuse(422, "refused", str(_l("Nur aktive Beratende dieser Stelle können zuständig sein.")))
    with refusals():
        operations.add_member(access, user, body["kind"])
    member = {"user_id": user.id, "display_name": user.display_name, "kind": body["kind"]}
    return jsonify(schemas.MemberSchema().dump(member)), 201 if existing is None else 200


@bp.delete("/cases/<int:case_id>/members/<int:user_id>")
@require(Permission.CASE_LIST)
def remove_member(case_id: int, user_id: int) -> ResponseReturnValue:
    """Take someone off a case.
    ---
    delete:
      summary: Remove a member from a case
      responses:
        204: {description: Removed}
    """
    access = case_access.load(case_id, me())
    if not access.may_manage_members:
        forbidden_change()
    member = next((m for m in access.case.members if m.user_id == user_id), None)
    if member is None:
        abort(404)
    if member.kind == "assigned" and not me().can(Permission.CASE_ASSIGN):
        forbidden_change()
    with refusals():
        operations.remove_member(access, user_id)
    return Response(status=204)


@bp.put("/cases/<int:case_id>/legal-hold")
@require(Permission.CASE_ASSIGN)
def set_legal_hold(case_id: int) -> ResponseReturnValue:
    """Keep a case beyond its retention period, or release it (supervisors).
    ---
    put:
      summary: Set or clear the legal hold of a case
      requestBody: {required: true, content: {application/json: {schema: LegalHold}}}
      responses:
        200: {content: {application/json: {schema: LegalHold}}}
    """
    access = case_access.load(case_id, me())
    body = json_body(schemas.LegalHoldSchema())
    with refusals():
        operations.set_legal_hold(access, body["legal_hold"])
    return jsonify(schemas.LegalHoldSchema().dump({"legal_hold": body["legal_hold"]}))
