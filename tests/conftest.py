"""Fixtures: settings, an app per database backend, clients, users and a full login.

Every test that uses ``app`` runs twice, on SQLite and on PostgreSQL. Each test gets a fresh
database copied from a template that the migrations built once per session.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient

from servicestelle import create_app, migrate, pg_roles
from servicestelle.auth import totp
from servicestelle.config import TEST_ONLY_CHEAP, Settings
from servicestelle.roles import Role
from tests.support import postgres
from tests.support.components import missing
from tests.support.html import csrf_token

SECRET = b"test-secret-key-0123456789abcdef-0123456789"
START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)  # a Monday morning
DEFAULT_PASSWORD = "korrekt pferd batterie heftklammer"


class FrozenClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, moment: datetime = START) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def make_settings(tmp_path: Path, database_url: str, **changes: object) -> Settings:
    settings = Settings(
        profile="test",
        instance_path=tmp_path / "instance",
        database_url=database_url,
        secret_key=SECRET,
        password_hash=TEST_ONLY_CHEAP,
    )
    return settings.with_changes(**changes) if changes else settings


# --- database backends ----------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresServer | None]:
    try:
        server = postgres.start()
    except postgres.PostgresUnavailable as exc:
        _pg_error[0] = str(exc)
        yield None
        return
    yield server
    server.stop()


#: Why the PostgreSQL server could not be started (reported by every test that needs it).
_pg_error = [""]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


#: The production role set-up (SECURITY.md): the owner migrates, the app role only works.
PG_OWNER_ROLE = "servicestelle_owner"
PG_APP_ROLE = "servicestelle_app"


def _pg_url(server: postgres.PostgresServer, database: str, role: str | None = None) -> str:
    url = sa.make_url(server.url_for(database))
    if role is not None:
        url = url.set(username=role, password=role)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: postgres.PostgresServer | None) -> str | None:
    if postgres_server is None:
        return None
    name = "servicestelle_template"
    admin = sa.create_engine(postgres_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        for role in (PG_OWNER_ROLE, PG_APP_ROLE):
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": role}
            ).scalar()
            if not exists:
                connection.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD '{role}'"))
        connection.execute(sa.text(f'CREATE DATABASE "{name}" OWNER {PG_OWNER_ROLE}'))
    admin.dispose()
    # As in production: the superuser sets up the roles, the owner runs the migrations, and
    # the roles script runs once more for the tables that now exist.
    superuser = sa.create_engine(_pg_url(postgres_server, name), isolation_level="AUTOCOMMIT")
    owner = sa.create_engine(_pg_url(postgres_server, name, PG_OWNER_ROLE))
    with superuser.connect() as connection:
        for statement in pg_roles.role_setup_statements(PG_OWNER_ROLE, PG_APP_ROLE):
            connection.execute(sa.text(statement))
    migrate.upgrade(owner)
    with superuser.connect() as connection:
        for statement in pg_roles.role_setup_statements(PG_OWNER_ROLE, PG_APP_ROLE):
            connection.execute(sa.text(statement))
    superuser.dispose()
    owner.dispose()
    return name


@dataclass
class Backend:
    name: str
    #: What the application connects with (PostgreSQL: the restricted application role).
    url: str
    #: The schema owner: migrations, and attackers who own the tables (SQLite: the same file).
    owner_url: str
    #: A superuser (SQLite: the same file).
    superuser_url: str


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
) -> Iterator[Backend]:
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(sqlite_template, target)
        url = f"sqlite:///{target}"
        yield Backend("sqlite", url, url, url)
        return
    server: postgres.PostgresServer | None = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    if server is None or template is None:
        missing("PostgreSQL", _pg_error[0] or "server could not be started")
    assert server is not None
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" OWNER {PG_OWNER_ROLE}')
        )
    yield Backend(
        "postgresql",
        _pg_url(server, name, PG_APP_ROLE),
        _pg_url(server, name, PG_OWNER_ROLE),
        _pg_url(server, name),
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(backend: Backend) -> Iterator[sa.Engine]:
    """An engine on the database as the application connects to it, disposed after the test."""
    engine = sa.create_engine(backend.url)
    yield engine
    engine.dispose()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    """An audit checkpoint signing key."""
    return Ed25519PrivateKey.generate()


# --- app and clients ------------------------------------------------------------------


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def settings(tmp_path: Path, backend: Backend) -> Settings:
    return make_settings(tmp_path, backend.url)


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    application = create_app(settings, clock=clock)
    application.config["TESTING"] = True
    yield application
    from servicestelle.extensions import db

    with application.app_context():
        db.engine.dispose()


def https_client(app: Flask, remote_addr: str | None = None) -> FlaskClient:
    """A browser of its own talking https, as production does, so Secure cookies apply."""
    test_client = app.test_client()
    test_client.environ_base["wsgi.url_scheme"] = "https"
    if remote_addr is not None:
        test_client.environ_base["REMOTE_ADDR"] = remote_addr
    return test_client


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return https_client(app)


@pytest.fixture
def centre(app: Flask) -> int:
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        return create_centre("TEST", "Servicestelle Test").id


@dataclass
class TestUser:
    id: int
    username: str
    password: str
    seed: bytes | None
    roles: frozenset[Role]


@pytest.fixture
def make_user(app: Flask, centre: int):  # type: ignore[no-untyped-def]
    """Create users: make_user(Role.COUNSELLOR, username=..., enrolled=True)."""
    counter = iter(range(1, 1000))

    def factory(
        *roles: Role,
        username: str | None = None,
        password: str = DEFAULT_PASSWORD,
        enrolled: bool = True,
        must_change_password: bool = False,
        centre_id: int | None = None,
    ) -> TestUser:
        from servicestelle.auth.operations import create_user
        from servicestelle.centres.models import Centre
        from servicestelle.extensions import db

        name = username or f"user{next(counter)}"
        with app.app_context():
            created = create_user(
                centre=db.session.get(Centre, centre_id or centre),
                username=name,
                display_name=name.title(),
                password=password,
                roles=roles or (Role.COUNSELLOR,),
                must_change_password=must_change_password,
                with_second_factor=enrolled,
            )
            return TestUser(
                created.user.id,
                name,
                password,
                created.seed,
                frozenset(roles or (Role.COUNSELLOR,)),
            )

    return factory


def current_code(user: TestUser, clock: FrozenClock) -> str:
    assert user.seed is not None
    return totp.current_code(user.seed, clock.now())


def post_form(client: FlaskClient, url: str, data: dict[str, str], *, form_url: str | None = None):  # type: ignore[no-untyped-def]
    """POST a form the way a browser does: fetch the page for its CSRF token first."""
    page_url = form_url or url
    page = client.get(page_url)
    token = csrf_token(page.get_data(as_text=True))
    # Browsers send a same-origin Referer (Referrer-Policy: same-origin); Flask-WTF checks it on https.
    return client.post(
        url, data={"csrf_token": token, **data}, headers={"Referer": f"https://localhost{page_url}"}
    )


def login(client: FlaskClient, user: TestUser, clock: FrozenClock) -> None:
    """The full login (password, then TOTP). Moves the clock one step so codes never repeat."""
    clock.advance(seconds=totp.STEP_SECONDS)
    response = post_form(
        client, "/anmelden", {"username": user.username, "password": user.password}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/anmelden/zweiter-faktor")
    response = post_form(client, "/anmelden/zweiter-faktor", {"code": current_code(user, clock)})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def login_as(client: FlaskClient, make_user, clock: FrozenClock):  # type: ignore[no-untyped-def]
    """Log the test client in as a new user with the given roles; returns the user."""

    def do(*roles: Role, **kwargs: object) -> TestUser:
        user = make_user(*roles, **kwargs)
        login(client, user, clock)
        return user

    return do
