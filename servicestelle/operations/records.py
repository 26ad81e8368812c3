"""The database and the audit log: backend, protection of the log, schema, checkpoints,
verification, backups, and the database's version."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

import audit
from audit import AuditEvent, Outcome, protection
from servicestelle import audit_trail, migrate
from servicestelle.config import ConfigError, Settings
from servicestelle.dpo.labels import protection_label
from servicestelle.extensions import db
from servicestelle.operations import queries
from servicestelle.operations.findings import Finding, Status, day, older_than, when


def display_url(database_url: str) -> str:
    """The database URL as it may be shown: no password, no query parameter values."""
    url = sa.make_url(database_url)
    if url.query:
        url = url.set(query=dict.fromkeys(url.query, "***"))
    return url.render_as_string(hide_password=True)


def _is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


# --- database ----------------------------------------------------------------------------------


def database(settings: Settings) -> list[Finding]:
    return [_backend(settings), _durability(), _protection(), _schema()]


#: PostgreSQL settings without which a committed case may be lost or the cluster corrupted
#: by a crash or power cut (fsync, full_page_writes) or recent commits lost
#: (synchronous_commit). All default to on; only the server's configuration turns them off.
DURABILITY_SETTINGS = ("fsync", "full_page_writes", "synchronous_commit")


def _durability() -> Finding:
    label = _("Dauerhaftes Speichern")
    try:
        if _is_sqlite():
            synchronous = db.session.execute(sa.text("PRAGMA synchronous")).scalar()
            off = [] if synchronous == 2 else ["synchronous=FULL"]  # 2 = FULL
        else:
            values = {
                name: db.session.execute(sa.text(f"SHOW {name}")).scalar()
                for name in DURABILITY_SETTINGS
            }
            off = [name for name, value in values.items() if value != "on"]
    except SQLAlchemyError as exc:
        db.session.rollback()
        return Finding(
            "durability",
            label,
            _("unbekannt (%(error)s)", error=type(exc).__name__),
            Status.WARNING,
            _(
                "Ob die Datenbank jede bestätigte Änderung dauerhaft speichert, ließ sich nicht feststellen."
            ),
        )
    if not off:
        return Finding(
            "durability",
            label,
            _("an"),
            Status.OK,
            _("Jede bestätigte Änderung übersteht einen Absturz oder Stromausfall."),
        )
    return Finding(
        "durability",
        label,
        _("aus: %(settings)s", settings=", ".join(off)),
        Status.WARNING,
        _(
            "Nach einem Absturz oder Stromausfall können bestätigte Fälle und Protokolleinträge fehlen oder die Datenbank beschädigt sein. Schalten Sie die Einstellungen in der Serverkonfiguration wieder ein (Voreinstellung: on)."
        ),
    )


def _backend(settings: Settings) -> Finding:
    label = _("Datenbank")
    value = display_url(settings.database_url)
    if not _is_sqlite():
        return Finding(
            "backend",
            label,
            value,
            Status.OK,
            _("PostgreSQL: mehrere Prozesse und Server möglich, Rechte schützen das Protokoll."),
        )
    if settings.is_production:
        return Finding(
            "backend",
            label,
            value,
            Status.WARNING,
            _(
                "SQLite trägt nur einen Prozess auf einem Server und kennt keine Zugriffsrechte für das Protokoll. Für mehr als einen Prozess – und für echte Fälle – betreiben Sie PostgreSQL mit getrennten Rollen (SECURITY.md, „PostgreSQL roles“)."
            ),
        )
    return Finding(
        "backend",
        label,
        value,
        Status.NOTICE,
        _("SQLite im Instanzordner: für Demo und Test; in Produktion PostgreSQL."),
    )


def _protection() -> Finding:
    label = _("Schutz des Protokolls durch die Datenbank")
    dialect = db.engine.dialect.name
    try:
        found = protection.findings(db.session, dialect)
        role = None if _is_sqlite() else db.session.execute(sa.text("SELECT current_user")).scalar()
    except SQLAlchemyError as exc:
        db.session.rollback()
        return Finding(
            "audit_protection",
            label,
            _("unbekannt (%(error)s)", error=type(exc).__name__),
            Status.WARNING,
            _(
                "Ob die Datenbank das Protokoll vor Änderungen schützt, ließ sich nicht feststellen."
            ),
        )
    value = _("Rolle %(role)s", role=role) if role else _("SQLite: keine Rechteverwaltung")
    if not found:
        return Finding(
            "audit_protection",
            label,
            value,
            Status.OK,
            _(
                "Die Rolle des Dienstes darf Protokolleinträge weder ändern noch löschen (has_table_privilege), besitzt die Tabellen nicht, und die Trigger sind aktiv."
            ),
        )
    serious = [finding for finding in found if finding != protection.Finding.NO_PRIVILEGE_SYSTEM]
    advice = " ".join(protection_label(finding) for finding in found)
    if serious and not _is_sqlite():
        advice += " " + _(
            "Verbinden Sie den Dienst mit der Anwendungsrolle und führen Sie „servicestelle db roles-sql“ als Superuser aus."
        )
    return Finding(
        "audit_protection", label, value, Status.WARNING if serious else Status.NOTICE, advice
    )


def _schema() -> Finding:
    label = _("Datenbankschema")
    head = migrate.head_revision()
    current = MigrationContext.configure(db.session.connection()).get_current_revision()
    if current == head:
        return Finding(
            "schema",
            label,
            _("Stand %(revision)s", revision=current),
            Status.OK,
            _("Auf dem neuesten Stand."),
        )
    return Finding(
        "schema",
        label,
        _("Stand %(current)s, neuester %(head)s", current=current or "–", head=head),
        Status.WARNING,
        _(
            "Führen Sie „servicestelle init“ mit der Eigentümerrolle aus und starten Sie den Dienst neu."
        ),
    )


# --- audit log and backups ----------------------------------------------------------------------


def audit_log(settings: Settings, now: datetime) -> list[Finding]:
    return [
        _schedule(settings),
        _latest_checkpoint(settings, now),
        _checkpoint_export(settings, now),
        _verification(settings, now),
        _backup(settings, now),
    ]


def _schedule(settings: Settings) -> Finding:
    minutes = settings.audit_checkpoint_minutes
    label = _("Automatische Prüfpunkte")
    if minutes == 0:
        return Finding(
            "checkpoint_schedule",
            label,
            _("aus"),
            Status.NOTICE,
            _(
                "Prüfpunkte entstehen nur auf Anforderung. SERVICESTELLE_AUDIT_CHECKPOINT_MINUTES=60 signiert stündlich."
            ),
        )
    return Finding(
        "checkpoint_schedule",
        label,
        _("alle %(minutes)s Minuten", minutes=minutes),
        Status.OK,
        _("Signiert beim nächsten Protokolleintrag, wenn der letzte Prüfpunkt älter ist."),
    )


def _latest_checkpoint(settings: Settings, now: datetime) -> Finding:
    label = _("Letzter signierter Prüfpunkt")
    try:
        public_key = audit_trail.public_key()
    except ConfigError:
        return Finding(
            "checkpoint",
            label,
            _("nicht prüfbar"),
            Status.WARNING,
            _("Der Signaturschlüssel des Protokolls ist nicht verfügbar: „servicestelle init“."),
        )
    checkpoint = audit.latest_checkpoint(db.session, public_key)
    if checkpoint is None:
        return Finding(
            "checkpoint",
            label,
            _("noch keiner"),
            Status.WARNING,
            _("Noch kein Prüfpunkt ist signiert: „servicestelle audit checkpoint --out DATEI“."),
        )
    value = _(
        "bis Eintrag Nr. %(seq)s, %(when)s",
        seq=checkpoint.seq,
        when=when(checkpoint.signed_at, now),
    )
    minutes = settings.audit_checkpoint_minutes
    # The schedule signs at the first entry written an interval after the last checkpoint;
    # an entry that late and still unsigned means the signer refused or could not sign.
    due = checkpoint.signed_at + timedelta(minutes=minutes)
    if minutes and queries.first_entry_after(checkpoint.seq, due) is not None:
        return Finding(
            "checkpoint",
            label,
            value,
            Status.WARNING,
            _(
                "Überfällig: Seitdem wurden Einträge geschrieben, aber kein Prüfpunkt signiert. Das Anwendungsprotokoll nennt den Grund („scheduled audit checkpoint“); prüfen Sie die Kette mit „servicestelle audit verify“."
            ),
        )
    return Finding(
        "checkpoint", label, value, Status.OK, _("Signiert mit dem aktuellen Schlüssel.")
    )


#: Why only the DPO's export counts as handed out (shown with the finding).
HANDED_OUT = _l(
    "Als herausgegeben zählen ein Protokoll-Export der/des DSB (er enthält einen frisch signierten Prüfpunkt) und das Herunterladen des neuesten Prüfpunkts im Datenschutz-Bereich. „servicestelle audit checkpoint --out“ und „Neuen Prüfpunkt erstellen“ signieren nur auf dem Server, wie die automatischen Prüfpunkte; ob eine Datei den Server verlassen hat, weiß der Dienst nicht."
)


def _checkpoint_export(settings: Settings, now: datetime) -> Finding:
    label = _("Prüfpunkt an die/den DSB herausgegeben")
    days = settings.checkpoint_export_warn_days
    handed_out = [
        found.ts
        for event in (AuditEvent.AUDIT_LOG_EXPORT, AuditEvent.AUDIT_CHECKPOINT_EXPORT)
        if (found := queries.latest(event, outcome=Outcome.SUCCESS)) is not None
    ]
    moment = max(handed_out, default=None)
    explanation = str(HANDED_OUT)
    if older_than(moment, now, days):
        return Finding(
            "checkpoint_export",
            label,
            when(moment, now),
            Status.WARNING,
            _(
                "Nicht in den letzten %(days)s Tagen. Nur mit Prüfpunkten außerhalb des Servers lässt sich zeigen, dass keine Einträge entfernt wurden: Die/der DSB exportiert das Protokoll (Datenschutz → Protokoll durchsuchen und exportieren) und bewahrt die Datei auf.",
                days=days,
            )
            + " "
            + explanation,
        )
    return Finding("checkpoint_export", label, when(moment, now), Status.OK, explanation)


def _verification(settings: Settings, now: datetime) -> Finding:
    label = _("Prüfung der Protokollkette")
    days = settings.checkpoint_export_warn_days
    last = queries.latest(AuditEvent.AUDIT_CHAIN_VERIFY)
    if last is not None and last.outcome != Outcome.SUCCESS.value:
        return Finding(
            "verification",
            label,
            _("beschädigt (%(when)s)", when=when(last.ts, now)),
            Status.WARNING,
            _(
                "Die letzte Prüfung fand einen Schaden. Die/der DSB sieht im Datenschutz-Bereich den ersten beschädigten Eintrag; prüfen Sie mit „servicestelle audit verify --checkpoint DATEI“ gegen die aufbewahrten Prüfpunkte."
            ),
        )
    success = queries.latest(AuditEvent.AUDIT_CHAIN_VERIFY, outcome=Outcome.SUCCESS)
    moment = None if success is None else success.ts
    if older_than(moment, now, days):
        return Finding(
            "verification",
            label,
            _("zuletzt unversehrt: %(when)s", when=when(moment, now)),
            Status.WARNING,
            _(
                "Nicht in den letzten %(days)s Tagen geprüft: „servicestelle audit verify“ oder im Datenschutz-Bereich „Protokoll jetzt prüfen“.",
                days=days,
            ),
        )
    return Finding(
        "verification",
        label,
        _("zuletzt unversehrt: %(when)s", when=when(moment, now)),
        Status.OK,
        _("Jede Prüfung wird selbst protokolliert."),
    )


def _backup(settings: Settings, now: datetime) -> Finding:
    label = _("Letzte Datensicherung")
    days = settings.backup_warn_days
    last = queries.latest(AuditEvent.SYSTEM_BACKUP_CREATE, outcome=Outcome.SUCCESS)
    moment = None if last is None else last.ts
    if older_than(moment, now, days):
        return Finding(
            "backup",
            label,
            when(moment, now),
            Status.WARNING,
            _(
                "Keine Sicherung in den letzten %(days)s Tagen. Lassen Sie „servicestelle backup create DATEI“ regelmäßig laufen (z. B. nächtlich mit einem systemd-Timer) und bewahren Sie die Dateien außerhalb des Servers auf.",
                days=days,
            ),
        )
    return Finding(
        "backup",
        label,
        when(moment, now),
        Status.OK,
        _("Prüfen Sie ab und zu, ob sich eine Sicherung wiederherstellen lässt."),
    )


# --- versions ----------------------------------------------------------------------------------


def supported(key: str, label: str, version: str, end_of_life: date, today: date) -> Finding:
    """A version judged by the end of its security support."""
    if today >= end_of_life:
        return Finding(
            key,
            label,
            version,
            Status.WARNING,
            _(
                "Ohne Sicherheitskorrekturen seit %(date)s: Steigen Sie auf eine unterstützte Version um.",
                date=day(end_of_life),
            ),
        )
    if (end_of_life - today).days < 365:
        return Finding(
            key,
            label,
            version,
            Status.NOTICE,
            _(
                "Sicherheitskorrekturen nur noch bis %(date)s: Planen Sie den Umstieg.",
                date=day(end_of_life),
            ),
        )
    return Finding(
        key,
        label,
        version,
        Status.OK,
        _("Sicherheitskorrekturen bis %(date)s.", date=day(end_of_life)),
    )


def postgresql_end_of_life(major: int) -> date:
    """PostgreSQL N (10 and later) gets fixes for five years, until November of 2012 + N."""
    return date(2012 + major, 11, 1)


def database_version(today: date) -> Finding:
    label = _("Datenbank-Version")
    if _is_sqlite():
        return Finding(
            "database_version",
            label,
            _("SQLite %(version)s", version=sqlite3.sqlite_version),
            Status.OK,
            _("Die SQLite-Bibliothek von Python; sie kommt mit den Updates des Systems."),
        )
    try:
        version = str(db.session.execute(sa.text("SHOW server_version")).scalar())
        number = int(db.session.execute(sa.text("SHOW server_version_num")).scalar() or 0)
    except SQLAlchemyError as exc:
        db.session.rollback()
        return Finding(
            "database_version",
            label,
            _("unbekannt (%(error)s)", error=type(exc).__name__),
            Status.NOTICE,
            _("Die Version ließ sich nicht abfragen."),
        )
    return supported(
        "database_version",
        label,
        f"PostgreSQL {version}",
        postgresql_end_of_life(number // 10000),
        today,
    )
