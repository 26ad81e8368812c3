"""Run functions in threads at once, for races: what each raised comes back to the test."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(*calls: Callable[[], object], timeout: float = 60) -> list[BaseException]:
    """Start every call in a thread of its own, wait for all; the exceptions they raised."""
    failures: list[BaseException] = []

    def guarded(call: Callable[[], object]) -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test, which asserts there are none
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return failures
