"""`servicestelle keys …`: the keyring of key-encryption keys (admin, on the server).

``rotate`` adds a key, makes it primary, saves the keyring file *first* (a data key wrapped
under a key that is not on disk would be lost with the process) and then re-wraps every
case's data key in batches. ``retire`` removes an old key once nothing is wrapped by it —
after which backups still holding data keys under that key can no longer be opened, which is
how shredded cases also disappear from old backups (SECURITY.md).
"""

from __future__ import annotations

import sys

import click

from audit import AuditEvent
from servicestelle import audit_trail, services
from servicestelle.cases import rotation
from servicestelle.cli_context import app_context, require_current_schema, warnings_shown
from servicestelle.config import ConfigError, Settings
from servicestelle.extensions import db
from servicestelle.keyring_custody import KeyringHolder, Prompt, unlock

#: Passes over the table: a server that has not yet re-read the keyring may still wrap a
#: new case's key under the old primary while the first pass runs.
_PASSES = 3


def terminal_prompt(*, confirm: bool = False) -> Prompt | None:
    """Ask for the passphrase on a terminal; None when nobody can answer (services, CI)."""
    if not sys.stdin.isatty():
        return None

    def ask() -> bytes:
        text: str = click.prompt(
            "Keyring passphrase", hide_input=True, confirmation_prompt=confirm, err=True
        )
        return text.encode("utf-8")

    return ask


def unlocked(settings: Settings) -> KeyringHolder:
    """The process's keyring, unlocked now (asking on a terminal if needed)."""
    holder: KeyringHolder | None = services.current_holder()
    if holder is not None:
        return holder
    try:
        with warnings_shown():
            holder = unlock(settings, terminal_prompt())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    services.install_keyring(holder)
    return holder


@click.group("keys")
def keys_group() -> None:
    """Rotate and inspect the key-encryption keys."""


@keys_group.command("status")
def status() -> None:
    """Each key-encryption key and how many case data keys it still wraps."""
    with app_context() as app:
        require_current_schema()
        keyring = unlocked(app.extensions["servicestelle.settings"]).get()
        usage = rotation.usage()
        click.echo(f"keyring: {services.settings().keyring_path}")
        for kek_id in sorted(set(keyring.keys) | set(usage)):
            marks = []
            if kek_id == keyring.primary:
                marks.append("primary")
            if kek_id not in keyring.keys:
                marks.append("MISSING from the keyring: these cases cannot be opened")
            suffix = f"  ({', '.join(marks)})" if marks else ""
            click.echo(f"  key {kek_id}: wraps {usage.get(kek_id, 0)} data keys{suffix}")
        click.echo(f"  named keys: {', '.join(sorted(keyring.named)) or 'none'}")


@keys_group.command("rotate")
@click.option("--batch-size", default=rotation.BATCH_SIZE, show_default=True, type=int)
def rotate(batch_size: int) -> None:
    """Make a new key primary and re-wrap every case's data key under it."""
    if batch_size < 1:
        raise click.BadParameter("must be at least 1", param_hint="--batch-size")
    with app_context() as app:
        require_current_schema()
        holder = unlocked(app.extensions["servicestelle.settings"])
        previous = holder.get().primary
        # Above every id a data key names: a keyring restored from an older copy could
        # otherwise hand out an id that wrapped keys already carry.
        floor = max(rotation.usage(), default=0) + 1
        try:
            new_id = holder.modify(lambda ring: ring.rotate(at_least=floor))
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        keyring = holder.get()
        click.echo(f"key {new_id} is now primary (was {previous}); keyring saved")
        total = rotation.RewrapResult()
        for _ in range(_PASSES):
            todo = rotation.pending(keyring)
            if not todo:
                break
            with click.progressbar(
                length=todo, label="re-wrapping data keys", file=sys.stderr
            ) as bar:
                result = rotation.rewrap_all(keyring, batch_size=batch_size, progress=bar.update)
            total.rewrapped += result.rewrapped
            total.conflicts += result.conflicts
            total.unreadable += result.unreadable
            if result.rewrapped == 0:
                break  # what is left does not move by trying again
        left = rotation.pending(keyring)
        audit_trail.record(
            AuditEvent.CRYPTO_KEK_ROTATE,
            object_type="kek",
            object_id=new_id,
            details={
                "previous": previous,
                "rewrapped": total.rewrapped,
                "conflicts": total.conflicts,
                "unreadable": total.unreadable,
                "pending": left,
            },
        )
        db.session.commit()
        click.echo(f"{total.rewrapped} data keys re-wrapped under key {new_id}")
        if total.unreadable:
            raise click.ClickException(
                f"{total.unreadable} data keys do not open and stay under their old key "
                "(see the log for the case ids); the old key must not be retired"
            )
        if left:
            raise click.ClickException(
                f"{left} data keys are still under older keys (changed during the run); "
                "run `servicestelle keys rotate` again"
            )


@keys_group.command("retire")
@click.argument("kek_id", type=int)
def retire(kek_id: int) -> None:
    """Remove an old key that no data key uses any more."""
    with app_context() as app:
        require_current_schema()
        holder = unlocked(app.extensions["servicestelle.settings"])
        if kek_id == holder.get().primary:
            raise click.ClickException(
                f"key {kek_id} is the primary key; rotate first, then retire the old one"
            )
        still = rotation.usage().get(kek_id, 0)
        if still:
            raise click.ClickException(
                f"key {kek_id} still wraps {still} data keys; run `servicestelle keys rotate` first"
            )
        try:
            holder.modify(lambda ring: ring.retire(kek_id))
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        audit_trail.record(AuditEvent.CRYPTO_KEK_RETIRE, object_type="kek", object_id=kek_id)
        db.session.commit()
        click.echo(f"key {kek_id} retired")
