"""What every `servicestelle` command shares: settings, the app context, the schema check."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, current_app

from servicestelle import create_app, migrate
from servicestelle.config import ConfigError, DemoSecretWarning, Settings
from servicestelle.extensions import db


def production_settings() -> Settings:
    """The production settings from the environment (the only profile operators get)."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def warnings_shown() -> Iterator[None]:
    """Show a DemoSecretWarning raised inside as one yellow line (not a Python traceback)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DemoSecretWarning)
        yield
    for warning in caught:
        click.secho(f"WARNING: {warning.message}", fg="yellow", err=True)


@contextmanager
def app_context(
    settings: Callable[[], Settings] = production_settings, *, quiet: bool = False
) -> Iterator[Flask]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DemoSecretWarning)
        built = settings()
    for warning in caught if not quiet else []:
        click.secho(f"WARNING: {warning.message}", fg="yellow", err=True)
    app = create_app(built)
    with app.app_context():
        yield app


def require_current_schema() -> None:
    if not migrate.has_database(db.engine) or not migrate.is_up_to_date(db.engine):
        raise click.ClickException(
            "the database is not initialised or not upgraded; run `servicestelle init` first"
        )


def require_case_module() -> None:
    """Refuse a case command on a coordinator (SERVICESTELLE_MODE=coordinator): no cases."""
    if current_app.extensions["servicestelle.settings"].is_coordinator:
        raise click.ClickException(
            "this instance is a coordinator (SERVICESTELLE_MODE=coordinator): it has no cases"
        )


def with_schema(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command inside the app context of an initialised instance."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with app_context():
            require_current_schema()
            return func(*args, **kwargs)

    return wrapper
