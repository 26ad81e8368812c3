"""/api/v1/cases: the case core through the API — reach, audited reads, errors, the parts."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from audit import AuditEvent
from servicestelle import services
from servicestelle.api.operations import create_token
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests import conftest
from tests.support.audit_log import entries, head

PSEUDONYM = "Amsel Nachtigall"
RESPONDENT = "Hausverwaltung Nordlicht GmbH"
CANARY = "KANARIENVOGEL-7f3a"
CONTENT: dict[str, Any] = {
    "incident": {"date": "2026-02-10", "date_precision": "genau", "district": "Mitte"},
    "classification": {
        "grounds": {"codes": [], "sub": ["antisemitismus"]},
        "life_areas": {"codes": ["wohnen"]},
    },
    "respondent": {"name": RESPONDENT},
    "client": {"pseudonym": PSEUDONYM},
    "account": {"narrative": f"Besichtigung abgesagt {CANARY}"},
}
READ = AuditEvent.CASE_CONTENT_READ.value
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


class Caller:
    """The test client with one user's bearer token."""

    def __init__(self, client: Any, user: conftest.TestUser, token: str) -> None:
        self.client, self.user, self.token = client, user, token

    def open(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.open("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.open("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.open("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.open("DELETE", url, **kwargs)

    def create(self, content: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
        response = self.post("/api/v1/cases", json={"content": content or CONTENT, **meta})
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body


@pytest.fixture
def caller(app, client, make_user):
    """caller(role, **user_kwargs) → a Caller for a new user of the test centre."""

    def do(role: Role = Role.COUNSELLOR, **kwargs: Any) -> Caller:
        user = make_user(role, **kwargs)
        with app.app_context():
            token = create_token(db.session.get(User, user.id), "test").plaintext
        return Caller(client, user, token)

    return do


def reads(app, after: int) -> list[Any]:
    return entries(app, after=after, action=READ)


def case_count(app) -> int:
    from sqlalchemy import func, select

    from servicestelle.cases.models import Case

    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Case)) or 0)


# --- cases ----------------------------------------------------------------------------------


def test_counsellor_creates_a_case_and_reads_it_back_in_one_audited_read(app, caller):
    me = caller()
    response = me.post("/api/v1/cases", json={"content": CONTENT})
    assert response.status_code == 201
    created = response.get_json()
    assert response.headers["Location"] == f"/api/v1/cases/{created['id']}"
    assert created["reference"] == "2026-0001" and created["content_version"] == 1
    assert created["status"] == "open" and created["opened_on"] == "2026-03-02"

    mark = head(app)
    case = me.get(f"/api/v1/cases/{created['id']}").get_json()
    assert case["content_visible"] is True and case["reach"] == "content"
    assert case["content"]["client"]["pseudonym"] == PSEUDONYM
    assert case["content"]["respondent"]["name"] == RESPONDENT
    assert case["content"]["classification"]["grounds"]["codes"] == [
        "rassismus_antisemitismus_herkunft"
    ]
    assert case["content_version"] == 1
    assert case["members"] == [
        {"user_id": me.user.id, "display_name": me.user.username.title(), "kind": "assigned"}
    ]
    [entry] = reads(app, mark)
    assert (entry.object_type, entry.object_id, entry.purpose) == (
        "case",
        str(created["id"]),
        "counselling",
    )
    assert entry.actor_id == me.user.id


def test_supervisor_sees_metadata_with_content_null_and_nothing_is_read(app, caller):
    counsellor, supervisor = caller(), caller(Role.SUPERVISOR)
    case_id = counsellor.create()["id"]
    mark = head(app)
    response = supervisor.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["content"] is None and body["content_visible"] is False
    assert body["reach"] == "metadata" and body["reference"] == "2026-0001"
    text = response.get_data(as_text=True)
    assert PSEUDONYM not in text and CANARY not in text
    assert reads(app, mark) == []


def test_another_counsellor_gets_an_audited_404(app, caller):
    owner, stranger = caller(), caller()
    case_id = owner.create()["id"]
    missing = stranger.get("/api/v1/cases/999999")
    mark = head(app)
    for url in (f"/api/v1/cases/{case_id}", f"/api/v1/cases/{case_id}/contacts"):
        response = stranger.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == "not_found"
        assert response.get_json()["error"]["message"] == missing.get_json()["error"]["message"]
    denials = entries(app, after=mark, action=AuditEvent.ACCESS_REQUEST_DENY.value)
    assert [(d.object_type, d.object_id) for d in denials] == [("case", str(case_id))] * 2
    assert reads(app, mark) == []


@pytest.mark.parametrize("role", [Role.DPO, Role.ADMIN], ids=lambda r: r.value)
def test_roles_without_case_permissions_get_403(caller, role):
    owner, other = caller(), caller(role)
    case_id = owner.create()["id"]
    for method, url in [
        ("GET", "/api/v1/cases"),
        ("GET", f"/api/v1/cases/{case_id}"),
        ("GET", f"/api/v1/cases/{case_id}/documents"),
        ("POST", "/api/v1/cases"),
    ]:
        response = other.open(method, url, json={"content": {}})
        assert response.status_code == 403, (method, url)
        assert response.get_json()["error"]["code"] == "forbidden"
        assert PSEUDONYM not in response.get_data(as_text=True)


def test_supervisors_do_not_create_cases(caller):
    response = caller(Role.SUPERVISOR).post("/api/v1/cases", json={"content": {}})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/v1/cases"),
        ("POST", "/api/v1/cases"),
        ("POST", "/api/v1/cases/search"),
        ("GET", "/api/v1/cases/1"),
        ("PUT", "/api/v1/cases/1"),
        ("GET", "/api/v1/cases/1/contacts"),
        ("GET", "/api/v1/cases/1/documents/1"),
    ],
)
def test_without_a_token_it_is_401(client, caller, method, url):
    caller().create()
    response = client.open(url, method=method, json={"content": {}})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_list_shows_metadata_only_and_filters(app, caller):
    me = caller()
    first = me.create()
    me.create(status="waiting")
    mark = head(app)
    response = me.get("/api/v1/cases")
    assert response.status_code == 200
    page = response.get_json()
    assert (page["total"], page["page"], page["pages"], page["page_size"]) == (2, 1, 1, 50)
    assert [item["reference"] for item in page["items"]] == ["2026-0002", "2026-0001"]
    assert set(page["items"][1]) == {
        "id",
        "reference",
        "status",
        "opened_on",
        "closed_on",
        "legal_hold",
        "members",
        "next_deadline",
    }
    text = response.get_data(as_text=True)
    assert PSEUDONYM not in text and RESPONDENT not in text and CANARY not in text
    assert reads(app, mark) == []
    waiting = me.get("/api/v1/cases?status=waiting").get_json()
    assert [item["reference"] for item in waiting["items"]] == ["2026-0002"]
    assert me.get("/api/v1/cases?assignee=none").get_json()["total"] == 0
    assert me.get("/api/v1/cases?deadline=overdue").get_json()["total"] == 0
    mine = me.get(f"/api/v1/cases?assignee={me.user.id}&page=1").get_json()
    assert {item["id"] for item in mine["items"]} >= {first["id"]}


@pytest.mark.parametrize(
    "query", ["pseudonym=Amsel", "text=Amsel", "status=archiv", "page=0", "assignee=Amsel"]
)
def test_list_refuses_unknown_and_invalid_query_parameters(caller, query):
    response = caller().get(f"/api/v1/cases?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and error["fields"]
    assert "Amsel" not in json.dumps(error["fields"]) and "archiv" not in response.get_data(
        as_text=True
    )


def test_search_by_pseudonym_respondent_and_reference_via_post(caller):
    me = caller()
    case_id = me.create()["id"]
    for field, text in [
        ("pseudonym", "amsel  NACHTIGALL"),
        ("respondent", RESPONDENT),
        ("reference", "2026-0001"),
    ]:
        response = me.post("/api/v1/cases/search", json={"field": field, "text": text})
        assert response.status_code == 200, field
        found = response.get_json()
        assert case_id in [item["id"] for item in found["items"]], field
        assert found["possible_matches"] is (field != "reference")
        assert PSEUDONYM not in response.get_data(as_text=True)
    nothing = me.post("/api/v1/cases/search", json={"field": "reference", "text": "2026-0099"})
    assert nothing.get_json()["total"] == 0


def test_search_is_not_a_get_endpoint_and_refuses_bad_bodies(client, caller):
    me = caller()
    me.create()
    response = me.get(f"/api/v1/cases/search?field=pseudonym&text={PSEUDONYM}")
    assert response.status_code == 405 and response.is_json
    for body in ({"field": "narrative", "text": "x"}, {"field": "pseudonym", "text": ""}, {}):
        refused = me.post("/api/v1/cases/search", json=body)
        assert refused.status_code == 422, body
    as_form = me.post("/api/v1/cases/search", data={"field": "pseudonym", "text": PSEUDONYM})
    assert as_form.status_code == 415


def test_supervisor_searches_by_reference_but_not_by_content(caller):
    counsellor, supervisor = caller(), caller(Role.SUPERVISOR)
    case_id = counsellor.create()["id"]
    by_name = supervisor.post(
        "/api/v1/cases/search", json={"field": "pseudonym", "text": PSEUDONYM}
    )
    assert by_name.status_code == 200 and by_name.get_json()["total"] == 0
    by_ref = supervisor.post("/api/v1/cases/search", json={"field": "reference", "text": "2026-1"})
    assert [item["id"] for item in by_ref.get_json()["items"]] == [case_id]


def _update(caller: Caller, case_id: int, version: int, **changes: Any) -> Any:
    body = {
        "status": "open",
        "opened_on": "2026-03-02",
        "closed_on": None,
        "content": CONTENT,
        "content_version": version,
        **changes,
    }
    return caller.put(f"/api/v1/cases/{case_id}", json=body)


def test_update_based_on_a_stale_version_is_409(caller):
    me = caller()
    case_id = me.create()["id"]
    changed = {**CONTENT, "client": {"pseudonym": "Zaunkönig"}}
    saved = _update(me, case_id, 1, content=changed, status="waiting")
    assert saved.status_code == 200
    assert saved.get_json()["content_version"] == 2 and saved.get_json()["status"] == "waiting"
    stale = _update(me, case_id, 1)
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "stale_edit" and "inzwischen" in error["message"]
    case = me.get(f"/api/v1/cases/{case_id}").get_json()
    assert case["content"]["client"]["pseudonym"] == "Zaunkönig"
    assert (case["content_version"], case["status"]) == (2, "waiting")


def test_invalid_fields_are_named_nothing_is_saved_and_no_value_is_echoed(app, caller):
    me = caller()
    bad = {
        "incident": {"date": CANARY, "place": f"{CANARY}\x00"},
        "classification": {"grounds": {"codes": [CANARY]}},
        "client": {"pseudonym": CANARY * 20},
    }
    response = me.post("/api/v1/cases", json={"status": "archiviert", "content": bad})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and error["message"]
    assert set(error["fields"]) == {"status", "content"}
    assert set(error["fields"]["content"]) == {"incident", "classification", "client"}
    assert set(error["fields"]["content"]["incident"]) == {"date", "place"}
    assert CANARY not in response.get_data(as_text=True)
    assert case_count(app) == 0

    case_id = me.create()["id"]
    refused = _update(me, case_id, 1, content={"client": {"pseudonym": 5}})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "content": {"client": {"pseudonym": ["Not a valid string."]}}
    }
    assert me.get(f"/api/v1/cases/{case_id}").get_json()["content_version"] == 1


def test_rules_of_the_case_refuse_with_a_german_message(app, caller):
    me = caller()
    future = me.post("/api/v1/cases", json={"opened_on": "2026-03-03", "content": CONTENT})
    assert future.status_code == 422
    assert future.get_json()["error"]["code"] == "refused"
    assert "Zukunft" in future.get_json()["error"]["message"]
    assert case_count(app) == 0
    case_id = me.create()["id"]
    closing = _update(me, case_id, 1, status="closed")
    assert closing.status_code == 422
    assert "Ergebnis" in closing.get_json()["error"]["message"]
    closed = {
        **CONTENT,
        "closure": {"outcome": {"codes": ["verwiesen"]}, "reason": {"codes": ["weitervermittelt"]}},
    }
    done = _update(me, case_id, 1, status="closed", content=closed)
    assert done.status_code == 200 and done.get_json()["closed_on"] == "2026-03-02"


def test_content_endpoints_are_404_for_a_supervisor(caller):
    counsellor, supervisor = caller(), caller(Role.SUPERVISOR)
    case_id = counsellor.create()["id"]
    for method, url in [
        ("GET", f"/api/v1/cases/{case_id}/contacts"),
        ("GET", f"/api/v1/cases/{case_id}/consents"),
        ("POST", f"/api/v1/cases/{case_id}/deadlines"),
        ("PUT", f"/api/v1/cases/{case_id}"),
    ]:
        response = supervisor.open(method, url, json={})
        assert response.status_code == 404, (method, url)


def test_break_glass_reads_carry_their_purpose(app, caller):
    from servicestelle.cases import break_glass
    from servicestelle.cases.models import Case

    counsellor, colleague = caller(), caller()
    case_id = counsellor.create()["id"]
    assert colleague.get(f"/api/v1/cases/{case_id}").status_code == 404
    with app.test_request_context():
        user = db.session.get(User, colleague.user.id)
        break_glass.open_case(user, db.session.get(Case, case_id), "Kollegin krank, Frist morgen")
    mark = head(app)
    body = colleague.get(f"/api/v1/cases/{case_id}").get_json()
    assert body["reach"] == "break_glass" and body["content"]["client"]["pseudonym"] == PSEUDONYM
    assert [entry.purpose for entry in reads(app, mark)] == ["break_glass"]


# --- the parts of a case ----------------------------------------------------------------------


def test_contacts_round_trip_and_a_listing_is_exactly_one_audited_read(app, caller):
    me = caller()
    case_id = me.create()["id"]
    url = f"/api/v1/cases/{case_id}/contacts"
    later = {"occurred_on": "2026-03-02", "channel": "telefon", "duration_minutes": 20}
    created = me.post(url, json={**later, "note": f"Rückruf {CANARY}"})
    assert created.status_code == 201
    assert created.get_json()["note"] == f"Rückruf {CANARY}"
    earlier = {"occurred_on": "2026-02-27", "channel": "persoenlich", "note": "Erstgespräch"}
    assert me.post(url, json=earlier).status_code == 201
    mark = head(app)
    listed = me.get(url).get_json()
    assert [(c["occurred_on"], c["channel"], c["note"]) for c in listed] == [
        ("2026-02-27", "persoenlich", "Erstgespräch"),
        ("2026-03-02", "telefon", f"Rückruf {CANARY}"),
    ]
    assert listed[0]["duration_minutes"] is None and listed[1]["duration_minutes"] == 20
    [entry] = reads(app, mark)
    assert entry.purpose == "counselling" and entry.object_id == str(case_id)
    future = me.post(url, json={"occurred_on": "2026-03-03", "channel": "telefon"})
    assert future.status_code == 422 and future.get_json()["error"]["code"] == "refused"
    invalid = me.post(url, json={"occurred_on": "2026-03-01", "channel": "brieftaube"})
    assert invalid.status_code == 422 and set(invalid.get_json()["error"]["fields"]) == {"channel"}
    assert len(me.get(url).get_json()) == 2


def test_interventions_round_trip(app, caller):
    me = caller()
    case_id = me.create()["id"]
    url = f"/api/v1/cases/{case_id}/interventions"
    body = {
        "occurred_on": "2026-03-01",
        "type": "beschwerdebrief",
        "details": "Brief an die Hausverwaltung",
        "result": "Antwort steht aus",
    }
    created = me.post(url, json=body)
    assert created.status_code == 201 and created.get_json()["type"] == "beschwerdebrief"
    mark = head(app)
    [listed] = me.get(url).get_json()
    assert {key: listed[key] for key in body} == body
    assert len(reads(app, mark)) == 1
    assert me.post(url, json={"occurred_on": "2026-03-01"}).status_code == 422


def test_deadlines_are_computed_listed_and_marked_done(app, caller):
    me = caller()
    case_id = me.create()["id"]
    url = f"/api/v1/cases/{case_id}/deadlines"
    body = {"kind": "agg_21_5", "trigger_on": "2026-02-10", "uncertain": True, "note": "Vorfall"}
    created = me.post(url, json=body)
    assert created.status_code == 201
    deadline = created.get_json()
    assert (deadline["due_on"], deadline["urgency"], deadline["done_on"]) == (
        "2026-04-10",
        "later",
        None,
    )
    listed_case = me.get("/api/v1/cases").get_json()["items"][0]
    assert listed_case["next_deadline"] == {
        "due_on": "2026-04-10",
        "uncertain": True,
        "urgency": "later",
    }
    mark = head(app)
    [listed] = me.get(url).get_json()
    assert (listed["kind"], listed["trigger_on"], listed["note"]) == (
        "agg_21_5",
        "2026-02-10",
        "Vorfall",
    )
    assert len(reads(app, mark)) == 1
    done_url = f"{url}/{deadline['id']}/done"
    assert me.post(done_url).status_code == 204
    again = me.post(done_url)
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "refused"
    assert me.get(url).get_json()[0]["urgency"] == "done"
    assert me.get(f"/api/v1/cases/{case_id}").get_json()["next_deadline"] is None
    strict = me.post(url, json={**body, "uncertain": "ja"})
    assert set(strict.get_json()["error"]["fields"]) == {"uncertain"}


def test_consents_round_trip_without_a_content_read(app, caller):
    me = caller()
    case_id = me.create()["id"]
    url = f"/api/v1/cases/{case_id}/consents"
    body = {"purpose": "statistik", "given_on": "2026-03-01", "form": "schriftlich"}
    created = me.post(url, json=body)
    assert created.status_code == 201
    consent = created.get_json()
    assert consent["withdrawn_on"] is None
    mark = head(app)
    assert [c["purpose"] for c in me.get(url).get_json()] == ["statistik"]
    assert reads(app, mark) == []
    withdraw = f"{url}/{consent['id']}/withdraw"
    early = me.post(withdraw, json={"withdrawn_on": "2026-02-28"})
    assert early.status_code == 422 and early.get_json()["error"]["code"] == "refused"
    withdrawn = me.post(withdraw, json={"withdrawn_on": "2026-03-02"})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["withdrawn_on"] == "2026-03-02"
    assert me.post(withdraw, json={"withdrawn_on": "2026-03-02"}).status_code == 422
    assert me.post(f"{url}/999999/withdraw", json={"withdrawn_on": "2026-03-02"}).status_code == 404
    wrong = me.post(url, json={**body, "purpose": "werbung"})
    assert wrong.status_code == 422 and set(wrong.get_json()["error"]["fields"]) == {"purpose"}


def test_documents_upload_list_and_download_as_an_attachment(app, caller):
    me = caller()
    case_id = me.create()["id"]
    url = f"/api/v1/cases/{case_id}/documents"
    upload = {"file": (io.BytesIO(PDF), "Kündigung_Yilmaz.pdf"), "description": "Kündigung"}
    created = me.post(url, data=upload, content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    document = created.get_json()
    assert (document["media_type"], document["size"]) == ("application/pdf", len(PDF))
    mark = head(app)
    [listed] = me.get(url).get_json()
    assert (listed["filename"], listed["description"]) == ("Kündigung_Yilmaz.pdf", "Kündigung")
    assert len(reads(app, mark)) == 1

    mark = head(app)
    download = me.get(f"{url}/{document['id']}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="Fall-2026-0001-Dokument-1.pdf"'
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    [entry] = reads(app, mark)
    assert json.loads(entry.details)["document"] == document["id"]
    assert me.get(f"{url}/999999").status_code == 404


def test_document_refusals(app, caller):
    me = caller()
    case_id = me.create()["id"]
    url = f"/api/v1/cases/{case_id}/documents"
    html = {"file": (io.BytesIO(b"<html><script>x</script></html>"), "a.pdf")}
    refused = me.post(url, data=html, content_type="multipart/form-data")
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "refused"
    no_file = me.post(url, data={"description": "x"}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and set(no_file.get_json()["error"]["fields"]) == {"file"}
    as_json = me.post(url, json={"description": "x"})
    assert as_json.status_code == 415
    assert me.get(url).get_json() == []


def test_documents_may_be_larger_than_the_general_body_limit(app, caller):
    me = caller()
    case_id = me.create()["id"]
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 100_000)
    # Encoded in memory: the test client would spool a body this size to an unclosed file.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(big), "bild.png")})
    response = me.post(
        f"/api/v1/cases/{case_id}/documents",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 201 and response.get_json()["size"] == len(big)
    with app.app_context():
        limit = services.settings().document_max_bytes
    for size, status in [(limit + 1, 422), (limit + 100_000, 413)]:
        boundary, body = encode_multipart(
            {"file": FileStorage(io.BytesIO(b"%PDF-" + b"0" * size), "gross.pdf")}
        )
        refused = me.post(
            f"/api/v1/cases/{case_id}/documents",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        assert refused.status_code == status and refused.is_json
        assert "zu groß" in refused.get_json()["error"]["message"]


def test_a_part_of_another_case_is_a_404_audited_when_out_of_reach(app, caller):
    me, stranger = caller(), caller()
    mine, also_mine, theirs = me.create()["id"], me.create()["id"], stranger.create()["id"]
    body = {"kind": "agg_15_4", "trigger_on": "2026-03-01"}
    own = me.post(f"/api/v1/cases/{also_mine}/deadlines", json=body).get_json()
    foreign = stranger.post(f"/api/v1/cases/{theirs}/deadlines", json=body).get_json()
    mark = head(app)
    assert me.post(f"/api/v1/cases/{mine}/deadlines/{own['id']}/done").status_code == 404
    assert entries(app, after=mark, action=AuditEvent.ACCESS_REQUEST_DENY.value) == []
    probe = me.post(f"/api/v1/cases/{mine}/deadlines/{foreign['id']}/done")
    assert probe.status_code == 404
    [denial] = entries(app, after=mark, action=AuditEvent.ACCESS_REQUEST_DENY.value)
    assert (denial.object_type, denial.object_id) == ("case", str(theirs))
    assert stranger.get(f"/api/v1/cases/{theirs}/deadlines").get_json()[0]["done_on"] is None
    assert me.get(f"/api/v1/cases/{also_mine}/deadlines").get_json()[0]["done_on"] is None


# --- team and legal hold ------------------------------------------------------------------------


def test_sharing_a_case_gives_a_colleague_the_content_until_removed(caller):
    owner, colleague, third = caller(), caller(), caller()
    case_id = owner.create()["id"]
    members = f"/api/v1/cases/{case_id}/members"
    shared = owner.post(members, json={"user_id": colleague.user.id, "kind": "shared"})
    assert shared.status_code == 201 and shared.get_json()["kind"] == "shared"
    assert (
        owner.post(members, json={"user_id": colleague.user.id, "kind": "shared"}).status_code
        == 422
    )
    body = colleague.get(f"/api/v1/cases/{case_id}").get_json()
    assert body["content"]["client"]["pseudonym"] == PSEUDONYM
    # A colleague it was shared with does not share further; only supervisors assign.
    onward = colleague.post(members, json={"user_id": third.user.id, "kind": "shared"})
    assert onward.status_code == 403
    assign = owner.post(members, json={"user_id": third.user.id, "kind": "assigned"})
    assert assign.status_code == 403
    # Nor does the assigned counsellor turn their own assignment into a share (fixed bug:
    # operations.add_member allowed it and left the case without anyone responsible).
    demote = owner.post(members, json={"user_id": owner.user.id, "kind": "shared"})
    assert demote.status_code == 403
    unknown = owner.post(members, json={"user_id": 999_999, "kind": "shared"})
    assert unknown.status_code == 422 and unknown.get_json()["error"]["code"] == "refused"
    assert owner.delete(f"{members}/{colleague.user.id}").status_code == 204
    assert colleague.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert owner.delete(f"{members}/{colleague.user.id}").status_code == 404


def test_supervisor_assigns_and_sets_a_legal_hold(caller):
    owner, colleague, supervisor = caller(), caller(), caller(Role.SUPERVISOR)
    case_id = owner.create()["id"]
    assigned = supervisor.post(
        f"/api/v1/cases/{case_id}/members", json={"user_id": colleague.user.id, "kind": "assigned"}
    )
    assert assigned.status_code == 201
    assert colleague.get(f"/api/v1/cases/{case_id}").get_json()["content_visible"] is True
    hold = f"/api/v1/cases/{case_id}/legal-hold"
    assert owner.put(hold, json={"legal_hold": True}).status_code == 403
    assert supervisor.put(hold, json={"legal_hold": "yes"}).status_code == 422
    response = supervisor.put(hold, json={"legal_hold": True})
    assert response.status_code == 200 and response.get_json() == {"legal_hold": True}
    assert owner.get("/api/v1/cases").get_json()["items"][0]["legal_hold"] is True
    assert owner.delete(f"/api/v1/cases/{case_id}/members/{owner.user.id}").status_code == 403
    members = f"/api/v1/cases/{case_id}/members"
    demoted = supervisor.post(members, json={"user_id": owner.user.id, "kind": "shared"})
    assert demoted.status_code == 200 and demoted.get_json()["kind"] == "shared"
    last = supervisor.post(members, json={"user_id": colleague.user.id, "kind": "shared"})
    assert last.status_code == 422 and "mindestens eine" in last.get_json()["error"]["message"]
    kinds = {
        m["user_id"]: m["kind"] for m in owner.get(f"/api/v1/cases/{case_id}").get_json()["members"]
    }
    assert kinds == {owner.user.id: "shared", colleague.user.id: "assigned"}


def test_openapi_documents_the_case_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {
        "/api/v1/cases",
        "/api/v1/cases/search",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/members/{user_id}",
        "/api/v1/cases/{case_id}/documents/{document_id}",
        "/api/v1/cases/{case_id}/consents/{consent_id}/withdraw",
    } <= set(spec["paths"])
    assert {"CaseDetail", "CasePayload", "Contact", "Deadline", "Document"} <= set(
        spec["components"]["schemas"]
    )
    detail = spec["paths"]["/api/v1/cases/{case_id}"]
    assert {"200", "401", "403", "404"} <= set(detail["get"]["responses"])
    assert detail["put"]["responses"]["409"]
    assert [p["name"] for p in detail["get"]["parameters"]] == ["case_id"]
