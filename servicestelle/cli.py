"""The `servicestelle` command (DESIGN.md §8).

Every command runs without questions when given its options, exits 0 on success and
non-zero with a one-line reason on failure.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app

import audit
from servicestelle import audit_trail, logging_setup, migrate, services, settings_audit
from servicestelle.cli_audit import audit_group, db_group
from servicestelle.cli_backup import backup_group
from servicestelle.cli_context import (
    app_context,
    require_current_schema,
    warnings_shown,
    with_schema,
)
from servicestelle.cli_coordinator import coordinator_group
from servicestelle.cli_keys import keys_group, terminal_prompt, unlocked
from servicestelle.cli_retention import retention_group
from servicestelle.cli_stats import stats_group
from servicestelle.config import (
    SECRET_KEY_FILENAME,
    ConfigError,
    Settings,
    default_database_url,
)
from servicestelle.extensions import db

DEFAULT_CENTRE_CODE = "ZENTRALE"
DEFAULT_CENTRE_NAME = "Servicestelle"


#: What the demo takes from the environment: it always runs on the embedded default (SQLite
#: and secret in the instance folder), never on a configured production database or key.
DEMO_ENV_KEYS = ("SERVICESTELLE_INSTANCE",)
REAL_INSTANCE = (
    "this instance holds real accounts (it was not made by `servicestelle demo`); "
    "the demo only runs in its own instance folder (set SERVICESTELLE_INSTANCE)"
)


def _demo_settings() -> Settings:
    instance = Path(os.environ.get("SERVICESTELLE_INSTANCE", "instance")).resolve()
    database = Path(default_database_url(instance).removeprefix("sqlite:///"))
    if database.exists() and not (instance / SECRET_KEY_FILENAME).exists():
        # Decided before anything is written: no demo secret lands in a real instance.
        raise click.ClickException(REAL_INSTANCE)
    env = {key: os.environ[key] for key in DEMO_ENV_KEYS if key in os.environ}
    try:
        return Settings.from_env(env, profile="demo")
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Servicestelle: confidential case management for anti-discrimination counselling."""


main.add_command(audit_group)
main.add_command(backup_group)
main.add_command(coordinator_group)
main.add_command(db_group)
main.add_command(keys_group)
main.add_command(retention_group)
main.add_command(stats_group)


# --- instance -------------------------------------------------------------------------


def initialise(centre_code: str, centre_name: str) -> None:
    """Create or upgrade the instance in the current app context (idempotent)."""
    from servicestelle.centres.operations import CentreError, create_centre
    from servicestelle.centres.queries import list_centres

    settings: Settings = current_app.extensions["servicestelle.settings"]
    settings.instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    before = migrate.current_revision(db.engine)
    migrate.upgrade(db.engine)
    after = migrate.current_revision(db.engine)
    if before != after:
        click.echo(f"database schema: {before or 'empty'} -> {after}")
    # The key first: the centre's creation is the log's first entry, and the scheduled
    # checkpoint after it needs the key (without it, init warned that it skipped one).
    _ensure_audit_signing_key(settings)
    if not list_centres():
        try:
            centre = create_centre(centre_code, centre_name)
        except CentreError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"centre created: {centre.code} ({centre.name})")
    _ensure_keyring(settings)


def _ensure_keyring(settings: Settings) -> None:
    """Create the keyring once (asking for a new passphrase on a terminal in production)."""
    from servicestelle import keyring_custody

    if settings.keyring_path.exists():
        unlocked(settings)  # proves the passphrase opens it; adds named keys a new version needs
        return
    try:
        with warnings_shown():
            secret = keyring_custody.passphrase(settings, terminal_prompt(confirm=True))
        keyring_custody.create_keyring(settings, secret)
        services.install_keyring(keyring_custody.KeyringHolder(settings, secret))
    except ConfigError as exc:
        raise click.ClickException(f"cannot create the keyring: {exc}") from None
    click.echo(
        f"keyring created: {settings.keyring_path} (back it up together with its passphrase, "
        "kept apart: without both, no case can ever be opened again)"
    )


def _ensure_audit_signing_key(settings: Settings) -> None:
    """Create the checkpoint signing key once; an existing key is never replaced."""
    path = settings.audit_signing_key_path
    if path.exists():
        return
    try:
        audit.generate_signing_key(path)
    except (audit.CheckpointError, OSError) as exc:
        raise click.ClickException(f"cannot create the audit signing key: {exc}") from None
    click.echo(
        f"audit signing key created: {path} (back it up; give the DPO the public key from "
        "`servicestelle audit public-key`)"
    )


@main.command()
@click.option(
    "--centre-code",
    default=DEFAULT_CENTRE_CODE,
    show_default=True,
    help="Code of the first centre (only used when the instance has none).",
)
@click.option(
    "--centre-name",
    default=DEFAULT_CENTRE_NAME,
    show_default=True,
    help="Name of the first centre.",
)
def init(centre_code: str, centre_name: str) -> None:
    """Create or upgrade the instance (migrations, first centre); safe to run again."""
    with app_context():
        initialise(centre_code, centre_name)
        click.echo(f"instance ready: {db.engine.url.render_as_string(hide_password=True)}")


def waitress_options(settings: Settings, threads: int) -> dict[str, Any]:
    """How waitress serves the app.

    Waitress strips X-Forwarded-* headers by default before the application sees them; with
    trusted proxies configured, the app's ProxyFix (app_setup.py) must get them — counting
    exactly that many proxies — or every client shares the proxy's address (one attacker's
    failed logins throttle everyone) and https looks like http. Without trusted proxies they
    stay stripped: nobody may claim an address or a scheme.
    """
    return {
        "threads": threads,
        "ident": None,
        "clear_untrusted_proxy_headers": settings.trusted_proxies == 0,
    }


def serve(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve with waitress, a production WSGI server (not Flask's development server)."""
    import waitress

    options = waitress_options(app.extensions["servicestelle.settings"], threads)
    click.echo(f"serving on http://{host}:{port}  (Ctrl+C stops)")
    waitress.serve(app, host=host, port=port, **options)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def run(host: str, port: int, threads: int) -> None:
    """Serve the instance with a production WSGI server."""
    logging_setup.configure(structured=True)  # JSON lines on stderr, for the log collector
    with app_context() as app:
        require_current_schema()
        try:
            audit_trail.signing_key()  # refuse to serve without it, not at the first checkpoint
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        # Unlocked before serving: a prompt cannot be answered once requests arrive.
        unlocked(app.extensions["servicestelle.settings"])
        settings_audit.record_changes()
    settings: Settings = app.extensions["servicestelle.settings"]
    for warning in start_warnings(settings):
        click.secho(f"WARNING: {warning}", fg="yellow", err=True)
    serve(app, host, port, threads)


def start_warnings(settings: Settings) -> list[str]:
    """What the operator of a starting server should fix (the operations page says more)."""
    found = []
    if settings.trusted_proxies == 0:
        # Behind a proxy every client would share its address: one attacker's failed logins
        # would lock everyone out, and https would look like http.
        found.append(
            "SERVICESTELLE_TRUSTED_PROXIES is 0; behind a reverse proxy set it to the number "
            "of proxies, or every client shares the proxy's address"
        )
    if not settings.accessibility_contact:
        found.append(
            "SERVICESTELLE_ACCESSIBILITY_CONTACT is not set: the accessibility statement "
            "(/barrierefreiheit) names no contact for reporting barriers, which § 7 BITV 2.0 "
            "requires"
        )
    return found


# --- demo -----------------------------------------------------------------------------


def _self_command() -> str:
    """How to call this very program again (e.g. .venv/bin/servicestelle)."""
    program = Path(sys.argv[0])
    if program.name != "servicestelle" or not program.exists():
        return "servicestelle"
    absolute = program.absolute()
    relative = os.path.relpath(absolute)
    return shlex.quote(str(absolute) if relative.startswith("..") else relative)


@main.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the demo instance but do not serve it.")
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, no_serve: bool) -> None:
    """Demo instance with synthetic data on http://127.0.0.1:5000 (no real cases!)."""
    if ctx.invoked_subcommand is not None:
        return
    from servicestelle.auth.queries import all_users
    from servicestelle.demo import DEMO_CENTRE_CODE, DEMO_CENTRE_NAME, DEMO_LOGINS, ensure_demo_data
    from servicestelle.instance_state import is_demo_instance

    with app_context(_demo_settings) as app:
        initialise(DEMO_CENTRE_CODE, DEMO_CENTRE_NAME)
        if all_users() and not is_demo_instance():
            raise click.ClickException(REAL_INSTANCE)
        ensure_demo_data()
        settings_audit.record_changes()
    me = _self_command()
    click.echo("")
    click.secho("Demo logins (synthetic data only — never enter real cases here):", bold=True)
    for login in DEMO_LOGINS:
        click.echo(
            f"  {login.role.value:<11} user: {login.username:<10} password: {login.password}"
        )
    click.echo("")
    click.echo("The second factor without a phone — print a user's current code with:")
    for login in DEMO_LOGINS:
        click.echo(f"  {me} demo code {login.username}")
    click.echo("")
    if not no_serve:
        logging_setup.configure(structured=False)  # a person reads the demo's terminal
        serve(app, host, port, threads=8)


@demo.command("code")
@click.argument("username")
def demo_code(username: str) -> None:
    """Print the current second-factor code of a demo user (demo instances only)."""
    from servicestelle.auth.operations import current_code_for_demo
    from servicestelle.auth.queries import get_user_by_username
    from servicestelle.instance_state import is_demo_instance

    instance = Path(os.environ.get("SERVICESTELLE_INSTANCE", "instance"))
    if not instance.exists():
        raise click.ClickException(
            f"no instance in {instance.resolve()}; start the demo first (`make run`)"
        )
    # Never create a demo secret in a folder that does not hold one: that is no demo instance.
    if not (instance / SECRET_KEY_FILENAME).exists():
        raise click.ClickException("this is not a demo instance; codes come from the user's app")
    with app_context(_demo_settings, quiet=True):
        require_current_schema()
        if not is_demo_instance():
            raise click.ClickException(
                "this is not a demo instance; codes come from the user's app"
            )
        user = get_user_by_username(username)
        if user is None:
            raise click.ClickException(f"no such user: {username}")
        click.echo(current_code_for_demo(user))


# --- users and tokens -----------------------------------------------------------------


@main.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["counsellor", "supervisor", "dpo", "admin"]),
    help="Repeat for several roles (only counsellor + supervisor combine).",
)
@click.option(
    "--centre", "centre_code", help="Centre code; optional when there is only one centre."
)
@click.option("--display-name", default="", help="Name shown in the interface.")
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from the command line).",
)
@with_schema
def users_create(
    username: str,
    roles: tuple[str, ...],
    centre_code: str | None,
    display_name: str,
    password_stdin: bool,
) -> None:
    """Create a user and print their second-factor secret once."""
    from servicestelle.auth import totp
    from servicestelle.auth.operations import AccountError, create_user
    from servicestelle.roles import RoleConflict, parse_roles

    centre = _centre(centre_code)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        created = create_user(
            centre=centre,
            username=username,
            display_name=display_name,
            password=password,
            roles=parse_roles(roles),
            with_second_factor=True,
        )
    except (AccountError, RoleConflict) as exc:
        raise click.ClickException(str(exc)) from None
    if created.seed is None:
        raise click.ClickException("internal error: no second-factor secret was created")
    click.echo(
        f"user created: {created.user.username} ({', '.join(sorted(roles))}) in {centre.code}"
    )
    click.echo(
        f"second-factor secret (enter in the authenticator app): {totp.seed_to_base32(created.seed)}"
    )
    click.echo(f"otpauth URI: {totp.provisioning_uri(created.seed, created.user.username)}")


def _centre(code: str | None) -> Any:
    from servicestelle.centres.queries import get_centre_by_code, list_centres

    if code:
        centre = get_centre_by_code(code)
        if centre is None:
            raise click.ClickException(f"no such centre: {code}")
        return centre
    centres = list_centres()
    if len(centres) != 1:
        raise click.ClickException("several centres exist; name one with --centre CODE")
    return centres[0]


@users.command("list")
@with_schema
def users_list() -> None:
    """List every user with centre, roles, state and second factor."""
    from servicestelle.auth.queries import all_users

    rows = [("username", "centre", "roles", "active", "2fa")]
    for user in all_users():
        rows.append(
            (
                user.username,
                user.centre.code,
                ",".join(sorted(user.roles)),
                "yes" if user.is_active else "no",
                "yes" if user.has_second_factor else "no",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@users.command("disable")
@click.argument("username")
@with_schema
def users_disable(username: str) -> None:
    """Disable a user: no login, no API token, every session ends."""
    from servicestelle.auth.operations import AccountError, disable_user
    from servicestelle.auth.queries import get_user_by_username

    user = get_user_by_username(username)
    if user is None:
        raise click.ClickException(f"no such user: {username}")
    try:
        disable_user(None, user)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user disabled: {user.username}")


@main.group()
def tokens() -> None:
    """Manage personal API tokens."""


@tokens.command("create")
@click.argument("username")
@click.option("--days", type=int, default=None, help="Lifetime in days (default 90, at most 365).")
@click.option("--name", default="CLI", show_default=True, help="Label of the token.")
@with_schema
def tokens_create(username: str, days: int | None, name: str) -> None:
    """Create a personal API token and print it once."""
    from servicestelle.api.operations import TokenError, create_token
    from servicestelle.auth.queries import get_user_by_username

    user = get_user_by_username(username)
    if user is None:
        raise click.ClickException(f"no such user: {username}")
    try:
        issued = create_token(user, name, days)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(issued.plaintext)


@main.group()
def centres() -> None:
    """Manage centres (tenants)."""


@centres.command("create")
@click.argument("code")
@click.option("--name", required=True, help="Name of the counselling centre.")
@with_schema
def centres_create(code: str, name: str) -> None:
    """Add a centre."""
    from servicestelle.centres.operations import CentreError, create_centre

    try:
        centre = create_centre(code, name)
    except CentreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"centre created: {centre.code} ({centre.name})")


@centres.command("list")
@with_schema
def centres_list() -> None:
    """List centres."""
    from servicestelle.centres.queries import list_centres

    for centre in list_centres():
        click.echo(f"{centre.code}  {centre.name}")
