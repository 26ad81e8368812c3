"""The app behind a real waitress server on a free loopback port, for a test's duration."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import waitress
from flask import Flask
from waitress import wasyncore

from tests.support.html import csrf_token


@contextmanager
def serving(app: Flask, **options: Any) -> Iterator[int]:
    """Serve ``app`` with waitress (``options`` as `servicestelle run` passes them); yield the port."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, **options)
    port = server.effective_port  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield int(port)
    finally:
        _stop(server, thread)


def _stop(server: Any, thread: threading.Thread) -> None:
    """Stop waitress from its own loop thread, once the last connection has closed."""
    for _ in range(100):
        if not server.active_channels:
            break
        time.sleep(0.05)
    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()
    assert not thread.is_alive()


def failed_login(
    port: int,
    username: str,
    password: str,
    *,
    headers: Mapping[str, str] | None = None,
    login_page: str = "/anmelden",
    post_to: str = "/anmelden",
) -> str:
    """A wrong password through the server, as a browser sends it (login page for the CSRF
    token and cookie, then the form with an https Referer); returns the POST's request id."""
    extra = dict(headers or {})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", login_page, headers=extra)
    page = connection.getresponse()
    body = page.read().decode()
    cookie = page.getheader("Set-Cookie", "").split(";", 1)[0]
    form = {"csrf_token": csrf_token(body), "username": username, "password": password}
    connection.request(
        "POST",
        post_to,
        body=urllib.parse.urlencode(form),
        headers={
            **extra,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": f"https://127.0.0.1:{port}/anmelden",
            "Connection": "close",
        },
    )
    answer = connection.getresponse()
    text = answer.read().decode()
    connection.close()
    assert answer.status == 200 and "Passwort ist falsch" in text, text[:300]
    return str(answer.getheader("X-Request-Id"))
