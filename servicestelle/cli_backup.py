"""`servicestelle backup create|verify|restore`: encrypted, signed backups (admin, on the server).

``create`` copies the running database consistently (SQLite Online Backup API, or
``pg_dump -Fc`` of one snapshot), encrypts it with a fresh key wrapped under the keyring's
primary key-encryption key, signs it with the audit signing key and records
``system:backup:create``. ``verify`` checks a file with the audit public key alone.
``restore`` needs only the escrowed keyring and its passphrase, restores into an empty
instance only, checks everything before it writes, then verifies what it wrote and records
``system:backup:restore`` in the restored instance. See servicestelle/backup/.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import audit
from audit import AuditEvent, Outcome
from servicestelle import audit_trail, clock, migrate
from servicestelle.backup.create import create_backup
from servicestelle.backup.format import BackupError
from servicestelle.backup.restore import check_restored, restore_backup, verify_backup
from servicestelle.cli_context import app_context, require_current_schema
from servicestelle.cli_keys import unlocked
from servicestelle.config import ConfigError, Settings
from servicestelle.extensions import db

PG_BIN_DIR_HELP = (
    "Folder holding pg_dump/pg_restore (default: /usr/lib/postgresql/<server version>/bin, "
    "then PATH)."
)
MIB = 1024 * 1024


class _Progress:
    """Percentages on stderr, only on a terminal (logs of cron jobs stay short)."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._done = 0
        self._next = 0
        self._shown = sys.stderr.isatty()

    def __call__(self, increment: int, total: int) -> None:
        self._done += increment
        percent = 100 if total == 0 else self._done * 100 // total
        if self._shown and percent >= self._next:
            click.echo(f"\r{self._label}: {percent:3d} %", err=True, nl=percent >= 100)
            self._next = percent + 5


#: pg_dump/pg_restore come from here when given (an option, not a setting of the service).
pg_bin_dir_option = click.option(
    "--pg-bin-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SERVICESTELLE_PG_BIN_DIR",
    help=PG_BIN_DIR_HELP,
)


def _public_key(path: Path) -> Ed25519PublicKey:
    try:
        return audit.load_public_key(path.read_bytes())
    except audit.CheckpointError as exc:
        raise click.ClickException(f"{path}: {exc}") from None


@click.group("backup")
def backup_group() -> None:
    """Encrypted, signed backups: create, verify, restore."""


@backup_group.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pg_bin_dir_option
def create(file: Path, pg_bin_dir: Path | None) -> None:
    """Back up the running instance into FILE (never overwritten)."""
    started = time.monotonic()
    with app_context() as app:
        require_current_schema()
        settings: Settings = app.extensions["servicestelle.settings"]
        keyring = unlocked(settings).get()
        try:
            audit_trail.signing_key()  # production: refuses a missing or readable key file
            created = create_backup(
                file,
                engine=db.engine,
                keyring=keyring,
                signing_key_file=settings.audit_signing_key_path,
                now=clock.now(),
                instance=settings.instance_path,
                pg_bin_dir=pg_bin_dir,
                progress=_Progress("encrypting"),
            )
        except (BackupError, ConfigError, audit.CheckpointError) as exc:
            raise click.ClickException(str(exc)) from None
        header, manifest, written = created.header, created.manifest, created.written
        try:
            # Every backup is in the log (the settings page shows the newest): if the entry
            # cannot be written, the file goes too.
            audit_trail.record(
                AuditEvent.SYSTEM_BACKUP_CREATE,
                object_type="instance",
                details={
                    "size": written.size,
                    "sha256": written.sha256,
                    "backend": header.backend,
                    "revision": header.revision,
                    "kek_id": header.kek_id,
                    "cases": manifest.cases,
                    "audit_head_seq": manifest.audit_head_seq,
                },
            )
            db.session.commit()
        except BaseException:
            file.unlink(missing_ok=True)
            raise
    click.echo(f"backup written: {file} ({written.size / MIB:.1f} MiB, sha256 {written.sha256})")
    click.echo(
        f"  {header.backend}, schema {header.revision}, centres {', '.join(header.centres)}; "
        f"{manifest.cases} cases, {manifest.audit_entries} audit entries "
        f"(head {manifest.audit_head_seq})"
    )
    click.echo(
        f"  encrypted under key-encryption key {header.kek_id}: restoring needs the keyring "
        "and its passphrase; retiring that key makes this backup unreadable"
    )
    click.echo(f"  took {time.monotonic() - started:.1f} s")


@backup_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The audit public key (PEM) as the DPO keeps it (default: this instance's).",
)
def verify(file: Path, public_key_file: Path | None) -> None:
    """Check FILE's origin and integrity with the audit public key (no keyring needed)."""
    if public_key_file is not None:
        public = _public_key(public_key_file)
    else:
        with app_context(quiet=True):
            try:
                public = audit_trail.public_key()
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
    try:
        header = verify_backup(file, public)
    except BackupError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    click.echo(
        f"backup intact and signed by audit key {header.signing_key_id}: made "
        f"{header.created_at}, {header.backend}, schema {header.revision}, centres "
        f"{', '.join(header.centres)}, encrypted under key-encryption key {header.kek_id}"
    )


@backup_group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Restore only a backup signed by this audit key (PEM, as the DPO keeps it).",
)
@pg_bin_dir_option
def restore(file: Path, public_key_file: Path | None, pg_bin_dir: Path | None) -> None:
    """Restore FILE into this (empty) instance; needs only the keyring and its passphrase."""
    started = time.monotonic()
    pinned = None if public_key_file is None else _public_key(public_key_file)
    if pinned is None:
        # Without a pinned key the signature is checked against the key inside the encrypted
        # payload: whoever holds keyring and passphrase could have made the file.
        click.secho(
            "WARNING: no --public-key given: the backup's origin is checked only through the "
            "keyring; pass the audit public key the DPO keeps to pin it",
            fg="yellow",
            err=True,
        )
    with app_context() as app:
        settings: Settings = app.extensions["servicestelle.settings"]
        if not settings.keyring_path.exists():
            raise click.ClickException(
                f"no keyring at {settings.keyring_path}: copy the escrowed keyring file there "
                "(mode 0600) and name its passphrase file in SERVICESTELLE_KEYRING_PASSPHRASE_FILE"
            )
        keyring = unlocked(settings).get()
        try:
            restored = restore_backup(
                file,
                engine=db.engine,
                keyring=keyring,
                signing_key_file=settings.audit_signing_key_path,
                pinned=pinned,
                pg_bin_dir=pg_bin_dir,
                progress=_Progress("decrypting"),
            )
            with db.engine.connect() as connection:
                checked = check_restored(
                    connection, restored.manifest, restored.public_key, keyring
                )
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        problems = []
        if not checked.matches_manifest:
            problems.append("the restored database differs from the backup's manifest")
        if not checked.verification.intact:
            problems.append(checked.verification.summary())
        if checked.unreadable_keys:
            problems.append(
                f"{checked.unreadable_keys} case data keys do not open with this keyring"
            )
        elapsed = time.monotonic() - started
        header = restored.header
        audit_trail.record(
            AuditEvent.SYSTEM_BACKUP_RESTORE,
            Outcome.FAILURE if problems else Outcome.SUCCESS,
            object_type="instance",
            details={
                "sha256": restored.sha256,
                "backup_created_at": header.created_at,
                "backend": header.backend,
                "revision": header.revision,
                "cases": checked.facts.cases,
                "audit_head_seq": checked.facts.audit_head_seq,
                "unreadable_keys": checked.unreadable_keys,
                "matches_manifest": checked.matches_manifest,
                "seconds": round(elapsed),
            },
        )
        db.session.commit()
        upgrade_needed = header.revision != migrate.head_revision()
    facts = checked.facts
    click.echo(
        f"restored: {file} (made {header.created_at}, {header.backend}, schema "
        f"{header.revision}, centres {', '.join(header.centres)})"
    )
    click.echo(
        f"  {facts.cases} cases (every data key opens: "
        f"{'no' if checked.unreadable_keys else 'yes'}), {facts.stats_records} statistics records"
    )
    click.echo(f"  {checked.verification.summary()}")
    click.echo(f"  restore time (RTO): {elapsed:.1f} s")
    if header.backend == "postgresql":
        click.echo(
            "  next: run the output of `servicestelle db roles-sql` as a superuser (grants are "
            "not in the backup), then serve with the application role"
        )
    if upgrade_needed:
        click.echo("  next: `servicestelle init` upgrades the schema to this version")
    click.echo(
        "  audit entries written after the backup was made are not in it: checkpoints exported "
        "later report this log as truncated or rewritten from there"
    )
    if problems:
        raise click.ClickException("restored, but: " + "; ".join(problems))
