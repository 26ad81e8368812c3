"""The dependency set is pinned with hashes, and the pins satisfy pyproject.toml.

`make` installs from requirements/*.lock with ``--require-hashes``; these tests make sure the
locks cannot silently fall behind pyproject.toml (a new dependency without a pin would make
that install fail, a pin outside the allowed range would test something else than what
pyproject.toml promises).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}\b")


def _pins(lock: str) -> dict[str, tuple[str, int]]:
    """Package → (version, number of hashes) of one lock file."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / "requirements" / lock).read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match.group(1))
            pins[current] = (match.group(2), 0)
        elif current and (found := HASH.findall(line)):
            version, hashes = pins[current]
            pins[current] = (version, hashes + len(found))
        elif line.strip() and not line.lstrip().startswith(("#", "--hash")):
            current = None
            assert line.startswith(" "), f"{lock}: unexpected line {line!r}"
    return pins


def _declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in extras:
        declared += project["optional-dependencies"][extra]
    return [Requirement(text) for text in declared]


def _problems(pins: dict[str, tuple[str, int]], declared: list[Requirement]) -> list[str]:
    """Each declared dependency the lock does not pin, or pins outside its range."""
    problems = []
    for requirement in declared:
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None:
            problems.append(f"{requirement.name}: not pinned (run `make lock`)")
        elif not requirement.specifier.contains(pinned[0], prereleases=True):
            problems.append(f"{requirement.name}=={pinned[0]} outside {requirement.specifier}")
    return problems


@pytest.mark.parametrize(("lock", "extras"), [("runtime.lock", ()), ("dev.lock", ("dev",))])
def test_every_declared_dependency_is_pinned_within_its_range(lock, extras):
    assert _problems(_pins(lock), _declared(*extras)) == []


@pytest.mark.parametrize("lock", ["runtime.lock", "dev.lock"])
def test_every_pin_carries_hashes(lock):
    pins = _pins(lock)
    assert len(pins) > 20  # the parser really read the file
    assert [name for name, (_version, hashes) in pins.items() if hashes == 0] == []


def test_the_development_set_runs_the_same_versions_as_production():
    runtime, dev = _pins("runtime.lock"), _pins("dev.lock")
    assert {name: dev.get(name, ("missing", 0))[0] for name in runtime} == {
        name: version for name, (version, _hashes) in runtime.items()
    }


def test_a_missing_pin_and_a_pin_outside_the_range_are_caught():
    pins = _pins("runtime.lock")
    flask = canonicalize_name("Flask")
    declared = _declared()
    assert _problems({**pins, flask: ("2.0.0", 2)}, declared) == [
        f"Flask==2.0.0 outside {next(r.specifier for r in declared if r.name == 'Flask')}"
    ]
    without = {name: pin for name, pin in pins.items() if name != flask}
    assert _problems(without, declared) == ["Flask: not pinned (run `make lock`)"]
