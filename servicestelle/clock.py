"""The application's clock, injectable so that tests can move time (timeouts, TOTP steps)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

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


def today() -> date:
    """Today's date where the centre is (deadlines and case dates are local calendar days)."""
    from servicestelle import services

    return now().astimezone(ZoneInfo(services.settings().local_timezone)).date()
