"""`backup restore`: into an empty instance only, and only a backup that checks out entirely.

Order: header → backend and schema revision known → the keyring opens the payload key →
target empty → every chunk decrypted and authenticated into a private temporary file →
signature checked with the audit key carried inside (and the one pinned with
``--public-key``) → SQLite integrity check of the copy → target still empty → the database
written (SQLite: linked into place, never over a file with tables; PostgreSQL:
``pg_restore --single-transaction`` into an empty database) → the audit signing key written
(mode 0600, never over another key). A failure before the database is written leaves nothing
behind. ``check_restored`` then compares the restored database with the manifest, verifies
the audit chain and unwraps every case's data key with the keyring.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

import audit
from crypto import DecryptionError, Keyring, KeyringError
from crypto.envelope import unwrap_key
from servicestelle import migrate
from servicestelle.backup import format, payload, pgtools, snapshot
from servicestelle.backup.format import BackupError

NOT_EMPTY = (
    "the target database is not empty ({tables} tables); a backup is restored only into an "
    "empty database, never over one"
)


@dataclass(frozen=True)
class Restored:
    header: format.Header
    manifest: payload.Manifest
    public_key: Ed25519PublicKey
    sha256: str  # of the backup file


def known_revision(revision: str) -> bool:
    """True when this version's migrations know ``revision`` (it is head or older)."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    try:
        return script.get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False


def sqlite_path(engine: sa.Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("the target SQLite database must be a file")
    return Path(database).resolve()


def table_count(engine: sa.Engine) -> int:
    """Tables in the target database (0: empty). Never creates an SQLite file."""
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine)
        if not path.exists() or path.stat().st_size == 0:
            return 0
        handle = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            query = "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            return int(handle.execute(query).fetchone()[0])
        finally:
            handle.close()
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN "
                    "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
                )
            ).scalar_one()
        )


def _require_empty(engine: sa.Engine) -> None:
    tables = table_count(engine)
    if tables:
        raise BackupError(NOT_EMPTY.format(tables=tables))


@contextmanager
def _opened(path: Path) -> Iterator[format.Reader]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        yield format.Reader(handle)


def read_header(path: Path) -> format.Header:
    with _opened(path) as reader:
        return reader.header


def verify_backup(path: Path, public_key: Ed25519PublicKey) -> format.Header:
    """Check a backup's length and signature without any key but the audit public key."""
    with _opened(path) as reader:
        reader.skip_payload()
        reader.check_signature(public_key, audit.key_id(public_key))
        return reader.header


@contextmanager
def _work_folder(engine: sa.Engine) -> Iterator[Path]:
    """A private temporary folder: beside the SQLite file (so the copy is linked into place
    on the same file system), else in the system's temporary folder (TMPDIR)."""
    parent: Path | None = None
    made: list[Path] = []
    if engine.dialect.name == "sqlite":
        parent = sqlite_path(engine).parent
        for folder in [parent, *parent.parents]:
            if folder.exists():
                break
            made.append(folder)
        parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".servicestelle-restore-", dir=parent) as work:
            yield Path(work)
    except BaseException:
        for folder in made:  # innermost first; only folders this restore created
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def _public_key_of(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise BackupError("the backup's audit signing key is damaged") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BackupError("the backup's audit signing key is not an Ed25519 key")
    return key.public_key()


def restore_backup(
    path: Path,
    *,
    engine: sa.Engine,
    keyring: Keyring,
    signing_key_file: Path,
    pinned: Ed25519PublicKey | None = None,
    pg_bin_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Restored:
    """Restore the backup at ``path`` into the empty database ``engine`` connects to."""
    with _opened(path) as reader:
        header = reader.header
        if header.backend != engine.dialect.name:
            raise BackupError(
                f"the backup is of a {header.backend} database; the target is "
                f"{engine.dialect.name} (restore into the same kind of database)"
            )
        if not known_revision(header.revision):
            raise BackupError(
                f"the backup's schema revision {header.revision} is unknown to this version of "
                "Servicestelle; install the version that made it (or a newer one)"
            )
        try:
            kek = keyring.key(header.kek_id)
        except KeyringError:
            raise BackupError(
                f"the keyring has no key {header.kek_id}: it was retired (backups made under "
                "it cannot be opened any more) or this is another instance's keyring"
            ) from None
        payload_key = format.unwrap_payload_key(kek, header)
        _require_empty(engine)
        existing_key = signing_key_file.read_bytes() if signing_key_file.exists() else None
        with _work_folder(engine) as work:
            copy = work / "database"
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                unpacked = payload.unpack(reader.plaintext(payload_key, progress), out)
            public = _check_origin(reader, header, unpacked, pinned)
            if existing_key is not None and existing_key != unpacked.signing_key_pem:
                raise BackupError(
                    f"an audit signing key exists at {signing_key_file} and is not the "
                    "backup's; move it away first"
                )
            if engine.dialect.name == "sqlite":
                problem = snapshot.integrity_problem(copy)
                if problem is not None:
                    raise BackupError(f"the backup's database fails the integrity check: {problem}")
            _require_empty(engine)
            _write_database(engine, copy, pg_bin_dir)
    if existing_key is None:
        _write_signing_key(signing_key_file, unpacked.signing_key_pem)
    return Restored(header, unpacked.manifest, public, reader.sha256)


def _check_origin(
    reader: format.Reader,
    header: format.Header,
    unpacked: payload.Unpacked,
    pinned: Ed25519PublicKey | None,
) -> Ed25519PublicKey:
    public = _public_key_of(unpacked.signing_key_pem)
    key_id = audit.key_id(public)
    reader.check_signature(public, key_id)
    if unpacked.manifest.signing_key_id != key_id:
        raise BackupError("the backup's manifest names another signing key")
    if (unpacked.manifest.backend, unpacked.manifest.revision) != (header.backend, header.revision):
        raise BackupError("the backup's manifest contradicts its header")
    if pinned is not None and audit.key_id(pinned) != key_id:
        raise BackupError(
            "the backup was not signed by the audit key given with --public-key "
            f"(it names key {key_id})"
        )
    return public


def _write_database(engine: sa.Engine, copy: Path, pg_bin_dir: Path | None) -> None:
    if engine.dialect.name == "sqlite":
        target = sqlite_path(engine)
        # Checked empty just now: at most a file without tables (and its journal) is there.
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.link(copy, target)  # fails rather than replace a file that appeared meanwhile
        _fsync_folder(target.parent)
        return
    with engine.connect() as connection:
        tool = pgtools.find_tool("pg_restore", pg_bin_dir, pgtools.server_major(connection))
    url = engine.url.render_as_string(hide_password=False)
    with pgtools.connection_arguments(url) as (conninfo, env):
        pgtools.run(
            [
                str(tool),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={conninfo}",
                str(copy),
            ],
            env,
            "pg_restore",
        )


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_signing_key(path: Path, pem: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


# --- after the restore ----------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    facts: snapshot.Facts
    verification: audit.Verification
    unreadable_keys: int
    #: False when the restored counts or audit head differ from the manifest. Reported, not
    #: raised: the database is written by then, and the restore entry must record it.
    matches_manifest: bool


def check_restored(
    connection: sa.Connection,
    manifest: payload.Manifest,
    public_key: Ed25519PublicKey,
    keyring: Keyring,
) -> Checked:
    """Compare with the manifest, verify the audit chain, unwrap every case's data key (the
    restore is done by now: a difference is reported in the result, never raised)."""
    facts = snapshot.read_facts(connection)
    verification = audit.verify(connection, public_key)
    matches = snapshot.counted(facts) == snapshot.counted(manifest)
    return Checked(facts, verification, _unreadable_keys(connection, keyring), matches)


def _unreadable_keys(connection: sa.Connection, keyring: Keyring) -> int:
    from servicestelle.cases.vault import key_binding

    rows = connection.execute(
        sa.text("SELECT case_id, kek_id, wrapped_key FROM case_keys ORDER BY case_id")
    )
    unreadable = 0
    for case_id, kek_id, wrapped in rows:
        try:
            unwrap_key(keyring.key(int(kek_id)), bytes(wrapped), key_binding(int(case_id)))
        except (KeyringError, DecryptionError):
            unreadable += 1
    return unreadable
