"""The `servicestelle` console script, run in subprocesses as an operator runs it (SQLite only)."""

from __future__ import annotations

import re
import shlex
import shutil
import sqlite3
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from servicestelle import create_app, migrate
from servicestelle.auth import totp
from servicestelle.config import DemoSecretWarning, Settings
from servicestelle.demo_history import CASES_PER_YEAR
from tests.conftest import FrozenClock, https_client, post_form
from tests.support import cli
from tests.support.cli import one_line_reason, table

PASSWORD = "korrekt pferd batterie heftklammer"
DEMO_USERS = {
    "beraterin": "counsellor",
    "leitung": "supervisor",
    "leitung2": "supervisor",
    "dsb": "dpo",
    "admin": "admin",
}
#: The demo cases (demo_cases.py) and the two years of history (demo_history.py).
DEMO_CASES = 4 + sum(CASES_PER_YEAR)


# --- fixtures and helpers ---------------------------------------------------------------


def operator_env(instance: Path, key_file: Path | None) -> dict[str, str]:
    env = {
        **cli.clean_environ(),
        **cli.FLOOR_HASHING,
        "SERVICESTELLE_INSTANCE": str(instance),
        "SERVICESTELLE_PROFILE": "production",
    }
    if key_file is not None:
        env["SERVICESTELLE_SECRET_KEY_FILE"] = str(key_file)
        env["SERVICESTELLE_KEYRING_PASSPHRASE_FILE"] = str(cli.passphrase_file_beside(key_file))
    return env


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cli.write_secret_file(tmp_path_factory.mktemp("keys") / "secret_key_file")


@pytest.fixture(scope="module")
def initialised_template(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    """One instance made by `servicestelle init`, copied for every test that needs one."""
    instance = tmp_path_factory.mktemp("template") / "instance"
    result = cli.run(["init"], operator_env(instance, key_file))
    assert result.returncode == 0, result.stderr
    return instance


@pytest.fixture
def env(tmp_path: Path, key_file: Path) -> dict[str, str]:
    """A production operator's environment with a fresh, not yet initialised instance."""
    return operator_env(tmp_path / "instance", key_file)


@pytest.fixture
def initialised(env: dict[str, str], initialised_template: Path) -> dict[str, str]:
    """The operator's environment with an instance that `init` has prepared."""
    shutil.copytree(initialised_template, env["SERVICESTELLE_INSTANCE"])
    return env


def create_user(
    env: dict[str, str], username: str = "anna", *roles: str, password: str = PASSWORD
) -> cli.Result:
    role_options = [option for role in roles or ("counsellor",) for option in ("--role", role)]
    return cli.run(
        ["users", "create", username, *role_options, "--password-stdin"],
        env,
        stdin=password + "\n",
    )


def database(env: dict[str, str]) -> Path:
    return Path(env["SERVICESTELLE_INSTANCE"]) / "servicestelle.sqlite3"


def query(env: dict[str, str], sql: str) -> list[tuple]:
    connection = sqlite3.connect(database(env))
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


@contextmanager
def app_for(env: dict[str, str], *, clock: FrozenClock | None = None) -> Iterator[Flask]:
    """The application in this process, built from the same environment as the command."""
    if "SERVICESTELLE_SECRET_KEY_FILE" not in env:
        with pytest.warns(DemoSecretWarning):
            settings = Settings.from_env(env, profile="demo")
    else:
        settings = Settings.from_env(env)
    app = create_app(settings, clock=clock or FrozenClock(datetime.now(UTC)))
    app.config["TESTING"] = True
    try:
        with warnings.catch_warnings():
            # The demo's keyring passphrase warning is asserted where the demo starts.
            warnings.simplefilter("ignore", DemoSecretWarning)
            yield app
    finally:
        from servicestelle.extensions import db

        with app.app_context():
            db.engine.dispose()


def log_in(client: FlaskClient, username: str, password: str, code: str) -> None:
    """Password, then second factor; fails the test unless both steps are accepted."""
    response = post_form(client, "/anmelden", {"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/anmelden/zweiter-faktor")
    response = post_form(client, "/anmelden/zweiter-faktor", {"code": code})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "/anmelden" not in response.headers["Location"]
    assert client.get("/").status_code == 200


# --- init -------------------------------------------------------------------------------


def test_init_creates_the_database_and_the_first_centre(env):
    result = cli.run(["init"], env)

    assert result.returncode == 0, result.stderr
    assert query(env, "SELECT code, name FROM centres") == [("ZENTRALE", "Servicestelle")]
    assert query(env, "SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]
    assert "centre created: ZENTRALE" in result.stdout
    # The signing key exists before the first entry, so that entry is signed at once.
    assert "checkpoint skipped" not in result.stderr
    assert query(env, "SELECT seq FROM audit_checkpoint") == [(1,)]
    instance = Path(env["SERVICESTELLE_INSTANCE"])
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert not (instance / "secret_key").exists()  # production keeps its key elsewhere


def test_init_takes_the_first_centre_from_its_options(env):
    result = cli.run(["init", "--centre-code", "KOELN", "--centre-name", "Beratung Köln"], env)

    assert result.returncode == 0, result.stderr
    assert query(env, "SELECT code, name FROM centres") == [("KOELN", "Beratung Köln")]


def test_init_is_idempotent(env):
    first = cli.run(["init"], env)
    second = cli.run(["init"], env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "centre created" not in second.stdout
    assert "database schema" not in second.stdout
    assert "instance ready" in second.stdout
    assert query(env, "SELECT count(*) FROM centres") == [(1,)]


# --- users ------------------------------------------------------------------------------


def test_users_create_reads_the_password_from_stdin_and_prints_the_second_factor(initialised):
    result = create_user(initialised, "anna", "counsellor")

    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout
    assert "user created: anna (counsellor) in ZENTRALE" in result.stdout
    secret = re.search(r"second-factor secret[^:]*: ([A-Z2-7]+)$", result.stdout, re.M)
    uri = re.search(r"^otpauth URI: (otpauth://totp/\S+)$", result.stdout, re.M)
    assert secret, result.stdout
    assert uri, result.stdout
    assert uri[1].startswith("otpauth://totp/Servicestelle%3Aanna?")
    assert f"secret={secret[1]}&" in uri[1]
    # The password from stdin and the printed secret are the ones that log in.
    clock = FrozenClock(datetime.now(UTC))
    with app_for(initialised, clock=clock) as app:
        seed = totp.seed_from_base32(secret[1])
        log_in(https_client(app), "anna", PASSWORD, totp.current_code(seed, clock.now()))


def test_users_create_gives_a_user_several_roles_that_may_combine(initialised):
    result = create_user(initialised, "bert", "counsellor", "supervisor")

    assert result.returncode == 0, result.stderr
    listed = table(cli.run(["users", "list"], initialised).stdout)
    assert listed["bert"]["roles"] == "counsellor,supervisor"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("kurz", r"12 (Zeichen|characters)"),
        ("passwort2026!", r"verbreitet|common"),
        ("", r"12 (Zeichen|characters)"),
    ],
)
def test_users_create_refuses_a_weak_password_in_one_line(initialised, password, reason):
    result = create_user(initialised, "anna", password=password)

    assert re.search(reason, one_line_reason(result))
    assert query(initialised, "SELECT count(*) FROM users") == [(0,)]


def test_users_create_refuses_roles_that_must_not_combine_in_one_line(initialised):
    result = create_user(initialised, "anna", "dpo", "counsellor")

    reason = one_line_reason(result)
    assert re.search(r"roles|Rollen", reason), reason
    assert query(initialised, "SELECT count(*) FROM users") == [(0,)]


def test_users_create_refuses_a_duplicate_in_one_line(initialised):
    assert create_user(initialised, "anna").returncode == 0

    result = create_user(initialised, "anna", "supervisor", password="ein ganz anderes passwort")

    assert re.search(r"gibt es schon|already", one_line_reason(result))
    assert query(initialised, "SELECT username FROM users") == [("anna",)]


def test_users_create_refuses_an_unknown_role_without_a_traceback(initialised):
    result = create_user(initialised, "anna", "boss")

    # A usage error: click adds its usage hint above the one-line reason.
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert "'boss'" in errors[0]
    assert query(initialised, "SELECT count(*) FROM users") == [(0,)]


def test_users_create_refuses_an_unknown_centre_in_one_line(initialised):
    result = cli.run(
        [
            "users",
            "create",
            "anna",
            "--role",
            "counsellor",
            "--centre",
            "NIRGENDS",
            "--password-stdin",
        ],
        initialised,
        stdin=PASSWORD + "\n",
    )

    assert "no such centre: NIRGENDS" in one_line_reason(result)


def test_users_list_shows_each_user_with_roles_and_state(initialised):
    create_user(initialised, "anna", "counsellor")
    create_user(initialised, "dora", "dpo")

    result = cli.run(["users", "list"], initialised)

    assert result.returncode == 0, result.stderr
    assert table(result.stdout) == {
        "anna": {
            "username": "anna",
            "centre": "ZENTRALE",
            "roles": "counsellor",
            "active": "yes",
            "2fa": "yes",
        },
        "dora": {
            "username": "dora",
            "centre": "ZENTRALE",
            "roles": "dpo",
            "active": "yes",
            "2fa": "yes",
        },
    }


def test_users_disable_shows_as_inactive_and_ends_logins(initialised):
    create_user(initialised, "anna")
    create_user(initialised, "bert")

    result = cli.run(["users", "disable", "anna"], initialised)

    assert result.returncode == 0, result.stderr
    listed = table(cli.run(["users", "list"], initialised).stdout)
    assert listed["anna"]["active"] == "no"
    assert listed["bert"]["active"] == "yes"
    assert query(initialised, "SELECT is_active FROM users WHERE username = 'anna'") == [(0,)]


def test_users_disable_refuses_an_unknown_user_in_one_line(initialised):
    assert "no such user: niemand" in one_line_reason(
        cli.run(["users", "disable", "niemand"], initialised)
    )


# --- tokens -----------------------------------------------------------------------------


def test_tokens_create_prints_a_token_that_opens_the_api(initialised):
    create_user(initialised, "anna")

    result = cli.run(["tokens", "create", "anna", "--days", "7"], initialised)

    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert re.fullmatch(r"sst_[A-Za-z0-9_-]{40,}", token), result.stdout
    [(created, expires)] = query(initialised, "SELECT created_at, expires_at FROM api_tokens")
    lifetime = datetime.fromisoformat(expires) - datetime.fromisoformat(created)
    assert lifetime == timedelta(days=7)
    with app_for(initialised) as app:
        client = https_client(app)
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["username"] == "anna"
        wrong = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}x"})
        assert wrong.status_code == 401


def test_a_disabled_users_token_no_longer_opens_the_api(initialised):
    create_user(initialised, "anna")
    token = cli.run(["tokens", "create", "anna"], initialised).stdout.strip()

    assert cli.run(["users", "disable", "anna"], initialised).returncode == 0

    with app_for(initialised) as app:
        response = https_client(app).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


@pytest.mark.parametrize("days", ["0", "366", "-1"])
def test_tokens_create_refuses_a_lifetime_out_of_range_in_one_line(initialised, days):
    create_user(initialised, "anna")

    one_line_reason(cli.run(["tokens", "create", "anna", "--days", days], initialised))

    assert query(initialised, "SELECT count(*) FROM api_tokens") == [(0,)]


# --- refusing to start ------------------------------------------------------------------


@pytest.mark.parametrize(
    "prepare",
    ["missing folder", "empty folder"],
)
def test_run_refuses_an_uninitialised_instance_in_one_line(env, prepare):
    if prepare == "empty folder":
        Path(env["SERVICESTELLE_INSTANCE"]).mkdir(mode=0o700)

    result = cli.run(["run", "--port", "0"], env, timeout=60)

    assert "servicestelle init" in one_line_reason(result)
    assert not (Path(env["SERVICESTELLE_INSTANCE"]) / "servicestelle.sqlite3").exists()


@pytest.mark.parametrize(
    "command", [["init"], ["run", "--port", "0"], ["users", "list"], ["tokens", "create", "x"]]
)
def test_production_without_a_secret_key_file_refuses_in_one_line(tmp_path, command):
    env = operator_env(tmp_path / "instance", key_file=None)

    result = cli.run(command, env, timeout=60)

    assert "SERVICESTELLE_SECRET_KEY_FILE" in one_line_reason(result)
    assert not (tmp_path / "instance").exists()


def test_a_secret_key_in_the_environment_is_refused_in_one_line(env):
    result = cli.run(["init"], {**env, "SERVICESTELLE_SECRET_KEY": "x" * 64})

    assert "SERVICESTELLE_SECRET_KEY is not accepted" in one_line_reason(result)


# --- demo -------------------------------------------------------------------------------


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    """Someone trying the demo: no key file; the profile variable says production."""
    return operator_env(tmp_path / "demo", key_file=None)


def test_demo_prepares_an_instance_and_prints_a_login_and_a_code_command_per_role(
    tmp_path, demo_env
):
    result = cli.run(["demo", "--no-serve"], demo_env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "WARNING: using the secret key kept in the instance folder" in result.stderr
    logins = re.findall(r"^\s+(\w+)\s+user: (\S+)\s+password: (\S+)$", result.stdout, re.M)
    assert {user: role for role, user, _ in logins} == DEMO_USERS
    commands = re.findall(r"^\s+(.+ demo code (\S+))$", result.stdout, re.M)
    assert [user for _, user in commands] == list(DEMO_USERS)
    # The printed command works as printed, from where the demo was started.
    printed, _ = commands[0]
    code = cli.run_program(shlex.split(printed), demo_env, cwd=tmp_path)
    assert code.returncode == 0, code.stderr
    assert re.fullmatch(r"\d{6}", code.stdout.strip())
    secret = Path(demo_env["SERVICESTELLE_INSTANCE"]) / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # The keyring's passphrase lives beside it — said at every start.
    assert "WARNING: the keyring passphrase is kept in the instance folder" in result.stderr
    passphrase = Path(demo_env["SERVICESTELLE_INSTANCE"]) / "keyring-passphrase"
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
    # Synthetic cases, sealed: none of their made-up text is in the database in clear.
    assert query(demo_env, "SELECT count(*) FROM cases") == [(DEMO_CASES,)]
    assert b"Erfundener Demo-Fall" not in database(demo_env).read_bytes()


def test_demo_again_keeps_its_users_and_prints_the_same_logins(tmp_path, demo_env):
    first = cli.run(["demo", "--no-serve"], demo_env, cwd=tmp_path)
    second = cli.run(["demo", "--no-serve"], demo_env, cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert first.stdout.splitlines()[-14:] == second.stdout.splitlines()[-14:]
    assert query(demo_env, "SELECT count(*) FROM users") == [(len(DEMO_USERS),)]
    assert query(demo_env, "SELECT count(*) FROM cases") == [(DEMO_CASES,)]


def test_demo_code_prints_the_users_current_code_which_logs_in(tmp_path, demo_env):
    prepared = cli.run(["demo", "--no-serve"], demo_env, cwd=tmp_path)
    assert prepared.returncode == 0, prepared.stderr
    password = re.search(r"user: beraterin\s+password: (\S+)", prepared.stdout)
    assert password

    before = datetime.now(UTC)
    result = cli.run(["demo", "code", "beraterin"], demo_env)
    after = datetime.now(UTC)

    assert result.returncode == 0, result.stderr
    code = result.stdout.strip()
    assert re.fullmatch(r"\d{6}", code)
    from servicestelle.auth.operations import current_code_for_demo
    from servicestelle.auth.queries import get_user_by_username

    expected = set()
    for moment in (before, after):
        with app_for(demo_env, clock=FrozenClock(moment)) as app, app.app_context():
            expected.add(current_code_for_demo(get_user_by_username("beraterin")))
    assert code in expected
    with app_for(demo_env, clock=FrozenClock(after)) as app:
        log_in(app.test_client(), "beraterin", password[1], code)  # plain http, as the demo


def test_demo_code_refuses_an_unknown_user_in_one_line(tmp_path, demo_env):
    assert cli.run(["demo", "--no-serve"], demo_env, cwd=tmp_path).returncode == 0

    assert "no such user: niemand" in one_line_reason(
        cli.run(["demo", "code", "niemand"], demo_env)
    )


def test_demo_code_refuses_a_production_instance_in_one_line(initialised):
    create_user(initialised, "anna")

    result = cli.run(["demo", "code", "anna"], initialised)

    assert "not a demo instance" in one_line_reason(result)
    assert not (Path(initialised["SERVICESTELLE_INSTANCE"]) / "secret_key").exists()


def test_demo_code_refuses_a_production_instance_without_the_key_variable(initialised):
    create_user(initialised, "anna")
    without_key = {k: v for k, v in initialised.items() if k != "SERVICESTELLE_SECRET_KEY_FILE"}

    result = cli.run(["demo", "code", "anna"], without_key)

    assert "not a demo instance" in one_line_reason(result)
    assert not (Path(initialised["SERVICESTELLE_INSTANCE"]) / "secret_key").exists()


def test_demo_refuses_an_instance_with_real_users(initialised):
    create_user(initialised, "anna")

    result = cli.run(["demo", "--no-serve"], initialised)

    assert "holds real accounts" in one_line_reason(result)
    assert query(initialised, "SELECT username FROM users") == [("anna",)]
    assert query(initialised, "SELECT code FROM centres") == [("ZENTRALE",)]
    assert query(initialised, "SELECT * FROM instance_facts") == []


def test_demo_leaves_a_real_instance_without_a_demo_secret(initialised):
    create_user(initialised, "anna")
    instance = Path(initialised["SERVICESTELLE_INSTANCE"])
    without_key = {k: v for k, v in initialised.items() if k != "SERVICESTELLE_SECRET_KEY_FILE"}
    before = sorted(path.name for path in instance.iterdir())

    result = cli.run(["demo", "--no-serve"], without_key)

    assert "holds real accounts" in one_line_reason(result)
    assert sorted(path.name for path in instance.iterdir()) == before
    assert not (instance / "secret_key").exists()


def test_demo_code_works_for_a_demo_made_with_a_key_file(tmp_path, env):
    prepared = cli.run(["demo", "--no-serve"], env, cwd=tmp_path)
    assert prepared.returncode == 0, prepared.stderr
    assert "demo code beraterin" in prepared.stdout

    result = cli.run(["demo", "code", "beraterin"], env)

    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d{6}", result.stdout.strip())
