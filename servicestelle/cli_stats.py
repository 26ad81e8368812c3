"""`servicestelle stats rebuild --purpose P [--centre CODE]`: derive the statistics store anew;
`stats package export RELEASE_ID --out FILE`: an approved coordinator package, encrypted;
`stats public-key [--centre CODE]`: the centre's release key, for the coordinator's registry.

For a change of the code lists (stats.store.CATALOGUE_VERSION) or a store that must be
checked against the cases: every case in scope is opened, its record written anew, and
records whose case is gone or left the statistics are deleted. Opening every case is one
audit entry for the run (``stats:store:rebuild``: counts and the purpose the operator names
from a fixed list, so the DPO sees why), committed before the first
case is opened; the cases are then done in batches, one transaction each, with progress.
"""

from __future__ import annotations

from pathlib import Path

import click

from audit import AuditEvent
from servicestelle import audit_trail, services
from servicestelle.cases import statistics
from servicestelle.cli_context import app_context, require_case_module, require_current_schema
from servicestelle.cli_keys import unlocked
from servicestelle.extensions import db


@click.group("stats")
def stats_group() -> None:
    """The statistics store."""


#: Why every case is opened, as the DPO reads it in the audit entry (a code, never free text).
REBUILD_PURPOSES = ("code-lists", "check", "restore")


@stats_group.command("rebuild")
@click.option(
    "--purpose",
    required=True,
    type=click.Choice(REBUILD_PURPOSES),
    help="Why every case is opened: code-lists (a code list changed), check (compare the "
    "store with the cases), restore (after a restore). Recorded in the audit entry.",
)
@click.option("--centre", "centre_code", help="Only this centre (its code); else all.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=statistics.BATCH_SIZE,
    show_default=True,
    help="Cases per transaction.",
)
def rebuild(purpose: str, centre_code: str | None, batch_size: int) -> None:
    """Derive every statistics record anew from the cases."""
    from servicestelle.centres.queries import get_centre_by_code

    with app_context():
        require_case_module()
        require_current_schema()
        unlocked(services.settings())
        centre_id = None
        if centre_code is not None:
            centre = get_centre_by_code(centre_code)
            if centre is None:
                raise click.ClickException(f"no centre with the code {centre_code}")
            centre_id = centre.id
        to_open, excluded = statistics.cases_to_rebuild(centre_id)
        total = to_open + excluded
        audit_trail.record(
            AuditEvent.STATS_STORE_REBUILD,
            centre_id=centre_id,
            details={"cases": total, "excluded": excluded, "purpose": purpose},
        )
        db.session.commit()
        done = 0

        def progress(batch: int) -> None:
            nonlocal done
            done += batch
            click.echo(f"{done}/{total}")

        result = statistics.rebuild(centre_id, batch_size=batch_size, progress=progress)
        click.echo(
            f"statistics store rebuilt: {result.derived} records derived from {result.cases} "
            f"cases, {result.excluded} left out (statistics consent withdrawn), "
            f"{result.removed} stale records deleted"
        )
        if result.unreadable:
            raise click.ClickException(
                f"{result.unreadable} cases do not open (shredded or a retired key); their "
                "records were left as they were; see the log for their ids"
            )


@stats_group.command("public-key")
@click.option("--centre", "centre_code", help="The centre's code; optional with one centre.")
def public_key(centre_code: str | None) -> None:
    """Print the centre's release public key (base64): what a coordinator registers."""
    import base64

    from servicestelle.centres.queries import get_centre_by_code, list_centres
    from servicestelle.stats import signing

    with app_context():
        require_current_schema()
        unlocked(services.settings())
        centres = list_centres()
        if centre_code is not None:
            centre = get_centre_by_code(centre_code)
            if centre is None:
                raise click.ClickException(f"no centre with the code {centre_code}")
        elif len(centres) == 1:
            centre = centres[0]
        else:
            raise click.ClickException("several centres exist; name one with --centre CODE")
        click.echo(base64.b64encode(signing.public_key(centre.code)).decode())


@stats_group.group("package")
def package_group() -> None:
    """Coordinator packages (unsuppressed counts, encrypted to the coordinator)."""


@package_group.command("export")
@click.argument("release_id", type=click.IntRange(1, 2**31 - 1))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The package file to write (refused if it exists).",
)
def package_export(release_id: int, out: Path) -> None:
    """Write an approved package, encrypted to SERVICESTELLE_COORDINATOR_PUBLIC_KEY."""
    from servicestelle.stats import packages
    from servicestelle.stats.operations import ReleaseError
    from servicestelle.stats.release_models import Release

    with app_context():
        require_case_module()
        require_current_schema()
        if out.exists():
            raise click.ClickException(f"{out} exists already; name another file")
        package = db.session.get(Release, release_id)
        if package is None:
            raise click.ClickException(f"no package with the id {release_id}")
        try:
            body = packages.export_package(None, package)
        except ReleaseError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            with out.open("xb") as handle:
                handle.write(body)
        except OSError as exc:
            raise click.ClickException(f"cannot write {out}: {exc.strerror}") from None
        click.echo(f"package {release_id} ({package.period}) written to {out}")
