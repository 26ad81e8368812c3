"""Helpers for the backup tests: operator instances on either backend, cases made through the
case operations, and what a restore must bring back (every case's content, the statistics
store, the audit chain).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy as sa
from flask import Flask

from crypto import Keyring
from servicestelle import cli_context, create_app, pg_roles
from servicestelle.auth.models import User
from servicestelle.auth.operations import create_user
from servicestelle.cases import access, operations, payload
from servicestelle.centres.queries import list_centres
from servicestelle.config import Settings
from servicestelle.extensions import db
from servicestelle.keyring_custody import NAMED_KEYS, PRODUCTION_KDF_FLOOR
from servicestelle.roles import Role
from tests.conftest import PG_APP_ROLE, PG_OWNER_ROLE
from tests.support import cli

COUNSELLOR = "anna"
PAUSE_SECONDS = 0.1


def operator_env(
    instance: Path, secrets_dir: Path, database_url: str | None = None
) -> dict[str, str]:
    """The environment of an operator's production instance (secret and passphrase files)."""
    key_file = secrets_dir / "secret_key_file"
    secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not key_file.exists():
        cli.write_secret_file(key_file)
    env = {
        **cli.clean_environ(),
        **cli.FLOOR_HASHING,
        "SERVICESTELLE_INSTANCE": str(instance),
        "SERVICESTELLE_SECRET_KEY_FILE": str(key_file),
        "SERVICESTELLE_KEYRING_PASSPHRASE_FILE": str(cli.passphrase_file_beside(key_file)),
    }
    if database_url is not None:
        env["SERVICESTELLE_DATABASE_URL"] = database_url
    return env


def init_instance(env: dict[str, str]) -> None:
    """`servicestelle init` on a keyring made beforehand at the production floor of the
    passphrase hashing (as FLOOR_HASHING does for passwords): every command unlocks it, and
    the default cost would make each one slow."""
    instance = Path(env["SERVICESTELLE_INSTANCE"])
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    passphrase = Path(env["SERVICESTELLE_KEYRING_PASSPHRASE_FILE"]).read_bytes().rstrip(b"\n")
    Keyring.generate(named=NAMED_KEYS).save(
        instance / "keyring.json", passphrase, kdf=PRODUCTION_KDF_FLOOR
    )
    result = invoke(["init"], env)
    assert result.returncode == 0, result.stderr


#: One app per instance environment: each new app would unlock the keyring again.
_apps: dict[tuple[tuple[str, str], ...], Flask] = {}


def app_for(env: dict[str, str]) -> Flask:
    key = tuple(sorted(env.items()))
    if key not in _apps:
        _apps[key] = create_app(Settings.from_env(env))
    return _apps[key]


@contextmanager
def app_context(env: dict[str, str]) -> Iterator[Flask]:
    app = app_for(env)
    with app.test_request_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def add_counsellor(env: dict[str, str]) -> int:
    with app_context(env):
        created = create_user(
            centre=list_centres()[0],
            username=COUNSELLOR,
            display_name="Anna",
            password="korrekt pferd batterie heftklammer",
            roles=[Role.COUNSELLOR],
        )
        return created.user.id


def create_cases(env: dict[str, str], narratives: list[str]) -> list[int]:
    """Cases with these narratives, through the case operations (sealed, audited, derived)."""
    with app_context(env):
        user = db.session.scalars(sa.select(User).where(User.username == COUNSELLOR)).one()
        return [
            operations.create_case(user, payload.load_payload({"account": {"narrative": text}})).id
            for text in narratives
        ]


def narratives(env: dict[str, str]) -> dict[int, str]:
    """Every case's narrative, each opened through the normal case code (an audited read)."""
    with app_context(env):
        user = db.session.scalars(sa.select(User).where(User.username == COUNSELLOR)).one()
        ids = db.session.scalars(sa.text("SELECT id FROM cases ORDER BY id")).all()
        return {
            case_id: operations.open_case(access.load(case_id, user, content=True)).payload[
                "account"
            ]["narrative"]
            for case_id in ids
        }


def stats_rows(url: str) -> list[tuple[object, ...]]:
    """The statistics store, row by row (bytes as hex), in pseudonym order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT * FROM stats_records ORDER BY pseudonym"))
            return [
                tuple(value.hex() if isinstance(value, bytes) else value for value in row)
                for row in rows
            ]
    finally:
        engine.dispose()


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Writer:
    """A thread that keeps creating cases (as a running service would) until stopped."""

    env: dict[str, str]
    created: list[int] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with app_context(self.env):
                user = db.session.scalars(sa.select(User).where(User.username == COUNSELLOR)).one()
                while not self._stop.is_set():
                    text = f"laufend {len(self.created)}"
                    content = payload.load_payload({"account": {"narrative": text}})
                    self.created.append(operations.create_case(user, content).id)
                    self._stop.wait(PAUSE_SECONDS)  # a busy centre, not a benchmark
        except BaseException as exc:  # reported by stop()
            self.errors.append(exc)

    def wait_for(self, count: int) -> None:
        while len(self.created) < count and not self.errors:
            self._stop.wait(0.01)

    def stop(self) -> list[int]:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(60)
        assert not self.errors, self.errors
        return self.created


# --- PostgreSQL targets -----------------------------------------------------------------------


@dataclass(frozen=True)
class PgTarget:
    """An empty database owned by the schema owner: restored into with the owner's URL."""

    owner_url: str
    app_url: str
    superuser_url: str


def empty_postgres_database(admin_url: str, owner: str, app_role: str) -> PgTarget:
    name = f"r_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" OWNER {owner}'))
    admin.dispose()
    base = sa.make_url(admin_url).set(database=name)
    return PgTarget(
        owner_url=base.set(username=owner, password=owner).render_as_string(hide_password=False),
        app_url=base.set(username=app_role, password=app_role).render_as_string(
            hide_password=False
        ),
        superuser_url=base.render_as_string(hide_password=False),
    )


def grant_roles(target: PgTarget, owner: str, app_role: str) -> None:
    """What the operator does after a restore: the output of `servicestelle db roles-sql`."""
    engine = sa.create_engine(target.superuser_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in pg_roles.role_setup_statements(owner, app_role):
            connection.execute(sa.text(statement))
    engine.dispose()


def copy_keyring(source_instance: Path, target_instance: Path) -> None:
    """Only the escrowed keyring file goes to the new instance (its passphrase file is the
    operator's, named in the environment)."""
    target_instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copy2(source_instance / "keyring.json", target_instance / "keyring.json")


def invoke(args: list[str], env: dict[str, str]) -> cli.Result:
    """`servicestelle ARGS…` in this process (the app is imported once; a subprocess costs
    seconds), with the operator's SERVICESTELLE_* environment and nothing else of ours."""
    from click.testing import CliRunner

    from servicestelle import cli as commands

    ours: dict[str, str | None] = {k: None for k in os.environ if k.startswith("SERVICESTELLE_")}
    ours.update({k: v for k, v in env.items() if k.startswith("SERVICESTELLE_")})
    made: list[Flask] = []

    def create_and_remember(*args: Any, **kwargs: Any) -> Flask:
        made.append(create_app(*args, **kwargs))
        return made[-1]

    # A command's process ends after it; here its app's connections are closed explicitly.
    with mock.patch.object(cli_context, "create_app", create_and_remember):
        try:
            result = CliRunner().invoke(commands.main, args, env=ours)
        finally:
            for app in made:
                with app.app_context():
                    db.engine.dispose()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return cli.Result(result.exit_code, result.stdout, result.stderr)


def database_url(env: dict[str, str]) -> str:
    return (
        env.get("SERVICESTELLE_DATABASE_URL")
        or f"sqlite:///{env['SERVICESTELLE_INSTANCE']}/servicestelle.sqlite3"
    )


def actions(env: dict[str, str], action: str) -> list[dict[str, object]]:
    """The details of every audit entry with ``action``, oldest first."""
    engine = sa.create_engine(database_url(env))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT details FROM audit_entry WHERE action = :action ORDER BY seq"),
                {"action": action},
            ).scalars()
            return [json.loads(row) for row in rows]
    finally:
        engine.dispose()


def source_instance(root: Path, backend_name: str, url: str) -> dict[str, str]:
    """An initialised production instance with a counsellor, on the test's database."""
    env = operator_env(root / "source", root / "secrets", None if backend_name == "sqlite" else url)
    init_instance(env)
    add_counsellor(env)
    return env


def target_instance(
    root: Path, backend_name: str, admin_url: str | None, secrets: Path | None = None
) -> tuple[dict[str, str], PgTarget | None]:
    """An empty instance holding only the escrowed keyring; ``secrets`` (a folder with the
    same passphrase file) gives it a secret key of its own."""
    copy_keyring(root / "source", root / "target")
    folder = secrets or root / "secrets"
    if backend_name == "sqlite":
        return operator_env(root / "target", folder), None
    assert admin_url is not None
    pg = empty_postgres_database(admin_url, PG_OWNER_ROLE, PG_APP_ROLE)
    return operator_env(root / "target", folder, pg.owner_url), pg


def serve_restored(env: dict[str, str], pg: PgTarget | None) -> dict[str, str]:
    """After a restore: PostgreSQL gets its grants and is used with the application role."""
    if pg is None:
        return env
    grant_roles(pg, PG_OWNER_ROLE, PG_APP_ROLE)
    return {**env, "SERVICESTELLE_DATABASE_URL": pg.app_url}


def admin_url(request: Any, backend_name: str) -> str | None:
    """A superuser's URL on PostgreSQL (to create the empty target database); None on SQLite."""
    if backend_name == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_server").admin_url)
