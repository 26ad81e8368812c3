"""Coordinator packages under /statistik/pakete, for a centre's supervisors: the list and a
new draft, a package's page with its unsuppressed tables and the four-eyes decision, and the
download of an approved package, encrypted to the coordinator.

Routes on the statistics blueprint (stats.views.bp); blueprints.py imports this module so
they exist before the blueprint is registered. Every handler is load → check → act: the guard
checks ``stats:release`` (packages hold unsuppressed counts: supervisors only), ``_load``
answers 404 for what is no package and an audited 404 for another centre's, the operations
refuse in German. A coordinator serves none of these routes (coordinator.mode).
"""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicestelle import clock
from servicestelle.auth.freshness import fresh_auth_required
from servicestelle.auth.models import User
from servicestelle.centres.models import Centre
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.security import deny_out_of_scope
from servicestelle.stats import downloads, operations, packages, presentation, queries
from servicestelle.stats.forms import ApproveForm, ReasonForm
from servicestelle.stats.forms_packages import PackageForm
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release, ReleaseKind, ReleaseStatus
from servicestelle.stats.views import bp

PACKAGE_MEDIA_TYPE = "application/json"
#: A package is approved, never "published": it goes to the coordinator only.
PACKAGE_STATUS_LABELS = {
    ReleaseStatus.DRAFT.value: _l("Entwurf"),
    ReleaseStatus.PUBLISHED.value: _l("freigegeben"),
    ReleaseStatus.REJECTED.value: _l("abgelehnt"),
    ReleaseStatus.REVOKED.value: _l("widerrufen"),
}


def _me() -> User:
    return current_user


def _load(package_id: int) -> Release:
    package = db.session.get(Release, package_id)
    if package is None or package.kind != ReleaseKind.PACKAGE:
        abort(404)
    if package.centre_id != _me().centre_id:
        deny_out_of_scope(operations.OBJECT_TYPE, package.id, centre_id=package.centre_id)
    return package


@bp.route("/pakete", methods=["GET", "POST"])
@require(Permission.STATS_RELEASE)
def package_index() -> ResponseReturnValue:
    """The centre's packages for the coordinator, and the form that drafts one."""
    form = PackageForm(clock.today())
    if not form.is_submitted():
        return _index_page(form)
    if form.validate():
        try:
            package = packages.draft_package(_me(), form.period())
        except operations.ReleaseError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            flash(_l("Das Paket ist entworfen und eingefroren."), "success")
            return redirect(url_for("stats.package_show", package_id=package.id))
    return _index_page(form, 400)


def _index_page(form: PackageForm, status: int = 200) -> ResponseReturnValue:
    found = packages.packages_of(_me().centre_id)
    names = queries.display_names(
        user_id for package in found for user_id in (package.drafted_by, package.decided_by)
    )
    page = render_template(
        "packages/index.html",
        form=form,
        packages=found,
        names=names,
        period_label=_period_label,
        package_status_labels=PACKAGE_STATUS_LABELS,
    )
    return page, status


def _period_label(code: str) -> str:
    return Period.parse(code).label()


@bp.get("/pakete/<int:package_id>")
@require(Permission.STATS_RELEASE)
def package_show(package_id: int) -> ResponseReturnValue:
    """A package: its unsuppressed tables; for a draft the decision."""
    return _package_page(_load(package_id))


def _package_page(
    package: Release,
    *,
    error: str | None = None,
    reason_form: ReasonForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    content = json.loads(package.content)
    period = Period.parse(package.period)
    page = render_template(
        "packages/show.html",
        package=package,
        period=period,
        tables=[presentation.table_view(table) for table in content["tables"]],
        names=queries.display_names([package.drafted_by, package.decided_by]),
        is_drafter=package.drafted_by == _me().id,
        approve_form=ApproveForm(
            data={"next": url_for("stats.package_show", package_id=package.id)}
        ),
        error=error,
        reason_form=reason_form or ReasonForm(),
        package_status_labels=PACKAGE_STATUS_LABELS,
        percent=presentation.percent,
    )
    return page, status


@bp.post("/pakete/<int:package_id>/freigeben")
@require(Permission.STATS_RELEASE)
@fresh_auth_required
def package_approve(package_id: int) -> ResponseReturnValue:
    """Approve a package draft: a second supervisor, after a fresh login; signed."""
    package = _load(package_id)
    form = ApproveForm()
    if not form.validate():
        return _package_page(package, status=400)
    try:
        operations.approve_release(_me(), package)
    except operations.ReleaseError as exc:
        db.session.rollback()
        return _package_page(_load(package_id), error=str(exc), status=409)
    flash(_l("Das Paket ist freigegeben und signiert."), "success")
    return redirect(url_for("stats.package_show", package_id=package_id))


@bp.post("/pakete/<int:package_id>/ablehnen")
@require(Permission.STATS_RELEASE)
def package_reject(package_id: int) -> ResponseReturnValue:
    """Reject a package draft, with a reason (the drafter may discard their own)."""
    package = _load(package_id)
    form = ReasonForm()
    if not form.validate():
        return _package_page(package, reason_form=form, status=400)
    try:
        operations.reject_release(_me(), package, form.reason.data or "")
    except operations.ReleaseError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _package_page(_load(package_id), reason_form=form, status=409)
    flash(_l("Das Paket ist abgelehnt."), "success")
    return redirect(url_for("stats.package_show", package_id=package_id))


@bp.get("/pakete/<int:package_id>/paket.json")
@require(Permission.STATS_RELEASE)
def package_export(package_id: int) -> ResponseReturnValue:
    """An approved package, encrypted to the coordinator (every download audited)."""
    package = _load(package_id)
    if package.status != ReleaseStatus.PUBLISHED:
        abort(404)
    try:
        body = packages.export_package(_me(), package)
    except operations.ReleaseError as exc:
        db.session.rollback()
        return _package_page(package, error=str(exc), status=409)
    centre = db.session.get_one(Centre, package.centre_id)
    # Codes and periods are [A-Z0-9-]: safe in a header as they are.
    return downloads.response(
        body, PACKAGE_MEDIA_TYPE, f"koordinierungspaket-{centre.code}-{package.period}.json"
    )
