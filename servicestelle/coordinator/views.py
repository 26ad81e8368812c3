"""The coordinator's pages under /koordination (registered on a coordinator only): the
registry of centres, the imported packages and the upload of a package file.

Load → check → act: the guard checks ``stats:release`` (the coordination office's
supervisors, who also draft and approve the statewide releases under /statistik), the
operation decrypts, verifies and audits, and a refusal is shown next to the form.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicestelle.auth.models import User
from servicestelle.coordinator import keys, operations, queries
from servicestelle.coordinator.forms import ImportForm
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.stats.periods import Period
from servicestelle.stats.queries import display_names

bp = Blueprint("coordinator", __name__, url_prefix="/koordination")


def _me() -> User:
    return current_user


def _page(form: ImportForm, status: int = 200) -> ResponseReturnValue:
    imported = queries.imported_packages()
    page = render_template(
        "coordinator/index.html",
        form=form,
        centres=queries.registered_centres(),
        imported=imported,
        names=display_names(package.imported_by for package, _centre in imported),
        period_label=lambda code: Period.parse(code).label(),
        public_key=keys.public_key_text(),
    )
    return page, status


@bp.get("")
@require(Permission.STATS_RELEASE)
def index() -> ResponseReturnValue:
    """The registered centres, their imported packages and the upload form."""
    return _page(ImportForm())


@bp.post("/einspielen")
@require(Permission.STATS_RELEASE)
def upload() -> ResponseReturnValue:
    """Import a centre's package file: decrypt, verify, store (audited, also if refused)."""
    form = ImportForm()
    if not form.validate():
        return _page(form, 400)
    try:
        package = operations.import_package(_me(), form.file.data.read())
    except operations.ImportRefused as exc:
        db.session.rollback()
        form.file.errors = [*form.file.errors, str(exc)]
        return _page(form, 409 if exc.refusal is operations.ImportRefusal.DUPLICATE else 400)
    flash(
        _l(
            "Das Paket für %(period)s ist eingespielt.", period=Period.parse(package.period).label()
        ),
        "success",
    )
    return redirect(url_for("coordinator.index"))
