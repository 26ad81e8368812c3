"""`servicestelle audit …`, `db roles-sql` and the signing key, run as an operator runs them.

Production profile, SQLite instance made by `init`, each command a subprocess. Tampering is
done the way an intruder with write access to the database file would: drop the append-only
trigger, change the rows.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from servicestelle.config import AUDIT_SIGNING_KEY_FILENAME
from tests.support import cli
from tests.support.cli import one_line_reason

PASSWORD = "korrekt pferd batterie heftklammer"


# --- fixtures and helpers -------------------------------------------------------------------


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
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cli.write_secret_file(tmp_path_factory.mktemp("keys") / "secret_key_file")


@pytest.fixture(scope="module")
def initialised_template(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    """One instance made by `init` with two users (so the log has entries), copied per test."""
    instance = tmp_path_factory.mktemp("template") / "instance"
    env = operator_env(instance, key_file)
    assert cli.run(["init"], env).returncode == 0
    for name in ("anna", "bert"):
        created = create_user(env, name)
        assert created.returncode == 0, created.stderr
    return instance


@pytest.fixture
def env(tmp_path: Path, key_file: Path) -> dict[str, str]:
    return operator_env(tmp_path / "instance", key_file)


@pytest.fixture
def initialised(env: dict[str, str], initialised_template: Path) -> dict[str, str]:
    shutil.copytree(initialised_template, env["SERVICESTELLE_INSTANCE"])
    return env


def create_user(env: dict[str, str], username: str, *roles: str) -> cli.Result:
    options = [option for role in roles or ("counsellor",) for option in ("--role", role)]
    return cli.run(
        ["users", "create", username, *options, "--password-stdin"], env, stdin=PASSWORD + "\n"
    )


def instance(env: dict[str, str]) -> Path:
    return Path(env["SERVICESTELLE_INSTANCE"])


def signing_key_path(env: dict[str, str]) -> Path:
    return instance(env) / AUDIT_SIGNING_KEY_FILENAME


def query(env: dict[str, str], sql: str, parameters: tuple = ()) -> list[tuple]:
    connection = sqlite3.connect(instance(env) / "servicestelle.sqlite3")
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


def tamper(env: dict[str, str], *statements: str | tuple[str, tuple]) -> None:
    """Change the database file directly, as someone with write access to it could."""
    connection = sqlite3.connect(instance(env) / "servicestelle.sqlite3")
    try:
        with connection:
            for statement in statements:
                sql, parameters = statement if isinstance(statement, tuple) else (statement, ())
                connection.execute(sql, parameters)
    finally:
        connection.close()


def head_seq(env: dict[str, str]) -> int:
    return int(query(env, "SELECT coalesce(max(seq), 0) FROM audit_entry")[0][0])


def entries_of(env: dict[str, str], action: str) -> list[tuple]:
    return query(
        env,
        "SELECT seq, actor_id, role, centre_id, object_type, object_id, outcome, request_id, "
        "details FROM audit_entry WHERE action = ? ORDER BY seq",
        (action,),
    )


def verify(env: dict[str, str], *options: str) -> cli.Result:
    return cli.run(["audit", "verify", *options], env)


def one_line(result: cli.Result) -> str:
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    return lines[0]


def export_checkpoint(env: dict[str, str], path: Path) -> cli.Result:
    result = cli.run(["audit", "checkpoint", "--out", str(path)], env)
    assert result.returncode == 0, result.stderr
    return result


def last_verification(env: dict[str, str]) -> tuple[str, dict[str, object]]:
    rows = entries_of(env, "audit:chain:verify")
    assert rows, "no verification was recorded"
    return rows[-1][6], json.loads(rows[-1][8])


# --- the signing key ------------------------------------------------------------------------


def test_init_creates_the_signing_key_readable_only_by_the_owner_and_says_where(env):
    result = cli.run(["init"], env)

    assert result.returncode == 0, result.stderr
    path = signing_key_path(env)
    assert f"audit signing key created: {path}" in result.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = audit.load_signing_key(path)
    printed = cli.run(["audit", "public-key"], env)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == audit.public_key_pem(key.public_key())

    before = path.read_bytes()
    again = cli.run(["init"], env)
    assert again.returncode == 0, again.stderr
    assert "audit signing key" not in again.stdout
    assert path.read_bytes() == before  # never replaced


def test_init_puts_the_signing_key_where_the_operator_says(env, tmp_path):
    elsewhere = tmp_path / "keys" / "audit.pem"
    env = {**env, "SERVICESTELLE_AUDIT_SIGNING_KEY_FILE": str(elsewhere)}

    result = cli.run(["init"], env)

    assert result.returncode == 0, result.stderr
    assert f"audit signing key created: {elsewhere}" in result.stdout
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o600
    assert not signing_key_path(env).exists()


def test_run_refuses_to_start_without_the_signing_key(initialised):
    signing_key_path(initialised).unlink()

    result = cli.run(["run", "--port", "0"], initialised, timeout=60)

    reason = one_line_reason(result)
    assert "SERVICESTELLE_AUDIT_SIGNING_KEY_FILE" in reason
    assert "servicestelle init" in reason
    assert not signing_key_path(initialised).exists()  # production never makes one on the fly


def test_run_refuses_a_signing_key_others_may_read(initialised):
    signing_key_path(initialised).chmod(0o644)

    result = cli.run(["run", "--port", "0"], initialised, timeout=60)

    assert "chmod 600" in one_line_reason(result)


def test_users_create_is_audited_as_the_operator(initialised):
    mark = head_seq(initialised)
    assert create_user(initialised, "carla", "counsellor", "supervisor").returncode == 0

    user_id, centre_id = query(
        initialised, "SELECT id, centre_id FROM users WHERE username = 'carla'"
    )[0]
    rows = [row for row in entries_of(initialised, "user:account:create") if row[0] > mark]
    assert [row[1:] for row in rows] == [
        (
            None,
            "operator",
            centre_id,
            "user",
            str(user_id),
            "success",
            None,
            json.dumps(
                {"roles": ["counsellor", "supervisor"], "second_factor": True},
                separators=(",", ":"),
                sort_keys=True,
            ),
        )
    ]
    texts = query(initialised, "SELECT role, object_type, object_id, details FROM audit_entry")
    assert not [row for row in texts if "carla" in repr(row) or PASSWORD in repr(row)]


# --- verify ---------------------------------------------------------------------------------


def test_verify_on_an_intact_log_says_so_in_one_line_and_records_itself(initialised):
    entries_before = head_seq(initialised)
    checkpoints_before = query(initialised, "SELECT count(*) FROM audit_checkpoint")[0][0]

    result = verify(initialised)

    assert result.returncode == 0, result.stdout + result.stderr
    line = one_line(result)
    assert line.startswith("audit log intact")
    assert f"{entries_before} entries" in line
    assert f"{checkpoints_before} checkpoint(s) verified" in line
    rows = entries_of(initialised, "audit:chain:verify")
    assert len(rows) == 1
    seq, actor_id, role, centre_id, object_type, object_id, outcome, request_id, details = rows[0]
    assert seq == entries_before + 1
    assert (actor_id, role, centre_id, object_type, object_id, request_id) == (
        None,
        "operator",
        None,
        None,
        None,
        None,
    )
    assert outcome == "success"
    assert json.loads(details) == {
        "entries": entries_before,
        "head_seq": entries_before,
        "checkpoints": checkpoints_before,
        "problem": None,
        "broken_seq": None,
    }
    # Every run adds its own entry, and the next run verifies that one too.
    again = verify(initialised)
    assert again.returncode == 0
    assert f"{entries_before + 1} entries" in one_line(again)
    assert len(entries_of(initialised, "audit:chain:verify")) == 2


def test_an_edited_entry_is_found_and_named(initialised):
    edited = entries_of(initialised, "user:account:create")[-1][0]
    tamper(
        initialised,
        "DROP TRIGGER audit_entry_no_update",
        ("UPDATE audit_entry SET role = 'admin' WHERE seq = ?", (edited,)),
    )

    result = verify(initialised)

    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith(f"audit log BROKEN at entry {edited}: edited")
    outcome, details = last_verification(initialised)
    assert outcome == "failure"
    assert (details["problem"], details["broken_seq"]) == ("edited", edited)


def test_a_deleted_entry_is_found(initialised):
    deleted = entries_of(initialised, "user:account:create")[0][0]
    tamper(
        initialised,
        "DROP TRIGGER audit_entry_no_delete",
        ("DELETE FROM audit_entry WHERE seq = ?", (deleted,)),
    )

    result = verify(initialised)

    assert result.returncode == 1
    assert re.match(rf"audit log BROKEN at entry {deleted}: deleted", one_line(result))


# --- checkpoints ----------------------------------------------------------------------------


def test_checkpoint_writes_a_signed_file_that_verifies(initialised, tmp_path):
    out = tmp_path / "checkpoint.json"
    head_before = head_seq(initialised)
    head_hash = query(
        initialised, "SELECT entry_hash FROM audit_entry WHERE seq = ?", (head_before,)
    )[0][0]

    result = export_checkpoint(initialised, out)

    assert f"checkpoint {head_before} written to {out}" in result.stdout
    text = out.read_text(encoding="utf-8")
    checkpoint = audit.from_json(text)
    assert (checkpoint.seq, checkpoint.head_hash) == (head_before, head_hash)
    published = cli.run(["audit", "public-key"], initialised)
    assert published.returncode == 0, published.stderr
    public = audit.load_public_key(published.stdout.encode())
    assert checkpoint.is_signed_by(public)
    assert json.loads(text)["public_key"] == published.stdout
    # The export is recorded in the log and stored as a checkpoint of its own.
    recorded = entries_of(initialised, "audit:checkpoint:create")[-1]
    assert recorded[0] == head_before + 1
    assert json.loads(recorded[8]) == {"seq": head_before, "key_id": checkpoint.key_id}
    assert query(initialised, "SELECT max(seq) FROM audit_checkpoint") == [(head_before,)]

    verified = verify(initialised, "--checkpoint", str(out))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert one_line(verified).startswith("audit log intact")
    _, details = last_verification(initialised)
    stored = query(initialised, "SELECT count(*) FROM audit_checkpoint")[0][0]
    assert details["checkpoints"] == stored + 1  # the stored ones and the file


def test_checkpoint_never_overwrites_a_file(initialised, tmp_path):
    out = tmp_path / "checkpoint.json"
    export_checkpoint(initialised, out)
    before = out.read_bytes()
    checkpoints = query(initialised, "SELECT count(*) FROM audit_checkpoint")

    result = cli.run(["audit", "checkpoint", "--out", str(out)], initialised)

    assert "exists" in one_line_reason(result)
    assert out.read_bytes() == before
    assert query(initialised, "SELECT count(*) FROM audit_checkpoint") == checkpoints


def test_checkpoint_into_a_missing_folder_fails_in_one_line_and_claims_nothing(
    initialised, tmp_path
):
    out = tmp_path / "fehlt" / "checkpoint.json"
    entries_before = head_seq(initialised)
    checkpoints_before = query(initialised, "SELECT count(*) FROM audit_checkpoint")

    result = cli.run(["audit", "checkpoint", "--out", str(out)], initialised)

    assert str(out) in one_line_reason(result)
    assert not out.exists()
    # The DPO got no file, so the log must not say that a checkpoint was exported.
    assert query(initialised, "SELECT count(*) FROM audit_checkpoint") == checkpoints_before
    assert head_seq(initialised) == entries_before


def test_checkpoint_to_stdout(initialised):
    result = cli.run(["audit", "checkpoint", "--out", "-"], initialised)

    assert result.returncode == 0, result.stderr
    checkpoint = audit.from_json(result.stdout)
    assert checkpoint.seq == head_seq(initialised) - 1  # the entry recording it came after


def test_truncation_is_found_only_with_a_checkpoint_kept_elsewhere(initialised, tmp_path):
    out = tmp_path / "checkpoint.json"
    export_checkpoint(initialised, out)
    covered = audit.from_json(out.read_text(encoding="utf-8")).seq
    keep = covered - 1  # cut the tail: the last covered entry and everything after
    tamper(
        initialised,
        "DROP TRIGGER audit_entry_no_delete",
        "DROP TRIGGER audit_checkpoint_no_delete",
        ("DELETE FROM audit_entry WHERE seq > ?", (keep,)),
        "DELETE FROM audit_checkpoint",
    )

    with_file = verify(initialised, "--checkpoint", str(out))

    assert with_file.returncode == 1
    line = one_line(with_file)
    assert line.startswith(f"audit log BROKEN at entry {keep + 1}: truncated")
    outcome, details = last_verification(initialised)
    assert (outcome, details["problem"]) == ("failure", "truncated")
    # Without the file, the shortened chain is consistent: nothing on the server can tell.
    without_file = verify(initialised)
    assert without_file.returncode == 0
    assert one_line(without_file).startswith("audit log intact")


def test_a_forged_checkpoint_file_is_refused(initialised, tmp_path):
    out = tmp_path / "checkpoint.json"
    export_checkpoint(initialised, out)
    data = json.loads(out.read_text(encoding="utf-8"))
    data["head_hash"] = ("f" if data["head_hash"][0] != "f" else "e") + data["head_hash"][1:]
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data), encoding="utf-8")

    result = verify(initialised, "--checkpoint", str(forged))

    assert result.returncode == 1
    assert re.match(
        rf"audit log BROKEN at entry {data['seq']}: forged checkpoint", one_line(result)
    )
    outcome, details = last_verification(initialised)
    assert (outcome, details["problem"]) == ("failure", "forged_checkpoint")


def test_another_public_key_makes_every_checkpoint_forged(initialised, tmp_path):
    other = tmp_path / "other.pem"
    other.write_text(audit.public_key_pem(Ed25519PrivateKey.generate().public_key()))

    result = verify(initialised, "--public-key", str(other))

    assert result.returncode == 1
    assert "forged checkpoint" in one_line(result)
    published = tmp_path / "published.pem"
    published.write_text(cli.run(["audit", "public-key"], initialised).stdout)
    right = verify(initialised, "--public-key", str(published))
    assert right.returncode == 0, right.stdout + right.stderr


@pytest.mark.parametrize(
    "content",
    [
        b"kein json",
        b"\xff\xfe\x00 not utf-8",
        b"[]",
        b'{"format": "servicestelle-audit-checkpoint/1"}',
        b'{"format": "something-else/9", "seq": 1}',
        json.dumps(
            {
                "format": "servicestelle-audit-checkpoint/1",
                "seq": 1,
                "head_hash": "a" * 64,
                "signed_at": "2026-03-02T09:00:00+00:00",
                "key_id": "x",
                "signature": "!!! not base64 !!!",
            }
        ).encode(),
    ],
    ids=["not-json", "not-utf8", "list", "fields-missing", "other-format", "bad-signature"],
)
def test_an_unreadable_checkpoint_file_is_refused_in_one_line(initialised, tmp_path, content):
    path = tmp_path / "checkpoint.json"
    path.write_bytes(content)
    verifications = len(entries_of(initialised, "audit:chain:verify"))

    result = verify(initialised, "--checkpoint", str(path))

    assert str(path) in one_line_reason(result)
    assert result.stdout == ""
    # Nothing was verified, so nothing is recorded as verified.
    assert len(entries_of(initialised, "audit:chain:verify")) == verifications


def test_a_public_key_file_that_is_no_key_is_refused_in_one_line(initialised, tmp_path):
    path = tmp_path / "key.pem"
    path.write_text("-----BEGIN PUBLIC KEY-----\nkaputt\n-----END PUBLIC KEY-----\n")

    result = verify(initialised, "--public-key", str(path))

    assert "not a PEM public key" in one_line_reason(result)


# --- roles-sql ------------------------------------------------------------------------------


def test_roles_sql_keeps_the_app_role_from_changing_the_log(env):
    result = cli.run(["db", "roles-sql", "--owner", "sst_owner", "--app", "sst_app"], env)

    assert result.returncode == 0, result.stderr
    script = result.stdout
    assert re.search(
        r"REVOKE UPDATE, DELETE, TRUNCATE\b[^;]*\bON audit_entry, audit_checkpoint FROM sst_app;",
        script,
    ), script
    assert (
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO sst_app;" in script
    )
    assert "ALTER DEFAULT PRIVILEGES FOR ROLE sst_owner" in script
    assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC;" in script
    assert not re.search(r"GRANT[^;]*\bTO sst_owner\b", script)


@pytest.mark.parametrize(
    "options",
    [
        ["--app", "x", "--owner", "x"],
        ["--app", "App; DROP TABLE users"],
        ["--owner", "owner-name"],
        ["--database", "data base"],
    ],
)
def test_roles_sql_refuses_bad_role_names_in_one_line(env, options):
    result = cli.run(["db", "roles-sql", *options], env)

    reason = one_line_reason(result)
    assert "role" in reason or "owner" in reason
    assert result.stdout == ""
