"""Servicestelle: confidential case management for anti-discrimination counselling centres."""

from __future__ import annotations

from flask import Flask

from servicestelle.clock import Clock, SystemClock
from servicestelle.config import Settings


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Flask:
    """Build the WSGI application; tests pass their own settings and clock."""
    from servicestelle import app_setup

    return app_setup.build(settings or Settings.from_env(), clock or SystemClock())
