"""The centre's district register under /api/v1: what ``incident.district_code`` may hold."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user

from servicestelle.api.schemas import DistrictSchema
from servicestelle.api.views import bp
from servicestelle.centres.queries import districts_of
from servicestelle.permissions import Permission, require


@bp.get("/districts")
@require(Permission.CASE_LIST)
def list_districts() -> ResponseReturnValue:
    """The districts of the caller's centre, by name; retired ones included and marked.
    ---
    get:
      summary: List the districts of the own centre (codes for incident.district_code)
      description: >-
        A new case takes an active district's code. A retired district stays on the cases
        that already name it and may be saved again there, but is refused for any other.
      security: [{bearer: []}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: District}}}}
        401: {content: {application/json: {schema: Error}}}
        403: {content: {application/json: {schema: Error}}}
    """
    return jsonify(DistrictSchema(many=True).dump(districts_of(current_user.centre_id)))
