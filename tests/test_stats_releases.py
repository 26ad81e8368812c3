"""The release workflow: draft → approve by another supervisor → published, signed →
revoked with a reason; exports verify and any changed byte fails."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from audit import AuditEvent
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import disclosure, exports, operations
from servicestelle.stats.models import StatsRecord
from servicestelle.stats.periods import Period, PeriodError
from servicestelle.stats.release_models import Release, ReleaseStatus
from tests import conftest
from tests.support.stats import AFTER_2026, add_records

ALL_TABLES = ["faelle", "alter", "merkmale", "merkmal_lebensbereich", "stadtteile"]


@pytest.fixture
def clock() -> conftest.FrozenClock:
    """After 2026: every period these tests draft has ended (an unfinished one is refused)."""
    return conftest.FrozenClock(AFTER_2026)


@pytest.fixture
def supervisors(app, make_user):  # type: ignore[no-untyped-def]
    first = make_user(Role.SUPERVISOR)
    second = make_user(Role.SUPERVISOR)
    counsellor = make_user(Role.COUNSELLOR)
    return first.id, second.id, counsellor.id


def user(user_id: int) -> User:
    found = db.session.get(User, user_id)
    assert found is not None
    return found


def _population(centre: int) -> None:
    add_records(centre, 30, age_band="27_45", grounds="geschlecht", life_areas="arbeit")
    add_records(centre, 12, age_band="46_64", grounds="lebensalter;geschlecht", life_areas="wohnen")
    add_records(centre, 2, age_band="u18", grounds="religion_weltanschauung", life_areas="bildung")


def _actions(centre: int) -> list[str]:
    rows = db.session.execute(
        sa.text("SELECT action FROM audit_entry WHERE centre_id = :c ORDER BY seq"), {"c": centre}
    )
    return [row[0] for row in rows]


def test_a_draft_is_frozen_with_its_hash_and_audit_and_shows_no_small_count(
    app, centre, supervisors
):
    with app.app_context():
        _population(centre)
        release = operations.draft_release(
            user(supervisors[0]), Period.parse("2026-Q1"), ALL_TABLES
        )
        content = json.loads(release.content)
        assert release.status == ReleaseStatus.DRAFT
        assert release.audit_passed
        values = [f["value"] for t in content["tables"] for f in t["figures"]]
        assert all(v is None or v == 0 or v >= 5 for v in values)
        assert None in values  # the two children under 18 are not published
        audit = json.loads(release.audit)
        assert audit["passed"] and audit["audit"]["cells"]
        # The stored audit gives intervals, never a suppressed cell's value.
        assert all("value" not in cell for cell in audit["audit"]["cells"])
        assert AuditEvent.STATS_RELEASE_DRAFT.value in _actions(centre)


def test_the_drafter_cannot_approve_and_another_supervisor_publishes_a_signed_release(
    app, centre, supervisors
):
    with app.app_context():
        _population(centre)
        release = operations.draft_release(
            user(supervisors[0]), Period.parse("2026-Q1"), ALL_TABLES
        )
        with pytest.raises(operations.ReleaseError, match="Vier Augen"):
            operations.approve_release(user(supervisors[0]), release)
        with pytest.raises(operations.ReleaseError):
            operations.approve_release(user(supervisors[2]), release)  # a counsellor
        assert db.session.get(Release, release.id).status == ReleaseStatus.DRAFT
        operations.approve_release(user(supervisors[1]), release)
        published = db.session.get(Release, release.id)
        assert published.status == ReleaseStatus.PUBLISHED
        assert published.decided_by == supervisors[1]
        exported = exports.export_json(published, "TEST")
        exports.verify_export(json.loads(json.dumps(exported)))
        with pytest.raises(operations.ReleaseError):
            operations.approve_release(user(supervisors[1]), published)  # once only
        assert AuditEvent.STATS_RELEASE_APPROVE.value in _actions(centre)


def test_a_changed_byte_anywhere_in_an_export_fails_verification(app, centre, supervisors):
    with app.app_context():
        _population(centre)
        release = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ["alter"])
        operations.approve_release(user(supervisors[1]), release)
        text = json.dumps(exports.export_json(db.session.get(Release, release.id), "TEST"))
    exports.verify_export(json.loads(text))
    changed = 0
    for position in range(0, len(text), 7):
        tampered = text[:position] + chr(ord(text[position]) ^ 1) + text[position + 1 :]
        try:
            data = json.loads(tampered)
        except ValueError:
            continue  # no longer JSON: refused before any check
        if data == json.loads(text):
            continue  # e.g. whitespace between tokens: the same document
        with pytest.raises(ValidationError):
            exports.verify_export(data)
        changed += 1
    assert changed > 50


@pytest.mark.parametrize("forged", ["30", 30.0, 30.4, True])
def test_a_count_that_only_loads_as_the_signed_one_fails_verification(
    app, centre, supervisors, forged
):
    """A reader acts on the JSON as given: 30.4 or "30" must not pass for the signed 30."""
    with app.app_context():
        _population(centre)
        release = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ["alter"])
        operations.approve_release(user(supervisors[1]), release)
        data = json.loads(
            json.dumps(exports.export_json(db.session.get(Release, release.id), "TEST"))
        )
    exports.verify_export(data)
    figure = next(f for f in data["content"]["tables"][0]["figures"] if f["value"] == 30)
    figure["value"] = forged

    with pytest.raises(ValidationError):
        exports.verify_export(data)


def test_a_tampered_draft_cannot_be_approved(app, centre, supervisors):
    with app.app_context():
        _population(centre)
        release = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ["alter"])
        release.content = release.content.replace('"value":30', '"value":31')
        db.session.commit()
        with pytest.raises(operations.ReleaseError, match="verändert"):
            operations.approve_release(user(supervisors[1]), release)


def test_a_draft_made_before_another_release_of_the_year_came_out_must_be_redrafted(
    app, centre, supervisors, clock
):
    with app.app_context():
        _population(centre)
        first = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ["alter"])
        year = operations.draft_release(user(supervisors[0]), Period.parse("2026"), ["alter"])
        clock.advance(seconds=60)
        operations.approve_release(user(supervisors[1]), first)
        with pytest.raises(operations.ReleaseError, match="neu"):
            operations.approve_release(user(supervisors[1]), year)
        clock.advance(seconds=60)
        again = operations.draft_release(user(supervisors[0]), Period.parse("2026"), ["alter"])
        clock.advance(seconds=60)
        operations.approve_release(user(supervisors[1]), again)


def test_reject_and_revoke_need_a_reason_and_are_audited(app, centre, supervisors):
    with app.app_context():
        _population(centre)
        release = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ["alter"])
        with pytest.raises(operations.ReleaseError, match="Begründung"):
            operations.reject_release(user(supervisors[1]), release, "   ")
        operations.reject_release(user(supervisors[1]), release, "Zahlen für Q1 unvollständig")
        assert db.session.get(Release, release.id).status == ReleaseStatus.REJECTED
        with pytest.raises(operations.ReleaseError):
            operations.approve_release(user(supervisors[1]), release)
        second = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ["alter"])
        operations.approve_release(user(supervisors[1]), second)
        with pytest.raises(operations.ReleaseError, match="Begründung"):
            operations.revoke_release(user(supervisors[0]), second, "")
        operations.revoke_release(user(supervisors[0]), second, "Falsche Tabelle")
        assert db.session.get(Release, second.id).status == ReleaseStatus.REVOKED
        actions = _actions(centre)
        assert AuditEvent.STATS_RELEASE_REJECT.value in actions
        assert AuditEvent.STATS_RELEASE_REVOKE.value in actions
        # The reason is kept with the release, never in the audit log.
        details = db.session.execute(sa.text("SELECT details FROM audit_entry")).scalars().all()
        assert not any("Falsche Tabelle" in (d or "") for d in details)


def test_a_revoked_release_still_counts_as_known_to_the_next_draft(app, centre, supervisors):
    with app.app_context():
        _population(centre)
        first = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ["alter"])
        operations.approve_release(user(supervisors[1]), first)
        operations.revoke_release(user(supervisors[0]), first, "Tippfehler im Titel")
        earlier = operations._earlier(centre, 2026)
    assert [e.release_id for e in earlier] == [first.id]


def test_a_period_outside_the_catalogue_and_an_unknown_table_are_refused(app, centre, supervisors):
    with app.app_context():
        with pytest.raises(PeriodError, match="Quartale, Halbjahre oder Jahre"):
            Period.parse("2026-03")
        with pytest.raises(operations.ReleaseError):
            operations.draft_release(user(supervisors[0]), Period.parse("2026"), ["nope"])
        with pytest.raises(operations.ReleaseError):
            operations.draft_release(user(supervisors[0]), Period.parse("2026"), [])


def _opened_total(release: Release) -> int | None:
    table = next(t for t in json.loads(release.content)["tables"] if t["id"] == "faelle")
    return next(f["value"] for f in table["figures"] if f["key"] == "opened")


def test_a_withdrawn_statistics_consent_makes_the_next_release_count_one_case_less(
    app, centre, supervisors, make_user, clock
):
    from datetime import date

    from servicestelle.cases import operations as cases
    from servicestelle.cases import parts
    from servicestelle.cases import payload as rules
    from tests.support.cases import acting_as, load

    counsellor = make_user(Role.COUNSELLOR).id
    content = rules.load_payload({"client": {"age_band": {"codes": ["27_45"]}}})
    ids = []
    for _ in range(6):
        with acting_as(app, counsellor) as actor:
            ids.append(
                cases.create_case(actor, content, cases.Metadata(opened_on=date(2026, 2, 2))).id
            )
    with acting_as(app, counsellor):
        consent = parts.record_consent(
            load(counsellor, ids[0]), "statistik", date(2026, 2, 2), "schriftlich"
        )
    with app.app_context():
        before = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ["faelle"])
        assert _opened_total(before) == 6
    with acting_as(app, counsellor):
        parts.withdraw_consent(load(counsellor, ids[0]), consent.id, date(2026, 2, 3))
    with app.app_context():
        after = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ["faelle"])
        assert _opened_total(after) == 5


def test_a_period_whose_published_figures_changed_cannot_be_published_again(
    app, centre, supervisors, clock
):
    """Publish Q1; a case of Q1 leaves the statistics; a second Q1 release, or the year, would
    give that client's whole profile away as old minus new figures — refused. Q2 does not
    overlap Q1 and may still be published."""
    with app.app_context():
        _population(centre)
        add_records(centre, 8, age_band="27_45", opened_month="2026-04")
        first = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ALL_TABLES)
        clock.advance(seconds=60)
        operations.approve_release(user(supervisors[1]), first)
        one = db.session.scalars(
            sa.select(StatsRecord).where(StatsRecord.age_band == "46_64")
        ).first()
        db.session.delete(one)  # as a withdrawal of the statistics consent does
        db.session.commit()
        clock.advance(seconds=60)
        for period in ("2026-Q1", "2026-H1", "2026"):
            with pytest.raises(operations.ReleaseError, match="Differenzbildung") as refusal:
                operations.draft_release(user(supervisors[0]), Period.parse(period), ALL_TABLES)
            assert "2026-Q1" in str(refusal.value)
        q2 = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q2"), ["alter"])
        assert q2.audit_passed


def test_an_unchanged_period_may_be_published_again_and_within_the_year(
    app, centre, supervisors, clock
):
    with app.app_context():
        _population(centre)
        first = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ALL_TABLES)
        clock.advance(seconds=60)
        operations.approve_release(user(supervisors[1]), first)
        clock.advance(seconds=60)
        again = operations.draft_release(user(supervisors[0]), Period.parse("2026-Q1"), ALL_TABLES)
        year = operations.draft_release(user(supervisors[0]), Period.parse("2026"), ALL_TABLES)
        assert again.audit_passed and year.audit_passed
        assert json.loads(again.content)["tables"] == json.loads(first.content)["tables"]


def test_a_failed_audit_stores_no_interval_that_could_be_the_value(app, centre, supervisors):
    with app.app_context():
        add_records(centre, 1, grounds="geschlecht", life_areas="")
        add_records(centre, 5, grounds="geschlecht;lebensalter", life_areas="arbeit")
        stored = operations._stored_audit(
            disclosure.Protection(
                suppressed=frozenset({"x"}),
                primary=frozenset({"x"}),
                complementary=frozenset(),
                audit=disclosure.Audit(5, (disclosure.CellAudit("x", 2, 2, 2, False),)),
            ),
            5,
        )
    (cell,) = stored["audit"]["cells"]
    assert cell["low"] is None and cell["high"] is None and "value" not in cell
