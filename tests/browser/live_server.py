"""The application served over real HTTP by waitress, for a real browser to talk to."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import waitress
from flask import Flask
from waitress import wasyncore

from servicestelle.config import OWASP_FLOOR, Settings
from servicestelle.roles import Role
from tests.browser.authenticator import Authenticator
from tests.conftest import DEFAULT_PASSWORD, make_settings

#: How long teardown waits for the server thread to finish.
STOP_TIMEOUT_SECONDS = 5
#: How often the server loop looks whether it should stop.
POLL_SECONDS = 0.05


def demo_settings(tmp_path: Path, database_url: str) -> Settings:
    """Profile "demo": cookies without Secure, so plain http://127.0.0.1 works in Chromium.

    Outside profile "test" the settings refuse hashing below the OWASP floor, so the browser
    tests hash at that floor (about 20 MiB, two passes: still quick). The keyring passphrase
    comes from a file, as in production, so the demo's warning about keeping it in the
    instance folder is not raised here.
    """
    passphrase = tmp_path / "keyring-passphrase"
    passphrase.write_text("browser-test keyring passphrase, not a secret")
    passphrase.chmod(0o600)
    return make_settings(
        tmp_path,
        database_url,
        profile="demo",
        password_hash=OWASP_FLOOR,
        keyring_passphrase_file=passphrase,
    )


@dataclass(frozen=True)
class BrowserUser:
    username: str
    display_name: str
    password: str
    #: None until the user enrolled a second factor (in the browser).
    authenticator: Authenticator | None


class LiveServer:
    """One app on a free port of 127.0.0.1, with a centre to put users in."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._sockets: dict[int, Any] = {}  # waitress's socket map, so that we can close it
        self._server = waitress.create_server(app, map=self._sockets, host="127.0.0.1", port=0)
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="waitress", daemon=True)
        self._users = 0
        with app.app_context():
            from servicestelle.centres.operations import create_centre

            self._centre_id = create_centre("BROWSER", "Servicestelle Browsertest").id

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(STOP_TIMEOUT_SECONDS)
        assert not self._thread.is_alive(), "the waitress loop did not stop"
        self._server.task_dispatcher.shutdown()

    def _serve(self) -> None:
        # waitress's own run() loops until its sockets are gone; closing them from another
        # thread while it waits in select() fails with EBADF, so the loop thread closes them.
        while not self._stopping.is_set():
            wasyncore.loop(timeout=POLL_SECONDS, map=self._sockets, count=1)
        self._server.close()
        wasyncore.close_all(self._sockets)

    def create_user(self, *, enrolled: bool) -> BrowserUser:
        """A counsellor; ``enrolled`` gives them a second factor, else they enrol at login."""
        from servicestelle.auth.operations import create_user
        from servicestelle.centres.models import Centre
        from servicestelle.extensions import db

        self._users += 1
        username = f"nutzerin{self._users}"
        display_name = f"Nutzerin {self._users}"
        with self.app.app_context():
            centre = db.session.get(Centre, self._centre_id)
            assert centre is not None
            created = create_user(
                centre=centre,
                username=username,
                display_name=display_name,
                password=DEFAULT_PASSWORD,
                roles=(Role.COUNSELLOR,),
                with_second_factor=enrolled,
            )
        if enrolled:
            assert created.seed is not None
            return BrowserUser(
                username, display_name, DEFAULT_PASSWORD, Authenticator(created.seed)
            )
        assert created.seed is None
        return BrowserUser(username, display_name, DEFAULT_PASSWORD, None)
