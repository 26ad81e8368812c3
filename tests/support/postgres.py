"""A throwaway PostgreSQL server for the test session.

Uses SERVICESTELLE_TEST_POSTGRESQL_URL when set (an account that may create databases and
roles). Otherwise starts a private cluster with initdb/pg_ctl in a temporary folder; when
running as root (CI), the cluster runs as the unprivileged `postgres` (or `nobody`) user,
because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ENV_URL = "SERVICESTELLE_TEST_POSTGRESQL_URL"


class PostgresUnavailable(RuntimeError):
    pass


@dataclass
class PostgresServer:
    admin_url: str  # postgresql+psycopg://… of a superuser, database "postgres"
    _stop: list[str] | None = None
    _folder: Path | None = None
    _run_as: str | None = None

    def url_for(self, database: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{database}"

    def stop(self) -> None:
        if self._stop:
            subprocess.run(_as_user(self._run_as, self._stop), check=False, capture_output=True)
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_user(user: str | None, command: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *command] if user else command


def _service_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and no unprivileged user (postgres, nobody) exists")


def start() -> PostgresServer:
    url = os.environ.get(ENV_URL)
    if url:
        return PostgresServer(admin_url=url)
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("no initdb/pg_ctl found (apt-get install postgresql)")
    user = _service_user()
    folder = Path(tempfile.mkdtemp(prefix="servicestelle-pg-"))
    data = folder / "data"
    if user:
        info = pwd.getpwnam(user)
        os.chown(folder, info.pw_uid, info.pw_gid)
    folder.chmod(0o700)
    port = _free_port()
    try:
        subprocess.run(
            _as_user(
                user,
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale",
                    "C",
                ],
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=200 "
            # More settings for a diagnosis (bench/load: --pg-statements); none in the suite.
            + os.environ.get("SERVICESTELLE_TEST_POSTGRESQL_OPTIONS", "")
        )
        subprocess.run(
            _as_user(
                user,
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(folder / "server.log"),
                    "-w",
                    "start",
                ],
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(folder, ignore_errors=True)
        raise PostgresUnavailable(
            f"could not start a cluster: {exc} {detail.decode(errors='replace')[-500:]}"
        ) from None
    return PostgresServer(
        admin_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
        _stop=[str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
        _folder=folder,
        _run_as=user,
    )
