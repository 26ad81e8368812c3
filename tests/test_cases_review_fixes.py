"""Fixes from the security review of the case records, each shown refused and shown working:

1. nobody puts themself on a case's team (a supervisor who also counsels would read it
   without break-glass), unless they already work on it as a member;
2. odd input is a refusal, never a 500: references with non-ASCII digits or huge numbers,
   dates beyond the plausible years, integers beyond a 32-bit column;
3. the Art. 15 export is for the assigned counsellors only;
4. uploads stay in memory until they are sealed (no plaintext temporary file);
5. a stored payload with a code retired from its list still opens;
6. a follow-up deadline of another case's deadline adds nothing;
7. no data key and no plaintext in a repr;
8. the upload view checks access before it parses the body;
9. the Art. 15 reports count reads and exports, not break-glass openings as well;
11. a second-factor seed sealed under the legacy key is sealed anew at login.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import tempfile
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from marshmallow import ValidationError
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from audit import AuditEvent
from servicestelle import services
from servicestelle.api.operations import create_token
from servicestelle.app_setup import InMemoryUploadRequest
from servicestelle.auth import sealing, totp
from servicestelle.auth.models import User
from servicestelle.cases import (
    art15,
    break_glass,
    operations,
    parts,
    payload,
    queries,
    vault,
)
from servicestelle.cases.access import Reach, reach_of
from servicestelle.cases.deadlines import DeadlineKind
from servicestelle.cases.models import Case, CaseDeadline, CaseDocument
from servicestelle.dpo import queries as dpo_queries
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import SECRET, https_client, login, post_form
from tests.support import audit_log
from tests.support.cases import acting_as, load
from tests.support.html import csrf_token

TOKEN_PAGE = "/faelle"
REASON = "Kollegin erkrankt, Klientin ruft wegen Frist morgen an"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
SELF_REFUSED = "Eine andere Leitung muss Ihnen die Akte zuweisen"
DENY = "access:request:deny"


# --- helpers -------------------------------------------------------------------------------


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def browser(app, user, clock):
    """A logged-in test client of its own."""
    client = https_client(app)
    login(client, user, clock)
    return client


def new_case(app, user_id: int, **content: Any) -> int:
    with acting_as(app, user_id) as user:
        return operations.create_case(user, content).id


def add_member(app, actor_id: int, case_id: int, user_id: int, kind: str) -> None:
    with acting_as(app, actor_id) as actor:
        access = load(actor_id, case_id, content=False)
        user = db.session.get(User, user_id)
        operations.add_member(access, user, kind)
        assert actor is access.user


def reach(app, user_id: int, case_id: int) -> Reach:
    with app.app_context():
        return reach_of(db.session.get(User, user_id), db.session.get(Case, case_id)).reach


def api(client, app, user_id: int):
    """(method, url, json) → response, with the user's bearer token."""
    with app.app_context():
        token = create_token(db.session.get(User, user_id), "test").plaintext

    def call(method: str, url: str, body: Any = None) -> Any:
        return client.open(
            url, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
        )

    return call


def count(app, model, *where: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)))


def upload(client, url: str, content: bytes, *, token_page: str | None = None):
    token = csrf_token(client.get(token_page or url).get_data(as_text=True))
    boundary, body = encode_multipart(
        {"csrf_token": token, "file": FileStorage(io.BytesIO(content), filename="brief.pdf")}
    )
    return client.post(
        url,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Referer": f"https://localhost{token_page or url}"},
    )


@pytest.fixture
def team(app, make_user):
    """An owner (counsellor), a colleague, and a supervisor who also counsels."""
    owner = make_user(Role.COUNSELLOR, username="beraterin.a")
    colleague = make_user(Role.COUNSELLOR, username="berater.b")
    boss = make_user(Role.COUNSELLOR, Role.SUPERVISOR, username="leitung.c")
    return owner, colleague, boss


# --- 1. nobody assigns themself ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["assigned", "shared"])
def test_a_supervisor_who_counsels_cannot_put_themself_on_a_case(app, team, kind):
    owner, colleague, boss = team
    case_id = new_case(app, owner.id)
    with acting_as(app, boss.id) as me, pytest.raises(operations.CaseError, match=SELF_REFUSED):
        operations.add_member(load(boss.id, case_id, content=False), me, kind)
    assert reach(app, boss.id, case_id) is Reach.METADATA
    # Assigning someone else is what a supervisor is for.
    add_member(app, boss.id, case_id, colleague.id, "assigned")
    assert reach(app, colleague.id, case_id) is Reach.CONTENT


def test_a_member_who_already_works_on_the_case_may_change_their_own_kind(app, team):
    owner, _colleague, boss = team
    case_id = new_case(app, owner.id)
    add_member(app, owner.id, case_id, boss.id, "shared")
    add_member(app, boss.id, case_id, boss.id, "assigned")
    with app.app_context():
        kinds = {m.user_id: m.kind for m in db.session.get(Case, case_id).members}
    assert kinds == {owner.id: "assigned", boss.id: "assigned"}


def test_break_glass_is_no_way_onto_the_team(app, team):
    owner, _colleague, boss = team
    case_id = new_case(app, owner.id)
    with acting_as(app, boss.id) as me:
        break_glass.open_case(me, db.session.get(Case, case_id), REASON)
    with acting_as(app, boss.id) as me, pytest.raises(operations.CaseError, match=SELF_REFUSED):
        operations.add_member(load(boss.id, case_id), me, "assigned")
    assert reach(app, boss.id, case_id) is Reach.BREAK_GLASS


def test_the_api_refuses_adding_oneself_with_403_and_adds_others(app, client, team):
    owner, colleague, boss = team
    case_id = new_case(app, owner.id)
    call = api(client, app, boss.id)
    members = f"/api/v1/cases/{case_id}/members"
    for kind in ("assigned", "shared"):
        refused = call("POST", members, {"user_id": boss.id, "kind": kind})
        assert refused.status_code == 403
        assert SELF_REFUSED in refused.get_json()["error"]["message"]
    assert call("GET", f"/api/v1/cases/{case_id}").get_json()["content"] is None
    added = call("POST", members, {"user_id": colleague.id, "kind": "assigned"})
    assert added.status_code == 201


def test_the_team_form_does_not_offer_oneself_and_refuses_it(app, team, clock):
    owner, colleague, boss = team
    case_id = new_case(app, owner.id)
    boss_client = browser(app, boss, clock)
    page = boss_client.get(f"/faelle/{case_id}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="team-user_id".*?</select>', page, re.S)
    assert select is not None
    assert f'value="{colleague.id}"' in select.group(0)
    assert f'value="{boss.id}"' not in select.group(0)
    response = post_form(
        boss_client,
        f"/faelle/{case_id}/team",
        {"team-user_id": str(boss.id), "team-kind": "assigned"},
        form_url=TOKEN_PAGE,
    )
    assert response.status_code == 302
    assert reach(app, boss.id, case_id) is Reach.METADATA


# --- 2a. references ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2026-0042", (2026, 42)),
        (" 2026-1 ", (2026, 1)),
        ("2026-999999", (2026, 999_999)),
        ("2026-²", None),
        ("²²²²-1", None),
        ("２０２６-1", None),  # full-width digits
        ("99999999999999999999999-1", None),
        ("2026-99999999999999999999999", None),
        ("2026-1234567", None),
        ("26-1", None),
        ("2026-", None),
        ("2026-0042\n", (2026, 42)),
        ("2026-0042x", None),
        ("", None),
    ],
)
def test_one_parser_reads_references(text, parsed):
    assert queries.parse_reference(text) == parsed


ODD_REFERENCES = ["2026-²", "²²²²-1", "99999999999999999999999-1", "2026-99999999999999999999"]


@pytest.mark.parametrize("reference", ODD_REFERENCES)
def test_odd_references_find_nothing_on_the_pages_and_in_the_api(
    app, client, team, clock, reference
):
    owner, colleague, _boss = team
    new_case(app, owner.id)
    owner_client = browser(app, owner, clock)
    found = post_form(owner_client, "/faelle/suche", {"feld": "reference", "text": reference})
    assert found.status_code == 200 and "2026-0001" not in text_of(found)
    assert (
        post_form(
            owner_client, "/faelle/suche", {"feld": "reference", "text": "2026-0001"}
        ).status_code
        == 200
    )
    searched = api(client, app, owner.id)(
        "POST", "/api/v1/cases/search", {"field": "reference", "text": reference}
    )
    assert searched.status_code == 200 and searched.get_json()["items"] == []
    other = browser(app, colleague, clock)
    refused = post_form(other, "/faelle/notfallzugriff", {"reference": reference, "reason": REASON})
    assert refused.status_code == 400
    expected = "Höchstens 16 Zeichen." if len(reference) > 16 else "als Jahr und Nummer an"
    assert expected in text_of(refused)


def test_break_glass_by_reference_still_finds_the_case(app, team):
    owner, colleague, _boss = team
    case_id = new_case(app, owner.id)
    with acting_as(app, colleague.id) as me:
        assert break_glass.find_case_by_reference(me, "2026-0001").id == case_id
        assert break_glass.find_case_by_reference(me, "2026-²") is None


# --- 2b, 10. dates within 1900..2100 -------------------------------------------------------


def test_a_deadline_far_in_the_future_is_refused_on_the_page(app, team, clock):
    owner, *_ = team
    case_id = new_case(app, owner.id)
    owner_client = browser(app, owner, clock)
    url = f"/faelle/{case_id}/fristen/neu"
    refused = post_form(owner_client, url, {"kind": "agg_15_4", "trigger_on": "9999-12-31"})
    assert refused.status_code == 400
    assert "Bitte prüfen Sie das Jahr." in text_of(refused)
    assert count(app, CaseDeadline) == 0
    saved = post_form(owner_client, url, {"kind": "agg_15_4", "trigger_on": "2100-12-31"})
    assert saved.status_code == 302
    assert count(app, CaseDeadline) == 1


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("deadlines", {"kind": "agg_15_4", "trigger_on": "9999-12-31"}, "trigger_on"),
        ("contacts", {"occurred_on": "1800-01-01", "channel": "telefon"}, "occurred_on"),
        ("interventions", {"occurred_on": "2101-01-01", "type": "anderes"}, "occurred_on"),
        (
            "consents",
            {"purpose": "statistik", "given_on": "0001-01-01", "form": "muendlich"},
            "given_on",
        ),
    ],
)
def test_the_api_refuses_implausible_dates_of_parts(app, client, team, path, body, field):
    owner, *_ = team
    case_id = new_case(app, owner.id)
    response = api(client, app, owner.id)("POST", f"/api/v1/cases/{case_id}/{path}", body)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {field: ["Bitte prüfen Sie das Jahr."]}


def test_the_api_bounds_the_dates_of_a_case_and_of_an_incident(app, client, team):
    owner, *_ = team
    call = api(client, app, owner.id)
    early = call("POST", "/api/v1/cases", {"opened_on": "0001-01-01"})
    assert early.status_code == 422 and "opened_on" in early.get_json()["error"]["fields"]
    incident = call("POST", "/api/v1/cases", {"content": {"incident": {"date": "1899-12-31"}}})
    assert incident.status_code == 422
    created = call("POST", "/api/v1/cases", {"opened_on": "1900-01-01"})
    assert created.status_code == 201 and created.get_json()["reference"] == "1900-0001"
    put = {"status": "open", "opened_on": "1800-01-01", "content": {}, "content_version": 1}
    response = call("PUT", f"/api/v1/cases/{created.get_json()['id']}", put)
    assert response.status_code == 422 and "opened_on" in response.get_json()["error"]["fields"]


def test_a_due_date_that_cannot_be_computed_is_a_case_error(app, team, monkeypatch):
    owner, *_ = team
    case_id = new_case(app, owner.id)
    # The durations are configuration: 8,000 years run past what a date holds.
    monkeypatch.setattr(parts, "deadline_months", lambda: dict.fromkeys(DeadlineKind, 12 * 8000))
    with acting_as(app, owner.id), pytest.raises(operations.CaseError, match="keine Frist"):
        parts.add_deadline(load(owner.id, case_id), "agg_15_4", date(2100, 1, 1), uncertain=False)
    assert count(app, CaseDeadline) == 0


# --- 2c. integers within a 32-bit column ---------------------------------------------------


@pytest.mark.parametrize("value", [0, 2**31, 2**64, 10**30])
def test_the_api_refuses_ids_and_versions_out_of_range(app, client, team, value):
    owner, colleague, _boss = team
    case_id = new_case(app, owner.id)
    call = api(client, app, owner.id)
    member = call("POST", f"/api/v1/cases/{case_id}/members", {"user_id": value, "kind": "shared"})
    assert member.status_code == 422 and "user_id" in member.get_json()["error"]["fields"]
    put = {"status": "open", "opened_on": "2026-03-01", "content": {}, "content_version": value}
    saved = call("PUT", f"/api/v1/cases/{case_id}", put)
    assert saved.status_code == 422 and "content_version" in saved.get_json()["error"]["fields"]
    shared = call(
        "POST", f"/api/v1/cases/{case_id}/members", {"user_id": colleague.id, "kind": "shared"}
    )
    assert shared.status_code == 201
    put["content_version"] = 1
    assert call("PUT", f"/api/v1/cases/{case_id}", put).status_code == 200


@pytest.mark.parametrize("version", ["99999999999999999999", "0", "²", "-1"])
def test_the_case_form_refuses_a_version_out_of_range_in_german(app, team, clock, version):
    owner, *_ = team
    case_id = new_case(app, owner.id)
    owner_client = browser(app, owner, clock)
    url = f"/faelle/{case_id}/bearbeiten"
    refused = post_form(owner_client, url, {"content_version": version})
    assert refused.status_code == 400
    assert "Das Formular kam unvollständig an. Bitte laden Sie die Akte neu." in text_of(refused)
    assert "Not a valid" not in text_of(refused)
    saved = post_form(owner_client, url, {"content_version": "1"})
    assert saved.status_code == 302


# --- 3. the Art. 15 export -----------------------------------------------------------------


def test_the_export_is_for_the_assigned_counsellor_not_a_share_or_break_glass(
    app, team, clock, make_user
):
    owner, colleague, boss = team
    case_id = new_case(app, owner.id)
    add_member(app, owner.id, case_id, colleague.id, "shared")
    with acting_as(app, boss.id) as me:
        break_glass.open_case(me, db.session.get(Case, case_id), REASON)
    url = f"/faelle/{case_id}/auskunft"
    for user in (colleague, boss):
        other = browser(app, user, clock)
        mark = audit_log.head(app)
        assert other.get(url).status_code == 404
        posted = post_form(other, url, {"format": "json"}, form_url=TOKEN_PAGE)
        assert posted.status_code == 404
        assert {row.object_id for row in audit_log.entries(app, after=mark, action=DENY)} == {
            str(case_id)
        }
        case_page = other.get(f"/faelle/{case_id}")
        assert case_page.status_code == 200 and url not in case_page.get_data(as_text=True)
        assert audit_log.entries(app, after=mark, action="case:record:export") == []
    owner_client = browser(app, owner, clock)
    assert url in owner_client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert owner_client.get(url).status_code == 200
    exported = post_form(owner_client, url, {"format": "json"})
    assert exported.status_code == 200 and json.loads(exported.data)["format"]


def test_the_export_operation_refuses_a_share_itself(app, team):
    owner, colleague, _boss = team
    case_id = new_case(app, owner.id)
    add_member(app, owner.id, case_id, colleague.id, "shared")
    mark = audit_log.head(app)
    with acting_as(app, colleague.id), pytest.raises(PermissionError):
        art15.export(load(colleague.id, case_id), "json")
    assert audit_log.head(app) == mark
    with acting_as(app, owner.id):
        assert art15.export(load(owner.id, case_id), "json").content


# --- 4. uploads stay in memory -------------------------------------------------------------


def test_a_large_upload_never_reaches_a_temporary_file(app, team, clock, monkeypatch):
    owner, *_ = team
    case_id = new_case(app, owner.id)
    owner_client = browser(app, owner, clock)
    spooled: list[str] = []
    rollover = tempfile.SpooledTemporaryFile.rollover

    def spy_rollover(self: Any) -> None:
        spooled.append("rollover")
        rollover(self)

    temporary = tempfile.TemporaryFile

    def spy_temporary(*args: Any, **kwargs: Any) -> Any:
        spooled.append("TemporaryFile")
        return temporary(*args, **kwargs)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", spy_rollover)
    monkeypatch.setattr(tempfile, "TemporaryFile", spy_temporary)
    big = PDF + b"0" * (2 * 1024 * 1024)
    response = upload(owner_client, f"/faelle/{case_id}/dokumente/neu", big)
    assert response.status_code == 302, text_of(response)
    assert count(app, CaseDocument) == 1
    assert spooled == []
    assert app.request_class is InMemoryUploadRequest


def test_the_request_class_hands_out_memory_streams():
    request = InMemoryUploadRequest.from_values()
    assert isinstance(request._get_file_stream(10 * 1024 * 1024, "application/pdf"), io.BytesIO)


# --- 5. stored payloads load leniently -----------------------------------------------------

RETIRED = "abgeschafft_2025"


def seal_payload(app, case_id: int, stored: dict[str, Any]) -> None:
    """Put a payload into a case as an earlier version of the code could have stored it."""
    with app.app_context():
        case = db.session.get(Case, case_id)
        case.payload = vault.open_vault(case_id).seal_json("cases", "payload", case_id, stored)
        db.session.commit()


def stored_with_retired_code() -> dict[str, Any]:
    stored = payload.to_storage(payload.load_payload({"account": {"narrative": "Bericht"}}))
    stored["classification"]["grounds"] = {"codes": [RETIRED], "sub": [], "other": ""}
    stored["client"]["gender"] = {"codes": ["weiblich", RETIRED], "sub": ["gibt_es_nicht"]}
    return stored


def test_a_retired_code_keeps_the_case_readable_and_is_shown_as_stored(app, client, team, clock):
    owner, *_ = team
    case_id = new_case(app, owner.id)
    seal_payload(app, case_id, stored_with_retired_code())
    page = browser(app, owner, clock).get(f"/faelle/{case_id}")
    assert page.status_code == 200
    assert RETIRED in text_of(page) and "Bericht" in text_of(page)
    case = api(client, app, owner.id)("GET", f"/api/v1/cases/{case_id}")
    assert case.status_code == 200
    assert case.get_json()["content"]["classification"]["grounds"]["codes"] == [RETIRED]
    # Writes stay strict: saving it unchanged names the list, not the value.
    with acting_as(app, owner.id):
        opened = operations.open_case(load(owner.id, case_id))
        with pytest.raises(ValidationError):
            operations.update_case(
                load(owner.id, case_id), opened.payload, operations.Metadata(), based_on=1
            )


def test_from_storage_checks_shape_and_types_only():
    stored = stored_with_retired_code()
    stored["account"]["narrative"] = "x" * (payload.LONG_TEXT + 10)  # a limit lowered since
    del stored["respondent"]  # a section added since
    loaded = payload.from_storage(stored)
    assert loaded["classification"]["grounds"]["codes"] == [RETIRED]
    assert loaded["client"]["gender"] == {
        "codes": ["weiblich", RETIRED],
        "sub": ["gibt_es_nicht"],
        "other": "",
    }
    assert len(loaded["account"]["narrative"]) == payload.LONG_TEXT + 10
    assert loaded["respondent"] == payload.empty_payload()["respondent"]
    assert "v" not in loaded
    assert payload.from_storage(payload.to_storage(payload.load_payload({}))) == (
        payload.empty_payload()
    )
    stored = payload.to_storage(payload.load_payload({"incident": {"date": "2026-02-01"}}))
    assert payload.from_storage(stored)["incident"]["date"] == date(2026, 2, 1)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda s: s.update(client=[]), "payload.client"),
        (lambda s: s["client"].update(pseudonym=7), "payload.client.pseudonym"),
        (lambda s: s["incident"].update(date="gestern"), "payload.incident.date"),
        (lambda s: s["incident"].update(date=20260201), "payload.incident.date"),
        (lambda s: s["client"]["gender"].update(codes="weiblich"), "payload.client.gender.codes"),
        (lambda s: s["client"]["gender"].update(codes=[1]), "payload.client.gender.codes"),
    ],
)
def test_a_stored_payload_of_the_wrong_shape_is_refused_by_path(change, path):
    stored = payload.to_storage(payload.load_payload({}))
    change(stored)
    with pytest.raises(payload.StoredContentInvalid) as failure:
        payload.from_storage(stored)
    assert str(failure.value) == path


def test_a_part_of_the_wrong_shape_is_refused_and_integers_are_checked():
    schema = payload.ContactContentSchema()
    assert payload.part_from_storage(schema, {"channel": "brieftaube", "duration_minutes": 5}) == {
        "channel": "brieftaube",
        "duration_minutes": 5,
        "note": "",
    }
    for stored in (
        {},
        {"channel": "telefon", "duration_minutes": True},
        {"channel": "x", "duration_minutes": "5"},
    ):
        with pytest.raises(payload.StoredContentInvalid):
            payload.part_from_storage(schema, stored)
    assert payload.part_from_storage(schema, {"channel": "x", "duration_minutes": None}) == {
        "channel": "x",
        "duration_minutes": None,
        "note": "",
    }


def test_a_payload_of_the_wrong_shape_is_unreadable_not_a_crash(app, client, team, clock):
    owner, *_ = team
    case_id = new_case(app, owner.id)
    seal_payload(app, case_id, {"client": "kein Abschnitt"})
    with acting_as(app, owner.id), pytest.raises(vault.CaseUnreadable):
        operations.open_case(load(owner.id, case_id))
    page = browser(app, owner, clock).get(f"/faelle/{case_id}")
    assert page.status_code == 500 and "lässt sich nicht öffnen" in text_of(page)


def test_a_retired_contact_channel_still_lists_in_the_api(app, client, team):
    owner, *_ = team
    case_id = new_case(app, owner.id)
    with acting_as(app, owner.id):
        row = parts.add_contact(load(owner.id, case_id), date(2026, 3, 1), {"channel": "telefon"})
        row.content = vault.open_vault(case_id).seal_json(
            "case_contacts", "content", row.id, {"channel": "brieftaube", "note": "alt"}
        )
        db.session.commit()
    listed = api(client, app, owner.id)("GET", f"/api/v1/cases/{case_id}/contacts")
    assert listed.status_code == 200
    assert [(c["channel"], c["note"]) for c in listed.get_json()] == [("brieftaube", "alt")]


def test_a_part_of_the_wrong_shape_is_an_unreadable_answer_in_the_api(app, client, team):
    owner, *_ = team
    case_id = new_case(app, owner.id)
    with acting_as(app, owner.id):
        row = parts.add_contact(load(owner.id, case_id), date(2026, 3, 1), {"channel": "telefon"})
        row.content = vault.open_vault(case_id).seal_json(
            "case_contacts", "content", row.id, {"note": "ohne Kontaktweg"}
        )
        db.session.commit()
    listed = api(client, app, owner.id)("GET", f"/api/v1/cases/{case_id}/contacts")
    assert listed.status_code == 500
    assert listed.get_json()["error"]["code"] == "case_unreadable"
    assert "ohne Kontaktweg" not in listed.get_data(as_text=True)


# --- 6. a follow-up deadline of another case -----------------------------------------------


def _deadline(app, user_id: int, case_id: int) -> int:
    with acting_as(app, user_id):
        return parts.add_deadline(
            load(user_id, case_id), "agg_15_4", date(2026, 2, 1), uncertain=False
        ).id


def _follow_up(client, case_id: int, deadline_id: int):
    prefix = f"folge{deadline_id}"
    return post_form(
        client,
        f"/faelle/{case_id}/fristen/{deadline_id}/folgefrist",
        {
            f"{prefix}-kind": "arbgg_61b",
            f"{prefix}-trigger_on": "2026-02-15",
            f"{prefix}-mark_done": "y",
        },
        form_url=TOKEN_PAGE,
    )


def test_a_follow_up_of_another_cases_deadline_adds_nothing(app, team, clock):
    owner, *_ = team
    here, there = new_case(app, owner.id), new_case(app, owner.id)
    theirs = _deadline(app, owner.id, there)
    owner_client = browser(app, owner, clock)
    refused = _follow_up(owner_client, here, theirs)
    assert refused.status_code == 302
    assert "Die Folgefrist konnte nicht angelegt werden." in text_of(
        owner_client.get(refused.headers["Location"])
    )
    assert count(app, CaseDeadline, CaseDeadline.case_id == here) == 0
    assert count(app, CaseDeadline, CaseDeadline.done_on.is_not(None)) == 0
    assert count(app, CaseDeadline) == 1
    done = _follow_up(owner_client, there, theirs)
    assert done.status_code == 302
    assert count(app, CaseDeadline, CaseDeadline.case_id == there) == 2
    with app.app_context():
        assert db.session.get(CaseDeadline, theirs).done_on == clock.now().date()


def test_a_follow_up_of_a_done_deadline_is_added_and_the_done_date_kept(app, team, clock):
    owner, *_ = team
    case_id = new_case(app, owner.id)
    first = _deadline(app, owner.id, case_id)
    with acting_as(app, owner.id):
        parts.mark_deadline_done(load(owner.id, case_id), first)
    clock.advance(days=3)
    with acting_as(app, owner.id):
        parts.add_follow_up(
            load(owner.id, case_id),
            first,
            "arbgg_61b",
            date(2026, 2, 15),
            uncertain=False,
            mark_done=True,
        )
    with app.app_context():
        assert db.session.get(CaseDeadline, first).done_on == date(2026, 3, 2)
    assert count(app, CaseDeadline) == 2


# --- 7. reprs ------------------------------------------------------------------------------


def test_reprs_show_no_data_key_and_no_plaintext(app, team):
    owner, *_ = team
    key = os.urandom(32)
    shown = repr(vault.CaseVault(1, key))
    assert repr(key) not in shown and key.hex() not in shown and "CaseVault" in shown
    secret = "Geheime Schilderung 4711"
    case_id = new_case(app, owner.id, account={"narrative": secret})
    with acting_as(app, owner.id):
        access = load(owner.id, case_id)
        opened = operations.open_case(access)
        assert secret not in repr(opened) and repr(opened.vault.data_key) not in repr(opened)
        document = parts.add_document(
            access, PDF + secret.encode(), filename="a.pdf", description=""
        )
        download = parts.read_document(access, document.id)
        assert download.content.endswith(secret.encode())
        assert secret not in repr(download) and "Fall-2026-0001" in repr(download)
        exported = art15.export(access, "json")
        assert secret.encode() in exported.content and secret not in repr(exported)
        assert secret not in repr(art15.assemble(access))


# --- 8. access before the body -------------------------------------------------------------


def test_the_upload_view_refuses_before_it_parses_the_body(app, team, clock, monkeypatch):
    owner, colleague, _boss = team
    case_id = new_case(app, owner.id)
    other = browser(app, colleague, clock)
    token = csrf_token(other.get(TOKEN_PAGE).get_data(as_text=True))
    parsed: list[str] = []
    load_form_data = app.request_class._load_form_data

    def spy(self: Any) -> None:
        parsed.append(self.path)
        load_form_data(self)

    monkeypatch.setattr(app.request_class, "_load_form_data", spy)
    boundary, body = encode_multipart(
        {"csrf_token": token, "file": FileStorage(io.BytesIO(PDF), filename="a.pdf")}
    )
    url = f"/faelle/{case_id}/dokumente/neu"
    response = other.post(
        url,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Referer": "https://localhost/faelle"},
    )
    assert response.status_code == 404
    assert parsed == []
    assert count(app, CaseDocument) == 0
    owner_client = browser(app, owner, clock)
    assert upload(owner_client, url, PDF).status_code == 302
    assert url in parsed and count(app, CaseDocument) == 1


# --- 9. consultations in the Art. 15 reports -----------------------------------------------


def test_a_break_glass_opening_and_its_page_count_as_one_consultation(app, team):
    owner, colleague, _boss = team
    case_id = new_case(app, owner.id)
    with acting_as(app, colleague.id) as me:
        break_glass.open_case(me, db.session.get(Case, case_id), REASON)
        operations.open_case(load(colleague.id, case_id))  # the case page after the opening
    with app.app_context():
        centre_id = db.session.get(Case, case_id).centre_id
        found = dpo_queries.entries(dpo_queries.consultations_of(centre_id, "case", str(case_id)))
    assert [(e.action, e.purpose) for e in found] == [
        (AuditEvent.CASE_CONTENT_READ.value, "break_glass")
    ]
    with acting_as(app, owner.id):
        exported = json.loads(art15.export(load(owner.id, case_id), "json").content)
    assert [(a["purpose"], a["count"]) for a in exported["accesses"]] == [("break_glass", 1)]
    with app.app_context():
        found = dpo_queries.entries(dpo_queries.consultations_of(centre_id, "case", str(case_id)))
    assert [e.action for e in found] == [
        AuditEvent.CASE_CONTENT_READ.value,
        AuditEvent.CASE_RECORD_EXPORT.value,
    ]


# --- 11. legacy second-factor seeds --------------------------------------------------------


def legacy_blob(seed: bytes, row_id: int) -> bytes:
    """A seed as versions before the keyring sealed it (HKDF of the instance secret key)."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"servicestelle/totp-seed/v1"
    ).derive(SECRET)
    nonce = os.urandom(12)
    associated = b"\x01" + f"users|totp_secret_sealed|{row_id}".encode()
    return b"\x01" + nonce + AESGCM(key).encrypt(nonce, seed, associated)


ROTATED = b"a rotated secret key, long enough to count"


def stored_seed(app, user_id: int, legacy_secret: bytes) -> bytes:
    """The user's stored seed, opened as the login does but with the given secret key."""
    with app.app_context():
        user = db.session.get(User, user_id)
        return sealing.unseal(
            services.keyring().named_key(sealing.KEY_NAME),
            user.totp_secret_sealed,
            table="users",
            column="totp_secret_sealed",
            row_id=user_id,
            legacy_secret=legacy_secret,
        )


def test_a_legacy_seed_is_sealed_anew_under_the_keyring_at_login(app, client, make_user, clock):
    user = make_user(Role.COUNSELLOR, username="altkonto")
    with app.app_context():
        db.session.get(User, user.id).totp_secret_sealed = legacy_blob(user.seed, user.id)
        db.session.commit()
    assert stored_seed(app, user.id, SECRET) == user.seed
    with pytest.raises(sealing.SealError):  # rotating the secret key now would lock them out
        stored_seed(app, user.id, ROTATED)
    login(client, user, clock)
    assert stored_seed(app, user.id, ROTATED) == user.seed
    # And the seed sealed anew works for the next login.
    login(https_client(app), user, clock)


def test_unseal_says_whether_the_legacy_key_was_used():
    key = os.urandom(32)
    row = {"table": "users", "column": "totp_secret_sealed", "row_id": 7}
    legacy = sealing.open_sealed(key, legacy_blob(b"old", 7), **row, legacy_secret=SECRET)
    assert legacy == sealing.Unsealed(b"old", True)
    current = sealing.seal(key, b"new", **row)
    assert sealing.open_sealed(key, current, **row, legacy_secret=SECRET) == sealing.Unsealed(
        b"new", False
    )
    assert "old" not in repr(legacy)


def test_a_wrong_code_leaves_a_legacy_seed_as_it_was(app, client, make_user, clock):
    user = make_user(Role.COUNSELLOR, username="altkonto")
    blob = legacy_blob(user.seed, user.id)
    with app.app_context():
        db.session.get(User, user.id).totp_secret_sealed = blob
        db.session.commit()
    post_form(client, "/anmelden", {"username": user.username, "password": user.password})
    valid = {
        totp.current_code(user.seed, clock.now() + timedelta(seconds=s))
        for s in (-60, -30, 0, 30, 60)
    }
    wrong = next(code for code in ("000000", "111111", "222222") if code not in valid)
    post_form(client, "/anmelden/zweiter-faktor", {"code": wrong})
    with app.app_context():
        assert db.session.get(User, user.id).totp_secret_sealed == blob
