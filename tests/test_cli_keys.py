"""`servicestelle keys status|rotate|retire` and `retention run` as the operator runs them."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from servicestelle import create_app
from servicestelle.auth.models import User
from servicestelle.auth.operations import create_user
from servicestelle.cases import access, operations, payload
from servicestelle.centres.queries import list_centres
from servicestelle.config import Settings
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import FrozenClock
from tests.support import cli


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cli.write_secret_file(tmp_path_factory.mktemp("keys") / "secret_key_file")


def operator_env(instance: Path, key_file: Path) -> dict[str, str]:
    return {
        **cli.clean_environ(),
        **cli.FLOOR_HASHING,
        "SERVICESTELLE_INSTANCE": str(instance),
        "SERVICESTELLE_PROFILE": "production",
        "SERVICESTELLE_SECRET_KEY_FILE": str(key_file),
        "SERVICESTELLE_KEYRING_PASSPHRASE_FILE": str(cli.passphrase_file_beside(key_file)),
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    instance = tmp_path_factory.mktemp("template") / "instance"
    result = cli.run(["init"], operator_env(instance, key_file))
    assert result.returncode == 0, result.stderr
    assert "keyring created" in result.stdout
    return instance


@pytest.fixture
def env(tmp_path: Path, key_file: Path, template: Path) -> dict[str, str]:
    instance = tmp_path / "instance"
    shutil.copytree(template, instance)
    return operator_env(instance, key_file)


def _with_cases(env: dict[str, str], narratives: list[str]) -> list[int]:
    app = create_app(Settings.from_env(env), clock=FrozenClock(datetime.now(UTC)))
    with app.test_request_context():
        created = create_user(
            centre=list_centres()[0],
            username="anna",
            display_name="Anna",
            password="korrekt pferd batterie heftklammer",
            roles=[Role.COUNSELLOR],
        )
        user = db.session.get(User, created.user.id)
        ids = [
            operations.create_case(user, payload.load_payload({"account": {"narrative": text}})).id
            for text in narratives
        ]
        db.engine.dispose()
    return ids


def _narratives(env: dict[str, str], ids: list[int]) -> list[str]:
    app = create_app(Settings.from_env(env), clock=FrozenClock(datetime.now(UTC)))
    with app.test_request_context():
        user = db.session.scalars(sa.select(User)).one()
        texts = [
            operations.open_case(access.load(case_id, user, content=True)).payload["account"][
                "narrative"
            ]
            for case_id in ids
        ]
        db.engine.dispose()
    return texts


def test_init_keeps_the_keyring_and_refuses_a_wrong_passphrase(env, tmp_path):
    keyring = Path(env["SERVICESTELLE_INSTANCE"]) / "keyring.json"
    before = keyring.read_bytes()
    assert cli.run(["init"], env).returncode == 0
    assert keyring.read_bytes() == before  # never replaced
    wrong = cli.write_secret_file(tmp_path / "wrong-passphrase")
    result = cli.run(["init"], {**env, "SERVICESTELLE_KEYRING_PASSPHRASE_FILE": str(wrong)})
    assert result.returncode == 1
    assert "wrong passphrase" in cli.one_line_reason(result)


def test_rotate_rewraps_every_case_and_retire_removes_the_old_key(env):
    ids = _with_cases(env, ["erste Schilderung", "zweite Schilderung"])
    status = cli.run(["keys", "status"], env)
    assert status.returncode == 0, status.stderr
    assert "key 1: wraps 2 data keys  (primary)" in status.stdout

    refused = cli.run(["keys", "retire", "1"], env)
    assert refused.returncode == 1
    assert "primary key" in cli.one_line_reason(refused)

    rotated = cli.run(["keys", "rotate", "--batch-size", "1"], env)
    assert rotated.returncode == 0, rotated.stderr
    assert "key 2 is now primary (was 1)" in rotated.stdout
    assert "2 data keys re-wrapped under key 2" in rotated.stdout
    status = cli.run(["keys", "status"], env)
    assert "key 2: wraps 2 data keys  (primary)" in status.stdout
    assert "key 1: wraps 0 data keys" in status.stdout

    assert cli.run(["keys", "retire", "1"], env).returncode == 0
    assert _narratives(env, ids) == ["erste Schilderung", "zweite Schilderung"]
    audit = cli.run(["audit", "verify"], env)
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_keys_need_the_passphrase(env):
    without = {k: v for k, v in env.items() if k != "SERVICESTELLE_KEYRING_PASSPHRASE_FILE"}
    result = cli.run(["keys", "status"], without)
    assert result.returncode == 1
    assert "keyring is locked" in cli.one_line_reason(result)


def test_a_key_in_the_environment_is_refused(env):
    result = cli.run(["keys", "status"], {**env, "SERVICESTELLE_KEYRING_PASSPHRASE": "x" * 40})
    assert result.returncode == 1
    assert "SERVICESTELLE_KEYRING_PASSPHRASE is not accepted" in cli.one_line_reason(result)


def test_a_key_still_in_use_is_not_retired(env):
    ids = _with_cases(env, ["eine Schilderung"])
    assert cli.run(["keys", "rotate"], env).returncode == 0
    # As if a server that had not yet re-read the keyring wrapped a new case's key under 1.
    database = Path(env["SERVICESTELLE_INSTANCE"]) / "servicestelle.sqlite3"
    connection = sqlite3.connect(database)
    with connection:
        connection.execute("UPDATE case_keys SET kek_id = 1 WHERE case_id = ?", (ids[0],))
    connection.close()
    refused = cli.run(["keys", "retire", "1"], env)
    assert refused.returncode == 1
    assert "key 1 still wraps 1 data keys" in cli.one_line_reason(refused)
    assert "key 1: wraps 1 data keys" in cli.run(["keys", "status"], env).stdout


def test_retention_dry_run_lists_the_due_case_and_the_run_deletes_only_it(env):
    from datetime import date

    app = create_app(Settings.from_env(env), clock=FrozenClock(datetime.now(UTC)))
    with app.test_request_context():
        user = db.session.get(
            User,
            create_user(
                centre=list_centres()[0],
                username="anna",
                display_name="Anna",
                password="korrekt pferd batterie heftklammer",
                roles=[Role.COUNSELLOR],
            ).user.id,
        )
        closing = {
            "closure": {
                "outcome": {"codes": ["ziel_erreicht"]},
                "reason": {"codes": ["anliegen_bearbeitet"]},
            }
        }
        old = operations.create_case(
            user,
            payload.load_payload(closing),
            operations.Metadata("closed", date(2020, 5, 4), date(2021, 6, 1)),
        ).id
        recent = operations.create_case(user, payload.load_payload({})).id
        db.engine.dispose()

    dry = cli.run(["retention", "run", "--dry-run"], env)
    assert dry.returncode == 0, dry.stderr
    assert "1 cases past the retention period of 3 years" in dry.stdout
    assert f"(id {old}): closed 2021-06-01, due since 2025-01-01" in dry.stdout
    assert len(cli.run(["retention", "run", "--dry-run"], env).stdout.splitlines()) == 2

    run = cli.run(["retention", "run"], env)
    assert run.returncode == 0, run.stderr
    assert "1 cases deleted" in run.stdout
    database = Path(env["SERVICESTELLE_INSTANCE"]) / "servicestelle.sqlite3"
    connection = sqlite3.connect(database)
    remaining = [row[0] for row in connection.execute("SELECT id FROM cases")]
    records = connection.execute("SELECT case_id, reference FROM case_deletions").fetchall()
    connection.close()
    assert remaining == [recent]
    assert records == [(old, "2020-0001")]
    assert cli.run(["audit", "verify"], env).returncode == 0
