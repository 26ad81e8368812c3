"""`backup create`: copy the running database, encrypt it with the audit key beside it, sign.

The copy is made in a private temporary folder beside the database (SQLite) or in the
instance folder (PostgreSQL), streamed through the encryption into the backup file and
deleted. The backup is written into a hidden file beside its name (claimed with O_EXCL),
synced, and only then linked to its name (a hard link never replaces a file): a backup cut
off by a crash, SIGTERM or a full disk never lies under the name, so a file that exists is a
complete, signed backup. Anything that fails removes the hidden file.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit.chain import format_time
from crypto import Keyring
from servicestelle.backup import format, payload, snapshot
from servicestelle.backup.format import BackupError


@dataclass(frozen=True)
class Created:
    header: format.Header
    manifest: payload.Manifest
    written: format.Written


def _exists(path: Path) -> BackupError:
    return BackupError(f"{path} exists; a backup is never overwritten")


def _claim(path: Path) -> tuple[int, Path]:
    """A new hidden file beside ``path`` (the backup is written there, then linked)."""
    if path.exists() or path.is_symlink():
        raise _exists(path)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror}") from None
    return fd, partial


def _publish(partial: Path, path: Path) -> None:
    """Give the complete, synced backup its name; never over an existing file."""
    try:
        os.link(partial, path)
    except FileExistsError:
        raise _exists(path) from None
    except OSError:  # a file system without hard links: the name was free a moment ago
        if path.exists() or path.is_symlink():
            raise _exists(path) from None
        os.rename(partial, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def work_folder(engine: sa.Engine, instance: Path) -> Path:
    """Where the plain copy lies while it is encrypted: as protected as the database."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        return Path(engine.url.database).resolve().parent
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    return instance


def create_backup(
    out: Path,
    *,
    engine: sa.Engine,
    keyring: Keyring,
    signing_key_file: Path,
    now: datetime,
    instance: Path,
    pg_bin_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Created:
    """Write a backup of the database ``engine`` connects to into the new file ``out``."""
    signing_pem = signing_key_file.read_bytes()
    signing_key = audit.load_signing_key(signing_key_file)  # also checks the file's mode
    fd, partial = _claim(out)
    try:
        with tempfile.TemporaryDirectory(
            prefix=".servicestelle-backup-", dir=work_folder(engine, instance)
        ) as folder:
            copy = Path(folder) / "database"
            if engine.dialect.name == "sqlite":
                facts = snapshot.copy_sqlite(Path(str(engine.url.database)), copy)
            else:
                facts = snapshot.dump_postgresql(engine, copy, pg_bin_dir)
            created = _encrypt(
                fd,
                copy,
                facts,
                engine.dialect.name,
                keyring,
                signing_key,
                signing_pem,
                now,
                progress,
            )
        _publish(partial, out)
    except OSError as exc:  # a full disk, a vanished folder: one line, not a traceback
        raise BackupError(f"the backup failed: {exc.strerror or type(exc).__name__}") from None
    finally:
        os.close(fd)
        partial.unlink(missing_ok=True)
    return created


def _encrypt(
    fd: int,
    copy: Path,
    facts: snapshot.Facts,
    backend: str,
    keyring: Keyring,
    signing_key: Ed25519PrivateKey,
    signing_pem: bytes,
    now: datetime,
    progress: Callable[[int, int], None] | None,
) -> Created:
    key_id = audit.key_id(signing_key.public_key())
    manifest = payload.Manifest.of(facts, backend=backend, signing_key_id=key_id)
    payload_key = format.new_payload_key()
    backup_id = secrets.token_hex(16)
    with copy.open("rb") as database:
        length, stream = payload.pack(manifest, signing_pem, database, copy.stat().st_size)
        header = format.Header(
            backup_id=backup_id,
            created_at=format_time(now),
            backend=backend,
            revision=facts.revision,
            centres=facts.centres,
            payload_bytes=length,
            kek_id=keyring.primary,
            wrapped_key=format.wrap_payload_key(
                keyring.key(keyring.primary), keyring.primary, payload_key, backup_id
            ),
            signing_key_id=key_id,
            nonce_prefix=base64.b64encode(os.urandom(format.NONCE_PREFIX_BYTES)).decode("ascii"),
        )
        handle = os.fdopen(os.dup(fd), "wb")
        with handle:
            written = format.write(handle, header, payload_key, stream, signing_key, progress)
            handle.flush()
            os.fsync(handle.fileno())
    return Created(header, manifest, written)
