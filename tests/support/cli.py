"""Running the installed `servicestelle` console script in a subprocess, as an operator does."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: The console script that pip installed next to the interpreter running the tests.
SCRIPT = Path(sys.executable).parent / "servicestelle"

#: The OWASP floor: the cheapest password hashing a production profile accepts.
FLOOR_HASHING = {
    "SERVICESTELLE_ARGON2_MEMORY_KIB": "19456",
    "SERVICESTELLE_ARGON2_TIME_COST": "2",
    "SERVICESTELLE_ARGON2_PARALLELISM": "1",
}


def clean_environ() -> dict[str, str]:
    """The current environment without any SERVICESTELLE_* variable of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICESTELLE_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def write_secret_file(path: Path, content: str | None = None, mode: int = 0o600) -> Path:
    """A secret key file as an operator makes one (`openssl rand -hex 32 > FILE`)."""
    path.write_text(secrets.token_hex(32) + "\n" if content is None else content)
    path.chmod(mode)
    return path


def passphrase_file_beside(key_file: Path) -> Path:
    """The keyring passphrase file an operator keeps beside the secret key (made once)."""
    path = key_file.parent / "keyring-passphrase"
    if not path.exists():
        write_secret_file(path)
    return path


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(
    args: list[str],
    env: dict[str, str],
    *,
    stdin: str = "",
    cwd: Path | None = None,
    timeout: float = 120,
) -> Result:
    """Run `servicestelle ARGS…`; a command that hangs (e.g. starts serving) fails the test."""
    return run_program([str(SCRIPT), *args], env, stdin=stdin, cwd=cwd, timeout=timeout)


def run_program(
    argv: list[str],
    env: dict[str, str],
    *,
    stdin: str = "",
    cwd: Path | None = None,
    timeout: float = 120,
) -> Result:
    completed = subprocess.run(
        argv,
        env=env,
        input=stdin,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def one_line_reason(result: Result) -> str:
    """Assert a failure that says why in one line (warnings aside) and return that line."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not line.startswith("WARNING: ")
    ]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), result.stderr
    return lines[0]


def table(stdout: str) -> dict[str, dict[str, str]]:
    """`users list` output as {username: {column: value}}."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    header = lines[0].split()
    rows = {}
    for line in lines[1:]:
        cells = line.split()
        assert len(cells) == len(header), line
        row = dict(zip(header, cells, strict=True))
        rows[row["username"]] = row
    return rows
