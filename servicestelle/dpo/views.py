"""The DPO's workspace: verification status, log search and export, reports, anomalies, Art. 30.

Only the dpo role holds ``audit:read`` and ``audit:review``; every page shows the log of the
DPO's own centre (plus entries without a centre) and nothing of any case's content.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict

import audit
from audit import AuditEvent, Checkpoint, protection
from servicestelle import audit_trail, clock, services
from servicestelle.auth.freshness import fresh_auth_required
from servicestelle.auth.models import User
from servicestelle.auth.queries import get_user_in_centre_or_404, users_of_centre
from servicestelle.config import ConfigError
from servicestelle.dpo import findings, operations, presentation, processing_record, queries
from servicestelle.dpo.anomalies import Thresholds, reviewed_seqs
from servicestelle.dpo.details import code_detail, int_detail, safe_details
from servicestelle.dpo.forms import DEFAULT_PERIOD, LogSearchForm, ObjectForm, PeriodForm
from servicestelle.dpo.labels import PURPOSE_EXPLANATIONS, problem_code, problem_label
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require

log = logging.getLogger(__name__)

bp = Blueprint("dpo", __name__, url_prefix="/datenschutz")
bp.context_processor(presentation.helpers)

KEY_MISSING = _l(
    "Der Signaturschlüssel des Protokolls ist nicht verfügbar. Bitte wenden Sie sich an die "
    "Administration."
)
NOT_SIGNED = _l(
    "Es wurde nichts signiert: Das Protokoll setzt den zuletzt signierten Stand nicht mehr "
    "fort. Bitte prüfen Sie das Protokoll jetzt."
)


def _me() -> User:
    return current_user


def _page_number() -> int:
    raw = request.args.get("seite", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1


def _thresholds() -> Thresholds:
    return Thresholds.from_settings(services.settings())


def _protection() -> list[protection.Finding] | None:
    """What the database itself does to protect the log; None if it cannot be told."""
    try:
        return protection.findings(db.session, db.engine.dialect.name)
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("audit table protection unknown: %s", type(exc).__name__)
        return None


def _public_key() -> Ed25519PublicKey | None:
    try:
        return audit_trail.public_key()
    except ConfigError as exc:
        log.warning("audit signing key unavailable: %s", exc)
        return None


def _latest_checkpoint(public_key: Ed25519PublicKey) -> Checkpoint | None:
    """The newest checkpoint that verifies under the key: a row without a valid signature
    (inserted by the database role) is never shown or offered."""
    return audit.latest_checkpoint(db.session, public_key=public_key)


# --- start page and verification ---------------------------------------------------------


@bp.get("/")
@require(Permission.AUDIT_READ)
def index() -> ResponseReturnValue:
    """Verification status, latest checkpoint, what waits for review."""
    centre_id = _me().centre_id
    last_check = queries.latest_of(centre_id, AuditEvent.AUDIT_CHAIN_VERIFY)
    details = safe_details(last_check) if last_check else {}
    head_seq, _head_hash = audit.head(db.session)
    public_key = _public_key()
    # Only the break-glass queue is counted here (indexed, rare rows); the anomaly rules scan
    # every case read of their period, so they run on their own page alone.
    return render_template(
        "dpo/index.html",
        last_check=last_check,
        checked_entries=int_detail(details, "entries"),
        problem=code_detail(details, "problem"),
        broken_seq=int_detail(details, "broken_seq"),
        names=queries.usernames(centre_id, [last_check.actor_id] if last_check else []),
        checkpoint=None if public_key is None else _latest_checkpoint(public_key),
        key_id=None if public_key is None else audit.key_id(public_key),
        head_seq=head_seq,
        break_glass=len(findings.waiting_break_glass(centre_id)),
        period=DEFAULT_PERIOD,
        protection=_protection(),
    )


@bp.post("/pruefen")
@require(Permission.AUDIT_REVIEW)
def verify() -> ResponseReturnValue:
    """Verify the whole chain now and record the result."""
    try:
        result = operations.verify_chain(_me())
    except ConfigError as exc:
        db.session.rollback()
        log.warning("audit verification impossible: %s", exc)
        flash(KEY_MISSING, "error")
        return redirect(url_for("dpo.index"))
    if result.intact:
        flash(
            _l(
                "Das Protokoll ist unversehrt. Geprüfte Einträge: %(entries)s, geprüfte Prüfpunkte: %(checkpoints)s.",
                entries=result.entries,
                checkpoints=result.checkpoints,
            ),
            "success",
        )
    else:
        problem = problem_label(None if result.problem is None else problem_code(result.problem))
        flash(
            _l(
                "Das Protokoll ist beschädigt, erstmals bei Eintrag %(seq)s: %(problem)s",
                seq=result.seq,
                problem=problem,
            ),
            "error",
        )
    return redirect(url_for("dpo.index"))


@bp.post("/pruefpunkte")
@require(Permission.AUDIT_REVIEW)
def create_checkpoint() -> ResponseReturnValue:
    """Sign the current head of the chain."""
    try:
        checkpoint = operations.create_checkpoint(_me())
    except ConfigError as exc:
        db.session.rollback()
        log.warning("audit checkpoint impossible: %s", exc)
        flash(KEY_MISSING, "error")
    except audit.CheckpointError as exc:
        db.session.rollback()
        log.error("audit checkpoint refused: %s", exc)
        flash(NOT_SIGNED, "error")
    else:
        flash(
            _l(
                "Neuer Prüfpunkt erstellt: er deckt das Protokoll bis Eintrag Nr. %(seq)s ab.",
                seq=checkpoint.seq,
            ),
            "success",
        )
    return redirect(url_for("dpo.index"))


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/pruefpunkt.json")
@require(Permission.AUDIT_READ)
def download_checkpoint() -> ResponseReturnValue:
    """The latest signed checkpoint, to keep outside the server."""
    public_key = _public_key()
    if public_key is None:
        flash(KEY_MISSING, "error")
        return redirect(url_for("dpo.index"))
    checkpoint = _latest_checkpoint(public_key)
    if checkpoint is None:
        flash(_l("Es gibt noch keinen Prüfpunkt."), "warning")
        return redirect(url_for("dpo.index"))
    body = audit.to_json(checkpoint, public_key)
    operations.hand_out_checkpoint(_me(), checkpoint.seq)
    return _download(body, "application/json", f"pruefpunkt-{checkpoint.seq}.json")


@bp.get("/oeffentlicher-schluessel.pem")
@require(Permission.AUDIT_READ)
def download_public_key() -> ResponseReturnValue:
    """The public key that verifies the checkpoints."""
    try:
        body = audit.public_key_pem(audit_trail.public_key())
    except ConfigError:
        flash(KEY_MISSING, "error")
        return redirect(url_for("dpo.index"))
    return _download(body, "application/x-pem-file", "protokoll-public-key.pem")


# --- log search and export ---------------------------------------------------------------


def _search_form(formdata: MultiDict[str, str]) -> LogSearchForm:
    return LogSearchForm(formdata=formdata, centre_id=_me().centre_id, zone=presentation.zone())


def _invalid_search(form: LogSearchForm) -> ResponseReturnValue:
    return render_template("dpo/search.html", form=form, page=None, names={}, filters={}), 400


@bp.get("/protokoll")
@require(Permission.AUDIT_READ)
def search() -> ResponseReturnValue:
    """Search the log by time, person, action, object and outcome; 50 entries a page."""
    form = _search_form(request.args)
    if not form.validate():
        return _invalid_search(form)
    page = queries.page_of(queries.search(_me().centre_id, form.to_filter()), _page_number())
    return render_template(
        "dpo/search.html",
        form=form,
        page=page,
        names=queries.usernames_for(_me().centre_id, page.items),
        filters=form.query_args(),
    )


def _search_url(form: LogSearchForm) -> str:
    return url_for("dpo.search") + "?" + urlencode(form.query_args())


@bp.post("/protokoll/export")
@require(Permission.AUDIT_READ)
@fresh_auth_required
def export() -> ResponseReturnValue:
    """The current selection as a ZIP with a fresh signed checkpoint."""
    form = _search_form(request.form)
    if not form.validate():
        return _invalid_search(form)
    try:
        result = operations.export_log(_me(), form.to_filter(), form.described())
    except operations.ExportTooLarge as exc:
        db.session.rollback()
        flash(
            _l(
                "Die Auswahl umfasst %(total)s Einträge, höchstens %(limit)s lassen sich auf einmal exportieren. Bitte schränken Sie die Suche ein.",
                total=exc.total,
                limit=operations.EXPORT_LIMIT,
            ),
            "error",
        )
        return redirect(_search_url(form))
    except ConfigError as exc:
        db.session.rollback()
        log.warning("audit export impossible: %s", exc)
        flash(KEY_MISSING, "error")
        return redirect(_search_url(form))
    except audit.CheckpointError as exc:
        db.session.rollback()
        log.error("audit export refused, no checkpoint: %s", exc)
        flash(NOT_SIGNED, "error")
        return redirect(_search_url(form))
    response = Response(result.content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- access reports ----------------------------------------------------------------------


def _object_form() -> ObjectForm:
    return ObjectForm(formdata=request.args or None)


def _object_form_page(form: ObjectForm) -> ResponseReturnValue:
    """The object form: empty when nothing was asked yet, with its errors (400) otherwise."""
    page = render_template("dpo/access_form.html", form=form)
    return (page, 400) if request.args else page


@bp.get("/zugriffe")
@require(Permission.AUDIT_READ)
def access_report() -> ResponseReturnValue:
    """Every entry about one object: when, who, in which role, what, why, with what result."""
    form = _object_form()
    if not request.args or not form.validate():
        return _object_form_page(form)
    object_type, object_id = form.object_type.data, form.object_id.data
    items = queries.entries(queries.about_object(_me().centre_id, object_type, object_id))
    operations.record_access_report(
        _me(), object_type, object_id, variant="full", entries=len(items)
    )
    return render_template(
        "dpo/access_report.html",
        form=form,
        object_type=object_type,
        object_id=object_id,
        items=items,
        names=queries.usernames_for(_me().centre_id, items),
        created=clock.now(),
    )


@bp.get("/zugriffe/art15")
@require(Permission.AUDIT_READ)
@fresh_auth_required
def art15_report() -> ResponseReturnValue:
    """What a client is owed under Art. 15: dates and purposes of consultations, no staff."""
    form = _object_form()
    if not request.args or not form.validate():
        return _object_form_page(form)
    object_type, object_id = form.object_type.data, form.object_id.data
    items = queries.entries(queries.consultations_of(_me().centre_id, object_type, object_id))
    operations.record_access_report(
        _me(), object_type, object_id, variant="art15", entries=len(items)
    )
    zone = presentation.zone()
    per_day: Counter[tuple[date, str]] = Counter(
        (entry.ts.astimezone(zone).date(), entry.purpose or "") for entry in items
    )
    rows = [(day, purpose, number) for (day, purpose), number in sorted(per_day.items())]
    purposes = sorted({purpose for _day, purpose, _number in rows})
    return render_template(
        "dpo/art15_report.html",
        object_type=object_type,
        object_id=object_id,
        rows=rows,
        total=len(items),
        purposes=[(purpose, PURPOSE_EXPLANATIONS.get(purpose)) for purpose in purposes],
        created=clock.now(),
    )


# --- activity of one person --------------------------------------------------------------


@bp.get("/aktivitaet")
@require(Permission.AUDIT_READ)
def activity_people() -> ResponseReturnValue:
    """Choose whose activity to report."""
    return render_template("dpo/activity_people.html", users=users_of_centre(_me().centre_id))


@bp.get("/aktivitaet/<int:user_id>")
@require(Permission.AUDIT_READ)
def activity(user_id: int) -> ResponseReturnValue:
    """Everything one person of the centre did, newest first."""
    subject = get_user_in_centre_or_404(user_id, _me().centre_id)
    page = queries.page_of(queries.activity_of(_me().centre_id, subject.id), _page_number())
    operations.record_activity_report(_me(), subject, page=page.number, entries=page.total)
    return render_template("dpo/activity.html", subject=subject, page=page)


# --- anomalies and the break-glass queue -------------------------------------------------


@bp.get("/auffaelligkeiten")
@require(Permission.AUDIT_READ)
def anomalies() -> ResponseReturnValue:
    """Mass reads, off-hours reads, failed-login bursts, unreviewed break-glass accesses."""
    form = PeriodForm(formdata=request.args or None)
    status = 200 if form.validate() else 400
    overview = findings.collect(_me().centre_id, _thresholds(), clock.now(), form.period_days)
    return render_template("dpo/anomalies.html", form=form, overview=overview), status


@bp.post("/auffaelligkeiten/notfallzugriffe/<int:seq>/geprueft")
@require(Permission.AUDIT_REVIEW)
def review_break_glass(seq: int) -> ResponseReturnValue:
    """Mark a break-glass access as reviewed."""
    centre_id = _me().centre_id
    entry = queries.get_entry_in_scope(centre_id, seq)
    if entry is None:
        abort(404)
    reviewed = reviewed_seqs(queries.break_glass_and_reviews(centre_id))
    try:
        operations.mark_break_glass_reviewed(
            _me(), entry, already_reviewed=reviewed.get(seq, 0) > seq
        )
    except operations.NotBreakGlass:
        flash(_l("Dieser Eintrag wartet nicht auf eine Prüfung."), "warning")
    else:
        flash(_l("Der Notfallzugriff Nr. %(seq)s ist als geprüft markiert.", seq=seq), "success")
    return redirect(url_for("dpo.anomalies"))


# --- Art. 30 record ----------------------------------------------------------------------


@bp.get("/verzeichnis")
@require(Permission.AUDIT_READ)
def processing_activities() -> ResponseReturnValue:
    """The record of processing activities (Art. 30(1) a–g) from the configured file."""
    record = processing_record.load(services.settings().processing_record_file)
    return render_template("dpo/processing_record.html", record=record)
