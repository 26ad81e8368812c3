"""The user's authenticator app, in the test: TOTP codes from the real clock, never reused."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from servicestelle.auth import totp

#: Extra wait past a step boundary, so that the server's clock is surely in the new step too.
BOUNDARY_MARGIN_SECONDS = 0.2


class Authenticator:
    """Codes for one seed. The app refuses a code of a step it has already accepted, so a
    second code in the same 30-second step waits for the next step instead."""

    def __init__(self, seed: bytes) -> None:
        self.seed = seed
        self._last_step: int | None = None

    def code(self) -> str:
        moment = datetime.now(UTC)
        if self._last_step is not None and totp.step_at(moment) <= self._last_step:
            next_step_starts = (self._last_step + 1) * totp.STEP_SECONDS
            time.sleep(next_step_starts - moment.timestamp() + BOUNDARY_MARGIN_SECONDS)
            moment = datetime.now(UTC)
        self._last_step = totp.step_at(moment)
        return totp.current_code(self.seed, moment)
