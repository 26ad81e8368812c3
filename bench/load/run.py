"""Load scenario against the production server: `servicestelle run` (waitress) on PostgreSQL.

1. A throwaway PostgreSQL cluster (tests/support/postgres.py) with the production role set-up:
   the owner migrates and bulk-loads, the server connects as the restricted role.
2. A production instance folder: secret key file, keyring passphrase file (both 0600),
   `servicestelle init` (first centre, audit signing key, keyring), argon2 at the production
   parameters (RFC 9106 low-memory: t=3, 64 MiB, p=4; 512 MiB budget, so 8 hashing slots).
3. Staff through the real operations: 40 counsellors, 3 supervisors, 1 DPO, every one with a
   second factor; the cases in bulk (bench/case_seed.py), spread evenly over the counsellors;
   a published statistics release (four-eyes) and a report on it, so reports have figures.
4. `servicestelle run` as a subprocess, behind a simulated reverse proxy
   (SERVICESTELLE_TRUSTED_PROXIES=1, the load generator sends X-Forwarded-Proto/-For): the
   cookies are Secure and CSRF checks the https Referer, as in production.
5. Locust headless from its own virtualenv (.venv-load): the workload for a fixed time, then a
   login flood of wrong passwords from many client addresses. The server's RSS is sampled
   from /proc throughout.

Run with `make load` (or `.venv/bin/python -m bench.load.run --help`).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import case_seed, instances
from servicestelle import clock, create_app
from servicestelle.auth import operations as accounts
from servicestelle.auth import totp
from servicestelle.centres.queries import list_centres
from servicestelle.cli_keys import unlocked
from servicestelle.config import Settings
from servicestelle.extensions import db
from servicestelle.reports import operations as reports
from servicestelle.roles import Role
from servicestelle.stats.periods import Period
from tests.support import postgres, releases

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
COUNSELLORS, SUPERVISORS, DPOS = 40, 3, 1
#: Cases per counsellor written to the load generator's file (to open, search, add to).
CASES_PER_USER = 60
#: The statistics release the reports show: a year that has ended.
RELEASE_YEAR = "2025"
PASSWORD = case_seed.PASSWORD
WORKLOAD = "workload (all logged in)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _loadavg() -> str:
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _secret_file(path: Path, content: bytes) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return path


def production_env(folder: Path, database_url: str) -> dict[str, str]:
    """The server's environment: production profile (the default), secrets in files."""
    instance = folder / "instance"
    instance.mkdir(mode=0o700)
    secret = _secret_file(folder / "secret_key", secrets.token_hex(32).encode())
    passphrase = _secret_file(folder / "keyring-passphrase", secrets.token_urlsafe(32).encode())
    keep = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "SERVICESTELLE_INSTANCE": str(instance),
            "SERVICESTELLE_DATABASE_URL": database_url,
            "SERVICESTELLE_SECRET_KEY_FILE": str(secret),
            "SERVICESTELLE_KEYRING_PASSPHRASE_FILE": str(passphrase),
            # TLS ends at a reverse proxy in production; the load generator plays it.
            "SERVICESTELLE_TRUSTED_PROXIES": "1",
        }
    )
    return env


def _servicestelle(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("servicestelle")), *args]


@dataclass
class Recorded:
    """Every case the bulk seeding built, by its owner."""

    by_owner: dict[int, list[case_seed.SeededCase]] = field(default_factory=dict)


@contextmanager
def recording(recorded: Recorded) -> Iterator[None]:
    """Keep what the bulk seeding built for every owner (case_seed.seed keeps only the
    measured counsellor's cases); a subclass of its builder, swapped in for the call."""
    original = case_seed._Builder

    class Builder(original):  # type: ignore[misc,valid-type]
        def add(self, batch: Any, owner: int, opened_on: Any, number: int) -> Any:
            seeded = super().add(batch, owner, opened_on, number)
            recorded.by_owner.setdefault(owner, []).append(seeded)
            return seeded

    case_seed._Builder = Builder  # type: ignore[misc]
    try:
        yield
    finally:
        case_seed._Builder = original  # type: ignore[misc]


def _user(centre: Any, username: str, name: str, role: Role) -> tuple[int, str]:
    created = accounts.create_user(
        centre=centre,
        username=username,
        display_name=name,
        password=PASSWORD,
        roles=(role,),
        with_second_factor=True,
    )
    assert created.seed is not None
    return created.user.id, totp.seed_to_base32(created.seed)


def seed(env: dict[str, str], database: instances.Database, count: int) -> dict[str, Any]:
    """Staff, cases, a published release and a report; what the load generator needs."""
    settings = Settings.from_env(env)
    app = create_app(settings)
    rng = random.Random(20261206)
    try:
        with app.app_context():
            unlocked(settings)
            centre = list_centres()[0]
            started = time.perf_counter()
            counsellors = [
                _user(centre, f"beraterin{n:02d}", f"Beraterin {n:02d}", Role.COUNSELLOR)
                for n in range(1, COUNSELLORS + 1)
            ]
            supervisors = [
                _user(centre, f"leitung{n}", f"Leitung {n}", Role.SUPERVISOR)
                for n in range(1, SUPERVISORS + 1)
            ]
            dpo = _user(centre, "datenschutz", "Datenschutz", Role.DPO)
            print(f"  44 users (production argon2) in {time.perf_counter() - started:.0f} s")
            ids = [user_id for user_id, _ in counsellors]
            staff = case_seed.Staff(centre.id, ids[0], "beraterin01", b"", tuple(ids[1:]))
            recorded = Recorded()
            with recording(recorded), instances.owner_engine(app, database) as engine:
                seeded = case_seed.seed(
                    engine,
                    staff,
                    count=count,
                    assigned=count // COUNSELLORS,
                    today=clock.today(),
                    rng=rng,
                )
                case_seed.advance_sequences(engine)
                instances.analyse(engine)
            print(f"  {count:,} cases in {seeded.seconds:.0f} s ({seeded.rows:,} rows)")
            centre_id = centre.id
        releases.populate(app, centre_id, month=f"{RELEASE_YEAR}-02", scale=3)
        sup_ids = [user_id for user_id, _ in supervisors]
        releases.publish(app, sup_ids[0], sup_ids[1], period=RELEASE_YEAR)
        with app.app_context():
            from servicestelle.auth.models import User

            author = db.session.get(User, sup_ids[0])
            assert author is not None
            report = reports.create_report(author, "Jahresbericht", Period.parse(RELEASE_YEAR))
            report_id = report.id
    finally:
        instances.dispose(app)

    def cases_of(user_id: int) -> list[dict[str, str | int]]:
        own = recorded.by_owner[user_id]
        return [
            {
                "id": case.id,
                "reference": case.reference,
                "pseudonym": case.pseudonym,
                "respondent": case.respondent,
            }
            for case in rng.sample(own, min(CASES_PER_USER, len(own)))
        ]

    return {
        "password": PASSWORD,
        "counsellors": [
            {"username": f"beraterin{n:02d}", "seed": seed_b32, "cases": cases_of(user_id)}
            for n, (user_id, seed_b32) in enumerate(counsellors, start=1)
        ],
        "supervisors": [
            {"username": f"leitung{n}", "seed": seed_b32}
            for n, (_, seed_b32) in enumerate(supervisors, start=1)
        ],
        "dpo": [{"username": "datenschutz", "seed": dpo[1]}],
        "counsellor_ids": ids,
        "report_id": report_id,
        "cases_per_counsellor": count // COUNSELLORS,
    }


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """User + system CPU seconds of one process so far (0 once it is gone); with
    ``reaped_children`` also those of its children that have ended and been waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def _postgres_pids(port: int) -> list[int]:
    """The cluster's postmaster (found by its port) and its children (backends, workers)."""
    parents: dict[int, int] = {}
    postmaster = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if command[0].endswith(b"/postgres") and str(port).encode() in command:
            postmaster = int(entry.name)
    if postmaster is None:
        return []
    return [postmaster, *(pid for pid, parent in parents.items() if parent == postmaster)]


def _postgres_cpu(port: int) -> float:
    """CPU seconds of the whole cluster so far: the postmaster with the backends it has
    reaped (connections the pool closed) plus the live ones."""
    pids = _postgres_pids(port)
    if not pids:
        return 0.0
    postmaster, children = pids[0], pids[1:]
    return _cpu_seconds(postmaster, reaped_children=True) + sum(map(_cpu_seconds, children))


@dataclass
class Phase:
    rss_kib: list[int] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    #: (monotonic time, server CPU s, PostgreSQL CPU s, load generator CPU s) at the first
    #: and at the latest sample.
    first: tuple[float, float, float, float] | None = None
    last: tuple[float, float, float, float] | None = None

    def cpu(self) -> tuple[float, float, float, float]:
        """Wall seconds and the CPU seconds of server, PostgreSQL and generator in between."""
        if self.first is None or self.last is None:
            return (0.0, 0.0, 0.0, 0.0)
        a, b = self.first, self.last
        return (b[0] - a[0], b[1] - a[1], b[2] - a[2], b[3] - a[3])


class Sampler(threading.Thread):
    """Every half second: the servers' VmRSS, the CPU time of servers, PostgreSQL and the load
    generator, and the load average, labelled by phase. With several server processes their
    RSS and CPU are summed."""

    def __init__(self, pids: list[int], postgres_port: int) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.postgres_port = postgres_port
        self.phase = "idle"
        self.phases: dict[str, Phase] = {}
        self.generator_pid: int | None = None
        self._stop_event = threading.Event()
        #: When this file appears, the phase becomes the other name.
        self.switch: tuple[Path, str] | None = None

    def kib(self) -> int | None:
        total = 0
        for pid in self.pids:
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                return None
            total += next((int(line.split()[1]) for line in lines if line.startswith("VmRSS:")), 0)
        return total

    def set_phase(self, name: str) -> None:
        self.phase = name

    def _cpu(self) -> tuple[float, float, float, float]:
        generator = _cpu_seconds(self.generator_pid) if self.generator_pid else 0.0
        postgres = _postgres_cpu(self.postgres_port)
        servers = sum(_cpu_seconds(pid) for pid in self.pids)
        return (time.monotonic(), servers, postgres, generator)

    def run(self) -> None:
        while not self._stop_event.wait(0.5):
            if self.switch is not None and self.switch[0].exists():
                self.phase, self.switch = self.switch[1], None
            phase = self.phases.setdefault(self.phase, Phase())
            value = self.kib()
            if value is not None:
                phase.rss_kib.append(value)
            phase.loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
            now = self._cpu()
            if phase.first is None:
                phase.first = now
            phase.last = now

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _start_server(
    env: dict[str, str], folder: Path, port: int, threads: int, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as log_handle:
        return subprocess.Popen(  # noqa: S603 - our own command line
            _servicestelle("run", "--port", str(port), "--threads", str(threads)),
            env=env,
            cwd=folder,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
        )


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def _servers_text(args: argparse.Namespace) -> str:
    one = f"`servicestelle run` (waitress, {args.threads} threads)"
    if args.servers == 1:
        return one
    return f"{args.servers} × {one}, each user kept on one of them (as nginx `ip_hash` would)"


def _wait_healthy(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server ended: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not answer /healthz within 120 s")


def _locust(
    args: argparse.Namespace,
    hosts: list[str],
    users_file: Path,
    out: Path,
    classes: list[str],
    users: int,
    rate: float,
    seconds: int,
    prefix: str,
    sampler: Sampler,
) -> None:
    env = {
        **os.environ,
        "LOAD_USERS_FILE": str(users_file),
        "LOAD_OUT": str(out / prefix),
        "LOAD_WAIT_SCALE": str(args.wait_scale),
        "LOAD_DURATION": str(args.duration),
        "LOAD_FLOOD_ADDRESSES": str(args.flood_addresses),
        "LOAD_HOSTS": " ".join(hosts),
    }
    command = [
        str(args.locust),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        hosts[0],
        "-u",
        str(users),
        "-r",
        str(rate),
        "-t",
        f"{seconds}s",
        "--csv",
        str(out / prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *classes,
    ]
    # Locust exits 1 when any request failed; the table says which.
    generator = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603 - our own command line
    sampler.generator_pid = generator.pid
    generator.wait()


def _rows(stats_csv: Path) -> list[dict[str, str]]:
    with stats_csv.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _ms(value: str) -> str:
    return "–" if value in ("", "N/A") else f"{float(value):,.0f}"


def workload_table(out: Path, seconds: float) -> tuple[str, int]:
    rows = [
        row
        for row in _rows(out / "workload_stats.csv")
        if row["Name"] != "Aggregated" and int(row["Request Count"])
    ]
    lines = [
        "| action | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total = failures = 0
    for row in sorted(rows, key=lambda r: r["Name"]):
        count, failed = int(row["Request Count"]), int(row["Failure Count"])
        lines.append(
            f"| {row['Name']} | {count:,} | {failed:,} | {float(row['Requests/s']):.1f} | "
            f"{_ms(row['50%'])} | {_ms(row['95%'])} | {_ms(row['99%'])} | "
            f"{_ms(row['Max Response Time'])} |"
        )
        if not row["Name"].startswith("login"):
            total, failures = total + count, failures + failed
    agg = next(row for row in _rows(out / "workload_stats.csv") if row["Name"] == "Aggregated")
    lines.append(
        f"| **all** | {int(agg['Request Count']):,} | "
        f"{int(agg['Failure Count']):,} | {float(agg['Requests/s']):.1f} | {_ms(agg['50%'])} | "
        f"{_ms(agg['95%'])} | {_ms(agg['99%'])} | {_ms(agg['Max Response Time'])} |"
    )
    lines.append("")
    lines.append(
        f"Workload requests (logins excluded): {total:,} in {seconds:.0f} s = "
        f"{total / seconds:.1f} requests/s; {failures} failures."
    )
    return "\n".join(lines), total


def flood_table(out: Path) -> str:
    outcomes_file = out / "flood_outcomes.json"
    outcomes = json.loads(outcomes_file.read_text()) if outcomes_file.exists() else {}
    rows = _rows(out / "flood_stats.csv")
    agg = next(row for row in rows if row["Name"] == "Aggregated")
    lines = ["| outcome of a wrong-password POST /anmelden | responses |", "|---|---:|"]
    lines += [f"| {name} | {count:,} |" for name, count in sorted(outcomes.items())]
    lines.append(
        f"\nAll flood requests: {int(agg['Request Count']):,} at "
        f"{float(agg['Requests/s']):.1f}/s, p50 {_ms(agg['50%'])} ms, p95 {_ms(agg['95%'])} ms, "
        f"p99 {_ms(agg['99%'])} ms; locust failures {int(agg['Failure Count']):,}."
    )
    return "\n".join(lines)


def rss_table(sampler: Sampler) -> str:
    lines = [
        "| phase | server RSS min MiB | median | max | load average (1 min) min–max | CPU "
        "cores used: server / PostgreSQL / locust |",
        "|---|---:|---:|---:|---|---|",
    ]
    for name, phase in sampler.phases.items():
        ordered = sorted(phase.rss_kib) or [0]
        loads = phase.loads or [0.0]
        wall, server, postgres, generator = phase.cpu()
        cores = (
            f"{server / wall:.2f} / {postgres / wall:.2f} / {generator / wall:.2f}"
            if wall > 1
            else "–"
        )
        lines.append(
            f"| {name} | {ordered[0] / 1024:.0f} | {ordered[len(ordered) // 2] / 1024:.0f} | "
            f"{ordered[-1] / 1024:.0f} | {min(loads):.1f}–{max(loads):.1f} | {cores} |"
        )
    return "\n".join(lines)


def cpu_note(sampler: Sampler, requests: int) -> str:
    """CPU per request in the measured window: what contention does not change much."""
    phase = sampler.phases.get(WORKLOAD)
    if phase is None or not requests:
        return ""
    wall, server, postgres, generator = phase.cpu()
    per_server, per_postgres = server / requests * 1000, postgres / requests * 1000
    return (
        f"CPU time per workload request in the window: server {per_server:.1f} ms, PostgreSQL "
        f"{per_postgres:.1f} ms (locust used {generator:.0f} CPU s of {wall:.0f} s). On two "
        f"otherwise idle cores that bounds the throughput at about "
        f"{2000 / (per_server + per_postgres):.0f} requests/s, and at about "
        f"{1000 / per_server:.0f} requests/s for the one server process if its Python code, "
        "under the GIL, were most of its CPU time."
    )


#: Server settings for ``--pg-statements``: what each statement costs inside PostgreSQL.
PG_STATEMENTS_OPTIONS = (
    "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
)


def _reset_statements(admin_url: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        connection.execute(sa.text("SELECT pg_stat_statements_reset()"))
    engine.dispose()


def statement_costs(admin_url: str, database: str) -> list[Any]:
    """Calls, time (planning + execution, ms), rows and text of every statement so far."""
    engine = sa.create_engine(admin_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT s.calls, s.total_plan_time + s.total_exec_time AS total, s.rows, s.query "
                "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                "WHERE d.datname = :database ORDER BY total DESC"
            ),
            {"database": database},
        ).all()
    engine.dispose()
    return list(rows)


def statements_table(rows: list[Any], requests: int, top: int) -> str:
    """The statements that took PostgreSQL the most time in the workload, per request."""
    per_request = max(requests, 1)
    everything = sum(row.total for row in rows) or 1.0
    lines = [
        f"PostgreSQL time (planning + execution) of all statements: "
        f"{everything / per_request:.2f} ms per workload request (logins included); "
        f"the top {top}:",
        "",
        "| calls | ms per call | ms per request | share | rows per call | statement |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows[:top]:
        text = " ".join(row.query.split())[:110].replace("|", "\\|")
        lines.append(
            f"| {row.calls:,} | {row.total / row.calls:.3f} | {row.total / per_request:.3f} "
            f"| {row.total / everything:.0%} | {row.rows / row.calls:.1f} | `{text}` |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> str:
    if args.pg_statements:
        if os.environ.get(postgres.ENV_URL):
            raise SystemExit(
                f"--pg-statements starts a cluster of its own; unset {postgres.ENV_URL}"
            )
        os.environ["SERVICESTELLE_TEST_POSTGRESQL_OPTIONS"] = PG_STATEMENTS_OPTIONS
    server_db = instances.postgres_server()
    if isinstance(server_db, str):
        raise SystemExit(f"PostgreSQL not available: {server_db}")
    with tempfile.TemporaryDirectory(prefix="servicestelle-load-") as scratch:
        folder = Path(scratch)
        out = folder / "results"
        out.mkdir()
        with instances.postgresql(server_db) as database:
            env = production_env(folder, database.url)
            print(f"load average before: {_loadavg()}")
            subprocess.run(  # noqa: S603 - our own command line
                _servicestelle("init", "--centre-code", "LAST", "--centre-name", "Lasttest"),
                env=env,
                check=True,
                cwd=folder,
            )
            data = seed(env, database, args.cases)
            users_file = folder / "users.json"
            users_file.write_text(json.dumps(data))
            ports = [_free_port() for _ in range(args.servers)]
            logs = [folder / f"server-{index + 1}.log" for index in range(args.servers)]
            servers = [_start_server(env, folder, port, args.threads, log)
                       for port, log in zip(ports, logs, strict=True)]  # fmt: skip
            sampler = Sampler(
                [server.pid for server in servers], sa.make_url(database.url).port or 0
            )
            hosts = [f"http://127.0.0.1:{port}" for port in ports]
            try:
                for port, server, log in zip(ports, servers, logs, strict=True):
                    _wait_healthy(port, server, log)
                if args.pg_statements:
                    _reset_statements(server_db.admin_url)
                sampler.start()
                time.sleep(3)
                sampler.phase = "44 logins (argon2), first requests"
                sampler.switch = (out / "workload_window.json", WORKLOAD)
                _locust(
                    args, hosts, users_file, out, ["Counsellor", "Supervisor", "DataProtection"],
                    COUNSELLORS + SUPERVISORS + DPOS, args.spawn_rate,
                    args.login_allowance + args.duration, "workload", sampler,
                )  # fmt: skip
                load_after = _loadavg()
                costs = (
                    statement_costs(server_db.admin_url, sa.make_url(database.url).database or "")
                    if args.pg_statements
                    else []
                )
                sampler.phase = "after workload"
                time.sleep(3)
                sampler.phase = f"login flood ({args.flood_users} clients)"
                _locust(
                    args, hosts, users_file, out, ["Flood"], args.flood_users,
                    args.flood_users / 10, args.flood_duration, "flood", sampler,
                )  # fmt: skip
                sampler.phase = "after flood"
                time.sleep(5)
            finally:
                sampler.stop()
                for server in servers:
                    _stop_server(server)
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                for produced in [*out.iterdir(), *logs]:
                    shutil.copy(produced, args.out / produced.name)
            errors = [
                line for log in logs for line in log.read_text().splitlines() if "ERROR" in line
            ]
            window = json.loads((out / "workload_window.json").read_text())
            if "end" not in window:
                raise SystemExit("the logins did not finish within --login-allowance")
            measured = window["end"] - window["start"]
            workload_loads = sampler.phases[WORKLOAD].loads
            table, requests = workload_table(out, measured)
            report = [
                f"## Load: {args.cases:,} cases on PostgreSQL, {_servers_text(args)}, "
                f"{args.duration} s",
                "",
                f"Measured for {measured:.0f} s from the moment the last of the 44 users had "
                "logged in (the logins' figures before that are reset).",
                f"Load average (1 min) during the measured window: {min(workload_loads):.1f}–"
                f"{max(workload_loads):.1f}; 1/5/15 min at its end: {load_after}. "
                f"Cores: {os.cpu_count()}.",
                "",
                table,
                "",
                cpu_note(sampler, requests),
                "",
                *(
                    [statements_table(costs, requests, args.pg_statements), ""]
                    if args.pg_statements
                    else []
                ),
                _logins(out),
                "",
                "### Login flood (wrong passwords, one client address per simulated client)",
                "",
                flood_table(out),
                "",
                "### Server memory and CPU",
                "",
                rss_table(sampler),
                "",
                f"Server log lines with ERROR: {len(errors)}"
                + (f" (first: {errors[0][:200]})" if errors else ""),
            ]
            return "\n".join(report)


def _logins(out: Path) -> str:
    path = out / "workload_logins.json"
    if not path.exists():
        return "Logins: no record."
    seconds = sorted(json.loads(path.read_text()))
    if not seconds:
        return "Logins: none completed."

    def at(share: float) -> float:
        return seconds[min(len(seconds) - 1, int(share * len(seconds)))]

    return (
        "Full logins (password + TOTP; argon2 t=3, 64 MiB, p=4), before the window: "
        f"{len(seconds)}, median {at(0.5):.1f} s, p95 {at(0.95):.1f} s, max {seconds[-1]:.1f} s."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load.run", description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=300, help="workload seconds")
    parser.add_argument("--spawn-rate", type=float, default=1.0, help="users started per second")
    parser.add_argument(
        "--login-allowance", type=int, default=900, help="seconds the 44 logins may take at most"
    )
    parser.add_argument("--flood-users", type=int, default=200)
    parser.add_argument("--flood-duration", type=int, default=90)
    parser.add_argument(
        "--flood-addresses", type=int, default=20, help="client addresses the flood comes from"
    )
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per server")
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="server processes on ports of their own; each simulated user stays on one",
    )
    parser.add_argument(
        "--wait-scale", type=float, default=1.0, help="multiplies the users' think times"
    )
    parser.add_argument("--locust", type=Path, default=ROOT / ".venv-load" / "bin" / "locust")
    parser.add_argument(
        "--pg-statements",
        type=int,
        default=0,
        metavar="N",
        help="load pg_stat_statements and print the N statements costing PostgreSQL the most",
    )
    parser.add_argument("--out", type=Path, help="keep the CSVs and the server log here")
    args = parser.parse_args(argv)
    if not args.locust.exists():
        raise SystemExit(f"no locust at {args.locust}: `make load` creates .venv-load")
    try:
        print(run(args))
    finally:
        instances.stop_postgres()


if __name__ == "__main__":
    main()
