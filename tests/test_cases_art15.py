"""Art. 15: the client's own file as JSON and PDF — content, consents, dates and purposes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from audit import AuditEvent
from servicestelle import pdf
from servicestelle.auth.models import User
from servicestelle.cases import access, art15, operations, parts, payload
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import login, post_form
from tests.support import audit_log

NARRATIVE = "Schilderung für die Auskunft 4711"


@pytest.fixture
def case_id(app, make_user):
    """A case with a contact, a consent and two earlier reads by its counsellor."""
    user_id = make_user(Role.COUNSELLOR, username="kowalczyk").id
    with app.test_request_context():
        user = db.session.get(User, user_id)
        content = payload.load_payload(
            {
                "account": {"narrative": NARRATIVE},
                "classification": {"grounds": {"sub": ["antisemitismus"]}},
            }
        )
        case = operations.create_case(user, content)
        reach = access.load(case.id, user, content=True)
        parts.add_contact(reach, date(2026, 3, 1), {"channel": "telefon", "note": "Anruf"})
        parts.record_consent(reach, "statistik", date(2026, 3, 1), "muendlich")
        operations.open_case(reach)
        operations.open_case(reach)
        return case.id


def _export_as_counsellor(app, case_id: int, fmt: str) -> art15.Export:
    import sqlalchemy as sa

    with app.test_request_context():
        user = db.session.scalars(sa.select(User).where(User.username == "kowalczyk")).one()
        return art15.export(access.load(case_id, user, content=True), fmt)


def test_the_json_file_holds_the_content_the_consents_and_the_reads(app, case_id):
    before = audit_log.head(app)
    exported = _export_as_counsellor(app, case_id, "json")
    document = json.loads(exported.content)

    assert exported.media_type == "application/json"
    assert exported.filename == "Auskunft-Fall-2026-0001.json"
    assert document["format"] == "servicestelle-art15/1"
    assert document["content"]["account"]["narrative"] == NARRATIVE
    words = {f["label"]: f["value"] for s in document["content_in_words"] for f in s["fields"]}
    assert any("Antisemitismus" in value for value in words.values())
    assert [c["note"] for c in document["contacts"]] == ["Anruf"]
    assert [(c["purpose"], c["form"]) for c in document["consents"]] == [("statistik", "muendlich")]
    # Two reads on the day, counselling; no staff name anywhere in the file.
    assert [(a["purpose"], a["count"]) for a in document["accesses"]] == [("counselling", 2)]
    assert "kowalczyk" not in exported.content.decode().lower()
    # Exactly one entry for the export, and it is no ordinary read.
    entries = audit_log.entries(app, after=before)
    assert [(e.action, e.purpose, e.object_id) for e in entries] == [
        (AuditEvent.CASE_RECORD_EXPORT.value, "art15_request", str(case_id))
    ]


def test_the_pdf_is_a_pdf_and_is_recorded_as_an_export(app, case_id):
    before = audit_log.head(app)
    exported = _export_as_counsellor(app, case_id, "pdf")
    assert exported.content.startswith(b"%PDF-")
    assert exported.media_type == "application/pdf"
    [entry] = audit_log.entries(app, after=before)
    assert entry.action == AuditEvent.CASE_RECORD_EXPORT.value
    assert json.loads(entry.details) == {"format": "pdf"}


def test_the_pdf_never_fetches_a_resource(tmp_path, caplog):
    image = tmp_path / "secret.png"
    image.write_bytes(b"not fetched")
    html = f'<html><body><p>x</p><img src="file://{image}"></body></html>'
    document = pdf.render_pdf(html)
    assert document.startswith(b"%PDF-")
    assert "resource refused" in caplog.text  # WeasyPrint logs the refused fetch and goes on


def test_an_unknown_format_is_refused_before_anything_is_read(app, case_id):
    before = audit_log.head(app)
    with pytest.raises(ValueError, match="unknown format"):
        _export_as_counsellor(app, case_id, "docx")
    assert audit_log.head(app) == before


# --- the page ---------------------------------------------------------------------------


def test_the_export_page_needs_a_fresh_login_and_hands_out_an_attachment(
    app, client, make_user, clock
):
    user = make_user(Role.COUNSELLOR)
    login(client, user, clock)
    created = post_form(client, "/faelle/neu", {"account_narrative": NARRATIVE})
    case_id = int(created.headers["Location"].rsplit("/", 1)[1])
    url = f"/faelle/{case_id}/auskunft"
    page = client.get(url).get_data(as_text=True)
    assert "Art. 15 Abs. 4" in page  # the third-party check is asked for

    before = audit_log.head(app)
    exported = post_form(client, url, {"format": "json"})
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == (
        'attachment; filename="Auskunft-Fall-2026-0001.json"'
    )
    assert exported.headers["Cache-Control"] == "no-store"
    assert json.loads(exported.data)["content"]["account"]["narrative"] == NARRATIVE
    assert [e.action for e in audit_log.entries(app, after=before)] == [
        AuditEvent.CASE_RECORD_EXPORT.value
    ]

    clock.advance(minutes=6)  # past the fresh minutes: confirm password and code first
    stale = client.get(url)
    assert stale.status_code == 302 and stale.headers["Location"].startswith("/bestaetigen")


def test_the_export_is_refused_to_a_supervisor_and_another_counsellor(
    app, client, make_user, clock
):
    owner = make_user(Role.COUNSELLOR)
    login(client, owner, clock)
    created = post_form(client, "/faelle/neu", {"account_narrative": NARRATIVE})
    case_id = int(created.headers["Location"].rsplit("/", 1)[1])
    for roles in ((Role.SUPERVISOR,), (Role.COUNSELLOR,)):
        other = app.test_client()
        other.environ_base["wsgi.url_scheme"] = "https"
        login(other, make_user(*roles), clock)
        assert other.get(f"/faelle/{case_id}/auskunft").status_code in (403, 404)
