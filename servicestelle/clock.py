"""The application's clock, injectable so that tests can move time (timeouts, TOTP steps)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from flask import current_app


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def now() -> datetime:
    """Current UTC time from the clock the app was created with."""
    clock: Clock = current_app.extensions["servicestelle.clock"]
    return clock.now()
