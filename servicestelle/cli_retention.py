"""`servicestelle retention run [--dry-run]`: delete cases whose retention period is over.

Meant for a daily timer. ``--dry-run`` lists what would go (reference, closing date, due
since) and changes nothing; without it each listed case is crypto-shredded and deleted in its
own transaction, leaving a deletion record for the DPO.
"""

from __future__ import annotations

import click

from servicestelle import clock, services
from servicestelle.cases import retention
from servicestelle.cli_context import app_context, require_case_module, require_current_schema


@click.group("retention")
def retention_group() -> None:
    """Delete cases after their retention period."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Only list the cases that are due.")
def run(dry_run: bool) -> None:
    """Crypto-shred and delete every closed case past its retention period (no legal hold)."""
    with app_context():
        require_case_module()
        require_current_schema()
        settings = services.settings()
        due = retention.due_cases(clock.today(), settings.retention_years)
        verb = "would delete" if dry_run else "deleting"
        click.echo(
            f"{len(due)} cases past the retention period of {settings.retention_years} years "
            f"after the closing year; {verb}:"
        )
        for case in due:
            click.echo(
                f"  centre {case.centre_id} case {case.reference} (id {case.case_id}): "
                f"closed {case.closed_on.isoformat()}, due since {case.due_on.isoformat()}"
            )
        if dry_run or not due:
            return
        today = clock.today()
        deleted = sum(retention.delete_case(case, today, settings.retention_years) for case in due)
        retention.flush_deleted_pages()
        click.echo(f"{deleted} cases deleted; deletion records kept for the DPO")
        if deleted < len(due):
            click.echo(f"{len(due) - deleted} cases were reopened or put on hold meanwhile")
