"""`servicestelle audit …` and `servicestelle db roles-sql`: the operator's and DPO's tools.

``audit verify`` exits 0 with a one-line summary when the log is intact, 1 with the first
broken entry otherwise; the verification itself is recorded in the log, so the DPO's start
page shows when the chain was last checked and with what result.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.exc import SQLAlchemyError

import audit
from audit import AuditEvent, Outcome
from servicestelle import audit_trail, pg_roles
from servicestelle.cli_context import app_context, require_current_schema
from servicestelle.config import ConfigError
from servicestelle.extensions import db


def record_verification(result: audit.Verification) -> None:
    """Write the verdict into the log (the DPO's start page reads the newest one)."""
    audit_trail.record(
        AuditEvent.AUDIT_CHAIN_VERIFY,
        Outcome.SUCCESS if result.intact else Outcome.FAILURE,
        details={
            "entries": result.entries,
            "head_seq": result.head_seq,
            "checkpoints": result.checkpoints,
            "problem": None if result.problem is None else result.problem.name.lower(),
            "broken_seq": result.seq,
        },
    )
    db.session.commit()


def _external_checkpoints(files: tuple[Path, ...]) -> list[audit.Checkpoint]:
    checkpoints = []
    for path in files:
        try:
            checkpoints.append(audit.from_json(path.read_text(encoding="utf-8")))
        except (audit.CheckpointError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{path}: {exc}") from None
    return checkpoints


@click.group("audit")
def audit_group() -> None:
    """Verify the audit log, sign checkpoints, print the public key."""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint file kept off the server (repeatable); detects truncation and rollback.",
)
@click.option(
    "--public-key",
    "public_key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The audit public key as kept by the DPO (default: derived from the signing key).",
)
def verify(checkpoint_files: tuple[Path, ...], public_key_file: Path | None) -> None:
    """Check every hash, link and checkpoint; exit 1 at the first broken entry."""
    external = _external_checkpoints(checkpoint_files)
    with app_context():
        require_current_schema()
        try:
            public = (
                audit.load_public_key(public_key_file.read_bytes())
                if public_key_file
                else audit_trail.public_key()
            )
        except (audit.CheckpointError, ConfigError) as exc:
            raise click.ClickException(str(exc)) from None
        try:
            result = _verify_with_progress(public, external)
        except (ValueError, OverflowError, SQLAlchemyError) as exc:
            # Only rows written around the library (and around the database's CHECKs) get
            # here: a time or number no driver can read.
            raise click.ClickException(
                f"the audit log cannot be read ({type(exc).__name__}); it was changed outside "
                "the application"
            ) from None
        db.session.rollback()  # end the read before the verdict is appended
        record_verification(result)
    click.echo(result.summary())
    if not result.intact:
        raise SystemExit(1)


def _verify_with_progress(
    public: Ed25519PublicKey, external: list[audit.Checkpoint]
) -> audit.Verification:
    """audit.verify with a progress bar on stderr (drawn only on a terminal)."""
    total = audit.store.count_entries(db.session)
    with click.progressbar(length=total, label="verifying", file=sys.stderr) as bar:
        done = [0]

        def advance(checked: int) -> None:
            bar.update(checked - done[0])
            done[0] = checked

        return audit.verify(db.session, public, external=external, progress=advance)


@audit_group.command("checkpoint")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the signed checkpoint (JSON); '-' prints it.",
)
def checkpoint(out: Path) -> None:
    """Sign the current head now and write the checkpoint for the DPO to keep."""
    to_stdout = str(out) == "-"
    # The file is claimed first: a checkpoint recorded in the log must reach its file.
    handle = None if to_stdout else _claim(out)
    try:
        with app_context():
            require_current_schema()
            try:
                signed = audit_trail.create_checkpoint(None)
                text = audit.to_json(signed, audit_trail.public_key())
            except (ConfigError, audit.CheckpointError) as exc:
                raise click.ClickException(str(exc)) from None
            if handle is not None:
                handle.write(text + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            db.session.commit()
    except BaseException:
        if handle is not None:
            handle.close()
            out.unlink(missing_ok=True)
        raise
    if handle is None:
        click.echo(text)
        return
    handle.close()
    click.echo(f"checkpoint {signed.seq} written to {out}; keep a copy off this server")


def _claim(path: Path) -> TextIO:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise click.ClickException(f"{path} exists; checkpoints are never overwritten") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    return os.fdopen(fd, "w", encoding="utf-8")


@audit_group.command("public-key")
def public_key() -> None:
    """Print the audit public key (PEM) for the DPO to keep with the checkpoints."""
    with app_context(quiet=True):
        try:
            click.echo(audit.public_key_pem(audit_trail.public_key()), nl=False)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None


@click.group("db")
def db_group() -> None:
    """Database set-up helpers."""


@db_group.command("roles-sql")
@click.option("--owner", default="servicestelle_owner", show_default=True)
@click.option("--app", "app_role", default="servicestelle_app", show_default=True)
@click.option("--database", default="servicestelle", show_default=True)
def roles_sql(owner: str, app_role: str, database: str) -> None:
    """Print the PostgreSQL role set-up (owner migrates; app role may only append to the log)."""
    try:
        click.echo(pg_roles.role_setup_script(owner, app_role, database), nl=False)
    except pg_roles.RoleNameError as exc:
        raise click.ClickException(str(exc)) from None
