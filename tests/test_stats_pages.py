"""The statistics pages: who sees which release, drafting through the form, four eyes with a
fresh login, reject and revoke with a reason, the exports and their audit entries, and the
answers for another centre's release and for bad input."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from audit import AuditEvent
from servicestelle.auth.models import User
from servicestelle.centres.operations import create_centre
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import exports, operations
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release, ReleaseStatus
from servicestelle.stats.tables import TABLES
from tests import conftest
from tests.conftest import current_code, https_client, login, post_form
from tests.support.audit_log import entries, head
from tests.support.stats import AFTER_2026, add_records

EXPORT = AuditEvent.STATS_RELEASE_EXPORT.value
DENY = AuditEvent.ACCESS_REQUEST_DENY.value
TABLE_IDS = ["faelle", "merkmale", "merkmal_lebensbereich", "alter"]  # catalogue order


@dataclass
class People:
    drafter: conftest.TestUser
    approver: conftest.TestUser
    counsellor: conftest.TestUser


@pytest.fixture
def clock() -> conftest.FrozenClock:
    """After 2026: every period these tests draft has ended (an unfinished one is refused)."""
    return conftest.FrozenClock(AFTER_2026)


@pytest.fixture
def people(make_user) -> People:  # type: ignore[no-untyped-def]
    return People(
        make_user(Role.SUPERVISOR, username="leitung.a"),
        make_user(Role.SUPERVISOR, username="leitung.b"),
        make_user(Role.COUNSELLOR, username="beraterin"),
    )


def populate(app, centre: int, month: str = "2026-02", adults: int = 30) -> None:  # type: ignore[no-untyped-def]
    """Thirty adults, twelve older people, two children: the children's cell is too small."""
    with app.app_context():
        add_records(
            centre, adults, opened_month=month, age_band="27_45", grounds="geschlecht",
            life_areas="arbeit",
        )  # fmt: skip
        add_records(
            centre, 12, opened_month=month, age_band="46_64", grounds="lebensalter;geschlecht",
            life_areas="wohnen",
        )  # fmt: skip
        add_records(
            centre, 2, opened_month=month, age_band="u18", grounds="religion_weltanschauung",
            life_areas="bildung",
        )  # fmt: skip


def draft(app, user: conftest.TestUser, period: str = "2026-Q1", tables=TABLE_IDS) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return operations.draft_release(
            db.session.get(User, user.id), Period.parse(period), tables
        ).id


def publish(app, people: People, period: str = "2026-Q1", tables=TABLE_IDS) -> int:  # type: ignore[no-untyped-def]
    release_id = draft(app, people.drafter, period, tables)
    with app.app_context():
        operations.approve_release(
            db.session.get(User, people.approver.id), db.session.get(Release, release_id)
        )
    return release_id


def status_of(app, release_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(Release, release_id).status


def release_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Release.id)))


def browser_of(app, user: conftest.TestUser, clock):  # type: ignore[no-untyped-def]
    browser = https_client(app)
    login(browser, user, clock)
    return browser


def confirm_identity(browser, user: conftest.TestUser, clock, next_url: str):  # type: ignore[no-untyped-def]
    clock.advance(seconds=30)
    return post_form(
        browser,
        f"/bestaetigen?next={next_url}",
        {"password": user.password, "code": current_code(user, clock), "next": next_url},
    )


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


# --- who sees what -------------------------------------------------------------------------


def test_a_counsellor_sees_published_releases_but_no_draft_and_no_draft_form(
    app, centre, people, clock
):
    populate(app, centre)
    published = publish(app, people)
    waiting = draft(app, people.drafter, "2026")
    browser = browser_of(app, people.counsellor, clock)

    listing = browser.get("/statistik")
    assert listing.status_code == 200
    assert f'href="/statistik/{published}"' in text(listing)
    assert f'href="/statistik/{waiting}"' not in text(listing)
    assert "Neuer Entwurf" not in text(listing)
    assert 'href="/statistik"' in text(listing)  # the main navigation links the page

    assert browser.get("/statistik/neu").status_code == 403
    mark = head(app)
    assert browser.get(f"/statistik/{waiting}").status_code == 404
    denial = entries(app, after=mark, action=DENY)
    assert [(row.object_type, row.object_id) for row in denial] == [
        (operations.OBJECT_TYPE, str(waiting))
    ]
    page = browser.get(f"/statistik/{published}")
    assert page.status_code == 200
    assert "•" in text(page) and "zum Schutz vor Rückrechnung nicht veröffentlicht" in text(page)
    # Readers see the figures, not the audit nor the decision forms.
    assert "Gesperrte Zellen" not in text(page)
    assert f'action="/statistik/{published}/widerrufen"' not in text(page)
    response = post_form(
        browser, f"/statistik/{published}/widerrufen", {"reason": "x"},
        form_url=f"/statistik/{published}",
    )  # fmt: skip
    assert response.status_code == 403
    assert status_of(app, published) == ReleaseStatus.PUBLISHED


def test_a_supervisor_drafts_through_the_form_and_sees_dots_and_the_audit(
    app, centre, people, clock
):
    populate(app, centre)
    browser = browser_of(app, people.drafter, clock)
    form = text(browser.get("/statistik/neu"))
    boxes = re.findall(r'<input[^>]*name="tables"[^>]*>', form)
    assert len(boxes) == len(TABLES)
    # Every table but the optional one (tables.Table.optional) starts checked.
    assert all(("checked" in box) == ("mehrfachdiskriminierung" not in box) for box in boxes)
    assert "dauert einige Sekunden" in form
    assert all(f'value="{table.id}"' in form for table in TABLES)
    assert "Ratsuchende nach Altersgruppe" in form

    response = post_form(
        browser, "/statistik/neu", {"year": "2026", "part": "Q1", "tables": TABLE_IDS}
    )
    assert response.status_code == 302
    release_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        release = db.session.get(Release, release_id)
        assert (release.status, release.period, release.drafted_by) == (
            ReleaseStatus.DRAFT,
            "2026-Q1",
            people.drafter.id,
        )
        assert release.table_list == TABLE_IDS

    page = text(browser.get(f"/statistik/{release_id}"))
    assert "Statistik 1. Quartal 2026" in page
    assert re.search(r"Entworfen</dt><dd>Leitung.A, ", page)
    # The two children are a suppressed cell, named with its reason and the attacker's interval.
    children = re.search(
        r"<th scope=\"row\">Unter 18 Jahre</th>\s*<td class=\"num\">(.*?)</td>", page
    )
    assert children is not None and "•" in children.group(1)
    assert "Prüfung auf Rückrechenbarkeit" in page and "Bestanden" in page
    assert "Gesperrte Zellen in „Ratsuchende nach Altersgruppe“" in page
    assert "weniger als 5 Fälle" in page
    assert "schützt Zelle „Unter 18 Jahre“" in page
    assert re.search(r"zwischen \d+ und \d+", page)
    assert "Mehrfachnennungen möglich" in page
    # Four eyes: the drafter is told why, and is offered no approval.
    assert "Vier Augen" in page
    assert f'action="/statistik/{release_id}/freigeben"' not in page
    # The age chart: an image with a title and a description; no bar for the dot.
    chart = re.search(
        r'<svg[^>]*aria-labelledby="diagramm-alter-title[^>]*>(.*?)</svg>', page, re.S
    )
    assert chart is not None
    assert 'role="img"' in chart.group(0)
    assert (
        '<title id="diagramm-alter-title">Balkendiagramm: Ratsuchende nach Altersgruppe'
        in chart.group(1)
    )
    assert "Unter 18 Jahre: nicht veröffentlicht" in chart.group(1)
    assert chart.group(1).count("<rect") == 1  # the one bar (30); none for the dots


def test_the_drafter_cannot_approve_and_is_told_why(app, centre, people, clock):
    populate(app, centre)
    release_id = draft(app, people.drafter)
    browser = browser_of(app, people.drafter, clock)
    response = post_form(
        browser, f"/statistik/{release_id}/freigeben", {}, form_url=f"/statistik/{release_id}"
    )
    assert response.status_code == 409
    assert "Vier Augen: Eine andere Leitung als die entwerfende muss freigeben." in text(response)
    assert status_of(app, release_id) == ReleaseStatus.DRAFT


def test_a_second_supervisor_approves_after_a_fresh_login(app, centre, people, clock):
    populate(app, centre)
    release_id = draft(app, people.drafter)
    page_url = f"/statistik/{release_id}"
    browser = browser_of(app, people.approver, clock)
    assert "Freigeben und veröffentlichen" in text(browser.get(page_url))

    clock.advance(minutes=6)  # the login is no longer fresh
    response = post_form(browser, f"{page_url}/freigeben", {"next": page_url}, form_url=page_url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/bestaetigen?next={page_url}"
    assert status_of(app, release_id) == ReleaseStatus.DRAFT

    assert (
        confirm_identity(browser, people.approver, clock, page_url).headers["Location"] == page_url
    )
    response = post_form(browser, f"{page_url}/freigeben", {"next": page_url}, form_url=page_url)
    assert response.status_code == 302 and response.headers["Location"] == page_url
    with app.app_context():
        release = db.session.get(Release, release_id)
        assert release.status == ReleaseStatus.PUBLISHED
        assert release.decided_by == people.approver.id and release.signature
    page = text(browser.get(page_url))
    assert re.search(r"Freigegeben</dt>\s*<dd>Leitung.B, ", page)
    assert f'href="/statistik/{release_id}/export.json"' in page


def test_reject_and_revoke_need_a_reason_and_keep_what_was_typed(app, centre, people, clock):
    populate(app, centre)
    waiting = draft(app, people.drafter)
    browser = browser_of(app, people.approver, clock)
    url = f"/statistik/{waiting}"
    response = post_form(browser, f"{url}/ablehnen", {"reason": "   "}, form_url=url)
    assert response.status_code == 400
    assert 'id="reason-error"' in text(response)
    assert "Bitte geben Sie eine Begründung an." in text(response)
    assert status_of(app, waiting) == ReleaseStatus.DRAFT
    response = post_form(browser, f"{url}/ablehnen", {"reason": "Q1 unvollständig"}, form_url=url)
    assert response.status_code == 302
    assert status_of(app, waiting) == ReleaseStatus.REJECTED
    assert "Q1 unvollständig" in text(browser.get(url))

    published = publish(app, people)
    url = f"/statistik/{published}"
    response = post_form(browser, f"{url}/widerrufen", {"reason": ""}, form_url=url)
    assert response.status_code == 400 and "Bitte geben Sie eine Begründung an." in text(response)
    assert status_of(app, published) == ReleaseStatus.PUBLISHED
    # A step the release's state refuses: the operation's German message, the text kept.
    response = post_form(browser, f"{url}/ablehnen", {"reason": "Noch einmal"}, form_url=url)
    assert response.status_code == 409
    assert "Nur ein Entwurf kann abgelehnt werden." in text(response)
    assert "Noch einmal</textarea>" in text(response)
    response = post_form(
        browser, f"/statistik/{waiting}/widerrufen", {"reason": "Noch einmal"},
        form_url=f"/statistik/{waiting}",
    )  # fmt: skip
    assert response.status_code == 409
    assert "Nur eine veröffentlichte Statistik kann widerrufen werden." in text(response)
    assert status_of(app, waiting) == ReleaseStatus.REJECTED
    response = post_form(browser, f"{url}/widerrufen", {"reason": "Falsche Tabelle"}, form_url=url)
    assert response.status_code == 302
    assert status_of(app, published) == ReleaseStatus.REVOKED

    reader = browser_of(app, people.counsellor, clock)
    listing = text(reader.get("/statistik"))
    assert f'href="/statistik/{published}"' in listing and "widerrufen" in listing
    page = text(reader.get(url))
    assert "Widerrufen:" in page and "Der Widerruf ist mit dem Schlüssel" in page
    response = reader.get(f"{url}/export.json")
    assert response.status_code == 200  # revoked ones still export, with the revocation
    assert exports.verify_export(json.loads(response.data))["status"] == "revoked"


def test_the_draft_page_compares_with_the_previous_published_release(app, centre, people, clock):
    populate(app, centre, "2026-02", adults=30)
    publish(app, people, "2026-Q1", ["alter"])
    populate(app, centre, "2026-05", adults=36)
    release_id = draft(app, people.drafter, "2026-Q2", ["alter", "merkmale"])
    page = text(browser_of(app, people.approver, clock).get(f"/statistik/{release_id}"))
    assert "Vergleich mit 1. Quartal 2026: 2 Zellen verändert" in page  # the row and the total
    diff_part = page.split('id="vergleich-alter-caption"', 1)[1]
    row = re.search(r"<th scope=\"row\">27–45 Jahre</th>(.*?)</tr>", diff_part, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">(.*?)</td>', row.group(1))
    assert cells == ["30", "36", "+6"]
    children = re.search(r"<th scope=\"row\">Unter 18 Jahre</th>(.*?)</tr>", diff_part, re.S)
    assert children is not None and children.group(1).count("•") == 3
    assert "Die Veröffentlichung 1. Quartal 2026 enthält diese Tabelle nicht" in page


# --- exports -------------------------------------------------------------------------------


def test_exports_download_verify_and_are_each_audited_once(app, centre, people, clock):
    populate(app, centre)
    release_id = publish(app, people)
    browser = browser_of(app, people.counsellor, clock)
    base = f"/statistik/{release_id}"

    mark = head(app)
    response = browser.get(f"{base}/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="statistik-TEST-2026-Q1.json"'
    )
    loaded = exports.verify_export(json.loads(response.data))
    assert loaded["release_id"] == release_id
    (entry,) = entries(app, after=mark, action=EXPORT)
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        people.counsellor.id,
        operations.OBJECT_TYPE,
        str(release_id),
    )
    content_hash = loaded["content_sha256"]
    # The entry names the exact figures that left, by their hash (never a value).
    assert json.loads(entry.details) == {"format": "json", "content_sha256": content_hash}
    assert len(entries(app, after=mark)) == 1

    response = browser.get(f"{base}/tabellen/alter.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="statistik-TEST-2026-Q1-alter.csv"'
    )
    csv_text = response.data.decode("utf-8-sig")
    assert "27–45 Jahre;30" in csv_text
    assert "Unter 18 Jahre;•" in csv_text and "Gesamt;44" in csv_text

    response = browser.get(f"{base}/tabellen.zip")
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert names == [f"statistik-TEST-2026-Q1-{table_id}.csv" for table_id in TABLE_IDS]
        assert "•" in archive.read(names[1]).decode("utf-8-sig")

    response = browser.get(f"{base}/dezim.csv")
    assert response.headers["Content-Disposition"].endswith('-dezim.csv"')
    assert response.data.decode("utf-8-sig").startswith("zeitraum;dimension;code")

    formats = [json.loads(row.details) for row in entries(app, after=mark, action=EXPORT)]
    assert formats == [
        {"format": "json", "content_sha256": content_hash},
        {"format": "csv", "table": "alter", "content_sha256": content_hash},
        {"format": "zip", "content_sha256": content_hash},
        {"format": "dezim", "content_sha256": content_hash},
    ]
    # No export of a table the release lacks, nor of a draft.
    assert browser.get(f"{base}/tabellen/geschlecht.csv").status_code == 404
    waiting = draft(app, people.drafter, "2026")
    supervisor = browser_of(app, people.approver, clock)
    assert supervisor.get(f"/statistik/{waiting}/export.json").status_code == 404
    assert len(entries(app, after=mark, action=EXPORT)) == 4


# --- another centre, bad input -------------------------------------------------------------


def test_another_centres_release_is_a_404_and_audited(app, centre, people, make_user, clock):
    with app.app_context():
        other = create_centre("ANDERE", "Andere Stelle").id
    theirs = People(
        make_user(Role.SUPERVISOR, centre_id=other),
        make_user(Role.SUPERVISOR, centre_id=other),
        make_user(Role.COUNSELLOR, centre_id=other),
    )
    populate(app, other)
    foreign = publish(app, theirs)
    foreign_draft = draft(app, theirs.drafter, "2026")
    browser = browser_of(app, people.approver, clock)
    mark = head(app)
    for url in (f"/statistik/{foreign}", f"/statistik/{foreign}/export.json"):
        assert browser.get(url).status_code == 404, url
    url = f"/statistik/{foreign_draft}/freigeben"
    assert post_form(browser, url, {}, form_url="/statistik").status_code == 404
    assert status_of(app, foreign_draft) == ReleaseStatus.DRAFT
    denials = entries(app, after=mark, action=DENY)
    assert {(row.object_id, row.centre_id) for row in denials} == {
        (str(foreign), other),
        (str(foreign_draft), other),
    }
    assert entries(app, after=mark, action=EXPORT) == []
    assert f'href="/statistik/{foreign}"' not in text(browser.get("/statistik"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"year": "1999", "part": "Q1"}, "year", "Bitte wählen Sie ein Jahr aus der Liste."),
        ({"year": "abc", "part": ""}, "year", "Bitte wählen Sie ein Jahr aus der Liste."),
        ({"year": "2026", "part": "Q5"}, "part", "Bitte wählen Sie einen Zeitraum aus der Liste."),
        ({"year": "2026", "part": "", "tables": []}, "tables", "mindestens eine Tabelle"),
        (
            {"year": "2026", "part": "", "tables": ["alter", "nope"]},
            "tables",
            "Diese Tabelle gibt es im Katalog nicht.",
        ),
    ],
)
def test_bad_period_or_table_input_is_refused_in_german_and_saves_nothing(
    app, centre, client, login_as, data, field, message
):
    login_as(Role.SUPERVISOR)
    data = {"tables": ["alter"], **data}
    response = post_form(client, "/statistik/neu", data)
    assert response.status_code == 400
    page = text(response)
    assert f'<p class="field__error" id="{field}-error">' in page
    assert message in page.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert 'id="error-summary"' in page
    assert release_count(app) == 0


# --- the API -------------------------------------------------------------------------------


def bearer(app, user: conftest.TestUser) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from tests.support.audit_log import issue_token

    return {"Authorization": f"Bearer {issue_token(app, user.id)}"}


def test_api_lists_reads_drafts_rejects_and_revokes_with_the_uis_rules(app, client, centre, people):
    populate(app, centre)
    published = publish(app, people)
    lead, reader = bearer(app, people.approver), bearer(app, people.counsellor)

    # A supervisor drafts; the answer carries the content and the audit, not a value hidden.
    response = client.post(
        "/api/v1/stats/releases", json={"period": "2026", "tables": ["alter"]}, headers=lead
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert response.headers["Location"] == f"/api/v1/stats/releases/{created['id']}"
    assert created["status"] == "draft" and created["audit"]["passed"] is True
    assert all("value" not in cell for cell in created["audit"]["audit"]["cells"])
    values = [f["value"] for t in created["content"]["tables"] for f in t["figures"]]
    assert None in values and all(v is None or v == 0 or v >= 5 for v in values)

    listed = {
        r["id"]: r["status"] for r in client.get("/api/v1/stats/releases", headers=lead).get_json()
    }
    assert listed == {published: "published", created["id"]: "draft"}
    listed = {r["id"] for r in client.get("/api/v1/stats/releases", headers=reader).get_json()}
    assert listed == {published}

    # Readers: no drafting, no draft, no decision; the published release as a verified export.
    response = client.post(
        "/api/v1/stats/releases", json={"period": "2026", "tables": ["alter"]}, headers=reader
    )
    assert response.status_code == 403
    assert client.get(f"/api/v1/stats/releases/{created['id']}", headers=reader).status_code == 404
    mark = head(app)
    exported = client.get(f"/api/v1/stats/releases/{published}", headers=reader).get_json()
    exports.verify_export(exported)
    assert exported["revocation"] is None
    assert [json.loads(r.details) for r in entries(app, after=mark, action=EXPORT)] == [
        {"format": "json", "content_sha256": exported["content_sha256"]}
    ]
    response = client.post(
        f"/api/v1/stats/releases/{published}/revoke", json={"reason": "x"}, headers=reader
    )
    assert response.status_code == 403

    # Approval is a browser step: there is no such endpoint.
    response = client.post(f"/api/v1/stats/releases/{created['id']}/approve", headers=lead)
    assert response.status_code in (404, 405)
    assert status_of(app, created["id"]) == ReleaseStatus.DRAFT

    response = client.post(
        f"/api/v1/stats/releases/{created['id']}/reject", json={"reason": " "}, headers=lead
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "Bitte geben Sie eine Begründung an."
    response = client.post(
        f"/api/v1/stats/releases/{created['id']}/reject",
        json={"reason": "Jahr noch nicht vorbei"},
        headers=lead,
    )
    assert response.status_code == 200 and response.get_json()["status"] == "rejected"
    response = client.post(
        f"/api/v1/stats/releases/{created['id']}/revoke", json={"reason": "x"}, headers=lead
    )
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "refused"
    response = client.post(
        f"/api/v1/stats/releases/{published}/revoke", json={"reason": "Tippfehler"}, headers=lead
    )
    assert response.status_code == 200 and response.get_json()["status"] == "revoked"
    # The revoked status comes signed: a reader checks it at the source.
    now_exported = client.get(f"/api/v1/stats/releases/{published}", headers=reader).get_json()
    verified = exports.verify_export(now_exported)
    assert verified["revoked"] and verified["status"] == "revoked"
    revocation = now_exported["revocation"]
    assert revocation["format"] == "servicestelle.release-revocation/1"
    assert revocation["content_sha256"] == exported["content_sha256"]
    assert "Tippfehler" not in json.dumps(now_exported)  # a reason is not in the export
    # The export taken before the revocation still verifies, as published: the limit.
    assert exports.verify_export(exported)["status"] == "published"
    # Stripping the revocation from the current answer does not make it published again.
    with pytest.raises(ValidationError, match="revocation"):
        exports.verify_export({**now_exported, "revocation": None})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2026-03", "tables": ["alter"]}, "period"),
        ({"period": "1999", "tables": ["alter"]}, "period"),
        ({"period": "2026", "tables": ["nope"]}, "tables"),
        ({"period": "2026", "tables": []}, "tables"),
        ({"tables": ["alter"]}, "period"),
    ],
)
def test_api_refuses_a_bad_draft_request_and_saves_nothing(
    app, client, centre, people, body, field
):
    response = client.post("/api/v1/stats/releases", json=body, headers=bearer(app, people.drafter))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and field in error["fields"]
    assert release_count(app) == 0


def test_api_answers_404_for_another_centres_release(app, client, centre, people, make_user):
    with app.app_context():
        other = create_centre("ANDERE", "Andere Stelle").id
    theirs = People(
        make_user(Role.SUPERVISOR, centre_id=other),
        make_user(Role.SUPERVISOR, centre_id=other),
        make_user(Role.COUNSELLOR, centre_id=other),
    )
    populate(app, other)
    foreign = publish(app, theirs)
    lead = bearer(app, people.approver)
    assert client.get(f"/api/v1/stats/releases/{foreign}", headers=lead).status_code == 404
    response = client.post(
        f"/api/v1/stats/releases/{foreign}/revoke", json={"reason": "fremd"}, headers=lead
    )
    assert response.status_code == 404 and response.is_json
    assert status_of(app, foreign) == ReleaseStatus.PUBLISHED
    assert client.get("/api/v1/stats/releases", headers=lead).get_json() == []


def test_the_pages_speak_english_when_chosen(app, centre, people, clock):
    populate(app, centre)
    published = publish(app, people)
    waiting = draft(app, people.drafter, "2026")
    browser = browser_of(app, people.approver, clock)
    browser.get("/sprache?lang=en&next=/statistik")
    listing = text(browser.get("/statistik"))
    assert '<html lang="en">' in listing and "Drafts awaiting approval" in listing
    page = text(browser.get(f"/statistik/{waiting}"))
    assert "Recalculation audit" in page and "fewer than 5 cases" in page
    assert "not published, to prevent recalculation" in page
    assert "Revoke release" in text(browser.get(f"/statistik/{published}"))
    assert "Create draft (takes a few seconds)" in text(browser.get("/statistik/neu"))


def test_a_coordinator_package_is_never_shown_as_a_release(app, client, centre, people, clock):
    from servicestelle.stats import packages

    populate(app, centre)
    with app.app_context():
        package_id = packages.draft_package(
            db.session.get(User, people.drafter.id), Period.parse("2026-Q1")
        ).id
        operations.approve_release(
            db.session.get(User, people.approver.id), db.session.get(Release, package_id)
        )
    assert status_of(app, package_id) == ReleaseStatus.PUBLISHED  # approved: unsuppressed counts
    for user in (people.counsellor, people.approver):
        browser = browser_of(app, user, clock)
        assert f'href="/statistik/{package_id}"' not in text(browser.get("/statistik"))
        for url in (f"/statistik/{package_id}", f"/statistik/{package_id}/export.json"):
            assert browser.get(url).status_code == 404, (user.username, url)
        headers = bearer(app, user)
        assert client.get("/api/v1/stats/releases", headers=headers).get_json() == []
        assert (
            client.get(f"/api/v1/stats/releases/{package_id}", headers=headers).status_code == 404
        )
