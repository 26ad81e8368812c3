"""Flask session interface storing sessions in the database.

The cookie holds only a random 256-bit token; the row is found by the token's SHA-256.
Deleting rows ends sessions at once (logout, password or role change, disabled account).
Idle (15 min) and absolute (10 h) timeouts are checked on every request against the
application clock.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete
from sqlalchemy.orm import Session as DbSession
from werkzeug.datastructures import CallbackDict

from servicestelle.clock import Clock
from servicestelle.config import Settings
from servicestelle.extensions import db
from servicestelle.sessions.models import UserSession

#: last_seen_at is written at most this often, not on every request.
TOUCH_INTERVAL = timedelta(seconds=30)
#: Expired sessions are purged at most this often.
PURGE_INTERVAL = timedelta(minutes=1)
#: Session keys that tie a row to a user for revocation.
USER_KEYS = ("_user_id", "pending_user_id")

_serializer = TaggedJSONSerializer()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(
        self,
        initial: dict[str, Any] | None = None,
        token: str | None = None,
        created_at: datetime | None = None,
        last_seen_at: datetime | None = None,
    ) -> None:
        def on_update(_: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.created_at = created_at
        self.last_seen_at = last_seen_at
        self.modified = False
        self.regenerate_requested = False
        self.restart_lifetime = False
        self.end_requested = False

    @property
    def new(self) -> bool:  # type: ignore[override]
        return self.token is None

    def regenerate(self, *, restart_lifetime: bool = False) -> None:
        """Issue a new token at the end of this request.

        The absolute lifetime continues unless ``restart_lifetime`` (a new login): otherwise
        changing the password back and forth would keep a session alive forever.
        """
        self.regenerate_requested = True
        self.restart_lifetime = self.restart_lifetime or restart_lifetime
        self.modified = True

    def end(self) -> None:
        """Delete the stored session and the cookie at the end of this request."""
        self.clear()
        self.end_requested = True


class NullSession(ServerSession):
    """For the API: bearer tokens only, cookies are neither read nor written."""


class DatabaseSessionInterface(SessionInterface):
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.idle = timedelta(minutes=settings.session_idle_minutes)
        self.absolute = timedelta(hours=settings.session_absolute_hours)
        self._last_purge: datetime | None = None

    def get_cookie_name(self, app: Flask) -> str:
        return self.settings.session_cookie_name

    def _db(self) -> DbSession:
        # A session of its own: saving the web session must not commit (or be rolled back
        # with) whatever the request's unit of work did.
        return DbSession(db.engine, expire_on_commit=False)

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if request.path.startswith("/api/"):
            return NullSession()
        token = request.cookies.get(self.get_cookie_name(app))
        if not token or len(token) > 128:
            return ServerSession()
        now = self.clock.now()
        with self._db() as dbs:
            row = dbs.get(UserSession, token_hash(token))
            if row is None:
                return ServerSession()
            if now - row.last_seen_at > self.idle or now - row.created_at > self.absolute:
                dbs.delete(row)
                dbs.commit()
                return ServerSession()
            data = _serializer.loads(row.data.decode("utf-8"))
            return ServerSession(data, token, row.created_at, row.last_seen_at)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession) or isinstance(session, NullSession):
            return
        name = self.get_cookie_name(app)
        now = self.clock.now()
        if session.end_requested or (
            not session and session.token is not None and session.modified
        ):
            if session.token is not None:
                with self._db() as dbs, dbs.begin():
                    _delete_row(dbs, session.token)
                session.token = None  # the old token is dead either way
            if not session:
                self._drop_cookie(app, response)
                return
            # Written after the end (e.g. "you are logged out" for the login page): keep it in
            # a new, anonymous session under a new token.
        if not session and session.token is None:
            return  # nothing worth storing: no row, no cookie
        needs_touch = session.last_seen_at is None or now - session.last_seen_at >= TOUCH_INTERVAL
        if not (session.modified or session.regenerate_requested or needs_touch):
            return
        user_id = _user_id(session)
        payload = _serializer.dumps(dict(session)).encode("utf-8")
        with self._db() as dbs, dbs.begin():
            if session.regenerate_requested or session.token is None:
                if session.token is not None:
                    _delete_row(dbs, session.token)
                if session.token is None or session.restart_lifetime or session.created_at is None:
                    session.created_at = now
                session.token = secrets.token_urlsafe(32)
                dbs.add(
                    UserSession(
                        token_hash=token_hash(session.token),
                        user_id=user_id,
                        data=payload,
                        created_at=session.created_at,
                        last_seen_at=now,
                    )
                )
                self._purge_expired(dbs, now)
            else:
                row = dbs.get(UserSession, token_hash(session.token))
                if row is None:
                    # Ended by someone else during this request (e.g. an admin disabled the
                    # account): do not resurrect it.
                    self._drop_cookie(app, response)
                    return
                row.data = payload
                row.user_id = user_id
                row.last_seen_at = now
        response.set_cookie(
            name,
            session.token,
            path="/",
            secure=self.settings.cookie_secure,
            httponly=True,
            samesite="Strict",
            # No Expires/Max-Age: the cookie dies with the browser; the server enforces timeouts.
        )

    def _drop_cookie(self, app: Flask, response: Response) -> None:
        response.delete_cookie(
            self.get_cookie_name(app),
            path="/",
            secure=self.settings.cookie_secure,
            httponly=True,
            samesite="Strict",
        )

    def _purge_expired(self, dbs: DbSession, now: datetime) -> None:
        """Delete sessions nobody can use any more (at most once a minute per process).

        Expired rows are otherwise only removed when their cookie comes back, and most never
        do: abandoned login pages, closed browsers.
        """
        if self._last_purge is not None and now - self._last_purge < PURGE_INTERVAL:
            return
        self._last_purge = now
        dbs.execute(
            delete(UserSession).where(
                (UserSession.last_seen_at < now - self.idle)
                | (UserSession.created_at < now - self.absolute)
            )
        )


def _delete_row(dbs: DbSession, token: str) -> None:
    dbs.execute(delete(UserSession).where(UserSession.token_hash == token_hash(token)))


def _user_id(session: ServerSession) -> int | None:
    for key in USER_KEYS:
        value = session.get(key)
        if value is not None:
            return int(value)
    return None
