"""JSON endpoints under /api/v1 (bearer tokens; permissions as in the UI)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user

from servicestelle import security
from servicestelle.api import operations
from servicestelle.api.models import ApiToken
from servicestelle.api.openapi import openapi_document
from servicestelle.api.queries import tokens_of
from servicestelle.api.requests import json_body
from servicestelle.api.schemas import MeSchema, TokenRenameSchema, TokenSchema, UserSummarySchema
from servicestelle.auth.models import User
from servicestelle.auth.queries import users_of_centre
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _me() -> User:
    return current_user


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3 document of this API (public: it describes, it holds no data)."""
    return jsonify(openapi_document())


@bp.get("/me")
@require(Permission.ACCOUNT_MANAGE)
def me() -> ResponseReturnValue:
    """The caller's account.
    ---
    get:
      summary: The account the token belongs to
      security: [{bearer: []}]
      responses:
        200: {content: {application/json: {schema: Me}}}
        401: {content: {application/json: {schema: Error}}}
    """
    user = _me()
    return jsonify(
        MeSchema().dump(
            {
                "id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "roles": sorted(user.roles),
                "permissions": sorted(user.permissions),
                "centre": {"code": user.centre.code, "name": user.centre.name},
            }
        )
    )


def _token_json(token: ApiToken) -> dict[str, Any]:
    return TokenSchema().dump(token)


@bp.get("/tokens")
@require(Permission.ACCOUNT_MANAGE)
def list_tokens() -> ResponseReturnValue:
    """The caller's API tokens (metadata only).
    ---
    get:
      summary: List own API tokens
      security: [{bearer: []}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: Token}}}}
        401: {content: {application/json: {schema: Error}}}
    """
    return jsonify([_token_json(token) for token in tokens_of(_me())])


def get_own_token_or_404(user: User, token_id: int) -> ApiToken:
    """One of ``user``'s tokens (API and account pages).

    An id that exists nowhere is a plain 404; someone else's token is a 404 as well, but an
    audited one: trying other people's token ids is worth the DPO's attention.
    """
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if token.user_id != user.id:
        security.deny_out_of_scope("api_token", token.id, centre_id=token.user.centre_id)
    return token


@bp.patch("/tokens/<int:token_id>")
@require(Permission.ACCOUNT_MANAGE)
def rename_token(token_id: int) -> ResponseReturnValue:
    """Rename one of the caller's tokens.
    ---
    patch:
      summary: Rename an own API token
      security: [{bearer: []}]
      parameters:
        - {in: path, name: token_id, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content: {application/json: {schema: TokenRename}}
      responses:
        200: {content: {application/json: {schema: Token}}}
        400: {content: {application/json: {schema: Error}}}
        401: {content: {application/json: {schema: Error}}}
        404: {content: {application/json: {schema: Error}}}
        415: {content: {application/json: {schema: Error}}}
        422: {content: {application/json: {schema: Error}}}
    """
    token = get_own_token_or_404(_me(), token_id)
    body = json_body(TokenRenameSchema())
    operations.rename_token(token, body["name"])
    return jsonify(_token_json(token))


@bp.delete("/tokens/<int:token_id>")
@require(Permission.ACCOUNT_MANAGE)
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke one of the caller's tokens (also the one in use).
    ---
    delete:
      summary: Revoke an own API token
      security: [{bearer: []}]
      parameters:
        - {in: path, name: token_id, required: true, schema: {type: integer}}
      responses:
        204: {description: Revoked}
        401: {content: {application/json: {schema: Error}}}
        404: {content: {application/json: {schema: Error}}}
    """
    operations.revoke_token(get_own_token_or_404(_me(), token_id))
    return Response(status=204)


@bp.get("/users")
@require(Permission.USERS_READ)
def list_users() -> ResponseReturnValue:
    """Users of the caller's centre (administration only).
    ---
    get:
      summary: List the users of the own centre
      security: [{bearer: []}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: UserSummary}}}}
        401: {content: {application/json: {schema: Error}}}
        403: {content: {application/json: {schema: Error}}}
    """
    schema = UserSummarySchema()
    return jsonify(
        [
            schema.dump(
                {
                    "id": user.id,
                    "username": user.username,
                    "display_name": user.display_name,
                    "roles": sorted(user.roles),
                    "is_active": user.is_active,
                    "has_second_factor": user.has_second_factor,
                    "created_at": user.created_at,
                }
            )
            for user in users_of_centre(_me().centre_id)
        ]
    )


# The case, district and statistics endpoints register themselves on ``bp``; imported last,
# when ``bp`` exists.
from servicestelle.api import cases as _cases  # noqa: E402, F401
from servicestelle.api import districts as _districts  # noqa: E402, F401
from servicestelle.api import reports as _reports  # noqa: E402, F401
from servicestelle.api import stats as _stats  # noqa: E402, F401
