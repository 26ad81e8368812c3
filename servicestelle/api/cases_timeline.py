"""A case's course under /api/v1: its contacts, its interventions and its deadlines.

Each listing is one audited read of the case (``read_parts``); an entry added is answered
from the body sent, so adding reads nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema

from servicestelle import clock
from servicestelle.api import case_schemas as schemas
from servicestelle.api.cases_common import (
    me,
    open_content,
    part_or_404,
    parts_of,
    read_parts,
    refusals,
)
from servicestelle.api.requests import json_body
from servicestelle.api.views import bp
from servicestelle.cases import access as case_access
from servicestelle.cases import deadlines, parts
from servicestelle.cases import payload as sealed
from servicestelle.cases.models import CaseContact, CaseDeadline, CaseIntervention
from servicestelle.permissions import Permission, require

_Dated = TypeVar("_Dated", CaseContact, CaseIntervention)


def _timeline(
    access: case_access.CaseAccess, model: type[_Dated], table: str, schema: Schema
) -> list[dict[str, Any]]:
    """Contacts or interventions, opened after the one audited read, in date order."""
    opened = read_parts(access)
    rows = sorted(parts_of(model, access.case.id), key=lambda r: (r.occurred_on, r.id))
    return [_dated(row, open_content(opened, table, row, schema)) for row in rows]


def _dated(row: CaseContact | CaseIntervention, content: dict[str, Any]) -> dict[str, Any]:
    return {**content, "id": row.id, "occurred_on": row.occurred_on, "created_at": row.created_at}


@bp.get("/cases/<int:case_id>/contacts")
@require(Permission.CASE_LIST)
def list_contacts(case_id: int) -> ResponseReturnValue:
    """The contacts timeline (one audited read).
    ---
    get:
      summary: List a case's contacts
      responses:
        200: {content: {application/json: {schema: {type: array, items: Contact}}}}
    """
    access = case_access.load(case_id, me(), content=True)
    items = _timeline(access, CaseContact, "case_contacts", sealed.ContactContentSchema())
    return jsonify(schemas.ContactSchema(many=True).dump(items))


@bp.post("/cases/<int:case_id>/contacts")
@require(Permission.CASE_LIST)
def add_contact(case_id: int) -> ResponseReturnValue:
    """Add a contact to the timeline.
    ---
    post:
      summary: Add a contact
      requestBody: {required: true, content: {application/json: {schema: ContactCreate}}}
      responses:
        201: {content: {application/json: {schema: Contact}}}
    """
    access = case_access.load(case_id, me(), content=True)
    body = json_body(schemas.ContactCreateSchema())
    occurred_on = body.pop("occurred_on")
    with refusals():
        row = parts.add_contact(access, occurred_on, body)
    return jsonify(schemas.ContactSchema().dump(_dated(row, body))), 201


@bp.get("/cases/<int:case_id>/interventions")
@require(Permission.CASE_LIST)
def list_interventions(case_id: int) -> ResponseReturnValue:
    """The steps taken (one audited read).
    ---
    get:
      summary: List a case's interventions
      responses:
        200: {content: {application/json: {schema: {type: array, items: Intervention}}}}
    """
    access = case_access.load(case_id, me(), content=True)
    schema = sealed.InterventionContentSchema()
    items = _timeline(access, CaseIntervention, "case_interventions", schema)
    return jsonify(schemas.InterventionSchema(many=True).dump(items))


@bp.post("/cases/<int:case_id>/interventions")
@require(Permission.CASE_LIST)
def add_intervention(case_id: int) -> ResponseReturnValue:
    """Record a step taken.
    ---
    post:
      summary: Add an intervention
      requestBody: {required: true, content: {application/json: {schema: InterventionCreate}}}
      responses:
        201: {content: {application/json: {schema: Intervention}}}
    """
    access = case_access.load(case_id, me(), content=True)
    body = json_body(schemas.InterventionCreateSchema())
    occurred_on = body.pop("occurred_on")
    with refusals():
        row = parts.add_intervention(access, occurred_on, body)
    return jsonify(schemas.InterventionSchema().dump(_dated(row, body))), 201


def _deadline(row: CaseDeadline, content: dict[str, Any]) -> dict[str, Any]:
    return {
        **content,
        "id": row.id,
        "due_on": row.due_on,
        "uncertain": row.uncertain,
        "done_on": row.done_on,
        "urgency": deadlines.urgency(row.due_on, clock.today(), done=row.done_on is not None),
        "created_at": row.created_at,
    }


@bp.get("/cases/<int:case_id>/deadlines")
@require(Permission.CASE_LIST)
def list_deadlines(case_id: int) -> ResponseReturnValue:
    """The statutory deadlines with their legal basis (one audited read).
    ---
    get:
      summary: List a case's deadlines
      responses:
        200: {content: {application/json: {schema: {type: array, items: Deadline}}}}
    """
    access = case_access.load(case_id, me(), content=True)
    opened = read_parts(access)
    rows = parts_of(CaseDeadline, case_id)
    items = [
        _deadline(row, open_content(opened, "case_deadlines", row, sealed.DeadlineContentSchema()))
        for row in sorted(rows, key=lambda r: (r.due_on, r.id))
    ]
    return jsonify(schemas.DeadlineSchema(many=True).dump(items))


@bp.post("/cases/<int:case_id>/deadlines")
@require(Permission.CASE_LIST)
def add_deadline(case_id: int) -> ResponseReturnValue:
    """Add a statutory deadline; the due date is computed from the trigger date.
    ---
    post:
      summary: Add a deadline
      requestBody: {required: true, content: {application/json: {schema: DeadlineCreate}}}
      responses:
        201: {content: {application/json: {schema: Deadline}}}
    """
    access = case_access.load(case_id, me(), content=True)
    body = json_body(schemas.DeadlineCreateSchema())
    with refusals():
        row = parts.add_deadline(
            access, body["kind"], body["trigger_on"], uncertain=body["uncertain"], note=body["note"]
        )
    content = {key: body[key] for key in ("kind", "trigger_on", "note")}
    return jsonify(schemas.DeadlineSchema().dump(_deadline(row, content))), 201


@bp.post("/cases/<int:case_id>/deadlines/<int:deadline_id>/done")
@require(Permission.CASE_LIST)
def mark_deadline_done(case_id: int, deadline_id: int) -> ResponseReturnValue:
    """Mark a deadline as met (the claim was asserted, the suit filed).
    ---
    post:
      summary: Mark a deadline done
      responses:
        204: {description: Done}
    """
    access = case_access.load(case_id, me(), content=True)
    row = part_or_404(CaseDeadline, access, deadline_id)
    with refusals():
        parts.mark_deadline_done(access, row.id)
    return Response(status=204)
