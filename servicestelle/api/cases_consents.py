"""A case's consents under /api/v1: given for one purpose each, withdrawn with a date.

Consents are stored in plaintext, so listing them reads no content (and writes no read entry);
it still needs content access to the case.
"""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from servicestelle.api import case_schemas as schemas
from servicestelle.api.cases_common import me, part_or_404, parts_of, refusals
from servicestelle.api.requests import json_body
from servicestelle.api.views import bp
from servicestelle.cases import access as case_access
from servicestelle.cases import parts
from servicestelle.cases.models import CaseConsent
from servicestelle.permissions import Permission, require


@bp.get("/cases/<int:case_id>/consents")
@require(Permission.CASE_LIST)
def list_consents(case_id: int) -> ResponseReturnValue:
    """The consents given and withdrawn (plaintext: no content read, but content access).
    ---
    get:
      summary: List a case's consents
      responses:
        200: {content: {application/json: {schema: {type: array, items: Consent}}}}
    """
    case_access.load(case_id, me(), content=True)
    rows = parts_of(CaseConsent, case_id)
    return jsonify(schemas.ConsentSchema(many=True).dump(rows))


@bp.post("/cases/<int:case_id>/consents")
@require(Permission.CASE_LIST)
def record_consent(case_id: int) -> ResponseReturnValue:
    """Record a consent for one purpose.
    ---
    post:
      summary: Record a consent
      requestBody: {required: true, content: {application/json: {schema: ConsentCreate}}}
      responses:
        201: {content: {application/json: {schema: Consent}}}
    """
    access = case_access.load(case_id, me(), content=True)
    body = json_body(schemas.ConsentCreateSchema())
    with refusals():
        row = parts.record_consent(access, body["purpose"], body["given_on"], body["form"])
    return jsonify(schemas.ConsentSchema().dump(row)), 201


@bp.post("/cases/<int:case_id>/consents/<int:consent_id>/withdraw")
@require(Permission.CASE_LIST)
def withdraw_consent(case_id: int, consent_id: int) -> ResponseReturnValue:
    """Withdraw a consent (the statistics consent takes the case out of the statistics).
    ---
    post:
      summary: Withdraw a consent
      requestBody: {required: true, content: {application/json: {schema: ConsentWithdraw}}}
      responses:
        200: {content: {application/json: {schema: Consent}}}
    """
    access = case_access.load(case_id, me(), content=True)
    row = part_or_404(CaseConsent, access, consent_id)
    body = json_body(schemas.ConsentWithdrawSchema())
    with refusals():
        parts.withdraw_consent(access, row.id, body["withdrawn_on"])
    return jsonify(schemas.ConsentSchema().dump(row))
