"""A case's documents under /api/v1: uploaded as multipart, listed, downloaded.

A document's type is decided by its content, not by the name or type the caller sends; its
name and description are sealed like the file itself.
"""

from __future__ import annotations

from flask import Response, abort, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from servicestelle import services
from servicestelle.api import case_schemas as schemas
from servicestelle.api.cases_common import (
    invalid,
    me,
    open_part,
    part_or_404,
    parts_of,
    read_parts,
    refusals,
)
from servicestelle.api.views import bp
from servicestelle.cases import access as case_access
from servicestelle.cases import parts
from servicestelle.cases import payload as sealed
from servicestelle.cases.models import CaseDocument
from servicestelle.permissions import Permission, require

#: Room for the multipart framing and the description beside the largest allowed document.
_UPLOAD_OVERHEAD = 64 * 1024


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
    access = case_access.load(case_id, me(), content=True)
    opened = read_parts(access)
    items = []
    for row in parts_of(CaseDocument, case_id):
        schema = sealed.DocumentDescriptionSchema()
        described = open_part(opened, "case_documents", "description", row, schema)
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
    access = case_access.load(case_id, me(), content=True)
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
        invalid(exc)
    if upload is None:
        invalid(ValidationError(str(_l("Bitte wählen Sie eine Datei aus.")), "file"))
    filename = upload.filename or ""
    with refusals():
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
      description: Sent as the type its content was recognised as at upload.
      responses:
        200:
          headers: {Content-Disposition: {schema: {type: string}}}
          # One entry per type of cases/filetypes.ALLOWED, filled in by openapi.py.
          content: {application/pdf: {schema: {type: string, format: binary}}}
    """
    access = case_access.load(case_id, me(), content=True)
    row = part_or_404(CaseDocument, access, document_id)
    with refusals():
        download = parts.read_document(access, row.id)
    response = Response(download.content, content_type=download.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
