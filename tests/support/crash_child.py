"""The writer of the crash-safety test: a forked child that creates cases until it is killed.

The test process builds the application once; each writer is ``os.fork()``-ed from it, so no
interpreter starts and nothing is imported again. The parent holds no database connection
when it forks (``fork_writer`` disposes the engine's pool first), and the child drops the
pool it inherited without touching it (``dispose(close=False)``), so that no connection, and
no SQLite file lock, is ever shared across the fork. The child then opens its own connections.

The child tells the parent where it is, one line per step, written straight to a pipe
(``os.write``: unbuffered, so nothing sits in a buffer when the kill comes):

- ``B``: a case creation begins (validation, sealing, the INSERTs);
- ``C``: the database COMMIT is about to be sent (SQLAlchemy's ``commit`` event fires right
  before the driver's commit);
- ``D <id> <year> <number>``: ``create_case`` returned, so the case is committed;
- ``E <text>``: the child failed on its own (it then exits with ``CHILD_FAILED``).
"""

from __future__ import annotations

import gc
import os
import select
import signal
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event

from servicestelle.auth.models import User
from servicestelle.cases import operations
from servicestelle.extensions import db

#: Exit status of a child that stopped on an error instead of being killed.
CHILD_FAILED = 70
START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


class ScaledClock:
    """Real time, sped up: ``scale`` seconds of application time pass per second.

    It reads the wall clock, so it moves on monotonically from one forked child to the next;
    sped up, a checkpoint that is due every minute is signed every few cases.
    """

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.origin = time.time()

    def now(self) -> datetime:
        return START + timedelta(seconds=(time.time() - self.origin) * self.scale)


def _say(fd: int, line: str) -> None:
    os.write(fd, line.encode("ascii") + b"\n")


def _write_cases(app: Flask, user_id: int, content: Mapping[str, Any], fd: int) -> None:
    with app.app_context():
        engine = db.engine
        # The pool came over from the parent in the fork: forget it, never close it.
        engine.dispose(close=False)

    def before_commit(_connection: Any) -> None:
        _say(fd, "C")

    event.listen(engine, "commit", before_commit)
    while True:
        _say(fd, "B")
        with app.app_context():
            user = db.session.get(User, user_id)
            assert user is not None
            case = operations.create_case(user, content)
            _say(fd, f"D {case.id} {case.year} {case.number}")


def _child(app: Flask, user_id: int, content: Mapping[str, Any], fd: int) -> None:
    """The forked process: write cases until killed; never returns into the test runner."""
    try:
        _write_cases(app, user_id, content, fd)
    except BaseException:
        # The last frames, on one line (the engine hides the values of a failed statement).
        last = traceback.format_exc(limit=-3).strip().replace("\n", " | ")
        try:
            _say(fd, "E " + last.encode("ascii", "replace").decode("ascii"))
        finally:
            os._exit(CHILD_FAILED)


@dataclass
class Committed:
    """A case the child reported as committed."""

    case_id: int
    year: int
    number: int


@dataclass
class Writer:
    """A running child, as the parent sees it through its pipe."""

    pid: int
    fd: int
    started: float
    #: (time.monotonic() when it arrived, line), in order.
    timed: list[tuple[float, str]] = field(default_factory=list)
    #: The wait status once killed and reaped.
    status: int | None = None
    _partial: bytes = b""

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.status is None:  # the test failed before its kill: never leave a writer behind
            self.kill()

    @property
    def lines(self) -> list[str]:
        return [line for _, line in self.timed]

    def read(self, timeout: float) -> bool:
        """Read what the child wrote, waiting at most ``timeout`` seconds; False at EOF."""
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0.0))
        if not ready:
            return True
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return False
        *complete, self._partial = (self._partial + chunk).split(b"\n")
        now = time.monotonic()
        self.timed.extend((now, line.decode("ascii")) for line in complete)
        return True

    def count(self, marker: str) -> int:
        return sum(line.split(" ", 1)[0] == marker for line in self.lines)

    def wait_until(self, condition: Callable[[Writer], bool], deadline: float) -> bool:
        """Read until ``condition`` holds (True) or the deadline passes or the child ends."""
        while not condition(self):
            left = deadline - time.monotonic()
            if left <= 0 or not self.read(left):
                return condition(self)
        return True

    def kill(self) -> int:
        """SIGKILL the child, reap it, read the rest of the pipe; returns the wait status."""
        os.kill(self.pid, signal.SIGKILL)
        _, self.status = os.waitpid(self.pid, 0)
        # Dead, its end of the pipe is closed: the rest is there, then EOF (bounded all the same).
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and self.read(deadline - time.monotonic()):
            pass
        os.close(self.fd)
        return self.status

    @property
    def phase(self) -> str:
        """Where the child was when it was last heard of."""
        last = self.lines[-1].split(" ", 1)[0] if self.lines else ""
        names = {"": "starting", "B": "writing", "C": "committing", "D": "between cases"}
        return names.get(last, "failed")

    def committed(self) -> list[Committed]:
        return [
            Committed(*(int(part) for part in line.split()[1:]))
            for line in self.lines
            if line.startswith("D ")
        ]

    def error(self) -> str | None:
        return next((line[2:] for line in self.lines if line.startswith("E ")), None)


def fork_writer(app: Flask, user_id: int, content: Mapping[str, Any]) -> Writer:
    """Fork a child that creates cases as ``user_id`` in a loop, each one committed."""
    with app.app_context():
        db.engine.dispose()  # the parent holds no connection while a child runs
    read_fd, write_fd = os.pipe()
    # The child's collector would walk (and so copy) every object it inherited: frozen, they
    # stay shared, and a child's first case costs what its later ones do.
    gc.freeze()
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns when a process with threads forks (the whole suite may hold
            # one: asyncio's child watcher for Playwright's driver, waiting in waitpid). The
            # child runs only this thread and takes no lock such a thread could hold; were it
            # stuck all the same, the parent's deadline fails the test. As an error, the
            # warning would leave the child running with its pid lost.
            warnings.filterwarnings("ignore", r".*multi-threaded.*fork", DeprecationWarning)
            pid = os.fork()
    except OSError:
        gc.unfreeze()
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # pragma: no cover - the child; its coverage is never saved (SIGKILL)
        os.close(read_fd)
        _child(app, user_id, content, write_fd)
    gc.unfreeze()
    os.close(write_fd)
    return Writer(pid, read_fd, time.monotonic())
