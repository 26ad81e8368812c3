"""`servicestelle backup create|verify|restore` as the operator runs them (production profile).

Commands run in this process (tests/support/backup.invoke): a subprocess would spend seconds
importing the app for each one.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit import AuditEvent
from crypto import Keyring
from servicestelle import migrate
from servicestelle.backup import snapshot
from servicestelle.backup.create import create_backup
from servicestelle.backup.format import BackupError
from tests.support import backup as support
from tests.support import cli
from tests.support.cases import canary, leaks

CANARY = canary("account.narrative")


def test_backup_while_cases_are_created_restores_consistently(request, tmp_path, backend):
    source = support.source_instance(tmp_path, backend.name, backend.url)
    first = support.create_cases(source, [CANARY, "zweite Schilderung"])
    writer = support.Writer(source)
    writer.start()
    writer.wait_for(3)
    out = tmp_path / "sicherung.bak"
    created = support.invoke(["backup", "create", str(out)], source)
    writer.wait_for(len(writer.created) + 3)  # cases go on being created after the copy
    during = writer.stop()
    assert created.returncode == 0, created.stderr
    assert f"backup written: {out}" in created.stdout

    data = out.read_bytes()
    assert leaks(data, [CANARY]) == []
    (entry,) = support.actions(source, AuditEvent.SYSTEM_BACKUP_CREATE.value)
    assert entry["size"] == len(data)
    assert entry["sha256"] == support.sha256_of(out)
    assert (entry["backend"], entry["revision"]) == (backend.name, migrate.head_revision())

    target, pg = support.target_instance(
        tmp_path, backend.name, support.admin_url(request, backend.name)
    )
    restored = support.invoke(["backup", "restore", str(out)], target)
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "every data key opens: yes" in restored.stdout
    assert "restore time (RTO)" in restored.stdout
    assert ("servicestelle db roles-sql" in restored.stdout) == (pg is not None)
    # Without --public-key the origin rests on the keyring alone, and the operator is told.
    assert "WARNING: no --public-key given" in restored.stderr
    served = support.serve_restored(target, pg)

    # One instant: the first cases and a prefix of those created meanwhile, each opening.
    texts = support.narratives(served)
    ids = sorted(texts)
    taken = len(ids) - len(first)
    assert 3 <= taken < len(during)
    assert ids == sorted([*first, *during[:taken]])
    assert texts[first[0]] == CANARY
    assert all(texts[case] == f"laufend {n}" for n, case in enumerate(during[:taken]))
    restored_stats = support.stats_rows(support.database_url(served))
    pseudonyms = {row[0] for row in restored_stats}
    assert len(restored_stats) == len(ids)
    assert restored_stats == [
        row for row in support.stats_rows(support.database_url(source)) if row[0] in pseudonyms
    ]
    verified = support.invoke(["audit", "verify"], served)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # Never over a database that holds something: refused, nothing changed.
    before = support.stats_rows(support.database_url(served))
    again = support.invoke(["backup", "restore", str(out)], target)
    assert "target database is not empty" in cli.one_line_reason(again)
    assert support.stats_rows(support.database_url(served)) == before


# --- refusals (SQLite: the checks run before the backend matters) ---------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A source instance with two cases and one backup of it."""
    root = tmp_path_factory.mktemp("made")
    env = support.operator_env(root / "source", root / "secrets")
    support.init_instance(env)
    support.add_counsellor(env)
    support.create_cases(env, ["eins", "zwei"])
    out = root / "sicherung.bak"
    result = support.invoke(["backup", "create", str(out)], env)
    assert result.returncode == 0, result.stderr
    return out, env


def _fresh_target(tmp_path: Path, made_env: dict[str, str]) -> dict[str, str]:
    source = Path(made_env["SERVICESTELLE_INSTANCE"])
    support.copy_keyring(source, tmp_path / "target")
    secrets = source.parent / "secrets"
    return support.operator_env(tmp_path / "target", secrets)


def _refused(file: Path, env: dict[str, str], *options: str) -> str:
    instance = Path(env["SERVICESTELLE_INSTANCE"])
    before = sorted(p.name for p in instance.iterdir())
    result = support.invoke(["backup", "restore", str(file), *options], env)
    reason = cli.one_line_reason(result)
    assert sorted(p.name for p in instance.iterdir()) == before  # nothing written
    return reason


def _changed(source: Path, tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    data = bytearray(source.read_bytes())
    target = tmp_path / "changed.bak"
    target.write_bytes(bytes(change(data)))
    return target


def _flip(position: int):  # type: ignore[no-untyped-def]
    def change(data: bytearray) -> bytearray:
        data[position] ^= 0x20
        return data

    return change


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_flip(-200), "chunk 0 does not authenticate"),  # a byte of the ciphertext
        (_flip(-1), "the signature does not verify"),
        (lambda data: data[: len(data) // 2], "truncated"),
        (lambda data: b"SQLite format 3\x00" + data[16:], "not a Servicestelle backup file"),
    ],
    ids=["tampered", "signature", "truncated", "other-format"],
)
def test_a_damaged_file_is_refused_and_nothing_is_written(made, tmp_path, change, reason):
    file, env = made
    target = _fresh_target(tmp_path, env)
    assert reason in _refused(_changed(file, tmp_path, change), target)


def test_another_keyring_or_passphrase_is_refused(made, tmp_path):
    file, env = made
    target = _fresh_target(tmp_path, env)
    wrong = cli.write_secret_file(tmp_path / "wrong-passphrase")
    reason = _refused(file, {**target, "SERVICESTELLE_KEYRING_PASSPHRASE_FILE": str(wrong)})
    assert "wrong passphrase" in reason
    other = support.operator_env(tmp_path / "other", tmp_path / "other-secrets")
    support.init_instance(other)
    shutil.copy2(tmp_path / "other" / "keyring.json", tmp_path / "target" / "keyring.json")
    foreign = {
        **target,
        "SERVICESTELLE_KEYRING_PASSPHRASE_FILE": other["SERVICESTELLE_KEYRING_PASSPHRASE_FILE"],
    }
    assert "does not open with this keyring" in _refused(file, foreign)


def test_restore_pinned_to_another_audit_key_is_refused(made, tmp_path):
    file, env = made
    target = _fresh_target(tmp_path, env)
    stranger = tmp_path / "stranger.pem"
    stranger.write_text(audit.public_key_pem(Ed25519PrivateKey.generate().public_key()))
    reason = _refused(file, target, "--public-key", str(stranger))
    assert "not signed by the audit key given with --public-key" in reason


def test_verify_needs_only_the_public_key(made, tmp_path):
    file, env = made
    public = tmp_path / "audit.pem"
    printed = support.invoke(["audit", "public-key"], env)
    public.write_text(printed.stdout)
    nothing = {"SERVICESTELLE_INSTANCE": str(tmp_path / "nowhere")}  # no keyring, no secrets
    ok = support.invoke(["backup", "verify", str(file), "--public-key", str(public)], nothing)
    assert ok.returncode == 0, ok.stderr
    assert "backup intact and signed by audit key" in ok.stdout
    bad = _changed(file, tmp_path, _flip(-300))
    refused = support.invoke(["backup", "verify", str(bad), "--public-key", str(public)], nothing)
    assert "the signature does not verify" in cli.one_line_reason(refused)


def test_a_retired_key_makes_older_backups_unopenable(made, tmp_path):
    """Crypto-shredding reaches backups: once the key that wrapped a backup is retired, the
    backup no longer opens (SECURITY.md)."""
    file, env = made
    source = support.operator_env(tmp_path / "source", tmp_path / "secrets")
    shutil.copytree(env["SERVICESTELLE_INSTANCE"], tmp_path / "source")
    shutil.copy2(
        env["SERVICESTELLE_KEYRING_PASSPHRASE_FILE"],
        source["SERVICESTELLE_KEYRING_PASSPHRASE_FILE"],
    )
    assert support.invoke(["keys", "rotate"], source).returncode == 0
    assert support.invoke(["keys", "retire", "1"], source).returncode == 0
    support.copy_keyring(tmp_path / "source", tmp_path / "target")
    target = support.operator_env(tmp_path / "target", tmp_path / "secrets")
    assert "has no key 1: it was retired" in _refused(file, target)


def test_a_backup_gets_its_name_only_when_complete(made, tmp_path):
    """Written beside its name and linked when whole: a backup cut off (SIGTERM, power loss, a
    full disk) never lies under the name as if it were one; a failure leaves nothing behind."""
    _, env = made
    instance = Path(env["SERVICESTELLE_INSTANCE"])
    passphrase = Path(env["SERVICESTELLE_KEYRING_PASSPHRASE_FILE"]).read_bytes().rstrip(b"\n")
    keyring = Keyring.load(instance / "keyring.json", passphrase)
    engine = sa.create_engine(support.database_url(env))
    folder = tmp_path / "backups"
    folder.mkdir()
    seen: list[list[str]] = []

    def watch(increment: int, total: int) -> None:
        seen.append(sorted(p.name for p in folder.iterdir()))

    def disk_full(increment: int, total: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def create(out: Path, progress):  # type: ignore[no-untyped-def]
        return create_backup(
            out,
            engine=engine,
            keyring=keyring,
            signing_key_file=instance / "audit-signing-key.pem",
            now=datetime.now(UTC),
            instance=instance,
            progress=progress,
        )

    try:
        out = folder / "sicherung.bak"
        created = create(out, watch)
        assert seen and all("sicherung.bak" not in names for names in seen)
        assert all(len(names) == 1 and names[0].endswith(".partial") for names in seen)
        assert [p.name for p in folder.iterdir()] == ["sicherung.bak"]  # nothing else left
        assert created.written.sha256 == support.sha256_of(out)
        assert oct(out.stat().st_mode & 0o777) == "0o600"
        with pytest.raises(BackupError, match="exists; a backup is never overwritten"):
            create(out, None)
        with pytest.raises(BackupError, match="the backup failed: No space left on device"):
            create(folder / "voll.bak", disk_full)
        assert [p.name for p in folder.iterdir()] == ["sicherung.bak"]
        assert support.sha256_of(out) == created.written.sha256
    finally:
        engine.dispose()


def test_a_restore_that_differs_from_its_manifest_is_reported_and_audited(
    made, tmp_path, monkeypatch
):
    """The checks after the write: the database is in place by then, so a difference from
    the manifest fails the command and is recorded in the restore entry (not lost)."""
    _, env = made
    facts = snapshot.sqlite_facts

    def one_case_more(path: Path) -> snapshot.Facts:
        found = facts(path)
        return dataclasses.replace(found, cases=found.cases + 1)

    lying = tmp_path / "lying.bak"
    with monkeypatch.context() as patched:  # a backup whose manifest does not fit its database
        patched.setattr(snapshot, "sqlite_facts", one_case_more)
        assert support.invoke(["backup", "create", str(lying)], env).returncode == 0
    target = _fresh_target(tmp_path, env)
    result = support.invoke(["backup", "restore", str(lying)], target)
    assert result.returncode != 0
    assert "differs from the backup's manifest" in cli.one_line_reason(result)
    (entry,) = support.actions(target, AuditEvent.SYSTEM_BACKUP_RESTORE.value)
    assert entry["matches_manifest"] is False
    engine = sa.create_engine(support.database_url(target))
    with engine.connect() as connection:
        outcomes = connection.execute(
            sa.text("SELECT outcome FROM audit_entry WHERE action = :action"),
            {"action": AuditEvent.SYSTEM_BACKUP_RESTORE.value},
        ).scalars()
        assert list(outcomes) == ["failure"]
    engine.dispose()
    outcome = support.invoke(["audit", "verify"], target)
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr


def _with_header(source: Path, tmp_path: Path, **changes: object) -> Path:
    """The backup with header fields changed (checked before anything is decrypted)."""

    def change(data: bytearray) -> bytes:
        length = int.from_bytes(data[10:14], "big")
        header = json.loads(data[14 : 14 + length])
        header.update(changes)
        encoded = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")
        return bytes(data[:10]) + len(encoded).to_bytes(4, "big") + encoded + data[14 + length :]

    return _changed(source, tmp_path, change)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"backend": "postgresql"}, "the backup is of a postgresql database; the target is sqlite"),
        ({"revision": "9999"}, "schema revision 9999 is unknown to this version"),
    ],
    ids=["other-backend", "unknown-revision"],
)
def test_another_backend_or_an_unknown_revision_is_refused(made, tmp_path, changes, reason):
    file, env = made
    target = _fresh_target(tmp_path, env)
    assert reason in _refused(_with_header(file, tmp_path, **changes), target)


def test_another_audit_signing_key_in_the_target_is_refused_and_kept(made, tmp_path):
    file, env = made
    target = _fresh_target(tmp_path, env)
    key_file = Path(target["SERVICESTELLE_INSTANCE"]) / "audit-signing-key.pem"
    other = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file.write_bytes(other)
    key_file.chmod(0o600)
    reason = _refused(file, target)
    assert "an audit signing key exists at" in reason
    assert "move it away first" in reason
    assert key_file.read_bytes() == other
