"""`servicestelle coordinator …`: the statewide coordinator's commands.

- `coordinator public-key`: the X25519 key centres encrypt their packages to (their setting
  SERVICESTELLE_COORDINATOR_PUBLIC_KEY);
- `coordinator centres register CODE --name NAME --region CODE --region-name NAME
  --public-key B64` and `coordinator centres list`: the registry of centres and their
  Ed25519 release keys (a centre prints its key with `servicestelle stats public-key`);
- `coordinator centres move CODE --region CODE --region-name NAME`: a centre's new region
  (packages imported so far keep theirs); `coordinator centres rekey CODE --public-key B64`:
  a centre's new release key after a key rotation there;
- `coordinator import FILE`: decrypt, verify and store a centre's package;
- `coordinator packages list`, `coordinator packages withdraw ID --reason TEXT` (so that the
  centre can send a corrected package) and `coordinator packages purge --before YEAR
  [--dry-run]` (retention: delete the counts of the packages of earlier years, keep the rows).

Every command but `public-key` needs SERVICESTELLE_MODE=coordinator; each refusal is one line.
"""

from __future__ import annotations

import base64
from pathlib import Path

import click

from servicestelle import services
from servicestelle.cli_context import app_context, require_current_schema
from servicestelle.cli_keys import unlocked

#: Far above a package of the whole catalogue (about 70 KB), far below a memory problem.
MAX_PACKAGE_BYTES = 16 * 1024 * 1024


def _require_coordinator() -> None:
    if not services.settings().is_coordinator:
        raise click.ClickException(
            "this instance is a centre; set SERVICESTELLE_MODE=coordinator on the coordinator"
        )


@click.group("coordinator")
def coordinator_group() -> None:
    """The statewide coordinator: registry of centres, package imports."""


@coordinator_group.command("public-key")
def public_key() -> None:
    """Print the coordinator's package public key (base64, X25519)."""
    from servicestelle.coordinator import keys

    with app_context():
        require_current_schema()
        _require_coordinator()
        unlocked(services.settings())
        click.echo(keys.public_key_text())


@coordinator_group.group("centres")
def centres_group() -> None:
    """The centres whose packages this coordinator accepts."""


@centres_group.command("register")
@click.argument("code")
@click.option("--name", required=True, help="Name of the centre.")
@click.option("--region", "region_code", required=True, help="Code of its region, e.g. owl.")
@click.option("--region-name", required=True, help="Name of its region.")
@click.option(
    "--public-key",
    "public_key_text",
    required=True,
    help="The centre's release public key, base64 (`servicestelle stats public-key`).",
)
def centres_register(
    code: str, name: str, region_code: str, region_name: str, public_key_text: str
) -> None:
    """Register a centre and the key its packages are signed with."""
    from servicestelle.coordinator import operations

    with app_context():
        require_current_schema()
        _require_coordinator()
        try:
            centre = operations.register_centre(
                None,
                code=code,
                name=name,
                region_code=region_code,
                region_name=region_name,
                public_key=operations.parse_public_key(public_key_text),
            )
        except operations.CoordinatorError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"centre registered: {centre.code} ({centre.name}), region {centre.region_code}")


@centres_group.command("list")
def centres_list() -> None:
    """List the registered centres: code, region, public key, name."""
    from servicestelle.coordinator import queries

    with app_context():
        require_current_schema()
        _require_coordinator()
        for centre in queries.registered_centres():
            key = base64.b64encode(centre.public_key).decode()
            click.echo(f"{centre.code}  {centre.region_code}  {key}  {centre.name}")


@coordinator_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_package(file: Path) -> None:
    """Import a centre's package file (decrypted, verified, stored; audited)."""
    from servicestelle.coordinator import operations

    with app_context():
        require_current_schema()
        _require_coordinator()
        unlocked(services.settings())
        if file.stat().st_size > MAX_PACKAGE_BYTES:
            raise click.ClickException(f"{file} is too large for a package")
        try:
            package = operations.import_package(None, file.read_bytes())
        except operations.CoordinatorError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"package imported: {package.period} (id {package.id})")


@centres_group.command("move")
@click.argument("code")
@click.option("--region", "region_code", required=True, help="Code of the new region.")
@click.option("--region-name", required=True, help="Name of the new region.")
def centres_move(code: str, region_code: str, region_name: str) -> None:
    """Move a centre to another region (packages imported so far keep their region)."""
    from servicestelle.coordinator import operations

    with app_context():
        require_current_schema()
        _require_coordinator()
        try:
            centre = operations.get_centre(code)
            operations.move_centre(None, centre, region_code=region_code, region_name=region_name)
        except operations.CoordinatorError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"centre moved: {centre.code}, region {centre.region_code}")


@centres_group.command("rekey")
@click.argument("code")
@click.option(
    "--public-key",
    "public_key_text",
    required=True,
    help="The centre's new release public key, base64 (`servicestelle stats public-key`).",
)
def centres_rekey(code: str, public_key_text: str) -> None:
    """Replace a centre's registered release key (after a key rotation at the centre)."""
    from servicestelle.coordinator import operations

    with app_context():
        require_current_schema()
        _require_coordinator()
        try:
            centre = operations.get_centre(code)
            operations.replace_key(None, centre, operations.parse_public_key(public_key_text))
        except operations.CoordinatorError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"key replaced: {centre.code}")


@coordinator_group.group("packages")
def packages_group() -> None:
    """The imported packages: list, withdraw, purge old counts."""


@packages_group.command("list")
def packages_list() -> None:
    """List the imported packages: id, period, centre, region, state."""
    from servicestelle.coordinator import queries

    with app_context():
        require_current_schema()
        _require_coordinator()
        for package, centre in queries.imported_packages():
            state = (
                "withdrawn"
                if package.is_withdrawn
                else "purged"
                if package.is_purged
                else "counted"
            )
            click.echo(
                f"{package.id}  {package.period}  {centre.code}  {package.region_code}  {state}"
            )


@packages_group.command("withdraw")
@click.argument("package_id", type=int)
@click.option("--reason", required=True, help="Why (about the figures, not about people).")
def packages_withdraw(package_id: int, reason: str) -> None:
    """Withdraw an imported package so that its centre can send a corrected one."""
    from servicestelle.coordinator import operations, withdrawals
    from servicestelle.coordinator.models import ImportedPackage
    from servicestelle.extensions import db

    with app_context():
        require_current_schema()
        _require_coordinator()
        package = db.session.get(ImportedPackage, package_id)
        if package is None:
            raise click.ClickException(f"no imported package with id {package_id}")
        try:
            withdrawals.withdraw_package(None, package, reason)
        except operations.CoordinatorError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"package withdrawn: {package.period} (id {package_id})")


@packages_group.command("purge")
@click.option(
    "--before",
    "before",
    type=click.IntRange(min=2000, max=9999),
    required=True,
    help="Delete the counts of the packages of every year before this one.",
)
@click.option("--dry-run", is_flag=True, help="Only say which packages would be purged.")
def packages_purge(before: int, dry_run: bool) -> None:
    """Retention: delete the counts of the packages of earlier years (rows and audit stay)."""
    from servicestelle.coordinator import operations, withdrawals

    with app_context():
        require_current_schema()
        _require_coordinator()
        try:
            purge = withdrawals.purge_packages(None, before, dry_run=dry_run)
        except operations.CoordinatorError as exc:
            raise click.ClickException(str(exc)) from None
        years = ", ".join(str(year) for year in purge.years) or "none"
        verb = "would purge" if dry_run else "purged"
        click.echo(f"{verb}: {len(purge.package_ids)} packages (years {years})")
