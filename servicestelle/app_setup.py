"""Assembly of the Flask application: configuration, extensions, blueprints, hooks."""

from __future__ import annotations

import io
import logging
from typing import IO, Any

from flask import Flask, Request, request
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from servicestelle import blueprints, errors, paths, security
from servicestelle.api.operations import authenticate_token
from servicestelle.auth.models import User
from servicestelle.auth.passwords import PasswordService
from servicestelle.clock import Clock
from servicestelle.config import Settings
from servicestelle.converters import BoundedIntConverter
from servicestelle.extensions import babel, csrf, db, login_manager
from servicestelle.i18n import LANGUAGES, select_locale
from servicestelle.roles import ROLE_LABELS
from servicestelle.sessions.interface import DatabaseSessionInterface

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000


class InMemoryUploadRequest(Request):
    """A request whose uploaded files stay in memory until they are sealed.

    Werkzeug spools a file part above 500 KB to a temporary file: the plaintext of a
    client's document would lie on the server's disk (and in its backups or a forensic
    image) before parts.add_document seals it. In memory it is bounded all the same: the
    body is limited by ``max_content_length`` (the documents' own limit in the upload views).
    """

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()


def build(settings: Settings, clock: Clock) -> Flask:
    settings.validate()
    app = Flask(
        "servicestelle",
        template_folder=str(paths.templates_dir()),
        static_folder=str(paths.static_dir()),
        instance_path=str(settings.instance_path),
    )
    # Uploads never touch the disk unsealed (InMemoryUploadRequest).
    app.request_class = InMemoryUploadRequest
    app.config.update(_flask_config(settings))
    app.url_map.converters["int"] = BoundedIntConverter
    app.extensions["servicestelle.settings"] = settings
    app.extensions["servicestelle.clock"] = clock
    app.extensions["servicestelle.passwords"] = PasswordService(
        settings.password_hash, settings.max_concurrent_password_checks
    )
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )

    # Order matters: the request id first, then the permission guard, and only then CSRF,
    # so that an anonymous or unauthorised POST is refused as such, not as a CSRF failure.
    security.init_app(app)
    csrf.init_app(app)
    _configure_engine(db.init_app(app, settings.database_url, **_engine_options(settings)))
    babel.init_app(app, locale_selector=select_locale)
    _init_login(app)
    app.session_interface = DatabaseSessionInterface(settings, clock)
    blueprints.register(app)
    errors.init_app(app)
    app.after_request(_end_unit_of_work)
    app.context_processor(_template_context)
    return app


def _engine_options(settings: Settings) -> dict[str, Any]:
    # hide_parameters: SQL errors must never carry the values into logs.
    options: dict[str, Any] = {"hide_parameters": True, "pool_pre_ping": True}
    if settings.database_url.startswith("sqlite"):
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    return options


def _flask_config(settings: Settings) -> dict[str, Any]:
    return {
        "SECRET_KEY": settings.secret_key,
        "MAX_CONTENT_LENGTH": settings.max_content_length,
        "WTF_CSRF_SSL_STRICT": True,
        "WTF_CSRF_TIME_LIMIT": settings.session_absolute_hours * 3600,
        "BABEL_DEFAULT_LOCALE": settings.default_locale,
        "BABEL_DEFAULT_TIMEZONE": settings.local_timezone,
        "BABEL_TRANSLATION_DIRECTORIES": str(paths.translations_dir()),
        "PREFERRED_URL_SCHEME": "https" if settings.cookie_secure else "http",
        "DEBUG": False,
        "PROPAGATE_EXCEPTIONS": False,
    }


def _configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers work beside the writer; FULL survives power loss; foreign keys
        # are off by default in SQLite (and carry the deletion of a case to its parts).
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (a shredded case's wrapped key, its ciphertexts) are overwritten with
        # zeros instead of lingering in free pages of the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    # The server-side session and our own freshness stamp replace flask-login's IP/agent
    # heuristics; remember-me cookies are never issued.
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_user_from_session(user_id: str) -> User | None:
        if security.is_api_request():
            return None  # the API never honours cookies
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.is_active else None

    @login_manager.request_loader
    def load_user_from_token(req: Any) -> User | None:
        if not security.is_api_request():
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return authenticate_token(token.strip())


def _end_unit_of_work(response: Any) -> Any:
    # Operations commit what they write. Whatever is still open here was never meant to be
    # saved; ending it also frees SQLite for the session store's own connection.
    db.session.rollback()
    return response


def _template_context() -> dict[str, Any]:
    return {
        "languages": LANGUAGES,
        "current_locale": str(get_locale() or "de"),
        "role_labels": ROLE_LABELS,
    }
