"""Access to the per-app objects created in create_app (settings, password service)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from crypto import Keyring
    from servicestelle.auth.passwords import PasswordService
    from servicestelle.config import Settings
    from servicestelle.keyring_custody import KeyringHolder

KEYRING_EXTENSION = "servicestelle.keyring"
_unlock_lock = threading.Lock()


def settings() -> Settings:
    return current_app.extensions["servicestelle.settings"]


def password_service() -> PasswordService:
    return current_app.extensions["servicestelle.passwords"]


def keyring_holder() -> KeyringHolder:
    """The unlocked keyring of this process: unlocked once, at first use or by `run`."""
    holder: KeyringHolder | None = current_app.extensions.get(KEYRING_EXTENSION)
    if holder is None:
        from servicestelle.keyring_custody import unlock

        with _unlock_lock:
            holder = current_app.extensions.get(KEYRING_EXTENSION)
            if holder is None:
                holder = unlock(settings())
                current_app.extensions[KEYRING_EXTENSION] = holder
    return holder


def keyring() -> Keyring:
    return keyring_holder().get()


def current_holder() -> KeyringHolder | None:
    """The keyring if this process unlocked it already (else None; nothing is unlocked)."""
    holder: KeyringHolder | None = current_app.extensions.get(KEYRING_EXTENSION)
    return holder


def install_keyring(holder: KeyringHolder) -> None:
    """Use a keyring unlocked by a command (a prompt at `run`, `keys rotate`)."""
    current_app.extensions[KEYRING_EXTENSION] = holder
