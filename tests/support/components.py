"""Components a test may need that a laptop may lack: skip there, fail in CI (CI=true)."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(component: str, reason: str) -> None:
    """Skip the test on a laptop; with CI=true a missing component fails the run."""
    message = f"{component} unavailable: {reason}"
    if in_ci():
        pytest.fail(message + " (CI=true: every component is required)", pytrace=False)
    pytest.skip(message)
