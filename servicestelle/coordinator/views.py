"""The coordinator's pages under /koordination (registered on a coordinator only): the
registry of centres, the imported packages, the upload of a package file and the withdrawal
of an imported package.

Load → check → act: the guard checks ``stats:release`` (the coordination office's
supervisors, who also draft and approve the statewide releases under /statistik), the
operation decrypts, verifies and audits, and a refusal is shown next to the form. A
withdrawal needs a fresh login, like an approval.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicestelle.auth.freshness import fresh_auth_required
from servicestelle.auth.models import User
from servicestelle.coordinator import keys, operations, queries, withdrawals
from servicestelle.coordinator.forms import ImportForm, WithdrawForm
from servicestelle.coordinator.models import ImportedPackage
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.stats.periods import Period
from servicestelle.stats.queries import display_names

bp = Blueprint("coordinator", __name__, url_prefix="/koordination")


def _me() -> User:
    return current_user


def _period_label(code: str) -> str:
    return Period.parse(code).label()


def _page(form: ImportForm, status: int = 200) -> ResponseReturnValue:
    imported = queries.imported_packages()
    page = render_template(
        "coordinator/index.html",
        form=form,
        centres=queries.registered_centres(),
        imported=imported,
        names=display_names(package.imported_by for package, _centre in imported),
        period_label=_period_label,
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
        conflict = exc.refusal in (
            operations.ImportRefusal.DUPLICATE,
            operations.ImportRefusal.SUPERSEDED,
            operations.ImportRefusal.RELEASED,
        )
        return _page(form, 409 if conflict else 400)
    flash(
        _l(
            "Das Paket für %(period)s ist eingespielt.", period=Period.parse(package.period).label()
        ),
        "success",
    )
    return redirect(url_for("coordinator.index"))


def _package_or_404(package_id: int) -> ImportedPackage:
    package = db.session.get(ImportedPackage, package_id)
    if package is None:
        abort(404)
    return package


def _package_page(
    package: ImportedPackage, form: WithdrawForm, status: int = 200
) -> ResponseReturnValue:
    centre = queries.centre_of(package)
    page = render_template(
        "coordinator/package.html",
        package=package,
        centre=centre,
        form=form,
        names=display_names([package.imported_by, package.withdrawn_by]),
        period_label=_period_label,
    )
    return page, status


@bp.get("/pakete/<int:package_id>")
@require(Permission.STATS_RELEASE)
def package(package_id: int) -> ResponseReturnValue:
    """An imported package: its import, its state and the withdrawal form."""
    found = _package_or_404(package_id)
    form = WithdrawForm(next=url_for("coordinator.package", package_id=package_id))
    return _package_page(found, form)


@bp.post("/pakete/<int:package_id>/zurueckziehen")
@require(Permission.STATS_RELEASE)
@fresh_auth_required
def withdraw(package_id: int) -> ResponseReturnValue:
    """Withdraw an imported package with a reason, after a fresh login (audited)."""
    found = _package_or_404(package_id)
    form = WithdrawForm()
    if not form.validate():
        return _package_page(found, form, 400)
    try:
        withdrawals.withdraw_package(_me(), found, form.reason.data or "")
    except operations.CoordinatorError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _package_page(_package_or_404(package_id), form, 409)
    flash(
        _l(
            "Das Paket ist zurückgezogen; die Beratungsstelle kann ein berichtigtes Paket für "
            "diesen Zeitraum senden."
        ),
        "success",
    )
    return redirect(url_for("coordinator.package", package_id=package_id))
