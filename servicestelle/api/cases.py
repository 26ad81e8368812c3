"""Cases under /api/v1: the case core's operations, with the UI's permissions and audit.

Every handler is load → check → validate → act. ``access.load`` answers 404 (audited) for a
case out of reach; content needs ``access.content``. Every read of sealed content — the case,
or the list of a sealed part — goes through ``operations.open_case`` once, which writes the
single ``case:content:read`` entry with its purpose; the parts are then opened with the same
data key. Error bodies carry a code, a German message and at most field names.

This module holds the case records (list, search, create, read, save); the team and legal
hold, the course of a case (contacts, interventions, deadlines), its consents and its
documents are in the ``cases_*`` modules beside it, imported here to register their routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import jsonify, make_response, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from servicestelle import clock
from servicestelle.api import case_schemas as schemas
from servicestelle.api import cases_consents, cases_documents, cases_team, cases_timeline
from servicestelle.api.cases_common import load_args, me, refusals
from servicestelle.api.requests import json_body
from servicestelle.api.views import bp
from servicestelle.auth.models import User
from servicestelle.cases import access as case_access
from servicestelle.cases import deadlines, operations
from servicestelle.cases import queries as case_queries
from servicestelle.cases.models import Case, CaseDeadline
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require

# The modules beside this one register their routes on ``bp`` when imported.
__all__ = ["cases_consents", "cases_documents", "cases_team", "cases_timeline"]


# --- metadata --------------------------------------------------------------------------------


def _display_names(cases: Iterable[Case]) -> dict[int, str]:
    ids = {member.user_id for case in cases for member in case.members}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _summary(case: Case, names: dict[int, str], nxt: CaseDeadline | None) -> dict[str, Any]:
    members = sorted(case.members, key=lambda m: (m.kind != "assigned", m.id))
    return {
        "id": case.id,
        "reference": case.reference,
        "status": case.status,
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
        "legal_hold": case.legal_hold,
        "members": [
            {"user_id": m.user_id, "display_name": names.get(m.user_id, ""), "kind": m.kind}
            for m in members
        ],
        "next_deadline": None
        if nxt is None
        else {
            "due_on": nxt.due_on,
            "uncertain": nxt.uncertain,
            "urgency": deadlines.urgency(nxt.due_on, clock.today()),
        },
    }


def _page(found: case_queries.CasePage) -> dict[str, Any]:
    names = _display_names(row.case for row in found.rows)
    return {
        "items": [_summary(row.case, names, row.next_deadline) for row in found.rows],
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "page_size": case_queries.PAGE_SIZE,
    }


def _next_deadline(case_id: int) -> CaseDeadline | None:
    return db.session.scalars(
        sa.select(CaseDeadline)
        .where(CaseDeadline.case_id == case_id, CaseDeadline.done_on.is_(None))
        .order_by(CaseDeadline.due_on, CaseDeadline.id)
        .limit(1)
    ).first()


@contextmanager
def _content_refusals() -> Iterator[None]:
    """A field the operation refuses (a district the centre does not offer, say) is a field of
    the body's ``content``: the operation sees the content alone."""
    try:
        yield
    except ValidationError as exc:
        raise ValidationError({"content": exc.messages}) from None


def _saved(case: Case, status: int = 200) -> ResponseReturnValue:
    return jsonify(schemas.CaseSavedSchema().dump(case)), status


@bp.get("/cases")
@require(Permission.CASE_LIST)
def list_cases() -> ResponseReturnValue:
    """The cases the caller may see: metadata only, 50 a page.
    ---
    get:
      summary: List cases (metadata, no content)
      parameters:
        - {in: query, schema: CaseListQuerySchema}
      responses:
        200: {content: {application/json: {schema: CasePage}}}
        422: {content: {application/json: {schema: ValidationFailed}}}
    """
    args = load_args(schemas.CaseListQuerySchema())
    wanted = case_queries.CaseFilter(
        status=args.get("status"),
        deadline=args.get("deadline"),
        assignee=args.get("assignee"),
        page=args["page"],
    )
    return jsonify(schemas.CasePageSchema().dump(_page(case_queries.list_cases(me(), wanted))))


@bp.post("/cases/search")
@require(Permission.CASE_LIST)
def search_cases() -> ResponseReturnValue:
    """Find cases by reference, client pseudonym or respondent (POST: names stay out of URLs).
    ---
    post:
      summary: Search cases; blind-index fields give possible matches
      requestBody: {required: true, content: {application/json: {schema: CaseSearch}}}
      responses:
        200: {content: {application/json: {schema: CaseSearchPage}}}
    """
    body = json_body(schemas.CaseSearchSchema())
    wanted = case_queries.CaseFilter(
        search_field=body["field"], search_text=body["text"], page=body["page"]
    )
    found = _page(case_queries.list_cases(me(), wanted))
    found["possible_matches"] = body["field"] != "reference"
    return jsonify(schemas.CaseSearchPageSchema().dump(found))


@bp.post("/cases")
@require(Permission.CASE_WORK)
def create_case() -> ResponseReturnValue:
    """Create a case of the caller's centre, assigned to the caller.
    ---
    post:
      summary: Create a case (a draft may be incomplete)
      requestBody: {required: true, content: {application/json: {schema: CaseCreate}}}
      responses:
        201:
          headers: {Location: {schema: {type: string}}}
          content: {application/json: {schema: CaseSaved}}
    """
    body = json_body(schemas.CaseCreateSchema())
    meta = operations.Metadata(body["status"], body["opened_on"], body["closed_on"])
    with refusals(), _content_refusals():
        case = operations.create_case(me(), body["content"], meta)
    response = make_response(_saved(case, 201))
    response.headers["Location"] = url_for("api.get_case", case_id=case.id)
    return response


@bp.get("/cases/<int:case_id>")
@require(Permission.CASE_LIST)
def get_case(case_id: int) -> ResponseReturnValue:
    """One case: metadata, and its content for who may read it (one audited read).
    ---
    get:
      summary: Read a case
      description: >-
        The content is present only with content access (assigned, shared, break-glass); each
        such request writes one audit entry with its purpose. Supervisors get the metadata
        with content null.
      responses:
        200: {content: {application/json: {schema: CaseDetail}}}
    """
    access = case_access.load(case_id, me())
    case = access.case
    version = case.content_version  # the version of the payload read below
    content = None
    if access.content:
        with refusals():
            content = operations.open_case(access).payload
    data = _summary(case, _display_names([case]), _next_deadline(case.id))
    data.update(
        content_version=version,
        reach=access.reach.value,
        content_visible=content is not None,
        content=content,
    )
    return jsonify(schemas.CaseDetailSchema().dump(data))


@bp.put("/cases/<int:case_id>")
@require(Permission.CASE_LIST)
def update_case(case_id: int) -> ResponseReturnValue:
    """Save a case's metadata and content, based on the version read.
    ---
    put:
      summary: Save a case (409 when someone saved in between)
      requestBody: {required: true, content: {application/json: {schema: CaseUpdate}}}
      responses:
        200: {content: {application/json: {schema: CaseSaved}}}
        409: {content: {application/json: {schema: Error}}}
    """
    access = case_access.load(case_id, me(), content=True)
    body = json_body(schemas.CaseUpdateSchema())
    meta = operations.Metadata(body["status"], body["opened_on"], body["closed_on"])
    with refusals(), _content_refusals():
        case = operations.update_case(
            access, body["content"], meta, based_on=body["content_version"]
        )
    return _saved(case)
