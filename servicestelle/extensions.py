"""Flask extensions, created unbound and attached to an app in create_app."""

from __future__ import annotations

from typing import Any

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from servicestelle.database import Database


class SessionOnlyLoginManager(LoginManager):
    """flask-login without "remember me".

    We never issue remember cookies, but flask-login would still accept one: its value is
    only an HMAC of the user id under the secret key, so whoever holds the key file could log
    in as anyone without password, second factor or session.
    """

    def _load_user_from_remember_cookie(self, cookie: Any) -> None:
        return None


db = Database()
login_manager = SessionOnlyLoginManager()
csrf = CSRFProtect()
babel = Babel()
