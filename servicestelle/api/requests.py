"""Reading JSON request bodies: the right content type, valid JSON, then the schema."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, make_response, request
from marshmallow import Schema, ValidationError


def json_body(schema: Schema) -> dict[str, Any]:
    """The validated body, or an immediate JSON error (415, 400 or 422)."""
    if not request.is_json:
        abort(415)
    payload = request.get_json(silent=True)
    if payload is None:
        abort(
            make_response(
                jsonify(
                    error={
                        "code": "invalid_json",
                        "message": "Der Inhalt ist kein gültiges JSON.",
                    }
                ),
                400,
            )
        )
    try:
        return schema.load(payload)
    except ValidationError as exc:
        abort(
            make_response(
                jsonify(
                    error={
                        "code": "validation_failed",
                        "message": "Die Angaben sind ungültig.",
                        "fields": exc.normalized_messages(),
                    }
                ),
                422,
            )
        )
