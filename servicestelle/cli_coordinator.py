"""`servicestelle coordinator …`: the statewide coordinator's commands.

- `coordinator public-key`: the X25519 key centres encrypt their packages to (their setting
  SERVICESTELLE_COORDINATOR_PUBLIC_KEY);
- `coordinator centres register CODE --name NAME --region CODE --region-name NAME
  --public-key B64` and `coordinator centres list`: the registry of centres and their
  Ed25519 release keys (a centre prints its key with `servicestelle stats public-key`);
- `coordinator import FILE`: decrypt, verify and store a centre's package.

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
