"""Access to the per-app objects created in create_app (settings, password service)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from servicestelle.auth.passwords import PasswordService
    from servicestelle.config import Settings


def settings() -> Settings:
    return current_app.extensions["servicestelle.settings"]


def password_service() -> PasswordService:
    return current_app.extensions["servicestelle.passwords"]
