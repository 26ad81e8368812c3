"""The login state kept in the server-side session.

A login has steps: password → second factor (or its enrolment) → forced password change.
Until the last step is done the session holds only ``pending_user_id`` and the next step;
flask-login's ``_user_id`` is set when the login is complete, so ``current_user`` is never
a half-authenticated user.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import flask_login
from flask import session

from servicestelle import clock, services
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.sessions.interface import ServerSession


class Step(StrEnum):
    SECOND_FACTOR = "second_factor"
    ENROL = "enrol"
    RECOVERY_CODES = "recovery_codes"  # enrolment confirmed, codes shown, not yet continued
    CHANGE_PASSWORD = "change_password"  # noqa: S105 - a step name, not a password


PENDING_USER = "pending_user_id"
PENDING_STEP = "pending_step"
PENDING_SINCE = "pending_since"
AUTHENTICATED_AT = "authenticated_at"  # last time password + code were both given


def _server_session() -> ServerSession:
    if not isinstance(session, ServerSession):
        raise RuntimeError("create_app installs the database session interface")
    return session


def begin(user: User, step: Step) -> None:
    """Password accepted: a new session id, waiting for the next step."""
    _server_session().clear()
    _server_session().regenerate(restart_lifetime=True)
    session[PENDING_USER] = user.id
    session[PENDING_STEP] = step.value
    session[PENDING_SINCE] = clock.now().timestamp()


def advance(step: Step) -> None:
    session[PENDING_STEP] = step.value


def pending() -> tuple[User, Step] | None:
    """The half-logged-in user and their next step, if the login has not expired."""
    user_id = session.get(PENDING_USER)
    if user_id is None:
        return None
    limit = timedelta(minutes=services.settings().pending_login_minutes)
    since = datetime.fromtimestamp(float(session.get(PENDING_SINCE, 0)), tz=UTC)
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or clock.now() - since > limit:
        clear_pending()
        return None
    return user, Step(session[PENDING_STEP])


def clear_pending() -> None:
    for key in (PENDING_USER, PENDING_STEP, PENDING_SINCE):
        session.pop(key, None)


def complete(user: User) -> None:
    """Every step done: log in with a fresh session id."""
    clear_pending()
    _server_session().regenerate()
    flask_login.login_user(user)
    mark_fresh()


def mark_fresh() -> None:
    session[AUTHENTICATED_AT] = clock.now().timestamp()


def is_fresh() -> bool:
    stamp = session.get(AUTHENTICATED_AT)
    if stamp is None:
        return False
    limit = timedelta(minutes=services.settings().reauth_minutes).total_seconds()
    return clock.now().timestamp() - float(stamp) <= limit


def end() -> None:
    flask_login.logout_user()
    _server_session().end()
