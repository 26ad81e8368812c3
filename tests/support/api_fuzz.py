"""Fuzzing /api/v1 against its own OpenAPI document with schemathesis, in-process over WSGI.

``build_world`` fills a centre with objects every documented GET can find (cases with all
their parts, a published and a drafted statistics release, a report) and gives each role a
bearer token. ``fuzz`` then runs every operation of the document with schemathesis' positive
and negative data, path ids drawn half from the real ones and half at random, and every
built-in check enabled (``ignored_auth`` among them). Failures are collected across all
operations so one run names every finding, not only the first.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from servicestelle import catalogue
from servicestelle.api.models import ApiToken
from servicestelle.api.operations import create_token
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import operations as stats_operations
from servicestelle.stats.periods import Period
from tests.support import releases

#: The roles that get a token each and a run of their own.
ROLES = (Role.COUNSELLOR, Role.SUPERVISOR, Role.DPO, Role.ADMIN)

#: Every built-in check, whatever schemathesis enables by default.
CONFIG = schemathesis.Config.from_dict({"checks": {"enabled": True}})

CONTENT: dict[str, Any] = {
    "incident": {"date": "2026-02-10", "date_precision": "genau", "district": "Mitte"},
    "classification": {
        "grounds": {"codes": ["lebensalter"]},
        "life_areas": {"codes": ["wohnen"]},
    },
    "respondent": {"name": "Hausverwaltung Beispiel GmbH"},
    "client": {"pseudonym": "Amsel"},
    # CRLF as a browser's textarea sends it: the answers must still match the document.
    "account": {"narrative": "Besichtigung abgesagt.\r\nZweiter Absatz."},
}
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class World:
    """Tokens per role and the ids of the objects that exist, per path parameter name."""

    tokens: dict[Role, tuple[int, str]] = field(default_factory=dict)
    ids: dict[str, list[int]] = field(default_factory=dict)


def _token(app: Flask, user_id: int) -> tuple[int, str]:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        issued = create_token(user, "fuzz")
        return issued.token.id, issued.plaintext


def _first(codes: dict[Any, str]) -> str:
    return sorted(codes.values())[0]


def _created(response: Any) -> int:
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(response.get_json()["id"])


def build_world(app: Flask, client: FlaskClient, make_user: Callable[..., Any]) -> World:
    """A centre with one user per role (two supervisors) and objects behind every path id.

    The clock must stand after 2026 (``tests.support.stats.AFTER_2026``): 2026 is drafted.
    """
    from servicestelle.reports import operations as report_operations

    world = World()
    users = {role: make_user(role) for role in ROLES}
    second_supervisor = make_user(Role.SUPERVISOR)
    for role, user in users.items():
        world.tokens[role] = _token(app, user.id)
    headers = {"Authorization": f"Bearer {world.tokens[Role.COUNSELLOR][1]}"}

    def post(url: str, **kwargs: Any) -> Any:
        return client.post(url, headers=headers, **kwargs)

    cases, consents, deadlines, documents = [], [], [], []
    for _ in range(2):
        case_id = _created(post("/api/v1/cases", json={"content": CONTENT}))
        cases.append(case_id)
        base = f"/api/v1/cases/{case_id}"
        contact = {"occurred_on": "2026-12-01", "channel": _first(catalogue.CONTACT_CHANNELS)}
        _created(post(f"{base}/contacts", json=contact))
        intervention = {"occurred_on": "2026-12-01", "type": _first(catalogue.INTERVENTIONS)}
        _created(post(f"{base}/interventions", json=intervention))
        consents.append(
            _created(
                post(
                    f"{base}/consents",
                    json={"purpose": "statistik", "given_on": "2026-12-01", "form": "schriftlich"},
                )
            )
        )
        deadlines.append(
            _created(
                post(f"{base}/deadlines", json={"kind": "agg_21_5", "trigger_on": "2026-12-01"})
            )
        )
        documents.append(
            _created(
                post(
                    f"{base}/documents",
                    data={"file": (io.BytesIO(PDF), "brief.pdf"), "description": "Brief"},
                    content_type="multipart/form-data",
                )
            )
        )

    with app.app_context():
        centre_id = db.session.get(User, users[Role.ADMIN].id).centre_id  # type: ignore[union-attr]
    releases.populate(app, centre_id)
    published = releases.publish(app, users[Role.SUPERVISOR].id, second_supervisor.id)
    with app.app_context():
        drafter = db.session.get(User, second_supervisor.id)
        assert drafter is not None
        drafted = stats_operations.draft_release(
            drafter, Period.parse("2026-Q4"), list(releases.ALL_TABLES)
        ).id
        counsellor = db.session.get(User, users[Role.COUNSELLOR].id)
        assert counsellor is not None
        report = report_operations.create_report(counsellor, "Bericht 2026", Period.parse("2026"))
        report_id = report.id

    world.ids = {
        "case_id": cases,
        "consent_id": consents,
        "deadline_id": deadlines,
        "document_id": documents,
        "release_id": [published, drafted],
        "report_id": [report_id],
        "token_id": [token_id for token_id, _ in world.tokens.values()],
        "user_id": [user.id for user in (*users.values(), second_supervisor)],
    }
    return world


def accepts_valid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance``, except where a rule of the domain refuses the request.

    The document promises 422 ``refused`` for what no schema can say (the member to add is no
    active counsellor of the centre, a consent is withdrawn before it was given, a deadline is
    done already), and a district code must be one of the centre's own register (GET
    /districts: data, not schema). Any other schema-valid request refused with
    ``validation_failed`` still fails.
    """
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 422 and _error_code(response) == "refused":
            return None
        if response.status_code == 422 and _field_errors(response) == REGISTER_FIELDS:
            return None
        raise


#: Field errors that name a register entry of the centre (``RegisterCode`` in cases/payload).
REGISTER_FIELDS = {"content": {"incident": {"district_code"}}}


def _field_errors(response: Any) -> Any:
    """The shape of ``error.fields``: nested dicts, the leaves as sets of field names."""

    def shape(value: Any) -> Any:
        if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()):
            return set(value)
        if isinstance(value, dict):
            return {key: shape(item) for key, item in value.items()}
        return value

    try:
        return shape(response.json()["error"]["fields"])
    except (ValueError, KeyError, TypeError):
        return None


def _error_code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def _reinstate(app: Flask, token_id: int) -> None:
    """Undo a revocation of the caller's own token: DELETE /tokens/{id} may hit it."""
    with app.app_context():
        token = db.session.get(ApiToken, token_id)
        assert token is not None
        if token.revoked_at is not None:
            token.revoked_at = None
            db.session.commit()


@dataclass
class Outcome:
    """What one role's run saw: status codes per operation, and every failure message."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)
    examples: int = 0


def fuzz(app: Flask, world: World, role: Role, max_examples: int) -> Outcome:
    """Every operation, positive and negative data, ``max_examples`` each, as ``role``."""
    token_id, token = world.tokens[role]
    auth = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    outcome = Outcome()
    for result in schema.get_all_operations():
        operation = result.ok()
        names = [p.name for p in operation.path_parameters]
        # A real id first: Hypothesis starts with the simplest draw, so even a small pass
        # reaches the objects; ``None`` keeps the generated (mostly unknown) id.
        real = st.fixed_dictionaries(
            {
                name: st.one_of(st.sampled_from(world.ids[name]), st.none())
                for name in names
                if name in world.ids
            }
        )
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(app, operation, mode, real, auth, token_id, max_examples, outcome)
            # Collected so that one run names every finding; any of them fails the test.
            except (Exception, BaseExceptionGroup) as exc:
                outcome.failures[f"{operation.label} [{mode.value}]"] = str(exc)
    return outcome


def _run(
    app: Flask,
    operation: Any,
    mode: GenerationMode,
    real: st.SearchStrategy[dict[str, int | None]],
    auth: dict[str, str],
    token_id: int,
    max_examples: int,
    outcome: Outcome,
) -> None:
    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode), ids=real)
    def run(case: Any, ids: dict[str, int | None]) -> None:
        # Real ids only where the data is meant to be valid: a negative path parameter must
        # stay negative.
        if mode is GenerationMode.POSITIVE and case.path_parameters is not None:
            for name, value in ids.items():
                if value is not None:
                    case.path_parameters[name] = value
        outcome.examples += 1
        # A negative header is the bearer token left out: send it so, unauthenticated.
        unauthenticated = (
            case.meta is not None
            and case.meta.is_negative_at(ParameterLocation.HEADER)
            and "Authorization" not in (case.headers or {})
        )
        try:
            response = case.call_and_validate(
                headers=None if unauthenticated else auth,
                excluded_checks=[positive_data_acceptance],
                additional_checks=[accepts_valid_data],
            )
        finally:
            _reinstate(app, token_id)
        outcome.statuses[(operation.label, response.status_code)] += 1

    run()
