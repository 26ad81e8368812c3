"""Cases under /api/v1: the case core's operations, with the UI's permissions and audit.

Every handler is load → check → validate → act. ``access.load`` answers 404 (audited) for a
case out of reach; content needs ``access.content``. Every read of sealed content — the case,
or the list of a sealed part — goes through ``operations.open_case`` once, which writes the
single ``case:content:read`` entry with its purpose; the parts are then opened with the same
data key. Error bodies carry a code, a German message and at most field names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import sqlalchemy as sa
from flask import Response, abort, g, jsonify, make_response, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, ValidationError

from servicestelle import clock, security, services
from servicestelle.api import case_schemas as schemas
from servicestelle.api.requests import json_body
from servicestelle.api.views import bp
from servicestelle.auth.models import User
from servicestelle.cases import access as case_access
from servicestelle.cases import deadlines, districts, operations, parts, vault
from servicestelle.cases import payload as sealed
from servicestelle.cases import queries as case_queries
from servicestelle.cases.models import (
    Case,
    CaseConsent,
    CaseContact,
    CaseDeadline,
    CaseDocument,
    CaseIntervention,
)
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require

log = logging.getLogger(__name__)

_Part = TypeVar("_Part", CaseContact, CaseIntervention, CaseDeadline, CaseDocument, CaseConsent)
_Dated = TypeVar("_Dated", CaseContact, CaseIntervention)

#: Room for the multipart framing and the description beside the largest allowed document.
_UPLOAD_OVERHEAD = 64 * 1024


def _me() -> User:
    return current_user


# --- answers -------------------------------------------------------------------------------


def _refuse(status: int, code: str, message: str, fields: Any = None) -> NoReturn:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": g.get("request_id")}
    if fields is not None:
        error["fields"] = fields
    abort(make_response(jsonify(error=error), status))


def _invalid(exc: ValidationError) -> NoReturn:
    # The same answer as requests.json_body: the messages name fields and rules, not values.
    _refuse(422, "validation_failed", "Die Angaben sind ungültig.", exc.normalized_messages())


@contextmanager
def _refusals() -> Iterator[None]:
    """An operation's refusal as a JSON error; the operation saved nothing."""
    try:
        yield
    except ValidationError as exc:
        db.session.rollback()
        _invalid(exc)
    except operations.StaleEdit as exc:
        db.session.rollback()
        _refuse(409, "stale_edit", str(exc))
    except operations.CaseError as exc:
        db.session.rollback()
        _refuse(422, "refused", str(exc))
    except vault.CaseUnreadable:
        # Logged with ids by the vault; the caller learns only that it does not open.
        db.session.rollback()
        _refuse(500, "case_unreadable", str(_l("Der Inhalt dieser Akte lässt sich nicht öffnen.")))


def _load_args(schema: Schema) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(request.args.to_dict())
    except ValidationError as exc:
        _invalid(exc)
    return loaded


def _forbidden_change() -> NoReturn:
    _refuse(403, "forbidden", str(_l("Sie dürfen die Zuständigkeit dieser Akte nicht ändern.")))


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


def _check_district(centre_id: int, content: dict[str, Any], *, kept: str = "") -> None:
    """A district code the centre does not offer is an invalid field of the body."""
    try:
        districts.check(centre_id, content["incident"]["district_code"], kept=kept)
    except ValidationError as exc:
        _invalid(ValidationError({"content": exc.messages}))


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
        - {in: query, name: status, schema: {type: string, enum: [open, waiting, closed]}}
        - {in: query, name: deadline, schema: {type: string, enum: [overdue, due_soon]}}
        - {in: query, name: assignee, schema: {type: string}, description: "me, none or a user id"}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
      responses:
        200: {content: {application/json: {schema: CasePage}}}
        422: {content: {application/json: {schema: ValidationFailed}}}
    """
    args = _load_args(schemas.CaseListQuerySchema())
    wanted = case_queries.CaseFilter(
        status=args.get("status"),
        deadline=args.get("deadline"),
        assignee=args.get("assignee"),
        page=args["page"],
    )
    return jsonify(schemas.CasePageSchema().dump(_page(case_queries.list_cases(_me(), wanted))))


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
    found = _page(case_queries.list_cases(_me(), wanted))
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
    _check_district(_me().centre_id, body["content"])
    with _refusals():
        case = operations.create_case(_me(), body["content"], meta)
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
    access = case_access.load(case_id, _me())
    case = access.case
    version = case.content_version  # the version of the payload read below
    content = None
    if access.content:
        with _refusals():
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
    access = case_access.load(case_id, _me(), content=True)
    body = json_body(schemas.CaseUpdateSchema())
    meta = operations.Metadata(body["status"], body["opened_on"], body["closed_on"])
    code = body["content"]["incident"]["district_code"]
    with _refusals():
        # A retired district stays selectable for the case that already names it.
        kept = districts.kept_code(access, code)
    _check_district(access.case.centre_id, body["content"], kept=kept)
    with _refusals():
        case = operations.update_case(
            access, body["content"], meta, based_on=body["content_version"]
        )
    return _saved(case)


# --- team and legal hold -------------------------------------------------------------------


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
    access = case_access.load(case_id, _me())
    body = json_body(schemas.MemberAddSchema())
    existing = next((m for m in access.case.members if m.user_id == body["user_id"]), None)
    # Assigning, or turning an assignment into a share, changes who is responsible.
    assigns = body["kind"] == "assigned" or (existing is not None and existing.kind == "assigned")
    if not access.may_manage_members or (assigns and not _me().can(Permission.CASE_ASSIGN)):
        _forbidden_change()
    if body["user_id"] == _me().id and not access.may_add_self:
        _refuse(403, "forbidden", str(operations.SELF_ASSIGNMENT_REFUSED))
    user = db.session.get(User, body["user_id"])
    if user is None or user.centre_id != access.case.centre_id:
        # The same answer as for a colleague who may not work on cases: ids stay opaque.
        _refuse(
            422, "refused", str(_l("Nur aktive Beratende dieser Stelle können zuständig sein."))
        )
    with _refusals():
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
    access = case_access.load(case_id, _me())
    if not access.may_manage_members:
        _forbidden_change()
    member = next((m for m in access.case.members if m.user_id == user_id), None)
    if member is None:
        abort(404)
    if member.kind == "assigned" and not _me().can(Permission.CASE_ASSIGN):
        _forbidden_change()
    with _refusals():
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
    access = case_access.load(case_id, _me())
    body = json_body(schemas.LegalHoldSchema())
    with _refusals():
        operations.set_legal_hold(access, body["legal_hold"])
    return jsonify(schemas.LegalHoldSchema().dump({"legal_hold": body["legal_hold"]}))


# --- the parts of a case ---------------------------------------------------------------------


def _parts_of(model: type[_Part], case_id: int) -> list[_Part]:
    return list(
        db.session.scalars(
            sa.select(model).where(model.case_id == case_id).order_by(model.created_at, model.id)
        )
    )


def _part_or_404(model: type[_Part], access: case_access.CaseAccess, part_id: int) -> _Part:
    """A part of this case. Any other id is a 404; one of a case out of reach, an audited one."""
    row = db.session.get(model, part_id)
    if row is None:
        abort(404)
    if row.case_id != access.case.id:
        other = db.session.get(Case, row.case_id)
        if other is None or case_access.reach_of(access.user, other).content:
            abort(404)
        security.deny_out_of_scope(case_access.OBJECT_TYPE, other.id, centre_id=other.centre_id)
    return row


def _read_parts(access: case_access.CaseAccess) -> vault.CaseVault:
    """The case's key for opening its parts, after the one audited read of this request."""
    with _refusals():
        return operations.open_case(access).vault


def _part(opened: vault.CaseVault, table: str, column: str, row: Any, schema: Schema) -> Any:
    """A sealed part, loaded by shape and types only (payload.part_from_storage): a code
    retired from its list since it was saved is answered as stored."""
    with _refusals():
        stored = opened.open_json(table, column, row.id, getattr(row, column))
        try:
            return sealed.part_from_storage(schema, stored)
        except sealed.StoredContentInvalid as exc:
            log.error("%s.%s of row %s does not have its shape at %s", table, column, row.id, exc)
            raise vault.CaseUnreadable from None


def _opened(opened: vault.CaseVault, table: str, row: Any, schema: Schema) -> dict[str, Any]:
    content: dict[str, Any] = _part(opened, table, "content", row, schema)
    return content


def _timeline(
    access: case_access.CaseAccess, model: type[_Dated], table: str, schema: Schema
) -> list[dict[str, Any]]:
    """Contacts or interventions, opened after the one audited read, in date order."""
    opened = _read_parts(access)
    rows = sorted(_parts_of(model, access.case.id), key=lambda r: (r.occurred_on, r.id))
    return [_dated(row, _opened(opened, table, row, schema)) for row in rows]


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
    access = case_access.load(case_id, _me(), content=True)
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
    access = case_access.load(case_id, _me(), content=True)
    body = json_body(schemas.ContactCreateSchema())
    occurred_on = body.pop("occurred_on")
    with _refusals():
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
    access = case_access.load(case_id, _me(), content=True)
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
    access = case_access.load(case_id, _me(), content=True)
    body = json_body(schemas.InterventionCreateSchema())
    occurred_on = body.pop("occurred_on")
    with _refusals():
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
    access = case_access.load(case_id, _me(), content=True)
    opened = _read_parts(access)
    rows = _parts_of(CaseDeadline, case_id)
    items = [
        _deadline(row, _opened(opened, "case_deadlines", row, sealed.DeadlineContentSchema()))
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
    access = case_access.load(case_id, _me(), content=True)
    body = json_body(schemas.DeadlineCreateSchema())
    with _refusals():
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
    access = case_access.load(case_id, _me(), content=True)
    row = _part_or_404(CaseDeadline, access, deadline_id)
    with _refusals():
        parts.mark_deadline_done(access, row.id)
    return Response(status=204)


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
    case_access.load(case_id, _me(), content=True)
    rows = _parts_of(CaseConsent, case_id)
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
    access = case_access.load(case_id, _me(), content=True)
    body = json_body(schemas.ConsentCreateSchema())
    with _refusals():
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
    access = case_access.load(case_id, _me(), content=True)
    row = _part_or_404(CaseConsent, access, consent_id)
    body = json_body(schemas.ConsentWithdrawSchema())
    with _refusals():
        parts.withdraw_consent(access, row.id, body["withdrawn_on"])
    return jsonify(schemas.ConsentSchema().dump(row))


@bp.get("/cases/<int:case_id>/documents")
@require(Permission.CASE_LIST)
def list_documents(case_id: int) -> ResponseReturnValue:
    """The attached documents with their names and descriptions (one audited read).
    ---
    get:
      summary: List a case's documents
      responses:
        200: {content: {application/json: {schema: {type: array, items: Document}}}}
    """
    access = case_access.load(case_id, _me(), content=True)
    opened = _read_parts(access)
    items = []
    for row in _parts_of(CaseDocument, case_id):
        schema = sealed.DocumentDescriptionSchema()
        described = _part(opened, "case_documents", "description", row, schema)
        items.append(
            {
                **described,
                "id": row.id,
                "media_type": row.media_type,
                "size": row.size,
                "created_at": row.created_at,
            }
        )
    return jsonify(schemas.DocumentSchema(many=True).dump(items))


@bp.post("/cases/<int:case_id>/documents")
@require(Permission.CASE_LIST)
def add_document(case_id: int) -> ResponseReturnValue:
    """Attach a file (multipart: ``file`` and ``description``); its type decided by content.
    ---
    post:
      summary: Upload a document
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary}
                description: {type: string, maxLength: 2000}
      responses:
        201: {content: {application/json: {schema: Document}}}
        413: {content: {application/json: {schema: Error}}}
    """
    access = case_access.load(case_id, _me(), content=True)
    if request.mimetype != "multipart/form-data":
        abort(415)
    # Documents may be larger than the application-wide body limit (config.py).
    request.max_content_length = services.settings().document_max_bytes + _UPLOAD_OVERHEAD
    upload = request.files.get("file")
    try:
        form = schemas.DocumentUploadSchema().load(
            {"description": request.form.get("description", "")}
        )
    except ValidationError as exc:
        _invalid(exc)
    if upload is None:
        _invalid(ValidationError(str(_l("Bitte wählen Sie eine Datei aus.")), "file"))
    filename = upload.filename or ""
    with _refusals():
        row = parts.add_document(
            access, upload.read(), filename=filename, description=form["description"]
        )
    created = {
        "id": row.id,
        "media_type": row.media_type,
        "size": row.size,
        "created_at": row.created_at,
        "filename": filename[: sealed.SHORT_TEXT],
        "description": form["description"],
    }
    return jsonify(schemas.DocumentSchema().dump(created)), 201


@bp.get("/cases/<int:case_id>/documents/<int:document_id>")
@require(Permission.CASE_LIST)
def download_document(case_id: int, document_id: int) -> ResponseReturnValue:
    """A document's bytes, as an attachment under a name that says nothing (one audited read).
    ---
    get:
      summary: Download a document
      responses:
        200:
          headers: {Content-Disposition: {schema: {type: string}}}
          content: {application/octet-stream: {schema: {type: string, format: binary}}}
    """
    access = case_access.load(case_id, _me(), content=True)
    row = _part_or_404(CaseDocument, access, document_id)
    with _refusals():
        download = parts.read_document(access, row.id)
    response = Response(download.content, content_type=download.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
