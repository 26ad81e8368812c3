"""Language choice: German by default, English selectable (kept in the session)."""

from __future__ import annotations

from flask import Blueprint, has_request_context, redirect, request, session, url_for
from werkzeug.wrappers import Response

from servicestelle import services
from servicestelle.security import is_safe_redirect

LANGUAGES = {"de": "Deutsch", "en": "English"}
SESSION_KEY = "lang"

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    if not has_request_context():  # command line: messages in the default language
        return services.settings().default_locale
    chosen = session.get(SESSION_KEY)
    return chosen if chosen in LANGUAGES else services.settings().default_locale


@bp.post("/sprache")
def set_language() -> Response:
    """Switch the interface language and return to the page the form was on."""
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        session[SESSION_KEY] = chosen
    target = request.form.get("next", "")
    return redirect(target if is_safe_redirect(target) else url_for("dashboard.index"))
