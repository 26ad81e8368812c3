"""The cases blueprint and what its view modules share.

The routes live in views.py (list, search, case form), views_case.py (the case page, its team,
legal hold and break-glass) and views_parts.py (contacts, interventions, deadlines, documents,
consents). Every handler is load → check → act: ``access.load`` answers an audited 404 for a
case the user does not reach, and with ``content=True`` for one whose content they do not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from servicestelle.auth.models import User
from servicestelle.cases import access, vault, views_display
from servicestelle.cases.access import CaseAccess
from servicestelle.cases.operations import CaseError
from servicestelle.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("cases", __name__, url_prefix="/faelle")
bp.context_processor(views_display.helpers)

UNREADABLE = _l(
    "Der Inhalt dieser Akte lässt sich nicht öffnen. Es wurde nichts geändert. Bitte wenden "
    "Sie sich mit der Anfragenummer an die Administration."
)


def me() -> User:
    return current_user


def load(case_id: int, *, content: bool = False) -> CaseAccess:
    """The case if the current user reaches it (its content, with ``content``); else 404."""
    return access.load(case_id, me(), content=content)


def to_case(case_id: int, anchor: str | None = None) -> Response:
    return redirect(url_for("cases.show", case_id=case_id, _anchor=anchor))


def unreadable(case_id: int) -> ResponseReturnValue:
    """The answer when a case's data key or a ciphertext does not open (logged by the vault)."""
    db.session.rollback()
    log.error("case page could not open case %s", case_id)
    page = render_template(
        "errors/error.html", status=500, message=str(UNREADABLE), request_id=g.get("request_id")
    )
    return page, 500


def field_errors(
    form: FlaskForm, messages: Mapping[str, Any] | list[Any], aliases: Mapping[str, str]
) -> None:
    """Marshmallow's messages of a part (``{"note": [...]}``) next to the form's fields."""
    if not isinstance(messages, Mapping):
        form.form_errors.extend(str(m) for m in messages)
        return
    for key, texts in messages.items():
        name = aliases.get(key, key)
        target = form[name].errors if name in form else form.form_errors
        target.extend(str(t) for t in (texts if isinstance(texts, list) else [texts]))


def attempt(
    form: FlaskForm,
    action: Callable[[], object],
    *,
    error_field: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> bool:
    """Run an operation; its refusal goes into the form (nothing typed is lost)."""
    try:
        action()
    except ValidationError as exc:
        db.session.rollback()
        field_errors(form, exc.messages, aliases or {})
        return False
    except CaseError as exc:
        db.session.rollback()
        target = form[error_field].errors if error_field else form.form_errors
        target.append(str(exc))
        return False
    except vault.CaseUnreadable:
        db.session.rollback()
        log.error("case part not saved: the case does not open")
        form.form_errors.append(str(UNREADABLE))
        return False
    return True


def first_error(form: FlaskForm) -> str:
    """One message for a small inline form whose page is not shown again."""
    for messages in form.errors.values():
        for message in messages if isinstance(messages, list) else [messages]:
            return str(message)
    return str(_l("Bitte prüfen Sie Ihre Eingaben."))
