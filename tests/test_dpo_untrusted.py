"""The workspace under hostile input: rows written around the library, object ids that are
really names, usernames in URLs, the append lock during an export, unsigned checkpoints.

Rows "written around the library" are what the application's database role can insert: they
continue the chain (seq = head + 1, prev_hash = head hash, a correct entry_hash), so even a
database that refuses anything else accepts them.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

import audit
from audit import AuditEvent, Entry, Outcome
from servicestelle.dpo import findings, operations
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import post_form
from tests.support.statements import captured
from tests.test_dpo_workspace import (
    entries_of,
    export,
    open_break_glass,
    read_case,
    record,
    rows_of,
    text,
)


@pytest.fixture
def dpo(login_as):
    return login_as(Role.DPO)


@pytest.fixture
def counsellor(make_user):
    return make_user(Role.COUNSELLOR, username="yilmaz")


def insert_raw(app, clock, **fields) -> Entry:
    """Append a row as the database role could: any field values, but a consistent chain."""
    with app.app_context():
        seq, head_hash = audit.head(db.session)
        draft = Entry(
            seq=seq + 1,
            ts=clock.now(),
            actor_id=None,
            role=None,
            centre_id=None,
            action=AuditEvent.AUTH_LOGOUT.value,
            object_type=None,
            object_id=None,
            purpose=None,
            outcome=Outcome.SUCCESS.value,
            request_id=None,
            details="{}",
            prev_hash=head_hash,
            entry_hash="",
        )
        draft = replace(draft, **fields)
        entry = replace(draft, entry_hash=draft.computed_hash())
        columns = audit.audit_entry.columns
        db.session.execute(
            sa.insert(audit.audit_entry).values({c.name: getattr(entry, c.name) for c in columns})
        )
        db.session.commit()
        return entry


# --- M1: malformed entries ----------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "details",
    ["[1]", "{", "null", '"text"', "1e999", "[" * 5000, '{"entries": {"nested": 1}}'],
)
def test_a_verification_entry_with_malformed_details_does_not_break_the_start_page(
    app, client, dpo, clock, details
):
    insert_raw(
        app, clock, action=AuditEvent.AUDIT_CHAIN_VERIFY.value, outcome="failure", details=details
    )
    response = client.get("/datenschutz/")
    assert response.status_code == 200
    page = text(response)
    assert "Letzte Prüfung: beschädigt." in page
    assert "nested" not in page


def test_verification_details_of_the_wrong_types_are_not_shown(app, client, dpo, clock):
    details = {"entries": True, "problem": ["edited"], "broken_seq": "5"}
    insert_raw(
        app,
        clock,
        action=AuditEvent.AUDIT_CHAIN_VERIFY.value,
        outcome="failure",
        details=json.dumps(details),
    )
    page = text(client.get("/datenschutz/"))
    assert "True" not in page and "[&#39;edited&#39;]" not in page and "Nr. 5" not in page
    insert_raw(
        app,
        clock,
        action=AuditEvent.AUDIT_CHAIN_VERIFY.value,
        outcome="failure",
        details=json.dumps({"entries": 7, "problem": SCRIPT, "broken_seq": 3}),
    )
    page = text(client.get("/datenschutz/"))
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Nr. 3" in page


def test_malformed_reviews_neither_break_nor_close_the_break_glass_queue(
    app, client, dpo, counsellor, clock
):
    access = open_break_glass(app, clock, counsellor, "c-7")
    review = AuditEvent.AUDIT_BREAK_GLASS_REVIEW.value
    for details in ("[1]", "{", json.dumps({"reviewed_seq": True})):
        insert_raw(app, clock, action=review, details=details)
    insert_raw(app, clock, action=review, details=json.dumps({"reviewed_seq": str(access.seq)}))
    for url in ("/datenschutz/", "/datenschutz/auffaelligkeiten"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "1 ungeprüfter Notfallzugriff" in text(response), url


def test_unknown_codes_are_shown_as_escaped_text(app, client, dpo, counsellor, clock):
    odd = insert_raw(
        app,
        clock,
        ts=clock.now() - timedelta(hours=12),  # Sunday night: the anomaly page lists it
        action=AuditEvent.CASE_CONTENT_READ.value,
        role="<i>chef</i>+counsellor",
        object_type="case",
        object_id="c-raw",
        purpose=SCRIPT,
        outcome="<b>kaputt</b>",
    )
    unknown = insert_raw(
        app, clock, action="<em>neu</em>", object_type="<u>ding</u>", object_id="<s>1</s>"
    )
    pages = {
        "/datenschutz/": 200,
        "/datenschutz/protokoll": 200,
        "/datenschutz/auffaelligkeiten": 200,
        "/datenschutz/zugriffe?typ=case&id=c-raw": 200,
    }
    for url, status in pages.items():
        response = client.get(url)
        assert response.status_code == status, url
        page = text(response)
        for raw in (SCRIPT, "<b>kaputt</b>", "<i>chef</i>", "<em>neu</em>", "<u>ding</u>"):
            assert raw not in page, (url, raw)
    log = text(client.get("/datenschutz/protokoll"))
    assert {odd.seq, unknown.seq} <= set(rows_of(log))
    for escaped in ("&lt;script&gt;", "&lt;b&gt;kaputt&lt;/b&gt;", "&lt;i&gt;chef&lt;/i&gt;, "):
        assert escaped in log
    assert (
        "&lt;em&gt;neu&lt;/em&gt;" in log and "&lt;u&gt;ding&lt;/u&gt; &lt;s&gt;1&lt;/s&gt;" in log
    )
    night = text(client.get("/datenschutz/auffaelligkeiten"))
    assert "c-raw" in night.split('id="off-hours-heading"', 1)[1]
    response = export(client)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    exported = json.loads(archive.read("entries.json"))["entries"]
    assert {item["seq"] for item in exported} >= {odd.seq, unknown.seq}


# --- M3: object ids are ids, not names ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("typ=case&id=Erika+Mustermann,+geb.+1980", "Namen oder andere Angaben zur Person"),
        ("typ=case&id=-2", "beginnt mit einem Buchstaben oder einer Ziffer"),
        ("typ=case&id=c%C3%A4-1", "Namen oder andere Angaben zur Person"),
        ("typ=case&id=" + "c" * 65, "höchstens 64"),
        ("typ=user&id=c-1", "nur Ziffern, höchstens 18"),
        ("typ=api_token&id=1234567890123456789", "nur Ziffern, höchstens 18"),
        ("typ=audit_entry&id=%EF%BC%91", "nur Ziffern"),  # a full-width digit
        ("typ=instance&id=1", "Bitte wählen Sie einen Eintrag aus der Liste"),
    ],
)
@pytest.mark.parametrize("report", ["/datenschutz/zugriffe", "/datenschutz/zugriffe/art15"])
def test_an_object_id_that_is_no_id_is_refused_and_not_recorded(
    app, client, dpo, report, query, message
):
    response = client.get(f"{report}?{query}")
    assert response.status_code == 400
    page = text(response)
    assert "Bitte prüfen Sie Ihre Eingaben" in page and message in page
    assert entries_of(app, AuditEvent.AUDIT_REPORT_ACCESS) == []


@pytest.mark.parametrize(
    ("query", "stored"),
    [
        ("typ=case&id=+c-1.a:b_2+", ("case", "c-1.a:b_2")),
        ("typ=user&id=42", ("user", "42")),
        ("typ=audit_checkpoint&id=123456789012345678", ("audit_checkpoint", "123456789012345678")),
    ],
)
def test_a_well_formed_object_id_is_reported_and_recorded(app, client, dpo, query, stored):
    assert client.get(f"/datenschutz/zugriffe?{query}").status_code == 200
    [recorded] = entries_of(app, AuditEvent.AUDIT_REPORT_ACCESS)
    assert (recorded.object_type, recorded.object_id) == stored


def test_the_report_form_offers_only_types_with_ids(client, dpo):
    page = text(client.get("/datenschutz/zugriffe"))
    form = page.split('name="typ"', 1)[1].split("</select>", 1)[0]
    assert 'value="case"' in form and 'value="user"' in form
    assert 'value="instance"' not in form


# --- L6 and L7: the search form -------------------------------------------------------------


def test_the_person_filter_is_an_account_number_from_a_list(app, client, dpo, counsellor, clock):
    for number in range(55):
        read_case(app, clock, counsellor, f"c-{number}")
    page = text(client.get(f"/datenschutz/protokoll?person={counsellor.id}"))
    person = page.split('name="person"', 1)[1].split("</select>", 1)[0]
    assert f'<option selected value="{counsellor.id}">yilmaz</option>' in person
    assert f'<option value="{dpo.id}">{dpo.username}</option>' in person
    links = [part.split('"', 1)[0] for part in page.split('href="')[1:]]
    paging = [link for link in links if "seite=" in link]
    assert paging and all(f"person={counsellor.id}" in link for link in paging)
    assert not any("yilmaz" in link for link in links)
    hidden = page.split('action="/datenschutz/protokoll/export"', 1)[1].split("</form>", 1)[0]
    assert f'name="person" value="{counsellor.id}"' in hidden and "yilmaz" not in hidden


def test_object_types_are_a_fixed_list(app, client, dpo, clock):
    record(app, clock, AuditEvent.AUTH_LOGOUT, object_type="zzz_sonst", object_id="1")
    page = text(client.get("/datenschutz/protokoll"))
    types = page.split('name="objektart"', 1)[1].split("</select>", 1)[0]
    offered = {part.split('"', 1)[0] for part in types.split('value="')[1:]} - {""}
    assert offered == {
        "activity",
        "api_token",
        "audit_checkpoint",
        "audit_entry",
        "campaign",
        "campaign_activity",
        "campaign_evidence",
        "campaign_indicator",
        "case",
        "centre",
        "coordinator_centre",
        "coordinator_package",
        "district",
        "district_profile",
        "endpoint",
        "instance",
        "kek",
        "report",
        "report_demand",
        "report_vignette",
        "stats_release",
        "user",
    }


def test_the_search_counts_only_its_own_selection(app, client, dpo):
    with captured(app) as statements:
        assert client.get("/datenschutz/protokoll?aktion=auth:logout").status_code == 200
    on_log = [" ".join(sql.split()) for sql in statements if "audit_entry" in sql]
    assert not any("DISTINCT" in sql.upper() for sql in on_log)
    counts = [sql for sql in on_log if "count(" in sql.lower()]
    assert counts and all("centre_id" in sql and "action" in sql for sql in counts)


def test_the_start_page_runs_no_anomaly_rules(app, client, dpo, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the start page must not scan the period")

    monkeypatch.setattr(findings, "collect", refuse)
    page = text(client.get("/datenschutz/"))
    assert "0 ungeprüfte Notfallzugriffe" in page
    assert 'href="/datenschutz/auffaelligkeiten"' in page


# --- M4: the export and the append lock -----------------------------------------------------


def test_the_file_is_built_after_the_append_lock_is_released(
    app, client, dpo, counsellor, clock, backend, monkeypatch
):
    written = [read_case(app, clock, counsellor, f"c-{n}") for n in range(3)]
    seen: dict[str, object] = {}
    build_zip = operations.export.build_zip

    def build_while_another_appends(items, *args, **kwargs):
        # Another request appends now; with the lock still held this would time out.
        options = {"connect_args": {"timeout": 2}} if backend.name == "sqlite" else {}
        engine = sa.create_engine(backend.url, **options)
        with engine.begin() as connection:
            if backend.name == "postgresql":
                connection.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
            seen["other"] = audit.record(
                connection, AuditEvent.AUTH_LOGOUT, Outcome.SUCCESS, now=clock.now()
            )
        engine.dispose()
        return build_zip(items, *args, **kwargs)

    monkeypatch.setattr(operations.export, "build_zip", build_while_another_appends)
    response = export(client, "aktion=case:content:read")
    assert response.status_code == 200, text(response)
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    checkpoint = audit.from_json(archive.read("checkpoint.json").decode())
    exported = [item["seq"] for item in json.loads(archive.read("entries.json"))["entries"]]
    assert exported == [entry.seq for entry in written]
    assert checkpoint.seq >= max(exported)
    [recorded] = entries_of(app, AuditEvent.AUDIT_LOG_EXPORT)
    assert max(exported) < recorded.seq <= checkpoint.seq
    other = seen["other"]
    assert isinstance(other, Entry) and other.seq > checkpoint.seq
    public_key = audit.load_public_key(archive.read("public-key.pem"))
    with app.app_context():
        assert audit.verify(db.session, public_key, external=[checkpoint]).intact


# --- checkpoints without a valid signature --------------------------------------------------


def test_an_unsigned_checkpoint_row_is_neither_shown_nor_offered(app, client, dpo, clock):
    post_form(client, "/datenschutz/pruefpunkte", {}, form_url="/datenschutz/")
    genuine = audit.from_json(text(client.get("/datenschutz/pruefpunkt.json")))
    for _ in range(3):
        record(app, clock, AuditEvent.AUTH_LOGOUT)
    with app.app_context():
        seq, head_hash = audit.head(db.session)
        db.session.execute(
            sa.insert(audit.audit_checkpoint).values(
                seq=seq,
                head_hash=head_hash,
                signed_at=clock.now(),
                key_id=genuine.key_id,
                signature=base64.b64encode(bytes(64)).decode("ascii"),
            )
        )
        db.session.commit()
    page = text(client.get("/datenschutz/"))
    assert f"bis Eintrag Nr. {genuine.seq} ab" in page
    assert f"bis Eintrag Nr. {seq} ab" not in page
    assert audit.from_json(text(client.get("/datenschutz/pruefpunkt.json"))).seq == genuine.seq


def test_a_log_that_no_longer_extends_the_signed_head_is_not_signed_again(app, client, dpo):
    from audit import signer_state
    from servicestelle import services

    with app.app_context():
        state = signer_state.state_path(services.settings().audit_signing_key_path)
    # What the signer remembers differs from the log: as after a rewrite of entry 1.
    state.write_text(json.dumps({"seq": 1, "head_hash": "f" * 64}), encoding="ascii")
    before = len(entries_of(app, AuditEvent.AUDIT_CHECKPOINT_CREATE))
    response = post_form(client, "/datenschutz/pruefpunkte", {}, form_url="/datenschutz/")
    assert response.status_code == 302
    assert "Es wurde nichts signiert" in text(client.get("/datenschutz/"))
    response = export(client)
    assert response.status_code == 302
    assert "Es wurde nichts signiert" in text(client.get(response.headers["Location"]))
    assert entries_of(app, AuditEvent.AUDIT_LOG_EXPORT) == []
    assert len(entries_of(app, AuditEvent.AUDIT_CHECKPOINT_CREATE)) == before
