"""Statistics releases under /statistik: the list, a new draft, a release's page with its
audit and comparison, the four-eyes decisions and the exports.

Every handler is load → check → act: the guard checks the permission (``stats:read`` to read
what is out, ``stats:release`` for drafts and decisions), queries.get_release_or_404 answers
404 (audited) for another centre's release and for a draft a reader may not see, and the
operations refuse in German. A refusal is shown next to the action it concerns, with what the
user typed still in the form.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicestelle import clock
from servicestelle.auth.freshness import fresh_auth_required
from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.stats import downloads, exports, operations, presentation, queries
from servicestelle.stats.charts import bar_chart
from servicestelle.stats.content import localised
from servicestelle.stats.forms import ApproveForm, DraftForm, ReasonForm
from servicestelle.stats.periods import Period, PeriodError
from servicestelle.stats.release_models import OUT, Release, ReleaseStatus

bp = Blueprint("stats", __name__, url_prefix="/statistik")

STATUS_LABELS = {
    ReleaseStatus.DRAFT.value: _l("Entwurf"),
    ReleaseStatus.PUBLISHED.value: _l("veröffentlicht"),
    ReleaseStatus.REJECTED.value: _l("abgelehnt"),
    ReleaseStatus.REVOKED.value: _l("widerrufen"),
}


def _me() -> User:
    return current_user


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"release_status_labels": STATUS_LABELS}


# --- the list and a new draft --------------------------------------------------------------


@bp.get("")
@require(Permission.STATS_READ)
def index() -> ResponseReturnValue:
    """The centre's releases: what is out for everyone, drafts and rejected ones for the lead."""
    releases = queries.releases_visible_to(_me())
    names = queries.display_names(
        user_id for release in releases for user_id in (release.drafted_by, release.decided_by)
    )
    return render_template(
        "stats/index.html",
        drafts=[r for r in releases if r.status == ReleaseStatus.DRAFT.value],
        out=[r for r in releases if r.status in {status.value for status in OUT}],
        rejected=[r for r in releases if r.status == ReleaseStatus.REJECTED.value],
        names=names,
        period_label=_period_label,
        may_release=_me().can(Permission.STATS_RELEASE),
    )


def _period_label(code: str) -> str:
    return Period.parse(code).label()


@bp.route("/neu", methods=["GET", "POST"])
@require(Permission.STATS_RELEASE)
def new() -> ResponseReturnValue:
    """Choose a period and the tables; drafting counts, suppresses and audits (seconds)."""
    form = DraftForm(clock.today(), operations.catalogue())
    if not form.is_submitted():
        return _new_page(form)
    if form.validate():
        try:
            release = operations.draft_release(_me(), form.period(), form.tables.data or [])
        except operations.ReleaseError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            flash(_l("Der Entwurf ist erstellt und eingefroren."), "success")
            return redirect(url_for("stats.show", release_id=release.id))
    return _new_page(form, 400)


def _new_page(form: DraftForm, status: int = 200) -> ResponseReturnValue:
    return render_template("stats/new.html", form=form), status


# --- a release -----------------------------------------------------------------------------


@bp.get("/<int:release_id>")
@require(Permission.STATS_READ)
def show(release_id: int) -> ResponseReturnValue:
    """A release: its tables and charts; for a draft the audit and the comparison."""
    release = queries.get_release_or_404(release_id, _me())
    return _release_page(release)


def _release_page(
    release: Release,
    *,
    approve_form: ApproveForm | None = None,
    reason_form: ReasonForm | None = None,
    approve_error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    content = localised(json.loads(release.content))
    period = Period.parse(release.period)
    tables = [presentation.table_view(table) for table in content["tables"]]
    charts = {table.id: bar_chart(table, period.label()) for table in tables}
    may_release = _me().can(Permission.STATS_RELEASE)
    audit = diffs = previous = None
    if may_release and release.status == ReleaseStatus.DRAFT.value:
        audit, previous, diffs = _decision_aids(release, content)
    names = queries.display_names([release.drafted_by, release.decided_by, release.revoked_by])
    approve_form = approve_form or ApproveForm(
        data={"next": url_for("stats.show", release_id=release.id)}
    )
    page = render_template(
        "stats/show.html",
        release=release,
        content=content,
        period=period,
        # Drafts of unfinished periods are refused since; older ones still say so.
        period_open=not period.has_ended(clock.today()),
        k_setting=json.loads(release.audit).get("k_setting"),
        tables=tables,
        charts=charts,
        audit=audit,
        previous=previous,
        previous_label=_period_label(previous.period) if previous else None,
        previous_period_label=_previous_label(period),
        diffs=diffs,
        names=names,
        may_release=may_release,
        is_drafter=release.drafted_by == _me().id,
        approve_form=approve_form,
        approve_error=approve_error,
        reason_form=reason_form or ReasonForm(),
        is_out=release.status in {status.value for status in OUT},
        shown=presentation.shown,
        percent=presentation.percent,
    )
    return page, status


def _previous_label(period: Period) -> str | None:
    try:
        return period.previous().label()
    except PeriodError:
        return None  # the first year a release may cover


def _decision_aids(
    release: Release, content: dict[str, Any]
) -> tuple[presentation.AuditView, Release | None, dict[str, presentation.TableDiff] | None]:
    stored = json.loads(release.audit)
    earlier = queries.releases_by_id(release.centre_id, presentation.earlier_release_ids(stored))
    audit = presentation.audit_view(
        content,
        stored,
        {
            release_id: (_period_label(other.period), localised(json.loads(other.content)))
            for release_id, other in earlier.items()
        },
    )
    previous = queries.previous_published(release)
    diffs = (
        presentation.table_diffs(content, localised(json.loads(previous.content)))
        if previous is not None
        else None
    )
    return audit, previous, diffs


@bp.post("/<int:release_id>/freigeben")
@require(Permission.STATS_RELEASE)
@fresh_auth_required
def approve(release_id: int) -> ResponseReturnValue:
    """Publish a draft: a second supervisor, after a fresh login; signed."""
    release = queries.get_release_or_404(release_id, _me())
    form = ApproveForm()
    if not form.validate():
        return _release_page(release, approve_form=form, status=400)
    try:
        operations.approve_release(_me(), release)
    except operations.ReleaseError as exc:
        db.session.rollback()
        release = queries.get_release_or_404(release_id, _me())
        return _release_page(release, approve_form=form, approve_error=str(exc), status=409)
    flash(_l("Die Statistik ist freigegeben, signiert und veröffentlicht."), "success")
    return redirect(url_for("stats.show", release_id=release_id))


@bp.post("/<int:release_id>/ablehnen")
@require(Permission.STATS_RELEASE)
def reject(release_id: int) -> ResponseReturnValue:
    """Reject a draft, with a reason (the drafter may discard their own)."""
    return _decide(release_id, operations.reject_release, _l("Der Entwurf ist abgelehnt."))


@bp.post("/<int:release_id>/widerrufen")
@require(Permission.STATS_RELEASE)
def revoke(release_id: int) -> ResponseReturnValue:
    """Withdraw a published release, with a reason."""
    return _decide(
        release_id,
        operations.revoke_release,
        _l("Die Veröffentlichung ist widerrufen. Ihre Zahlen bleiben als bekannt vermerkt."),
    )


def _decide(release_id: int, step: Any, done: Any) -> ResponseReturnValue:
    release = queries.get_release_or_404(release_id, _me())
    form = ReasonForm()
    if not form.validate():
        return _release_page(release, reason_form=form, status=400)
    try:
        step(_me(), release, form.reason.data or "")
    except operations.ReleaseError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        release = queries.get_release_or_404(release_id, _me())
        return _release_page(release, reason_form=form, status=409)
    flash(done, "success")
    return redirect(url_for("stats.show", release_id=release_id))


# --- exports -------------------------------------------------------------------------------


def _published(release_id: int) -> tuple[Release, str]:
    """A release that is out, and its centre's code; a draft has no exports (404)."""
    release = queries.get_release_or_404(release_id, _me())
    if release.status not in {status.value for status in OUT}:
        abort(404)
    return release, queries.centre_code(release.centre_id)


@bp.get("/<int:release_id>/export.json")
@require(Permission.STATS_READ)
def export_json(release_id: int) -> ResponseReturnValue:
    """The signed JSON export (schema servicestelle.release/1)."""
    release, code = _published(release_id)
    document = exports.export_json(release, code)
    operations.record_export(_me(), release, "json")
    body = json.dumps(document, ensure_ascii=False, indent=2).encode()
    return downloads.response(
        body, "application/json", downloads.filename(code, release.period, ".json")
    )


@bp.get("/<int:release_id>/tabellen/<table_id>.csv")
@require(Permission.STATS_READ)
def export_table(release_id: int, table_id: str) -> ResponseReturnValue:
    """One table as CSV (semicolons, "•" where suppressed)."""
    release, code = _published(release_id)
    table = next((t for t in json.loads(release.content)["tables"] if t["id"] == table_id), None)
    if table is None:
        abort(404)
    operations.record_export(_me(), release, "csv", table=table["id"])
    return downloads.response(
        downloads.csv_bytes(exports.table_csv(table)),
        downloads.CSV_MEDIA_TYPE,
        downloads.filename(code, release.period, f"-{table['id']}.csv"),
    )


@bp.get("/<int:release_id>/tabellen.zip")
@require(Permission.STATS_READ)
def export_zip(release_id: int) -> ResponseReturnValue:
    """Every table's CSV in one ZIP."""
    release, code = _published(release_id)
    published_at = release.decided_at or release.drafted_at  # decided_at: set when published
    body = downloads.tables_zip(json.loads(release.content), code, published_at)
    operations.record_export(_me(), release, "zip")
    return downloads.response(
        body, "application/zip", downloads.filename(code, release.period, "-tabellen.zip")
    )


@bp.get("/<int:release_id>/dezim.csv")
@require(Permission.STATS_READ)
def export_dezim(release_id: int) -> ResponseReturnValue:
    """The DeZIM minimum-standard dimensions as one long CSV."""
    release, code = _published(release_id)
    operations.record_export(_me(), release, "dezim")
    return downloads.response(
        downloads.csv_bytes(exports.dezim_csv(json.loads(release.content))),
        downloads.CSV_MEDIA_TYPE,
        downloads.filename(code, release.period, "-dezim.csv"),
    )
