"""Machine facts and library versions for the header: a ratio means little without them."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

#: Distributions whose speed the benchmarks measure (argon2 hashing, later encryption, storage).
LIBRARIES = ("argon2-cffi", "argon2-cffi-bindings", "cryptography", "SQLAlchemy", "Flask")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_count() -> int:
    # A container may be pinned to fewer cores than the machine has.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def total_ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError, AttributeError):
        return None


def library_versions() -> str:
    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def load_average() -> float | None:
    """One-minute load: near or above the core count, other processes skewed the timings."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def header_lines(load_at_start: float | None) -> list[str]:
    ram = total_ram_gib()
    ram_text = f"{ram:.1f} GiB RAM" if ram is not None else "RAM unknown"
    return [
        f"machine:   {cpu_model()}, {cpu_count()} cores, {ram_text}",
        f"python:    {platform.python_implementation()} {platform.python_version()}"
        f" on {platform.platform()}",
        f"libraries: {library_versions()}",
        # Only the value before the run says anything: the benchmarks' own threads raise it.
        f"load:      1-min average {_load_text(load_at_start)} before the run",
    ]


def _load_text(load: float | None) -> str:
    return "unknown" if load is None else f"{load:.2f}"
