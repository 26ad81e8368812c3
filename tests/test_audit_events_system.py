"""Audited operations of the system: scheduled checkpoints, settings changes, and
operations that fail as a whole when their entry cannot be written.

Entries are read back as test_audit_events.py describes (helpers: tests/support/audit_log.py).
"""

from __future__ import annotations

import contextlib
import json
import threading

import sqlalchemy as sa

import audit
from audit.checkpoint import stored_checkpoints
from servicestelle import audit_trail, create_app, settings_audit
from servicestelle.api.models import ApiToken
from servicestelle.auth.models import LoginThrottle, User
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import SECRET, login, make_settings, post_form
from tests.support.audit_log import (
    WRONG_PASSWORD,
    assert_nowhere_in_log,
    described,
    entries,
    expected,
    head,
    password_step,
    request_id,
)
from tests.support.statements import captured
from tests.support.threads import run_together

# --- checkpoints --------------------------------------------------------------------------


def test_a_checkpoint_is_signed_on_the_first_entry_and_again_when_due(app, make_user, clock):
    make_user(Role.COUNSELLOR)

    first = entries(app)
    assert [row.action for row in first] == [
        "org:centre:create",  # the centre fixture: the first entry of the log
        "audit:checkpoint:create",
        "user:account:create",
    ]
    with app.app_context():
        key_id = audit_trail.public_key_id()
        public = audit_trail.public_key()
        stored = stored_checkpoints(db.session)
    assert [(c.seq, c.head_hash, c.signed_at) for c in stored] == [
        (1, first[0].entry_hash, clock.now())
    ]
    assert stored[0].is_signed_by(public)
    assert described(first[1]) == expected(
        request_id=None,
        role="operator",  # written outside a request, like every command-line action
        object_type="audit_checkpoint",
        object_id=1,
        details={"seq": 1, "key_id": key_id},
    )

    minutes = app.extensions["servicestelle.settings"].audit_checkpoint_minutes
    clock.advance(minutes=minutes, seconds=-1)
    make_user(Role.COUNSELLOR)
    assert len(entries(app, action="audit:checkpoint:create")) == 1
    clock.advance(seconds=1)
    make_user(Role.COUNSELLOR)

    checkpoints = entries(app, action="audit:checkpoint:create")
    assert len(checkpoints) == 2
    created = entries(app, action="user:account:create")
    assert checkpoints[1].seq == created[-1].seq + 1
    assert json.loads(checkpoints[1].details) == {"seq": created[-1].seq, "key_id": key_id}
    with app.app_context():
        latest = audit.latest_checkpoint(db.session)
        verdict = audit.verify(db.session, public)
    assert (latest.seq, latest.head_hash) == (created[-1].seq, created[-1].entry_hash)
    assert verdict.intact and verdict.checkpoints == 2, verdict.summary()


def test_entries_between_checkpoints_do_not_read_the_checkpoints(app, make_user, clock):
    """The next due time is remembered from the checkpoint read last: the audited requests in
    between (every case page writes one entry) neither query nor verify checkpoints."""
    make_user(Role.COUNSELLOR)  # the first checkpoint; the next entry learns when one is due
    make_user(Role.COUNSELLOR)
    clock.advance(minutes=5)
    with captured(app) as statements:
        make_user(Role.COUNSELLOR)
    assert any("INSERT INTO audit_entry" in statement for statement in statements)
    assert not [statement for statement in statements if "audit_checkpoint" in statement]


def test_the_due_time_is_remembered_only_when_the_transaction_commits(app, make_user):
    """The checkpoint an entry reads may be its own transaction's, not yet saved: a
    transaction that rolls back must leave the schedule as the database has it."""
    make_user(Role.COUNSELLOR)  # the first checkpoint, committed
    app.extensions.pop(audit_trail.CHECKPOINT_DUE_EXTENSION, None)
    with app.app_context():
        audit_trail.record(audit.AuditEvent.SYSTEM_SETTINGS_CHANGE, object_type="instance")
        db.session.rollback()
    assert audit_trail.CHECKPOINT_DUE_EXTENSION not in app.extensions
    make_user(Role.COUNSELLOR)
    assert audit_trail.CHECKPOINT_DUE_EXTENSION in app.extensions


def test_no_scheduled_checkpoint_when_switched_off(tmp_path, backend, clock):
    from servicestelle.auth.operations import create_user
    from servicestelle.centres.operations import create_centre

    app = create_app(make_settings(tmp_path, backend.url, audit_checkpoint_minutes=0), clock=clock)
    try:
        with app.app_context():
            centre = create_centre("AUS", "Ohne Checkpoints")
            create_user(
                centre=centre,
                username="anna",
                display_name="",
                password="korrekt pferd batterie heftklammer",
                roles=[Role.COUNSELLOR],
            )
        assert [row.action for row in entries(app)] == ["org:centre:create", "user:account:create"]
        with app.app_context():
            assert audit.latest_checkpoint(db.session) is None
    finally:
        with app.app_context():
            db.engine.dispose()


# --- settings -----------------------------------------------------------------------------


def test_settings_changes_are_audited_by_name_never_by_value(app, backend, tmp_path, clock):
    with app.app_context():
        first = settings_audit.record_changes()
        again = settings_audit.record_changes()

    assert {"secret_key", "database_url", "session_idle_minutes", "audit_signing_key"} <= set(first)
    assert "instance_path" not in first
    assert again == []
    started = entries(app, action="system:settings:change")
    assert sorted(name for row in started for name in json.loads(row.details)["changed"]) == sorted(
        first
    )
    assert all(json.loads(row.details)["first_start"] is True for row in started)

    changed_app = create_app(
        make_settings(tmp_path, backend.url, session_idle_minutes=20), clock=clock
    )
    try:
        with changed_app.app_context():
            assert settings_audit.record_changes() == ["session_idle_minutes"]
    finally:
        with changed_app.app_context():
            db.engine.dispose()

    after_change = entries(app, action="system:settings:change")
    assert len(after_change) == len(started) + 1
    assert described(after_change[-1]) == expected(
        request_id=None,
        role="operator",
        object_type="instance",
        details={"changed": ["session_idle_minutes"], "first_start": False},
    )
    password = sa.make_url(backend.url).password
    secrets_ = [SECRET.decode(), SECRET.hex(), backend.url, str(tmp_path)]
    assert_nowhere_in_log(app, *secrets_, *([password] if password else []))
    with app.app_context():
        facts = db.session.execute(sa.text("SELECT key, value FROM instance_facts")).all()
    assert not [fact for fact in facts for s in secrets_ if s in fact.value]


def test_two_processes_starting_together_record_the_settings_once(app, monkeypatch):
    """Two servers started at once (behind one proxy, or a restart overlapping the old
    process) both find the settings new. The second must wait for the first and find them
    stored, not insert the same facts again and fail to start (found by bench/load with
    --servers 2). Both read their facts at a barrier, where the race would be."""
    from servicestelle import instance_state

    barrier = threading.Barrier(2)
    read_fact = instance_state.get_fact
    first_read: set[int] = set()

    def get_fact_at_the_barrier(key: str) -> str | None:
        if threading.get_ident() not in first_read:
            first_read.add(threading.get_ident())
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=2)  # the other start is held by the lock, or here too
        return read_fact(key)

    with app.app_context():
        audit_trail.signing_key()  # as `servicestelle init` does before any start
    monkeypatch.setattr(settings_audit, "get_fact", get_fact_at_the_barrier)
    results: list[list[str]] = []

    def start() -> None:
        with app.app_context():
            results.append(settings_audit.record_changes())

    assert run_together(start, start) == []
    assert sorted(len(changed) for changed in results)[0] == 0  # the second found them stored
    assert "secret_key" in max(results, key=len)
    changes = entries(app, action="system:settings:change")
    assert sorted(n for row in changes for n in json.loads(row.details)["changed"]) == sorted(
        max(results, key=len)
    )


def test_a_changed_database_password_is_audited_and_never_written(app, monkeypatch):
    """The password is part of the database URL's fingerprint (keyed, so the stored digest
    cannot be used to test guesses offline) and appears nowhere."""
    base = app.extensions["servicestelle.settings"]
    old_url = "postgresql+psycopg://servicestelle:Kanarienvogel-alt@db.example:5432/servicestelle"
    new_url = old_url.replace("Kanarienvogel-alt", "Kanarienvogel-neu")
    with app.app_context():
        monkeypatch.setitem(
            app.extensions, "servicestelle.settings", base.with_changes(database_url=old_url)
        )
        settings_audit.record_changes()
        monkeypatch.setitem(
            app.extensions, "servicestelle.settings", base.with_changes(database_url=new_url)
        )
        changed = settings_audit.record_changes()
        facts = db.session.execute(sa.text("SELECT key, value FROM instance_facts")).all()

    assert changed == ["database_url"]
    assert json.loads(entries(app, action="system:settings:change")[-1].details) == {
        "changed": ["database_url"],
        "first_start": False,
    }
    assert_nowhere_in_log(app, "Kanarienvogel")
    assert not [fact for fact in facts if "Kanarienvogel" in fact.key + fact.value]


def test_the_database_url_fingerprint_is_keyed_with_the_secret_key(app):
    """Without the secret key, a stored fingerprint cannot be matched against guesses."""
    url = "postgresql+psycopg://servicestelle:geheim@db.example/servicestelle"
    settings = app.extensions["servicestelle.settings"].with_changes(database_url=url)
    with app.app_context():
        first = settings_audit.fingerprints(settings)
        again = settings_audit.fingerprints(settings)
        other_key = settings_audit.fingerprints(settings.with_changes(secret_key=SECRET[::-1]))

    assert first == again
    assert first["database_url"] != other_key["database_url"]


# --- atomicity ----------------------------------------------------------------------------


def refuse_audit_inserts(backend) -> None:
    """Make the database refuse every new audit entry (as the table owner could)."""
    engine = sa.create_engine(backend.owner_url)
    with engine.begin() as connection:
        if backend.name == "sqlite":
            connection.execute(
                sa.text(
                    "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_entry "
                    "BEGIN SELECT RAISE(ABORT, 'boom'); END"
                )
            )
        else:
            connection.execute(
                sa.text(
                    "CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'boom'; END $$"
                )
            )
            connection.execute(
                sa.text(
                    "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_entry "
                    "FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()"
                )
            )
    engine.dispose()


def assert_generic_error_page(response) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Es wurde nichts gespeichert." in page
    assert "Traceback" not in page and "boom" not in page and "audit_entry" not in page
    # The one place the request id is shown: for the support to find the log line.
    assert request_id(response) in page


def count(app, statement) -> int:
    with app.app_context():
        return int(db.session.scalar(statement))


def test_user_creation_fails_as_a_whole_when_its_entry_cannot_be_written(
    app, client, backend, login_as
):
    login_as(Role.ADMIN)
    users_before = count(app, sa.select(sa.func.count()).select_from(User))
    mark = head(app)
    refuse_audit_inserts(backend)
    response = post_form(
        client,
        "/verwaltung/benutzer/neu",
        {"username": "ohne.protokoll", "password": "erstes passwort fuer dich", "roles": ["dpo"]},
    )

    assert_generic_error_page(response)
    assert count(app, sa.select(sa.func.count()).select_from(User)) == users_before
    assert count(app, sa.text("SELECT count(*) FROM user_roles")) == users_before
    assert head(app) == mark


def test_token_creation_fails_as_a_whole_when_its_entry_cannot_be_written(
    app, client, backend, make_user, clock
):
    user = make_user(Role.COUNSELLOR)
    login(client, user, clock)
    refuse_audit_inserts(backend)
    response = post_form(
        client, "/konto/tokens/neu", {"name": "Skript", "days": "30"}, form_url="/konto/tokens"
    )

    assert_generic_error_page(response)
    assert "sst_" not in response.get_data(as_text=True)
    assert count(app, sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_a_failed_login_is_counted_even_when_its_entry_cannot_be_written(
    app, client, backend, make_user
):
    """A broken audit log must not switch the throttle off (every guess would end before
    its failure was counted): the failure is counted on its own, the request still fails."""
    user = make_user(Role.COUNSELLOR)
    mark = head(app)
    refuse_audit_inserts(backend)
    response = password_step(client, user.username, WRONG_PASSWORD)

    assert_generic_error_page(response)
    assert head(app) == mark
    with app.app_context():
        rows = db.session.execute(
            sa.select(LoginThrottle.failures, LoginThrottle.in_flight_until)
        ).all()
    # One row per throttle key (account and client address), each counted once, claim released.
    assert sorted(row.failures for row in rows) == [1, 1], rows
    assert all(row.in_flight_until is None for row in rows), rows


def test_a_denial_that_cannot_be_audited_is_not_answered_with_the_page(
    app, client, backend, login_as
):
    login_as(Role.COUNSELLOR)
    refuse_audit_inserts(backend)
    response = client.get("/verwaltung/benutzer")

    assert_generic_error_page(response)
