"""`servicestelle stats rebuild [--centre CODE]`: derive the statistics store anew.

For a change of the code lists (stats.store.CATALOGUE_VERSION) or a store that must be
checked against the cases: every case in scope is opened, its record written anew, and
records whose case is gone or left the statistics are deleted. Opening every case is one
audit entry for the run (``stats:store:rebuild``, counts only), committed before the first
case is opened; the cases are then done in batches, one transaction each, with progress.
"""

from __future__ import annotations

import click

from audit import AuditEvent
from servicestelle import audit_trail, services
from servicestelle.cases import statistics
from servicestelle.cli_context import app_context, require_current_schema
from servicestelle.cli_keys import unlocked
from servicestelle.extensions import db


@click.group("stats")
def stats_group() -> None:
    """The statistics store."""


@stats_group.command("rebuild")
@click.option("--centre", "centre_code", help="Only this centre (its code); else all.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=statistics.BATCH_SIZE,
    show_default=True,
    help="Cases per transaction.",
)
def rebuild(centre_code: str | None, batch_size: int) -> None:
    """Derive every statistics record anew from the cases."""
    from servicestelle.centres.queries import get_centre_by_code

    with app_context():
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
            details={"cases": total, "excluded": excluded},
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
