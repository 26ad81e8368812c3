"""Error answers: a German page in the UI, a JSON body in the API, never internals."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from servicestelle.auth.passwords import HasherBusy
from servicestelle.extensions import db
from servicestelle.security import is_api_request

log = logging.getLogger(__name__)

#: What the UI says for each status; the API uses the short English code beside it.
MESSAGES = {
    400: ("bad_request", _l("Die Anfrage war fehlerhaft.")),
    401: ("unauthorized", _l("Bitte melden Sie sich an.")),
    403: ("forbidden", _l("Dafür fehlt Ihnen die Berechtigung.")),
    404: ("not_found", _l("Diese Seite gibt es nicht.")),
    405: ("method_not_allowed", _l("Diese Aktion ist hier nicht möglich.")),
    413: ("payload_too_large", _l("Die gesendeten Daten sind zu groß.")),
    415: ("unsupported_media_type", _l("Dieses Datenformat wird nicht angenommen.")),
    429: ("too_many_requests", _l("Zu viele Versuche. Bitte warten Sie einen Moment.")),
    500: (
        "internal_error",
        _l("Ein unerwarteter Fehler ist aufgetreten. Es wurde nichts gespeichert."),
    ),
    503: (
        "unavailable",
        _l("Der Dienst ist gerade ausgelastet. Bitte versuchen Sie es gleich noch einmal."),
    ),
}


def _answer(
    status: int, message: str | None = None, code: str | None = None
) -> ResponseReturnValue:
    default_code, default_message = MESSAGES.get(
        status, MESSAGES[500] if status >= 500 else MESSAGES[400]
    )
    text = message or str(default_message)
    if is_api_request():
        body = {
            "error": {
                "code": code or default_code,
                "message": text,
                "request_id": g.get("request_id"),
            }
        }
        response = jsonify(body)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="servicestelle"'
        return response
    template = "errors/error.html"
    return render_template(
        template, status=status, message=text, request_id=g.get("request_id")
    ), status


#: Specific messages for refusals raised with abort(status, description=<key>).
SPECIFIC_MESSAGES = {
    "invalid_utf8": _l(
        "Die Eingabe enthält Zeichen, die nicht lesbar sind (keine gültige UTF-8-Kodierung). "
        "Bitte prüfen Sie den Text und senden Sie ihn noch einmal."
    ),
}


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    specific = SPECIFIC_MESSAGES.get(str(error.description))
    if specific is not None:
        return _answer(status, str(specific), code=str(error.description))
    return _answer(status)


def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
    return _answer(
        400,
        str(
            _l(
                "Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. "
                "Bitte laden Sie die Seite neu und senden Sie es noch einmal."
            )
        ),
        code="csrf_failed",
    )


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    # Roll back so that nothing of the failed operation is written, then log the type and
    # the request id only: exception texts can carry values.
    db.session.rollback()
    log.error(
        "unhandled %s in %s %s (request %s)\n%s",
        type(error).__name__,
        request.method,
        request.url_rule.rule if request.url_rule else "?",
        g.get("request_id"),
        "".join(traceback.format_tb(error.__traceback__)),
    )
    return _answer(500)


def handle_hasher_busy(error: HasherBusy) -> ResponseReturnValue:
    log.warning("password hashing slots exhausted (request %s)", g.get("request_id"))
    return _answer(503)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_http_error)
    app.register_error_handler(HasherBusy, handle_hasher_busy)
    app.register_error_handler(Exception, handle_unexpected)
