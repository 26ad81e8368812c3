"""Betrieb und Sicherheit (/betrieb): who may see it, what it judges, what it never shows.

The page is read by the administrator and by the DPO signing off on a deployment; each row
carries its status as a word (never only a colour). The transitions (no checkpoint handed
out → warning; the DPO's export → ok; 30 days later → warning again) are driven through the
same audit entries the real flows write.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

import audit
from audit import AuditEvent, Outcome
from servicestelle import audit_trail, create_app
from servicestelle.config import ConfigError, Settings
from servicestelle.extensions import db
from servicestelle.keyring_custody import PASSPHRASE_FILENAME
from servicestelle.operations import checks, keys, records
from servicestelle.operations.findings import Finding, Status
from servicestelle.roles import Role
from tests import conftest
from tests.conftest import https_client, login
from tests.support.cli import write_secret_file
from tests.test_config import production_env

PAGE = "/betrieb"
only_sqlite = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def statuses(page: str) -> dict[str, str]:
    """check key → status, as the rows carry them."""
    return dict(re.findall(r'<tr id="check-([a-z0-9_]+)" data-status="([a-z]+)">', page))


def row_text(page: str, key: str) -> str:
    match = re.search(rf'<tr id="check-{key}"[^>]*>(.*?)</tr>', page, re.S)
    assert match is not None, key
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def value_of(page: str, key: str) -> str:
    """The row's "Aktueller Wert" cell."""
    match = re.search(rf'<tr id="check-{key}"[^>]*>.*?<td>(.*?)</td>', page, re.S)
    assert match is not None, key
    return html.unescape(match.group(1)).strip()


def status_of(found: list[Finding], key: str) -> Status:
    return next(finding.status for finding in found if finding.key == key)


@pytest.fixture
def key_file(tmp_path):  # type: ignore[no-untyped-def]
    return write_secret_file(tmp_path / "secret_key_file")


# --- who may see it ------------------------------------------------------------------------------


def test_admin_sees_every_section_with_the_warnings_of_the_test_settings(
    app, client, login_as, backend
):
    login_as(Role.ADMIN)
    response = client.get(PAGE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Betrieb und Sicherheit</h1>" in page
    found = statuses(page)
    # The test profile, and an instance whose log nobody has handed out, checked or backed up.
    for key in ("profile", "checkpoint_export", "verification", "backup", "passphrase"):
        assert found[key] == "warning", key
    for key in ("debug", "https", "cookies", "schema", "checkpoint_schedule", "data_keys"):
        assert found[key] == "ok", key
    # The database's own protection of the log: has_table_privilege as the application role.
    if backend.name == "postgresql":
        assert found["audit_protection"] == "ok" and found["backend"] == "ok"
        assert "Rolle servicestelle_app" in row_text(page, "audit_protection")
        assert "PostgreSQL" in row_text(page, "database_version")
        # The suite's private cluster runs with fsync and full_page_writes off for speed:
        # exactly what a production server must never do.
        assert found["durability"] == "warning"
        assert value_of(page, "durability") == "aus: fsync, full_page_writes"
    else:
        assert found["audit_protection"] == "notice" and found["backend"] == "notice"
        assert "SQLite" in row_text(page, "database_version")
        assert found["durability"] == "ok"  # WAL with synchronous=FULL
    # No contact for accessibility reports configured in the test settings.
    assert found["accessibility_contact"] == "notice"
    assert len(found) >= 25
    # Status in words, in an accessible table: caption, column and row headers.
    assert "Warnung" in row_text(page, "backup") and "in Ordnung" in row_text(page, "schema")
    assert page.count("<caption>") == 6 and '<th scope="row">' in page
    assert page.count('<th scope="col">Bewertung</th>') == 6
    # The navigation offers it, marked as the current page.
    assert 'href="/betrieb" aria-current="page"' in page


@only_sqlite
def test_the_dpo_reads_it_case_workers_are_refused_and_anonymous_goes_to_login(
    app, make_user, clock
):
    dpo = https_client(app)
    login(dpo, make_user(Role.DPO), clock)
    response = dpo.get(PAGE)
    assert response.status_code == 200 and "Betrieb und Sicherheit" in response.get_data(True)
    for role in (Role.COUNSELLOR, Role.SUPERVISOR):
        worker = https_client(app)
        login(worker, make_user(role), clock)
        refused = worker.get(PAGE)
        assert refused.status_code == 403, role
        assert 'href="/betrieb"' not in worker.get("/").get_data(as_text=True)
    anonymous = https_client(app).get(PAGE)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/anmelden")


@only_sqlite
def test_a_request_through_an_unregistered_proxy_is_flagged(app, client, login_as):
    login_as(Role.ADMIN)
    direct = statuses(client.get(PAGE).get_data(as_text=True))
    assert direct["proxies"] == "notice" and direct["https"] == "ok"
    proxied = client.get(PAGE, headers={"X-Forwarded-For": "203.0.113.7"})
    assert statuses(proxied.get_data(as_text=True))["proxies"] == "warning"
    # A plain-http client cannot log in (the session cookie is Secure): judged directly.
    context = checks.Context(app.extensions["servicestelle.settings"], conftest.START, False, False)
    with app.test_request_context():
        assert status_of(checks.transport(context), "https") == Status.WARNING


# --- what it judges ------------------------------------------------------------------------------


@only_sqlite
def test_only_the_dpos_export_or_download_counts_as_a_checkpoint_handed_out(app, make_user, clock):
    from servicestelle.auth.models import User
    from servicestelle.dpo import operations as dpo_operations
    from servicestelle.dpo.queries import LogFilter

    settings = app.extensions["servicestelle.settings"]
    dpo_id = make_user(Role.DPO).id
    with app.test_request_context():
        assert status_of(records.audit_log(settings, clock.now()), "checkpoint_export") == (
            Status.WARNING
        )
        # `servicestelle audit checkpoint --out` and the hourly schedule write the same entry:
        # signed on the server, not known to have left it.
        audit_trail.create_checkpoint(None)
        db.session.commit()
        found = records.audit_log(settings, clock.now())
        assert status_of(found, "checkpoint") == Status.OK
        assert status_of(found, "checkpoint_export") == Status.WARNING

        dpo_operations.export_log(db.session.get_one(User, dpo_id), LogFilter(), {})
        assert status_of(records.audit_log(settings, clock.now()), "checkpoint_export") == (
            Status.OK
        )
        later = clock.now() + timedelta(days=settings.checkpoint_export_warn_days)
        assert status_of(records.audit_log(settings, later), "checkpoint_export") == (
            Status.WARNING
        )
        shorter = settings.with_changes(checkpoint_export_warn_days=31)
        assert status_of(records.audit_log(shorter, later), "checkpoint_export") == Status.OK


@only_sqlite
def test_the_dpos_checkpoint_download_is_audited_and_counts_as_handed_out(
    app, client, login_as, clock
):
    settings = app.extensions["servicestelle.settings"]
    with app.test_request_context():
        audit_trail.create_checkpoint(None)
        db.session.commit()
        assert status_of(records.audit_log(settings, clock.now()), "checkpoint_export") == (
            Status.WARNING
        )
    login_as(Role.DPO)
    downloaded = client.get("/datenschutz/pruefpunkt.json")
    assert downloaded.status_code == 200
    seq = downloaded.get_json()["seq"]
    with app.test_request_context():
        entry = db.session.execute(
            sa.text("SELECT outcome, details FROM audit_entry WHERE action = :action"),
            {"action": AuditEvent.AUDIT_CHECKPOINT_EXPORT.value},
        ).one()
        assert entry.outcome == Outcome.SUCCESS.value and json.loads(entry.details) == {"seq": seq}
        assert status_of(records.audit_log(settings, clock.now()), "checkpoint_export") == (
            Status.OK
        )


@only_sqlite
def test_verification_and_backup_turn_ok_when_done_and_warn_when_old_or_broken(app, clock):
    settings = app.extensions["servicestelle.settings"]
    with app.test_request_context():
        audit_trail.record(AuditEvent.AUDIT_CHAIN_VERIFY, details={"entries": 1})
        audit_trail.record(AuditEvent.SYSTEM_BACKUP_CREATE, object_type="backup")
        db.session.commit()
        found = records.audit_log(settings, clock.now())
        assert status_of(found, "verification") == Status.OK
        assert status_of(found, "backup") == Status.OK
        in_two_days = clock.now() + timedelta(days=settings.backup_warn_days)
        assert status_of(records.audit_log(settings, in_two_days), "backup") == Status.WARNING
        # A failed backup run is no backup.
        audit_trail.record(AuditEvent.SYSTEM_BACKUP_CREATE, Outcome.FAILURE, object_type="backup")
        db.session.commit()
        assert status_of(records.audit_log(settings, in_two_days), "backup") == Status.WARNING
        # A verification that found damage outranks an older success.
        audit_trail.record(AuditEvent.AUDIT_CHAIN_VERIFY, Outcome.FAILURE, details={"entries": 1})
        db.session.commit()
        broken = [f for f in records.audit_log(settings, clock.now()) if f.key == "verification"]
        assert broken[0].status == Status.WARNING and "beschädigt" in broken[0].value


def test_a_scheduled_checkpoint_that_stopped_is_a_warning_not_an_old_ok(app, clock, caplog):
    """The schedule signs at the first entry an interval after the last checkpoint; when it
    refuses (the log no longer extends the head signed last), entries go on unsigned and the
    page must say so instead of showing the last good checkpoint as in order."""
    from audit import signer_state

    settings = app.extensions["servicestelle.settings"]
    assert settings.audit_checkpoint_minutes == 60
    state = signer_state.state_path(settings.audit_signing_key_path)
    with app.test_request_context():
        audit_trail.create_checkpoint(None)
        db.session.commit()
        clock.advance(minutes=30)  # within the interval: nothing due, nothing overdue
        audit_trail.record(AuditEvent.ORG_CENTRE_CREATE, object_type="centre", object_id=1)
        db.session.commit()
        assert status_of(records.audit_log(settings, clock.now()), "checkpoint") == Status.OK
        # The signer remembers a head the log does not extend: every scheduled signature is
        # refused from now on (what a rewritten or cut log looks like to the signer).
        signed = audit.latest_checkpoint(db.session, audit_trail.public_key())
        assert signed is not None
        signer_state.write_state(state, signed.seq + 1000, "0" * 64)
        clock.advance(hours=2)
        audit_trail.record(AuditEvent.ORG_CENTRE_CREATE, object_type="centre", object_id=2)
        db.session.commit()
        assert "scheduled audit checkpoint refused" in caplog.text
        overdue = next(f for f in records.audit_log(settings, clock.now()) if f.key == "checkpoint")
        assert overdue.status == Status.WARNING
        assert f"Nr. {signed.seq}" in overdue.value
        # Without a schedule, an old checkpoint is only as old as the operator chose.
        manual = settings.with_changes(audit_checkpoint_minutes=0)
        assert status_of(records.audit_log(manual, clock.now()), "checkpoint") == Status.OK


@only_sqlite
def test_the_primary_key_gets_a_notice_after_two_years_and_a_rotation_resets_it(app, clock):
    from servicestelle import services

    settings = app.extensions["servicestelle.settings"]
    with app.test_request_context():
        audit_trail.record(AuditEvent.ORG_CENTRE_CREATE, object_type="centre", object_id=1)
        db.session.commit()
        fresh = keys.findings(settings, clock.now())
        assert status_of(fresh, "primary_key") == Status.OK
        old = clock.now() + timedelta(days=keys.KEK_ROTATION_DAYS + 1)
        assert status_of(keys.findings(settings, old), "primary_key") == Status.NOTICE
        new_id = services.keyring_holder().modify(lambda ring: ring.rotate())
        clock.moment = old
        audit_trail.record(AuditEvent.CRYPTO_KEK_ROTATE, object_type="kek", object_id=new_id)
        db.session.commit()
        rotated = keys.findings(settings, old)
        assert status_of(rotated, "primary_key") == Status.OK
        assert f"Nr. {new_id}" in next(f.value for f in rotated if f.key == "primary_key")


def test_production_settings_and_files_are_judged(tmp_path, key_file):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    settings = Settings.from_env(production_env(tmp_path, key_file))
    app = create_app(settings, clock=conftest.FrozenClock())
    with app.test_request_context():
        found = checks.configured(settings) + keys.findings(settings, conftest.START)
        transport = checks.transport(checks.Context(settings, conftest.START, True, True))
    by_key = {finding.key: finding for finding in found + transport}
    assert by_key["argon2"].status == Status.OK and by_key["profile"].status == Status.OK
    assert by_key["hsts"].status == Status.OK and by_key["proxies"].status == Status.WARNING
    assert by_key["secret_key"].status == Status.OK and str(key_file) in by_key["secret_key"].value
    assert by_key["instance"].status == Status.OK
    assert by_key["keyring"].status == Status.WARNING  # not initialised: no keyring yet
    assert by_key["passphrase"].status == Status.OK  # asked at start, no file beside it
    # No passphrase file and nobody at a prompt: the page says so, it never asks.
    assert by_key["primary_key"].status == Status.WARNING
    (instance / PASSPHRASE_FILENAME).write_text("left over")
    key_file.chmod(0o640)
    with app.test_request_context():
        again = {f.key: f for f in keys.findings(settings, conftest.START)}
    assert again["passphrase"].status == Status.WARNING
    assert again["secret_key"].status == Status.WARNING
    assert "auch für andere lesbar" in again["secret_key"].value
    with app.app_context():
        db.engine.dispose()


def test_a_passphrase_file_anywhere_inside_the_keyring_folder_is_a_warning(tmp_path, key_file):
    """A copy of the keyring's folder (a backup of /var/lib/servicestelle, say) must not carry
    the passphrase along, whether it lies beside the keyring or in a folder below it."""
    instance = tmp_path / "instance"
    (instance / "geheim").mkdir(parents=True, mode=0o700)
    instance.chmod(0o700)
    below = write_secret_file(instance / "geheim" / "passphrase", "eine Passphrase")
    apart = write_secret_file(tmp_path / "passphrase", "eine Passphrase")
    found = {}
    for name, path in (("below", below), ("apart", apart)):
        settings = Settings.from_env(
            production_env(tmp_path, key_file, KEYRING_PASSPHRASE_FILE=str(path))
        )
        app = create_app(settings, clock=conftest.FrozenClock())
        with app.test_request_context():
            found[name] = {f.key: f.status for f in keys.findings(settings, conftest.START)}
        with app.app_context():
            db.engine.dispose()
    assert found["apart"]["passphrase"] == Status.OK
    assert found["below"]["passphrase"] == Status.WARNING


# --- the versions' support windows ------------------------------------------------------------


def test_support_windows_of_python_and_postgresql():
    assert checks.python_end_of_life(11).isoformat() == "2027-10-01"  # PEP 602 / PEP 664
    assert records.postgresql_end_of_life(13).isoformat() == "2025-11-01"  # 13.x: Nov 2025
    end = records.postgresql_end_of_life(17)
    assert records.supported("x", "X", "1", end, end).status == Status.WARNING
    near = end - timedelta(days=100)
    assert records.supported("x", "X", "1", end, near).status == Status.NOTICE
    far = end - timedelta(days=800)
    assert records.supported("x", "X", "1", end, far).status == Status.OK


# --- what it never shows -------------------------------------------------------------------------


def test_the_database_url_is_shown_without_password_or_parameter_values():
    url = "postgresql+psycopg://app:Geheim-Passwort-9@db.example/servicestelle?password=Zweites-9&sslmode=require"
    shown = records.display_url(url)
    assert "Geheim-Passwort-9" not in shown and "Zweites-9" not in shown
    assert "app:***@db.example/servicestelle" in shown and "sslmode=" in shown


PLANTED_SECRET = b"Gepflanzter-Geheimschluessel-0f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.fixture
def planted_database(backend):  # type: ignore[no-untyped-def]
    """PostgreSQL: the application role's rights under a login with a password to look for."""
    if backend.name != "postgresql":
        yield backend.url, None
        return
    role = f"ops_{uuid.uuid4().hex[:12]}"
    password = f"Gepflanztes-DB-Passwort-{uuid.uuid4().hex[:8]}"
    superuser = sa.create_engine(backend.superuser_url, isolation_level="AUTOCOMMIT")
    with superuser.connect() as connection:
        connection.execute(
            sa.text(
                f"CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE {conftest.PG_APP_ROLE}"
            )
        )
    url = sa.make_url(backend.url).set(username=role, password=password)
    yield url.render_as_string(hide_password=False), (role, password)
    with superuser.connect() as connection:
        connection.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
            {"r": role},
        )
        connection.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
    superuser.dispose()


class TestNoSecretOnThePage:
    @pytest.fixture
    def settings(self, tmp_path, planted_database):  # type: ignore[no-untyped-def]
        url, _planted = planted_database
        return conftest.make_settings(tmp_path, url, secret_key=PLANTED_SECRET)

    def test_the_page_shows_no_secret(self, app, client, login_as, settings, planted_database):
        login_as(Role.ADMIN)
        page = client.get(PAGE).get_data(as_text=True)
        passphrase = (settings.instance_path / PASSPHRASE_FILENAME).read_text().strip()
        assert str(settings.keyring_path) in page  # it does say where the files are
        forbidden = [PLANTED_SECRET.decode(), PLANTED_SECRET.hex(), passphrase]
        _url, planted = planted_database
        if planted is not None:
            role, password = planted
            assert f"Rolle {role}" in page and f"{role}:***@" in page  # URL, no password
            forbidden.append(password)
        text = html.unescape(page)
        assert [secret for secret in forbidden if secret in page or secret in text] == []


def test_the_warning_thresholds_are_settings(tmp_path, key_file):
    defaults = Settings.from_env(production_env(tmp_path, key_file))
    assert (defaults.checkpoint_export_warn_days, defaults.backup_warn_days) == (30, 2)
    chosen = Settings.from_env(
        production_env(tmp_path, key_file, CHECKPOINT_EXPORT_WARN_DAYS="14", BACKUP_WARN_DAYS="7")
    )
    assert (chosen.checkpoint_export_warn_days, chosen.backup_warn_days) == (14, 7)
    for name, value in [
        ("CHECKPOINT_EXPORT_WARN_DAYS", "0"),
        ("CHECKPOINT_EXPORT_WARN_DAYS", "367"),
        ("BACKUP_WARN_DAYS", "0"),
        ("BACKUP_WARN_DAYS", "zwei"),
    ]:
        with pytest.raises(ConfigError, match=name):
            Settings.from_env(production_env(tmp_path, key_file, **{name: value}))


# --- /healthz: no login, nothing but the status -------------------------------------------------


@only_sqlite
def test_healthz_answers_without_login_and_says_nothing_but_its_status(app, client, tmp_path):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    broken = create_app(
        conftest.make_settings(tmp_path, f"sqlite:///{tmp_path}/fehlt/db.sqlite3"),
        clock=conftest.FrozenClock(),
    )
    down = broken.test_client().get("/healthz", base_url="https://localhost")
    assert down.status_code == 503 and down.get_json() == {"status": "unavailable"}
    assert "Set-Cookie" not in down.headers
    with broken.app_context():
        db.engine.dispose()


@only_sqlite
def test_a_configured_accessibility_contact_is_ok(app):
    settings = app.extensions["servicestelle.settings"]
    with app.test_request_context():
        assert status_of(checks.configured(settings), "accessibility_contact") == Status.NOTICE
        configured = settings.with_changes(accessibility_contact="barrieren@example.org")
        assert status_of(checks.configured(configured), "accessibility_contact") == Status.OK
