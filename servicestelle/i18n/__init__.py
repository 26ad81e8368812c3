"""Language choice: German by default, English selectable.

The choice lives in a small cookie of its own, not in the session, so that switching the
language (and every anonymous page offering the switch) never creates a stored session.
"""

from __future__ import annotations

from flask import Blueprint, has_request_context, redirect, request, url_for
from werkzeug.wrappers import Response

from servicestelle import services
from servicestelle.security import is_safe_redirect

LANGUAGES = {"de": "Deutsch", "en": "English"}
ONE_YEAR = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


def cookie_name() -> str:
    # __Host- needs Secure, which the plain-http demo cannot have.
    return "__Host-lang" if services.settings().cookie_secure else "lang"


def select_locale() -> str:
    if not has_request_context():  # command line: messages in the default language
        return services.settings().default_locale
    chosen = request.cookies.get(cookie_name())
    return chosen if chosen in LANGUAGES else services.settings().default_locale


@bp.get("/sprache")
def set_language() -> Response:
    """Switch the interface language and return to the page the link was on.

    A GET that only sets a display preference in the browser: nothing on the server changes.
    """
    chosen = request.args.get("lang", "")
    target = request.args.get("next", "")
    response = redirect(target if is_safe_redirect(target) else url_for("dashboard.index"))
    if chosen in LANGUAGES:
        response.set_cookie(
            cookie_name(),
            chosen,
            max_age=ONE_YEAR,
            path="/",
            secure=services.settings().cookie_secure,
            httponly=True,
            samesite="Lax",
        )
    return response
