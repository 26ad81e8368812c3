"""/api/v1 fuzzed against its own OpenAPI document (schemathesis, every check), per role.

No answer may be a 5xx; every status code, content type, header and body must be the one the
document declares; data the document calls valid must be accepted and invalid data refused;
and an operation that declares the bearer token must refuse a request without one or with a
wrong one (``ignored_auth``). See tests/support/api_fuzz.py for the world and the run.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from servicestelle.api.operations import create_token
from servicestelle.auth.models import User
from servicestelle.converters import MAX_ID
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.support import api_fuzz
from tests.support.stats import AFTER_2026

#: Examples per operation and generation mode (positive, negative). PostgreSQL gets a smaller
#: pass: the generated requests are the same (derandomised), what it adds is the database.
EXAMPLES = {"sqlite": 6, "postgresql": 2}

#: An answer with 2xx each role must have had: proof that its token stayed valid through the
#: run and that the real ids reached the objects.
MUST_SUCCEED = {
    Role.COUNSELLOR: ("GET /api/v1/me", "GET /api/v1/cases/{case_id}"),
    Role.SUPERVISOR: ("GET /api/v1/me", "GET /api/v1/stats/releases/{release_id}"),
    Role.DPO: ("GET /api/v1/me", "GET /api/v1/tokens"),
    Role.ADMIN: ("GET /api/v1/me", "GET /api/v1/users"),
}


@pytest.mark.parametrize("role", api_fuzz.ROLES, ids=lambda role: role.value)
def test_the_api_keeps_its_openapi_document(app, client, make_user, clock, backend, role: Role):
    clock.moment = AFTER_2026
    world = api_fuzz.build_world(app, client, make_user)
    outcome = api_fuzz.fuzz(app, world, role, EXAMPLES[backend.name])
    print(f"{backend.name}/{role.value}: {outcome.examples} generated cases")
    assert not outcome.failures, "\n\n".join(
        f"=== {label}\n{message}" for label, message in outcome.failures.items()
    )
    succeeded = {label for (label, status), _ in outcome.statuses.items() if status < 300}
    assert set(MUST_SUCCEED[role]) <= succeeded, sorted(outcome.statuses.items())
    refused = {label for (label, status), _ in outcome.statuses.items() if status == 403}
    if role is not Role.ADMIN:
        assert "GET /api/v1/users" in refused


def test_the_run_would_notice_an_operation_that_ignores_the_token(app):
    """The harness's wiring of ``ignored_auth``: a document that claims the token for the
    (public) OpenAPI document itself must fail, because a request without one succeeds."""
    error = {"content": {"application/json": {"schema": {"type": "object"}}}}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "probe", "version": "1"},
        "paths": {
            "/api/v1/openapi.json": {
                "get": {
                    "security": [{"bearer": []}],
                    "responses": {
                        "200": {"description": "the document", **error},
                        "401": {"description": "no token", **error},
                    },
                }
            }
        },
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
    schema = schemathesis.openapi.from_dict(document, config=api_fuzz.CONFIG)
    schema.app = app
    operation = next(iter(schema.get_all_operations())).ok()
    case = operation.Case(headers={})
    with pytest.raises(FailureGroup) as caught:
        case.call_and_validate(headers={"Authorization": "Bearer sst_not_a_token"})
    assert "without authentication" in str(caught.value)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/tokens/{huge}"),
        ("PATCH", "/api/v1/tokens/{huge}"),
        ("GET", "/api/v1/cases/{huge}/consents"),
        ("POST", "/api/v1/cases/{huge}/consents"),
        ("POST", "/api/v1/cases/1/consents/{huge}/withdraw"),
        ("DELETE", "/api/v1/cases/1/members/{huge}"),
    ],
)
def test_an_id_beyond_the_column_is_a_404_whatever_the_method(app, client, make_user, method, path):
    """Found by the fuzzing: werkzeug answered 405 (with a wrong Allow) for an id the converter
    refused when the path had a rule for another method; the document says 404."""
    user = make_user(Role.COUNSELLOR)
    with app.app_context():
        token = create_token(db.session.get(User, user.id), "test").plaintext
    url = path.format(huge=MAX_ID + 1)
    response = client.open(url, method=method, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
