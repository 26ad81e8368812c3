"""The DPO workspace: who may enter, what the log search, reports, export and verification
show and record. Entries are written directly with audit_trail.record, so the tests do not
depend on which other actions the application logs."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import audit
from audit import AuditEvent, Outcome, Purpose
from servicestelle import audit_trail
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import login, post_form

PAGES = [
    "/datenschutz/",
    "/datenschutz/protokoll",
    "/datenschutz/zugriffe",
    "/datenschutz/zugriffe?typ=case&id=c-123",
    "/datenschutz/aktivitaet",
    "/datenschutz/auffaelligkeiten",
    "/datenschutz/verzeichnis",
    "/datenschutz/oeffentlicher-schluessel.pem",
]
POSTS = [
    "/datenschutz/pruefen",
    "/datenschutz/pruefpunkte",
    "/datenschutz/protokoll/export",
    "/datenschutz/auffaelligkeiten/notfallzugriffe/1/geprueft",
]


@pytest.fixture
def dpo(login_as):
    return login_as(Role.DPO)


def record(app, clock, event, outcome=Outcome.SUCCESS, *, actor=None, at=None, **fields):
    """Append an entry as ``actor`` (a TestUser or None) at ``at`` (default: now)."""
    if at is not None:
        clock.moment = at
    with app.app_context():
        user = None if actor is None else db.session.get(User, actor.id)
        entry = audit_trail.record(event, outcome, actor=user, **fields)
        db.session.commit()
        return entry


def read_case(app, clock, actor, case_id="c-123", purpose=Purpose.COUNSELLING, **kwargs):
    return record(
        app,
        clock,
        AuditEvent.CASE_CONTENT_READ,
        actor=actor,
        object_type="case",
        object_id=case_id,
        purpose=purpose,
        **kwargs,
    )


def open_break_glass(app, clock, actor, case_id="c-123"):
    """The opening of a case by break-glass, as the case pages record it."""
    return record(
        app,
        clock,
        AuditEvent.CASE_BREAK_GLASS_OPEN,
        actor=actor,
        object_type="case",
        object_id=case_id,
        purpose=Purpose.BREAK_GLASS,
    )


def entries_of(app, event):
    with app.app_context():
        rows = db.session.execute(
            sa.select(audit.audit_entry)
            .where(audit.audit_entry.c.action == event.value)
            .order_by(audit.audit_entry.c.seq)
        )
        return [audit.store.entry_from_row(row) for row in rows]


def text(response):
    return response.get_data(as_text=True)


def rows_of(page):
    """The body rows of the first entries table, as the seq numbers they start with."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        int(cell.split(">", 1)[1].split("<", 1)[0]) for cell in body.split('<th scope="row"')[1:]
    ]


# --- who may enter -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SUPERVISOR, Role.ADMIN])
def test_other_roles_are_refused_everywhere(client, login_as, role):
    login_as(role)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    for url in POSTS:
        response = post_form(client, url, {}, form_url="/")
        assert response.status_code == 403, url
    assert "/datenschutz/" not in text(client.get("/"))


def test_anonymous_is_sent_to_the_login(client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith(
            "/anmelden"
        ), url
    for url in POSTS:
        response = client.post(url)
        assert response.status_code == 302, url


def test_dpo_reaches_every_page(client, dpo):
    assert 'href="/datenschutz/"' in text(client.get("/"))
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".pem"):
            continue
        page = text(response)
        assert "<title>" in page and '<nav class="subnav' in page
        assert "<table" not in page or "<caption>" in page


def test_posts_without_csrf_token_are_refused(client, dpo, app):
    before = len(entries_of(app, AuditEvent.AUDIT_CHAIN_VERIFY))
    assert client.post("/datenschutz/pruefen").status_code == 400
    assert len(entries_of(app, AuditEvent.AUDIT_CHAIN_VERIFY)) == before


# --- verification and checkpoints --------------------------------------------------------


def test_verify_button_records_success(app, client, dpo, backend):
    assert "noch nie geprüft" in text(client.get("/datenschutz/"))
    response = post_form(client, "/datenschutz/pruefen", {}, form_url="/datenschutz/")
    assert response.status_code == 302
    page = text(client.get("/datenschutz/"))
    assert "Das Protokoll ist unversehrt" in page
    assert "Letzte Prüfung: unversehrt." in page
    assert dpo.username in page  # who checked
    if backend.name == "sqlite":
        assert "SQLite kennt keine Zugriffsrechte" in page
    else:  # the test database is set up as in production: the app role may only add
        assert "verweigert dem Dienst jede Änderung" in page
    [entry] = entries_of(app, AuditEvent.AUDIT_CHAIN_VERIFY)
    assert entry.outcome == "success" and entry.actor_id == dpo.id
    details = entry.details_dict()
    assert details["problem"] is None and details["broken_seq"] is None
    assert details["entries"] == details["head_seq"] == entry.seq - 1


def tamper(app, backend, seq):
    """Change an entry behind the application's back, as someone with database access could."""
    engine = sa.create_engine(backend.superuser_url)
    with engine.begin() as connection:
        if backend.name == "sqlite":
            connection.execute(sa.text("DROP TRIGGER audit_entry_no_update"))
        else:
            connection.execute(
                sa.text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update_delete")
            )
        connection.execute(
            sa.text("UPDATE audit_entry SET object_id = 'c-999' WHERE seq = :seq"), {"seq": seq}
        )
    engine.dispose()


def test_verify_button_finds_an_edited_entry(app, client, dpo, clock, backend):
    target = read_case(app, clock, dpo, purpose=Purpose.DPO_AUDIT)
    tamper(app, backend, target.seq)
    response = post_form(client, "/datenschutz/pruefen", {}, form_url="/datenschutz/")
    assert response.status_code == 302
    page = text(client.get("/datenschutz/"))
    assert f"Das Protokoll ist beschädigt, erstmals bei Eintrag {target.seq}" in page
    assert "Letzte Prüfung: beschädigt." in page
    assert "Ein Eintrag wurde verändert." in page
    assert "Ein Trigger, der Änderungen am Protokoll verweigert, fehlt" in page
    [entry] = entries_of(app, AuditEvent.AUDIT_CHAIN_VERIFY)
    assert entry.outcome == "failure"
    assert entry.details_dict()["problem"] == "edited"
    assert entry.details_dict()["broken_seq"] == target.seq


def test_checkpoint_is_created_and_downloaded(app, client, dpo):
    response = post_form(client, "/datenschutz/pruefpunkte", {}, form_url="/datenschutz/")
    assert response.status_code == 302
    assert "Neuer Prüfpunkt" in text(client.get("/datenschutz/"))
    download = client.get("/datenschutz/pruefpunkt.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Cache-Control"] == "no-store"
    checkpoint = audit.from_json(text(download))
    key = client.get("/datenschutz/oeffentlicher-schluessel.pem")
    assert key.headers["Content-Disposition"].startswith("attachment;")
    public_key = audit.load_public_key(key.get_data())
    assert checkpoint.is_signed_by(public_key)
    created = entries_of(app, AuditEvent.AUDIT_CHECKPOINT_CREATE)
    assert any(entry.actor_id == dpo.id for entry in created)
    page = text(client.get("/datenschutz/"))
    assert checkpoint.key_id in page


# --- log search --------------------------------------------------------------------------


@pytest.fixture
def staff(make_user):
    return make_user(Role.COUNSELLOR, username="yilmaz"), make_user(
        Role.SUPERVISOR, username="kowalski"
    )


def test_search_filters_by_action_actor_outcome_object_and_time(app, client, dpo, staff, clock):
    counsellor, supervisor = staff
    start = clock.now()
    early = read_case(app, clock, counsellor, "c-1", at=start - timedelta(days=3))
    denied = record(
        app,
        clock,
        AuditEvent.ACCESS_REQUEST_DENY,
        Outcome.DENIED,
        actor=supervisor,
        object_type="case",
        object_id="c-2",
        at=start - timedelta(days=1),
    )
    late = read_case(app, clock, supervisor, "c-2", purpose=Purpose.SUPERVISION, at=start)
    clock.advance(minutes=1)

    def seqs(query):
        response = client.get("/datenschutz/protokoll?" + query)
        assert response.status_code == 200, text(response)
        return set(rows_of(text(response)))

    mine = {early.seq, denied.seq, late.seq}
    assert seqs("aktion=case:content:read") & mine == {early.seq, late.seq}
    assert seqs(f"person={counsellor.id}") & mine == {early.seq}
    assert seqs(f"person={supervisor.id}") & mine == {denied.seq, late.seq}
    assert seqs("ergebnis=denied") & mine == {denied.seq}
    assert seqs("objektart=case&objekt=c-2") == {denied.seq, late.seq}
    day = (start - timedelta(days=1)).date()
    assert seqs(f"von={day.isoformat()}&bis={day.isoformat()}") & mine == {denied.seq}
    german = day.strftime("%d.%m.%Y")
    assert seqs(f"von={german}") & mine == {denied.seq, late.seq}
    page = text(client.get("/datenschutz/protokoll?objekt=c-2"))
    assert "kowalski" in page and "Fallakte gelesen" in page
    assert "Fachliche Leitung" in page and "verweigert" in page


def test_dates_are_whole_local_days(app, client, dpo, staff, clock):
    counsellor, _ = staff
    # 23:30 UTC on 1 March is 00:30 on 2 March in Berlin.
    entry = read_case(app, clock, counsellor, at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    clock.moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    base = "/datenschutz/protokoll?aktion=case:content:read"
    assert rows_of(text(client.get(base + "&von=2026-03-02&bis=2026-03-02"))) == [entry.seq]
    assert "Keine Einträge gefunden" in text(client.get(base + "&bis=2026-03-01"))


def test_search_pages_fifty_entries_newest_first(app, client, dpo, staff, clock):
    counsellor, _ = staff
    written = [read_case(app, clock, counsellor, f"c-{n}").seq for n in range(55)]
    first = text(client.get("/datenschutz/protokoll?aktion=case:content:read"))
    assert rows_of(first) == sorted(written, reverse=True)[:50]
    assert "Einträge 1–50 von 55 (Seite 1 von 2)" in first
    assert 'href="/datenschutz/protokoll?seite=2&amp;aktion=case:content:read" rel="next"' in first
    assert 'aria-current="page"><span class="visually-hidden">Seite </span>1<' in first
    second = text(client.get("/datenschutz/protokoll?aktion=case:content:read&seite=2"))
    assert rows_of(second) == sorted(written, reverse=True)[50:]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    beyond = text(client.get("/datenschutz/protokoll?aktion=case:content:read&seite=99"))
    assert rows_of(beyond) == rows_of(second)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("von=gestern", "Bitte geben Sie ein Datum als TT.MM.JJJJ an"),
        ("von=0001-01-01", "Bitte geben Sie ein Datum als TT.MM.JJJJ an"),
        ("von=2026-03-02&bis=2026-03-01", "Das Ende liegt vor dem Anfang"),
        ("aktion=case:content:delete", "Bitte wählen Sie einen Eintrag aus der Liste"),
        ("ergebnis=maybe", "Bitte wählen Sie einen Eintrag aus der Liste"),
        ("person=yilmaz", "kein Konto mit dieser Nummer"),
        ("person=99999999999999999999", "kein Konto mit dieser Nummer"),
        ("objekt=" + "x" * 200, "Objektkennung"),
        ("objekt=Erika+Mustermann,+geb.+1980", "Namen oder andere Angaben zur Person"),
        ("objektart=user&objekt=c-1", "nur Ziffern"),
        ("objektart=instance&objekt=1", "keine Kennung"),
        ("objektart=unbekannt", "Bitte wählen Sie einen Eintrag aus der Liste"),
        ("objekt=a%0Ab", "unzulässige Zeichen"),
        ("seite=abc&von=1.1.1", "Bitte geben Sie ein Datum"),
    ],
)
def test_bad_search_input_gets_a_german_message(client, dpo, query, message):
    response = client.get("/datenschutz/protokoll?" + query)
    page = text(response)
    assert response.status_code == 400
    assert "Bitte prüfen Sie Ihre Eingaben" in page and message in page
    assert "Traceback" not in page


def test_odd_page_numbers_fall_back_to_a_real_page(client, dpo):
    for value in ("abc", "-1", "0", "99999999999999"):
        assert client.get(f"/datenschutz/protokoll?seite={value}").status_code == 200


def test_entries_of_another_centre_are_not_shown(app, client, dpo, make_user, clock):
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        other_centre = create_centre("ANDERE", "Andere Stelle").id
    stranger = make_user(Role.COUNSELLOR, username="fremd", centre_id=other_centre)
    hidden = read_case(app, clock, stranger, "c-fremd")
    shared = record(app, clock, AuditEvent.AUTH_LOGIN_FAILURE, Outcome.FAILURE)
    page = text(client.get("/datenschutz/protokoll"))
    assert hidden.seq not in rows_of(page) and "c-fremd" not in page
    assert shared.seq in rows_of(page)
    assert "System/Betrieb" in page
    assert client.get(f"/datenschutz/protokoll?person={stranger.id}").status_code == 400
    report = text(client.get("/datenschutz/zugriffe?typ=case&id=c-fremd"))
    assert "keine Protokolleinträge" in report and "fremd</td>" not in report
    assert client.get(f"/datenschutz/aktivitaet/{stranger.id}").status_code == 404


# --- export ------------------------------------------------------------------------------


def export(client, query=""):
    return post_form(
        client,
        "/datenschutz/protokoll/export",
        dict(pair.split("=", 1) for pair in query.split("&") if pair),
        form_url="/datenschutz/protokoll" + ("?" + query if query else ""),
    )


def test_export_is_a_zip_with_a_covering_checkpoint(app, client, dpo, staff, clock):
    counsellor, _ = staff
    with app.app_context():
        user = db.session.get(User, counsellor.id)
        user.display_name = '=HYPERLINK("http://evil.example")'
        db.session.commit()
    written = [read_case(app, clock, counsellor, case_id) for case_id in ("c-1", "-2+3", "+c")]
    response = export(client, f"aktion=case:content:read&person={counsellor.id}")
    assert response.status_code == 200, text(response)
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="protokoll-')
    assert response.headers["Cache-Control"] == "no-store"

    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert sorted(archive.namelist()) == sorted(
        ["entries.csv", "entries.json", "checkpoint.json", "public-key.pem", "LIESMICH.txt"]
    )
    rows = list(
        csv.DictReader(io.StringIO(archive.read("entries.csv").decode("utf-8-sig")), delimiter=";")
    )
    assert [row["seq"] for row in rows] == [str(entry.seq) for entry in written]
    assert [row["object_id"] for row in rows] == ["c-1", "'-2+3", "'+c"]
    assert {row["actor_username"] for row in rows} == {"yilmaz"}

    document = json.loads(archive.read("entries.json"))
    exported = document["entries"]
    assert [item["seq"] for item in exported] == [entry.seq for entry in written]
    assert [item["entry_hash"] for item in exported] == [entry.entry_hash for entry in written]
    assert document["filters"] == {"aktion": "case:content:read", "person": "yilmaz"}

    public_key = audit.load_public_key(archive.read("public-key.pem"))
    checkpoint = audit.from_json(archive.read("checkpoint.json").decode())
    assert checkpoint.is_signed_by(public_key)
    assert checkpoint.seq >= max(entry.seq for entry in written)
    readme = archive.read("LIESMICH.txt").decode()
    assert "servicestelle audit verify --checkpoint checkpoint.json" in readme
    # The checkpoint is about the whole log; a filtered subset is checked row by row.
    assert "über das ganze Protokoll" in readme and "entry_hash" in readme
    assert "belegt er für sich allein nicht" in readme
    assert "deckt alle exportierten Einträge ab" not in readme

    [recorded] = entries_of(app, AuditEvent.AUDIT_LOG_EXPORT)
    assert recorded.actor_id == dpo.id
    assert recorded.seq <= checkpoint.seq  # the export itself is covered
    details = recorded.details_dict()
    assert details["entries"] == 3
    assert sorted(details["filters"]) == ["action", "actor_id"]
    assert "yilmaz" not in recorded.details
    with app.app_context():
        assert audit.verify(db.session, public_key, external=[checkpoint]).intact


def test_csv_cells_that_look_like_formulas_are_neutralised():
    from servicestelle.dpo.export import neutralise

    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("c-1") == "c-1"
    assert neutralise(None) == ""
    assert neutralise(12) == "12"


def test_export_needs_fresh_authentication(app, client, dpo, clock):
    clock.advance(minutes=6)
    response = export(client)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/bestaetigen")
    assert entries_of(app, AuditEvent.AUDIT_LOG_EXPORT) == []


def test_export_with_bad_filter_gets_the_message(app, client, dpo):
    response = export(client, "von=morgen")
    assert response.status_code == 400
    assert "Bitte geben Sie ein Datum" in text(response)
    assert entries_of(app, AuditEvent.AUDIT_LOG_EXPORT) == []


# --- access reports ----------------------------------------------------------------------


def test_access_report_lists_everything_about_the_object(app, client, dpo, staff, clock):
    counsellor, supervisor = staff
    read = read_case(app, clock, counsellor)
    denied = record(
        app,
        clock,
        AuditEvent.ACCESS_REQUEST_DENY,
        Outcome.DENIED,
        actor=supervisor,
        object_type="case",
        object_id="c-123",
    )
    other = read_case(app, clock, counsellor, "c-456")
    page = text(client.get("/datenschutz/zugriffe?typ=case&id=c-123"))
    assert rows_of(page) == [read.seq, denied.seq]
    assert other.seq not in rows_of(page)
    assert "yilmaz" in page and "kowalski" in page and "Beratung" in page and "Leitung" in page
    [recorded] = entries_of(app, AuditEvent.AUDIT_REPORT_ACCESS)
    assert (recorded.object_type, recorded.object_id) == ("case", "c-123")
    assert recorded.details_dict() == {"entries": 2, "variant": "full"}


def test_art15_report_gives_dates_and_purposes_but_no_staff(app, client, dpo, staff, clock):
    counsellor, supervisor = staff
    logged_in_at = clock.now()
    read_case(app, clock, counsellor, at=datetime(2026, 2, 10, 10, 0, tzinfo=UTC))
    read_case(app, clock, counsellor, at=datetime(2026, 2, 10, 11, 0, tzinfo=UTC))
    read_case(
        app,
        clock,
        supervisor,
        purpose=Purpose.SUPERVISION,
        at=datetime(2026, 2, 20, 23, 30, tzinfo=UTC),  # 21 February in Berlin
    )
    record(
        app,
        clock,
        AuditEvent.CASE_CONTENT_READ,
        Outcome.DENIED,
        actor=supervisor,
        object_type="case",
        object_id="c-123",
        purpose=Purpose.BREAK_GLASS,
    )
    clock.moment = logged_in_at  # the Art. 15 report needs a fresh login
    response = client.get("/datenschutz/zugriffe/art15?typ=case&id=c-123")
    assert response.status_code == 200
    page = text(response)
    assert "10.02.2026" in page and "21.02.2026" in page
    assert "Beratung" in page and "Fachliche Leitung" in page
    assert "insgesamt 3" in page
    assert "Notfallzugriff</td>" not in page  # refused, so no consultation
    for staff_name in ("yilmaz", "Yilmaz", "kowalski", "Kowalski", "Rolle"):
        assert staff_name not in page
    for entry in entries_of(app, AuditEvent.CASE_CONTENT_READ):
        assert entry.request_id is None or entry.request_id not in page
    assert "C-579/21" in page
    [recorded] = entries_of(app, AuditEvent.AUDIT_REPORT_ACCESS)
    assert recorded.details_dict()["variant"] == "art15"


def test_art15_report_needs_fresh_authentication(client, dpo, clock):
    clock.advance(minutes=6)
    response = client.get("/datenschutz/zugriffe/art15?typ=case&id=c-123")
    assert response.status_code == 302 and response.headers["Location"].startswith("/bestaetigen")


def test_access_report_without_id_shows_the_message(app, client, dpo):
    response = client.get("/datenschutz/zugriffe?typ=case&id=")
    assert response.status_code == 400
    assert "Bitte geben Sie die Kennung an." in text(response)
    assert entries_of(app, AuditEvent.AUDIT_REPORT_ACCESS) == []


# --- activity ----------------------------------------------------------------------------


def test_activity_report_shows_what_one_person_did(app, client, dpo, staff, clock):
    counsellor, supervisor = staff
    own = read_case(app, clock, counsellor)
    foreign = read_case(app, clock, supervisor)
    listing = text(client.get("/datenschutz/aktivitaet"))
    assert f'href="/datenschutz/aktivitaet/{counsellor.id}"' in listing
    page = text(client.get(f"/datenschutz/aktivitaet/{counsellor.id}"))
    assert own.seq in rows_of(page) and foreign.seq not in rows_of(page)
    [recorded] = entries_of(app, AuditEvent.AUDIT_REPORT_ACTIVITY)
    assert (recorded.object_type, recorded.object_id) == ("user", str(counsellor.id))
    assert client.get("/datenschutz/aktivitaet/999999").status_code == 404


# --- anomalies and break-glass review ----------------------------------------------------


def test_anomaly_page_lists_findings_with_thresholds(app, client, dpo, staff, clock):
    counsellor, supervisor = staff
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for n in range(31):
        read_case(app, clock, counsellor, f"c-{n}", at=start + timedelta(seconds=n))
    night = read_case(app, clock, supervisor, "c-night", at=datetime(2026, 3, 1, 22, 0, tzinfo=UTC))
    clock.moment = start + timedelta(hours=1)
    login(client, dpo, clock)
    page = text(client.get("/datenschutz/auffaelligkeiten"))
    assert "mehr als 30 Aktenzugriffe einer Person innerhalb von 10 Minuten" in page
    assert "7–19 Uhr" in page and "Montag" in page
    mass = page.split('id="mass-heading"', 1)[1].split("</section>", 1)[0]
    assert "yilmaz" in mass and "<td>31</td>" in mass
    off_hours = page.split('id="off-hours-heading"', 1)[1].split("</section>", 1)[0]
    assert "c-night" in off_hours and f">{night.seq}<" in off_hours
    start_page = text(client.get("/datenschutz/"))
    assert "Auffälligkeiten der letzten 30 Tage auswerten" in start_page
    assert client.get("/datenschutz/auffaelligkeiten?tage=7").status_code == 200
    assert client.get("/datenschutz/auffaelligkeiten?tage=5").status_code == 400


def test_break_glass_review_empties_the_queue(app, client, dpo, staff, clock):
    _, supervisor = staff
    access = open_break_glass(app, clock, supervisor, "c-7")
    page = text(client.get("/datenschutz/auffaelligkeiten"))
    assert "1 ungeprüfter Notfallzugriff" in page
    url = f"/datenschutz/auffaelligkeiten/notfallzugriffe/{access.seq}/geprueft"
    assert f'action="{url}"' in page
    response = post_form(client, url, {}, form_url="/datenschutz/auffaelligkeiten")
    assert response.status_code == 302
    page = text(client.get("/datenschutz/auffaelligkeiten"))
    assert "ist als geprüft markiert" in page
    assert f'action="{url}"' not in page
    [review] = entries_of(app, AuditEvent.AUDIT_BREAK_GLASS_REVIEW)
    assert (review.object_type, review.object_id) == ("audit_entry", str(access.seq))
    assert review.details_dict() == {"reviewed_seq": access.seq}
    assert review.actor_id == dpo.id
    # A second review and a review of an ordinary entry change nothing.
    post_form(client, url, {}, form_url="/datenschutz/auffaelligkeiten")
    ordinary = read_case(app, clock, supervisor)
    post_form(
        client,
        f"/datenschutz/auffaelligkeiten/notfallzugriffe/{ordinary.seq}/geprueft",
        {},
        form_url="/datenschutz/auffaelligkeiten",
    )
    assert len(entries_of(app, AuditEvent.AUDIT_BREAK_GLASS_REVIEW)) == 1
    missing = post_form(
        client,
        "/datenschutz/auffaelligkeiten/notfallzugriffe/999999/geprueft",
        {},
        form_url="/datenschutz/auffaelligkeiten",
    )
    assert missing.status_code == 404


# --- Art. 30 -----------------------------------------------------------------------------


def test_processing_record_shows_items_a_to_g(client, dpo):
    page = text(client.get("/datenschutz/verzeichnis"))
    for letter in "abcdefg":
        assert f'id="item-{letter}">{letter}) ' in page
    assert "mitgelieferte Vorlage" in page
    assert "Version" in page and "vorlage-1" in page and "1. Januar 2026" in page
    assert "Hash" in page and "vorgesehen" in page and "zweitem Faktor" in page
    assert "Art. 9" in page
    assert "unvollständig" not in page


def test_a_malformed_record_file_gives_a_german_message(app, client, dpo, tmp_path):
    broken = tmp_path / "verzeichnis.toml"
    broken.write_text('version = "1"\nvalid_from = 2026-01-01\n[controller\nname = "x"\n')
    app.extensions["servicestelle.settings"] = app.extensions[
        "servicestelle.settings"
    ].with_changes(processing_record_file=broken)
    page = text(client.get("/datenschutz/verzeichnis"))
    assert "ist kein gültiges TOML" in page and "Traceback" not in page


def test_a_missing_item_is_named(app, client, dpo, tmp_path):
    from servicestelle.dpo.processing_record import BUNDLED

    incomplete = tmp_path / "verzeichnis.toml"
    content = BUNDLED.read_text(encoding="utf-8")
    start = content.index("[transfers]")
    end = content.index("[erasure]")
    incomplete.write_text(content[:start] + content[end:], encoding="utf-8")
    app.extensions["servicestelle.settings"] = app.extensions[
        "servicestelle.settings"
    ].with_changes(processing_record_file=incomplete)
    page = text(client.get("/datenschutz/verzeichnis"))
    assert (
        "Punkt e) „Übermittlungen in Drittländer oder an internationale Organisationen“ fehlt"
        in page
    )
    assert "mitgelieferte Vorlage" not in page
    assert 'id="item-f">f) ' in page


def test_the_workspace_speaks_english_too(client, dpo):
    client.get("/sprache?lang=en&next=/")
    page = text(client.get("/datenschutz/"))
    assert '<html lang="en">' in page and "Verify the log now" in page
    anomalies = text(client.get("/datenschutz/auffaelligkeiten"))
    assert "Monday, Tuesday" in anomalies and "last 30 days" in anomalies
    assert "Record of processing activities" in text(client.get("/datenschutz/verzeichnis"))
