"""Where the non-Python parts are: inside the package (wheel) or at the repository top."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPOSITORY_DIR = PACKAGE_DIR.parent


def _locate(name: str) -> Path:
    # A wheel carries templates/ and migrations/ inside the package (see pyproject.toml);
    # a source checkout or an editable install keeps them at the repository top.
    for candidate in (PACKAGE_DIR / name, REPOSITORY_DIR / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ folder is missing from this installation")


def templates_dir() -> Path:
    return _locate("templates")


def migrations_dir() -> Path:
    return _locate("migrations")


def static_dir() -> Path:
    return PACKAGE_DIR / "static"


def translations_dir() -> Path:
    return PACKAGE_DIR / "translations"
