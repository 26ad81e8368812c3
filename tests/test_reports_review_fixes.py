"""Findings of the review of reports: an unreviewed vignette is for its proposer and the
reviewers only and a refused one loses its text; an emergency opening proposes no vignette;
a finalised report keeps the release it was finalised on; no PDF engine is a 503; a part of
another centre's report is a 404, audited; operations check the lengths themselves."""

# The fixtures come from test_reports.py; pytest fixtures are used by naming them as
# parameters, which ruff reads as redefining the imported names.
# ruff: noqa: F811

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from audit import AuditEvent
from servicestelle import pdf
from servicestelle.api.operations import create_token
from servicestelle.auth.models import User
from servicestelle.centres.operations import create_centre
from servicestelle.extensions import db
from servicestelle.reports import operations
from servicestelle.reports.models import PolicyDemand, Report, Vignette
from servicestelle.roles import Role
from servicestelle.stats import operations as stats_operations
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release
from tests.conftest import post_form
from tests.support.audit_log import entries
from tests.support.releases import publish
from tests.test_reports import (  # noqa: F401 - fixtures
    DENY,
    browser_of,
    clock,
    content_of,
    create_report,
    expected_rows,
    figures_only,
    page_table,
    people,
    published_year,
    text,
)
from tests.test_reports_vignettes import PROPOSE_LINK, SECRET_TEXT, consent, new_case, propose

WAITING = "nur für die vorschlagende Person und die Leitungen sichtbar"
REASON = "Die Straße und der Arbeitgeber sind zu erkennen."


def _propose(app, user_id: int, report_id: int, body: str = SECRET_TEXT) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        vignette = operations.propose_vignette(
            db.session.get_one(User, user_id), db.session.get_one(Report, report_id), body
        )
        db.session.commit()
        return vignette.id


def reader_api(app, user_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        token = create_token(db.session.get_one(User, user_id), "bericht").plaintext
    return {"Authorization": f"Bearer {token}"}


# --- 1. who reads an unreviewed vignette ---------------------------------------------------


def test_an_unreviewed_vignette_is_read_only_by_its_proposer_and_the_reviewers(
    app, centre, people, clock, make_user
):
    report_id = create_report(app, people.counsellor)
    vignette_id = _propose(app, people.counsellor.id, report_id)
    colleague = browser_of(app, make_user(Role.COUNSELLOR, username="kollegin"), clock)
    proposer = browser_of(app, people.counsellor, clock)
    reviewer = browser_of(app, people.approver, clock)
    edit = f"/berichte/{report_id}/bearbeiten"

    page = text(colleague.get(edit))
    assert SECRET_TEXT not in page and WAITING in page
    assert "wartet auf Prüfung" in page  # that one waits is shown
    assert SECRET_TEXT in text(proposer.get(edit))
    assert SECRET_TEXT in text(reviewer.get(edit))

    review = f"/berichte/{report_id}/vignetten/{vignette_id}"
    refused = post_form(reviewer, f"{review}/ablehnen", {"reason": REASON}, form_url=review)
    assert refused.status_code == 302

    with app.app_context():
        vignette = db.session.get_one(Vignette, vignette_id)
        assert (vignette.status, vignette.text, vignette.refusal_reason) == (
            "refused",
            "",
            REASON,
        )
    assert REASON not in text(colleague.get(edit))  # about the text: the text's readers only
    assert REASON in text(proposer.get(edit))
    for browser in (colleague, proposer, reviewer):
        assert SECRET_TEXT not in text(browser.get(edit))
    shown = text(reviewer.get(review))
    assert SECRET_TEXT not in shown and "mit der Ablehnung gelöscht" in shown


def test_an_accepted_vignette_is_read_by_every_writer_as_in_the_report(
    app, centre, people, clock, make_user
):
    report_id = create_report(app, people.counsellor)
    vignette_id = _propose(app, people.counsellor.id, report_id)
    with app.app_context():
        operations.accept_vignette(
            db.session.get_one(User, people.approver.id),
            db.session.get_one(Report, report_id),
            db.session.get_one(Vignette, vignette_id),
            SECRET_TEXT,
        )
    colleague = browser_of(app, make_user(Role.COUNSELLOR, username="kollegin"), clock)
    assert SECRET_TEXT in text(colleague.get(f"/berichte/{report_id}/bearbeiten"))


# --- 2. no vignette under an emergency opening ---------------------------------------------


def test_an_emergency_opening_proposes_no_vignette(app, client, centre, people, clock):
    report_id = create_report(app, people.counsellor)
    owner = browser_of(app, people.counsellor, clock)
    case_id = new_case(owner)
    consent(owner, case_id, "fallvignette")
    with app.app_context():
        case = db.session.execute(sa.text("SELECT year, number FROM cases")).one()
    reference = f"{case.year}-{case.number:04d}"
    supervisor = browser_of(app, people.approver, clock)
    opened = post_form(
        supervisor,
        "/faelle/notfallzugriff",
        {"reference": reference, "reason": "Kollegin krank, Frist läuft morgen ab"},
    )
    assert opened.status_code == 302
    page = text(supervisor.get(f"/faelle/{case_id}"))
    assert "Notfallzugriff bis" in page and PROPOSE_LINK not in page

    refused = supervisor.get(f"/faelle/{case_id}/vignette/neu")
    assert refused.status_code == 302
    assert "Mit einem Notfallzugriff können Sie keine Fallvignette vorschlagen" in text(
        supervisor.get(refused.headers["Location"])
    )
    assert propose(supervisor, case_id, report_id).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Vignette.id))) == 0
    assert entries(app, action=AuditEvent.CASE_VIGNETTE_PROPOSE.value) == []

    # The assigned counsellor proposes; the entry carries the purpose, as every case read.
    assert PROPOSE_LINK in text(owner.get(f"/faelle/{case_id}"))
    assert propose(owner, case_id, report_id).status_code == 302
    (entry,) = entries(app, action=AuditEvent.CASE_VIGNETTE_PROPOSE.value)
    assert entry.purpose == "counselling"


def test_the_consent_withdrawal_says_it_does_not_reach_a_proposed_vignette(
    app, centre, people, clock
):
    owner = browser_of(app, people.counsellor, clock)
    case_id = new_case(owner)
    consent(owner, case_id, "statistik")
    assert "erreicht eine bereits vorgeschlagene Vignette nicht" not in text(
        owner.get(f"/faelle/{case_id}")
    )
    consent(owner, case_id, "fallvignette")
    assert "erreicht eine bereits vorgeschlagene Vignette nicht" in text(
        owner.get(f"/faelle/{case_id}")
    )


# --- 3. a finalised report keeps its release -----------------------------------------------


def test_a_finalised_report_keeps_its_release_when_a_second_is_published(
    app, client, centre, people, clock
):
    first = published_year(app, centre, people)
    finalised_id = create_report(app, people.counsellor)
    with app.app_context():
        operations.finalise_report(
            db.session.get_one(User, people.approver.id),
            db.session.get_one(Report, finalised_id),
        )
    # A second release of the period, the first not revoked (same cases: a changed store
    # is refused, as it would disclose the change by difference).
    second = publish(app, people.drafter.id, people.approver.id, period="2026")
    draft_id = create_report(app, people.counsellor)
    reader = browser_of(app, people.counsellor, clock)

    page = text(reader.get(f"/berichte/{finalised_id}"))
    assert f"Nr. {first}, freigegeben" in page and f"Nr. {second}, freigegeben" not in page
    assert figures_only(page_table(page, "faelle"), False) == expected_rows(
        content_of(app, first), "faelle"
    )
    assert 'id="neuere-statistik"' in page and f"Statistik Nr. {second} veröffentlicht" in page
    assert "widerrufen" not in page.split('<main id="main"', 1)[1]
    api = reader_api(app, people.counsellor.id)
    document = reader.get(f"/api/v1/reports/{finalised_id}", headers=api).get_json()
    assert (document["release"]["id"], document["newer_release_id"]) == (first, second)

    draft = text(reader.get(f"/berichte/{draft_id}"))
    assert f"Nr. {second}, freigegeben" in draft and 'id="neuere-statistik"' not in draft
    document = reader.get(f"/api/v1/reports/{draft_id}", headers=api).get_json()
    assert (document["release"]["id"], document["newer_release_id"]) == (second, None)

    exported = [
        json.loads(e.details)["release_id"]
        for e in entries(app, action=AuditEvent.REPORT_RECORD_EXPORT.value)
    ]
    assert exported == [first, second]  # the API reads, each of the release it showed

    # Once its release is revoked, the finalised report says so and reads the latest.
    with app.app_context():
        stats_operations.revoke_release(
            db.session.get_one(User, people.approver.id),
            db.session.get_one(Release, first),
            "Korrektur",
        )
    page = text(reader.get(f"/berichte/{finalised_id}"))
    assert f"Die Statistik Nr. {first}, auf der dieser Bericht beim Abschluss beruhte" in page
    assert f"Nr. {second}, freigegeben" in page and 'id="neuere-statistik"' not in page


# --- 4. no PDF engine ----------------------------------------------------------------------


def test_without_the_pdf_engine_the_pdf_is_a_503_in_german(
    app, client, centre, people, clock, monkeypatch
):
    published_year(app, centre, people)
    report_id = create_report(app, people.counsellor)

    def unavailable(html: str) -> bytes:
        raise pdf.PdfUnavailable("cannot load library 'pango'")

    monkeypatch.setattr(pdf, "render_pdf", unavailable)
    reader = browser_of(app, people.counsellor, clock)

    response = reader.get(f"/berichte/{report_id}/bericht.pdf")

    assert response.status_code == 503
    page = text(response)
    assert "Die PDF-Ausgabe ist auf diesem Server nicht eingerichtet" in page
    assert "pango" not in page
    assert entries(app, action=AuditEvent.REPORT_RECORD_EXPORT.value) == []


# --- 5. parts of another centre's report ---------------------------------------------------


def test_a_part_of_another_centres_report_is_a_404_and_audited(
    app, centre, people, clock, make_user
):
    report_id = create_report(app, people.counsellor)
    vignette_id = _propose(app, people.counsellor.id, report_id)
    sibling_id = create_report(app, people.counsellor, "2025")
    with app.app_context():
        demand_id = operations.add_demand(
            db.session.get_one(User, people.counsellor.id),
            db.session.get_one(Report, report_id),
            "Ombudsstelle",
            "",
        ).id
        other = create_centre("NORD", "Servicestelle Nord").id
    stranger = make_user(Role.SUPERVISOR, centre_id=other, username="leitung.nord")
    own_id = create_report(app, stranger)
    browser = browser_of(app, stranger, clock)
    own = f"/berichte/{own_id}"

    assert browser.get(f"{own}/forderungen/{demand_id}").status_code == 404
    assert browser.get(f"{own}/vignetten/{vignette_id}").status_code == 404
    deleted = post_form(
        browser, f"{own}/forderungen/{demand_id}/loeschen", {}, form_url=f"{own}/bearbeiten"
    )
    assert deleted.status_code == 404
    denials = [
        (e.object_type, e.object_id, e.centre_id)
        for e in entries(app, action=DENY)
        if e.object_type in ("report_demand", "report_vignette")
    ]
    assert ("report_demand", str(demand_id), centre) in denials
    assert ("report_vignette", str(vignette_id), centre) in denials
    assert {d[2] for d in denials} == {centre}  # the probed centre's DPO learns of it
    with app.app_context():
        assert db.session.get(PolicyDemand, demand_id) is not None

    # The centre's own other report: a wrong address, nothing probed.
    before = len(entries(app, action=DENY))
    owner = browser_of(app, people.approver, clock)
    assert owner.get(f"/berichte/{sibling_id}/forderungen/{demand_id}").status_code == 404
    assert owner.get(f"/berichte/{sibling_id}/vignetten/{vignette_id}").status_code == 404
    assert len(entries(app, action=DENY)) == before


# --- 6. operations check what the database would refuse ------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("title", "Der Titel ist zu lang (höchstens 200 Zeichen)."),
        ("title_nul", "unzulässige Zeichen"),
        ("vignette", "Die Vignette ist zu lang (höchstens 4000 Zeichen)."),
        ("accept", "Die Vignette ist zu lang (höchstens 4000 Zeichen)."),
        ("reason", "Die Begründung ist zu lang (höchstens 1000 Zeichen)."),
        ("demand", "Die Forderung ist zu lang (höchstens 300 Zeichen)."),
        ("demand_text", "Die Begründung ist zu lang (höchstens 3000 Zeichen)."),
        ("demand_update", "Die Forderung ist zu lang (höchstens 300 Zeichen)."),
    ],
)
def test_operations_refuse_what_the_forms_would_in_german(app, centre, people, change, message):
    report_id = create_report(app, people.counsellor)
    vignette_id = _propose(app, people.counsellor.id, report_id)
    with app.app_context():
        writer = db.session.get_one(User, people.counsellor.id)
        reviewer = db.session.get_one(User, people.approver.id)
        report = db.session.get_one(Report, report_id)
        vignette = db.session.get_one(Vignette, vignette_id)
        demand = operations.add_demand(writer, report, "Ombudsstelle", "")
        attempts = {
            "title": lambda: operations.create_report(writer, "x" * 201, Period.parse("2026")),
            "title_nul": lambda: operations.create_report(writer, "a\x00b", Period.parse("2026")),
            "vignette": lambda: operations.propose_vignette(writer, report, "x" * 4001),
            "accept": lambda: operations.accept_vignette(reviewer, report, vignette, "x" * 4001),
            "reason": lambda: operations.refuse_vignette(reviewer, report, vignette, "x" * 1001),
            "demand": lambda: operations.add_demand(writer, report, "x" * 301, ""),
            "demand_text": lambda: operations.add_demand(writer, report, "Neu", "x" * 3001),
            "demand_update": lambda: operations.update_demand(
                writer, report, demand, "x" * 301, ""
            ),
        }
        with pytest.raises(operations.ReportError, match=re.escape(message)):
            attempts[change]()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Report.id))) == 1
        assert db.session.get_one(Vignette, vignette_id).status == "proposed"
        assert db.session.get_one(PolicyDemand, demand.id).title == "Ombudsstelle"
