"""Login password check: one argon2id verification, chosen parameters against the OWASP floor.

Also checks the promise the login view relies on against user enumeration: an unknown user
(the dummy-hash branch) and a wrong password cost as much as a correct one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache, partial

from bench.core import Case, Measurement, Plan
from servicestelle.auth.passwords import PasswordService
from servicestelle.config import OWASP_FLOOR, RFC_9106_LOW_MEMORY, PasswordHashParameters

CHOSEN = RFC_9106_LOW_MEMORY
FLOOR = OWASP_FLOOR
PASSWORD = "korrekt pferd batterie heftklammer"
# Same length as PASSWORD: only the outcome differs, not the amount of input to hash.
WRONG_PASSWORD = "korrekt pferd batterie heftklammex"


def describe(parameters: PasswordHashParameters) -> str:
    mib = parameters.memory_cost_kib / 1024
    return f"{mib:g} MiB, t={parameters.time_cost}, p={parameters.parallelism}"


@cache
def service(parameters: PasswordHashParameters) -> PasswordService:
    # One slot: a single check never waits for the semaphore here.
    return PasswordService(parameters, max_concurrent=1)


@cache
def stored_hash(parameters: PasswordHashParameters) -> str:
    # Hashed by the same service, so verify never takes the rehash branch.
    return service(parameters).hash(PASSWORD)


@dataclass(frozen=True)
class Branch:
    """One branch of ``PasswordService.verify`` and the outcome it must have."""

    parameters: PasswordHashParameters
    password: str
    known_user: bool
    expect_ok: bool


FLOOR_CORRECT = Branch(FLOOR, PASSWORD, known_user=True, expect_ok=True)
CHOSEN_CORRECT = Branch(CHOSEN, PASSWORD, known_user=True, expect_ok=True)
CHOSEN_WRONG = Branch(CHOSEN, WRONG_PASSWORD, known_user=True, expect_ok=False)
CHOSEN_UNKNOWN_USER = Branch(CHOSEN, PASSWORD, known_user=False, expect_ok=False)
BRANCHES = (FLOOR_CORRECT, CHOSEN_CORRECT, CHOSEN_WRONG, CHOSEN_UNKNOWN_USER)


@cache
def interleaved(plan: Plan) -> dict[Branch, Measurement]:
    """Time all branches round-robin, so that a burst of load elsewhere hits each alike.

    The ratios between these branches are the point (chosen vs floor, unknown user vs known),
    and on a shared machine timing them one after another would compare different moments.
    """
    calls = {}
    for branch in BRANCHES:
        checker = service(branch.parameters)
        target = stored_hash(branch.parameters) if branch.known_user else None
        # Timing the wrong branch by mistake would be worse than not timing at all.
        outcome = checker.verify(target, branch.password)
        if outcome.ok is not branch.expect_ok or outcome.new_hash is not None:
            raise RuntimeError(f"{branch} gave {outcome}, not the branch meant to be timed")
        calls[branch] = partial(checker.verify, target, branch.password)
    samples: dict[Branch, list[float]] = {branch: [] for branch in BRANCHES}
    cpu: dict[Branch, float] = dict.fromkeys(BRANCHES, 0.0)
    for _ in range(plan.runs(full=30, quick=8)):
        for branch, call in calls.items():
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            call()
            samples[branch].append(time.perf_counter() - wall_start)
            cpu[branch] += time.process_time() - cpu_start
    return {
        branch: Measurement(
            samples[branch],
            # Above 1 the p lanes of one check ran on several cores at once.
            note=f"{describe(branch.parameters)}; CPU {cpu[branch] / sum(samples[branch]):.2f}× wall",
        )
        for branch in BRANCHES
    }


def branch_case(name: str, branch: Branch, baseline: str | None = None) -> Case:
    return Case(name, lambda plan: interleaved(plan)[branch], baseline=baseline)


def cases() -> list[Case]:
    return [
        branch_case("verify, OWASP floor", FLOOR_CORRECT),
        branch_case("verify, chosen", CHOSEN_CORRECT, baseline="verify, OWASP floor"),
        branch_case("wrong password, chosen", CHOSEN_WRONG, baseline="verify, chosen"),
        branch_case(
            "unknown user (dummy hash), chosen", CHOSEN_UNKNOWN_USER, baseline="verify, chosen"
        ),
    ]
