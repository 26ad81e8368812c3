"""pg_dump and pg_restore: where they are, and how they reach the database without a password
on the command line (a private passfile; `ps` shows arguments to everyone).

The tools are looked for in ``--pg-bin-dir`` (or SERVICESTELLE_PG_BIN_DIR), then in Debian's
``/usr/lib/postgresql/<server major>/bin`` (pg_dump refuses a server newer than itself), then
on PATH, then in the newest ``/usr/lib/postgresql/*/bin``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from servicestelle.backup.format import BackupError

DEBIAN_GLOB = "/usr/lib/postgresql/*/bin"
#: At most this much of a tool's error message is shown.
MESSAGE_CHARS = 300


def find_tool(name: str, configured: Path | None, server_major: int | None) -> Path:
    """The path of ``name`` (pg_dump, pg_restore); BackupError saying where it looked."""
    candidates: list[Path] = []
    if configured is not None:
        candidates.append(configured)
    else:
        if server_major is not None:
            candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin"))
        found = shutil.which(name)
        if found:
            candidates.append(Path(found).parent)
        candidates += [Path(p) for p in sorted(glob.glob(DEBIAN_GLOB), key=_major, reverse=True)]
    for directory in candidates:
        tool = directory / name
        if tool.is_file() and os.access(tool, os.X_OK):
            return tool
    where = str(configured) if configured else f"PATH and {DEBIAN_GLOB}"
    raise BackupError(
        f"{name} not found in {where}; install the PostgreSQL client or name its folder with "
        "--pg-bin-dir (SERVICESTELLE_PG_BIN_DIR)"
    )


def _major(path: str) -> int:
    try:
        return int(Path(path).parent.name)
    except ValueError:
        return 0


def server_major(connection: sa.Connection) -> int:
    return int(connection.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _passfile_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


@contextmanager
def connection_arguments(url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A libpq connection string for ``url`` and the environment for the tool; a password
    goes into a private passfile that exists only while the block runs."""
    parsed = sa.make_url(url)
    keywords = {
        "host": parsed.host,
        "port": None if parsed.port is None else str(parsed.port),
        "user": parsed.username,
        "dbname": parsed.database,
    }
    for key, value in parsed.query.items():
        keywords[key] = value if isinstance(value, str) else value[-1]
    conninfo = " ".join(f"{key}={_quote(value)}" for key, value in keywords.items() if value)
    env = dict(os.environ)  # the operator's PGSSLMODE, PGSSLROOTCERT … apply as for psql
    if parsed.password is None:
        yield conninfo, env  # peer authentication or the operator's own ~/.pgpass
        return
    env.pop("PGPASSWORD", None)
    with tempfile.TemporaryDirectory(prefix="servicestelle-pg-") as folder:
        passfile = Path(folder) / "pgpass"
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"*:*:*:*:{_passfile_field(str(parsed.password))}\n")
        yield conninfo, {**env, "PGPASSFILE": str(passfile)}


def run(argv: list[str], env: dict[str, str], what: str) -> None:
    """Run a PostgreSQL tool; BackupError with the tail of its message on failure."""
    completed = subprocess.run(  # noqa: S603 - a fixed tool with arguments we built
        argv, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BackupError(
            f"{what} failed (exit {completed.returncode}): {_reason(completed.stderr)}"
        )


def _reason(stderr: str) -> str:
    """The error lines of a tool's message, without the parts that can quote a row (the
    CONTEXT of a failed COPY) or a whole statement."""
    lines = [line for line in stderr.splitlines() if "error:" in line.lower()]
    text = " ".join(lines) or stderr
    for marker in ("CONTEXT:", "DETAIL:", "Command was:"):
        text = text.split(marker)[0]
    return " ".join(text.split())[:MESSAGE_CHARS]
