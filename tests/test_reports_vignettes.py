"""Vignettes and policy demands: a vignette is offered only while the client's consent to it
is recorded, is stored without anything that leads back to the case, is reviewed by a
supervisor other than the proposer, and appears only once accepted; demands are added,
changed, reordered and deleted while the report is a draft; finalising freezes both."""

# The fixtures come from test_reports.py; pytest fixtures are used by naming them as
# parameters, which ruff reads as redefining the imported names.
# ruff: noqa: F811

from __future__ import annotations

import json
import re
from datetime import date

import sqlalchemy as sa

from audit import AuditEvent
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.models import metadata
from servicestelle.reports import operations
from servicestelle.reports.models import PolicyDemand, Report, Vignette
from tests.conftest import login, post_form
from tests.support.audit_log import entries
from tests.test_reports import (  # noqa: F401 - fixtures
    browser_of,
    clock,
    create_report,
    pdf_text,
    people,
    published_year,
    text,
)

PROPOSE_LINK = "Anonymisierte Fallvignette für einen Bericht vorschlagen"
SECRET_TEXT = "Eine Frau wurde bei der Wohnungssuche wegen ihres Kopftuchs abgewiesen."
REFUSED_TEXT = "ABGELEHNT-7f3a: zu viele Einzelheiten"


def new_case(client) -> int:  # type: ignore[no-untyped-def]
    response = post_form(client, "/faelle/neu", {})
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def consent(client, case_id: int, purpose: str) -> None:  # type: ignore[no-untyped-def]
    response = post_form(
        client,
        f"/faelle/{case_id}/einwilligungen/neu",
        {"purpose": purpose, "given_on": "2026-12-01", "given_as": "schriftlich"},
    )
    assert response.status_code == 302, text(response)


def propose(client, case_id: int, report_id: int, body: str = SECRET_TEXT):  # type: ignore[no-untyped-def]
    return post_form(
        client,
        f"/faelle/{case_id}/vignette/neu",
        {"report": str(report_id), "text": body},
        form_url=f"/faelle/{case_id}",
    )


def vignette_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Vignette.id)))


def test_a_vignette_is_offered_only_while_the_vignette_consent_stands(
    app, client, centre, people, clock
):
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)
    case_id = new_case(client)

    assert PROPOSE_LINK not in text(client.get(f"/faelle/{case_id}"))
    refused = client.get(f"/faelle/{case_id}/vignette/neu")
    assert refused.status_code == 302 and "#einwilligungen" in refused.headers["Location"]
    assert "eingewilligt" in text(client.get(refused.headers["Location"]))
    consent(client, case_id, "statistik")  # another purpose does not count
    assert PROPOSE_LINK not in text(client.get(f"/faelle/{case_id}"))
    assert propose(client, case_id, report_id, "x").status_code == 302
    assert vignette_count(app) == 0

    consent(client, case_id, "fallvignette")
    assert PROPOSE_LINK in text(client.get(f"/faelle/{case_id}"))
    form = text(client.get(f"/faelle/{case_id}/vignette/neu"))
    assert f'<option value="{report_id}">Bericht 2026 (Jahr 2026)</option>' in form

    page = text(client.get(f"/faelle/{case_id}"))
    consent_id = re.findall(r"/einwilligungen/(\d+)/widerruf", page)[-1]
    withdrawn = post_form(
        client,
        f"/faelle/{case_id}/einwilligungen/{consent_id}/widerruf",
        {f"widerruf{consent_id}-withdrawn_on": "2026-12-20"},
        form_url=f"/faelle/{case_id}",
    )
    assert withdrawn.status_code == 302
    assert PROPOSE_LINK not in text(client.get(f"/faelle/{case_id}"))
    assert propose(client, case_id, report_id).status_code == 302
    assert vignette_count(app) == 0


def test_a_vignette_is_stored_without_anything_that_leads_to_its_case(
    app, client, centre, people, clock
):
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)
    case_id = new_case(client)
    consent(client, case_id, "fallvignette")
    before = entries(app)[-1].seq

    response = propose(client, case_id, report_id)

    assert response.status_code == 302
    # The table has no column for a case, and no foreign key but the report and people.
    table = metadata.tables["report_vignettes"]
    assert set(table.columns.keys()) == {
        "id", "report_id", "text", "status", "proposed_by", "proposed_on",
        "reviewed_by", "reviewed_at", "refusal_reason",
    }  # fmt: skip
    assert {fk.column.table.name for fk in table.foreign_keys} == {"reports", "users"}
    with app.app_context():
        (vignette,) = db.session.scalars(sa.select(Vignette)).all()
        case = db.session.execute(sa.text("SELECT year, number FROM cases")).one()
        reference = f"{case.year}-{case.number:04d}"
        row = db.session.execute(sa.select(table)).one()._asdict()
        assert vignette.text == SECRET_TEXT and vignette.report_id == report_id
        assert reference in text(client.get(f"/faelle/{case_id}"))  # the case's reference
        assert not any(reference in str(value) for value in row.values())
        # A day, not the moment of the case's audit entry.
        assert type(row["proposed_on"]) is date
    # One entry, on the case: it names the case and the consent, not the report or vignette.
    # (post_form opened the case page first for the form's token: those are its reads.)
    written = [e for e in entries(app, after=before) if e.action != "case:content:read"]
    assert [e.action for e in written] == [AuditEvent.CASE_VIGNETTE_PROPOSE.value]
    (entry,) = written
    assert (entry.object_type, entry.object_id) == ("case", str(case_id))
    details = json.loads(entry.details)
    assert set(details) == {"consent"}
    assert SECRET_TEXT not in entry.details
    # Nothing on the report's side mentions the case.
    for report_entry in entries(app):
        if report_entry.object_type == "report":
            assert str(case_id) not in json.dumps(json.loads(report_entry.details or "{}"))


def test_bad_vignette_input_is_refused_in_german_with_the_text_kept(
    app, client, centre, people, clock
):
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)
    case_id = new_case(client)
    consent(client, case_id, "fallvignette")
    for report, body, message in (
        (str(report_id), "", "Bitte schreiben Sie die Vignette."),
        ("999999", SECRET_TEXT, "Bitte wählen Sie einen Bericht aus der Liste."),
        (str(report_id), "x" * 4001, "Höchstens 4000 Zeichen."),
        (str(report_id), "Text\x07mit Steuerzeichen", "unzulässige Zeichen"),
    ):
        response = post_form(
            client, f"/faelle/{case_id}/vignette/neu", {"report": report, "text": body}
        )
        assert response.status_code == 400, message
        page = text(response)
        assert message in page
        if body == SECRET_TEXT:
            assert SECRET_TEXT in page  # what was typed stays
    assert vignette_count(app) == 0


def test_the_proposer_cannot_review_and_refused_vignettes_never_appear(
    app, client, centre, people, clock
):
    release_id = published_year(app, centre, people)
    report_id = create_report(app, people.counsellor)
    with app.app_context():
        report = db.session.get_one(Report, report_id)
        proposer = db.session.get_one(User, people.drafter.id)
        own = operations.propose_vignette(proposer, report, "Vorschlag der Leitung A").id
        counsellor = db.session.get_one(User, people.counsellor.id)
        accepted = operations.propose_vignette(counsellor, report, SECRET_TEXT).id
        refused = operations.propose_vignette(counsellor, report, REFUSED_TEXT).id
        db.session.commit()
    lead_a = browser_of(app, people.drafter, clock)
    lead_b = browser_of(app, people.approver, clock)

    # Four eyes: the proposer sees no form and an attempt is refused.
    assert "Vier Augen" in text(lead_a.get(f"/berichte/{report_id}/vignetten/{own}"))
    attempt = post_form(
        lead_a,
        f"/berichte/{report_id}/vignetten/{own}/annehmen",
        {"text": "Vorschlag der Leitung A"},
        form_url=f"/berichte/{report_id}/bearbeiten",
    )
    assert attempt.status_code == 400 and "Vier Augen" in text(attempt)
    # A counsellor may not review at all.
    counsellor_client = browser_of(app, people.counsellor, clock)
    assert counsellor_client.get(f"/berichte/{report_id}/vignetten/{accepted}").status_code == 403

    edited = SECRET_TEXT.replace("Eine Frau", "Eine Ratsuchende")
    base = f"/berichte/{report_id}/vignetten"
    assert (
        post_form(
            lead_b, f"{base}/{accepted}/annehmen", {"text": edited}, form_url=f"{base}/{accepted}"
        ).status_code
        == 302
    )
    empty = post_form(
        lead_b, f"{base}/{refused}/ablehnen", {"reason": ""}, form_url=f"{base}/{refused}"
    )
    assert empty.status_code == 400 and "Bitte geben Sie eine Begründung an." in text(empty)
    assert (
        post_form(
            lead_b,
            f"{base}/{refused}/ablehnen",
            {"reason": "Zu erkennbar."},
            form_url=f"{base}/{refused}",
        ).status_code
        == 302
    )

    page = text(counsellor_client.get(f"/berichte/{report_id}"))
    assert edited in page and SECRET_TEXT not in page
    assert "ABGELEHNT-7f3a" not in page and "Vorschlag der Leitung A" not in page
    printed = pdf_text(counsellor_client.get(f"/berichte/{report_id}/bericht.pdf").data)
    assert "Eine Ratsuchende wurde bei der" in printed  # the PDF is read: the accepted one is in
    assert "ABGELEHNT-7f3a" not in printed and "Vorschlag der Leitung A" not in printed
    with app.app_context():
        statuses = dict(db.session.execute(sa.select(Vignette.id, Vignette.status)).all())
    assert statuses == {own: "proposed", accepted: "accepted", refused: "refused"}
    decisions = [
        (e.action, json.loads(e.details))
        for e in entries(app)
        if e.action.startswith("report:vignette:")
    ]
    assert decisions == [
        ("report:vignette:accept", {"vignette": accepted, "edited": True}),
        ("report:vignette:refuse", {"vignette": refused}),
    ]
    assert release_id  # the report had figures throughout


def test_demands_are_added_changed_reordered_and_deleted_while_a_draft(
    app, client, centre, people, clock
):
    published_year(app, centre, people)
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)
    edit = f"/berichte/{report_id}/bearbeiten"

    typed = "Ein Landesantidiskriminierungsgesetz <für NRW>"
    for data, message in (
        ({"title": "", "text": "Begründung"}, "Bitte formulieren Sie die Forderung."),
        ({"title": "x" * 301, "text": ""}, "Höchstens 300 Zeichen."),
        ({"title": typed, "text": "a\x00b"}, "unzulässige Zeichen"),
    ):
        response = post_form(client, f"/berichte/{report_id}/forderungen", data, form_url=edit)
        assert response.status_code == 400 and message in text(response), data
        if data["title"] == typed:
            assert 'value="Ein Landesantidiskriminierungsgesetz &lt;für NRW&gt;"' in text(response)
    for title in ("Erste", "Zweite", "Dritte"):
        response = post_form(
            client,
            f"/berichte/{report_id}/forderungen",
            {"title": title, "text": ""},
            form_url=edit,
        )
        assert response.status_code == 302

    def order() -> list[str]:
        with app.app_context():
            return [
                d.title
                for d in db.session.scalars(sa.select(PolicyDemand).order_by(PolicyDemand.position))
            ]

    def demand_id(title: str) -> int:
        with app.app_context():
            return db.session.scalars(
                sa.select(PolicyDemand.id).where(PolicyDemand.title == title)
            ).one()

    assert order() == ["Erste", "Zweite", "Dritte"]
    third = demand_id("Dritte")
    post_form(
        client,
        f"/berichte/{report_id}/forderungen/{third}/verschieben",
        {"direction": "hoch"},
        form_url=edit,
    )
    assert order() == ["Erste", "Dritte", "Zweite"]
    changed = post_form(
        client,
        f"/berichte/{report_id}/forderungen/{third}",
        {"title": "Ombudsstelle", "text": "Mit Befugnissen"},
    )
    assert changed.status_code == 302
    refused = post_form(
        client, f"/berichte/{report_id}/forderungen/{third}", {"title": "", "text": "bleibt"}
    )
    assert refused.status_code == 400 and "bleibt" in text(refused)
    post_form(
        client,
        f"/berichte/{report_id}/forderungen/{demand_id('Erste')}/loeschen",
        {},
        form_url=edit,
    )
    assert order() == ["Ombudsstelle", "Zweite"]
    page = text(client.get(f"/berichte/{report_id}"))
    assert page.index("Ombudsstelle") < page.index("Zweite") and "Mit Befugnissen" in page

    # Audit entries carry ids and field names, never the wording.
    logged = [e for e in entries(app) if e.action.startswith("report:demand:")]
    assert [e.action for e in logged] == [
        "report:demand:add", "report:demand:add", "report:demand:add",
        "report:demand:move", "report:demand:update", "report:demand:delete",
    ]  # fmt: skip
    assert json.loads(logged[4].details) == {"demand": third, "fields": ["title", "text"]}
    assert not any("Ombudsstelle" in (e.details or "") for e in entries(app))

    # Finalised: frozen, for the reviewer role only.
    assert (
        post_form(client, f"/berichte/{report_id}/abschliessen", {}, form_url=edit).status_code
        == 403
    )
    lead = browser_of(app, people.approver, clock)
    assert (
        post_form(lead, f"/berichte/{report_id}/abschliessen", {}, form_url=edit).status_code == 302
    )
    with app.app_context():
        report = db.session.get_one(Report, report_id)
        assert report.status == "final" and report.release_id is not None
    frozen = post_form(
        client, f"/berichte/{report_id}/forderungen", {"title": "Neu", "text": ""}, form_url=edit
    )
    assert frozen.status_code == 400 and "eingefroren" in text(frozen)
    assert order() == ["Ombudsstelle", "Zweite"]
    finalised = [e for e in entries(app) if e.action == AuditEvent.REPORT_RECORD_FINALISE.value]
    assert len(finalised) == 1 and set(json.loads(finalised[0].details)) == {
        "release_id",
        "content_sha256",
    }


def test_finalising_needs_a_published_release_and_no_open_vignette(
    app, client, centre, people, clock
):
    report_id = create_report(app, people.counsellor)
    lead = browser_of(app, people.approver, clock)
    edit = f"/berichte/{report_id}/bearbeiten"
    refused = post_form(lead, f"/berichte/{report_id}/abschliessen", {}, form_url=edit)
    assert refused.status_code == 302
    assert "keine veröffentlichte Statistik" in text(lead.get(refused.headers["Location"]))
    published_year(app, centre, people)
    with app.app_context():
        operations.propose_vignette(
            db.session.get_one(User, people.counsellor.id),
            db.session.get_one(Report, report_id),
            SECRET_TEXT,
        )
        db.session.commit()
    refused = post_form(lead, f"/berichte/{report_id}/abschliessen", {}, form_url=edit)
    assert "warten noch Vignetten" in text(lead.get(refused.headers["Location"]))
    with app.app_context():
        assert db.session.get_one(Report, report_id).status == "draft"
