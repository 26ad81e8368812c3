"""The app behind a real waitress server on a free loopback port, for a test's duration."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import waitress
from flask import Flask
from waitress import wasyncore


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
