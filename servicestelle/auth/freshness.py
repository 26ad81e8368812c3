"""Fresh re-authentication (password + code, at most a few minutes old) for sensitive actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from servicestelle.auth import login_state
from servicestelle.security import is_safe_redirect

F = TypeVar("F", bound=Callable[..., Any])


def _return_target() -> str:
    if request.method == "GET":
        return request.full_path.rstrip("?")
    # A POST cannot be replayed after the detour; send the user back to the form's page.
    candidate = request.form.get("next") or urlsplit(request.referrer or "").path
    if (
        candidate
        and request.referrer
        and urlsplit(request.referrer).netloc not in ("", request.host)
    ):
        candidate = ""
    return candidate if is_safe_redirect(candidate) else url_for("dashboard.index")


def fresh_auth_required(view: F) -> F:
    """Send the user to re-enter password and code unless they did so recently."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not login_state.is_fresh():
            flash(_l("Bitte bestätigen Sie diese Aktion mit Passwort und Code."), "info")
            return redirect(url_for("auth.reauth", next=_return_target()))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
