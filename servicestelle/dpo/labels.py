"""German labels for the audit vocabulary: one mapping, used by every page of the workspace.

The stored values (``audit.AuditEvent``, ``Outcome``, ``Purpose``) stay English codes; what a
person reads comes from here. A value without a label (an event added later) shows its code.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from audit import AuditEvent, Outcome, Problem, Purpose
from audit.protection import Finding
from servicestelle.audit_trail import OPERATOR_ROLE
from servicestelle.roles import ROLE_LABELS, Role

ACTION_LABELS: dict[str, LazyString] = {
    AuditEvent.ACCESS_REQUEST_DENY: _l("Zugriff verweigert"),
    AuditEvent.API_TOKEN_CREATE: _l("API-Token erstellt"),
    AuditEvent.API_TOKEN_RENAME: _l("API-Token umbenannt"),
    AuditEvent.API_TOKEN_REVOKE: _l("API-Token widerrufen"),
    AuditEvent.AUDIT_BREAK_GLASS_REVIEW: _l("Notfallzugriff als geprüft markiert"),
    AuditEvent.AUDIT_CHAIN_VERIFY: _l("Protokoll geprüft"),
    AuditEvent.AUDIT_CHECKPOINT_CREATE: _l("Prüfpunkt erstellt"),
    AuditEvent.AUDIT_CHECKPOINT_EXPORT: _l("Prüfpunkt heruntergeladen"),
    AuditEvent.AUDIT_LOG_EXPORT: _l("Protokoll exportiert"),
    AuditEvent.AUDIT_REPORT_ACCESS: _l("Zugriffsbericht erstellt"),
    AuditEvent.AUDIT_REPORT_ACTIVITY: _l("Aktivitätsbericht erstellt"),
    AuditEvent.AUTH_ACCOUNT_LOCK: _l("Konto gesperrt (Fehlversuche)"),
    AuditEvent.AUTH_LOGIN_FAILURE: _l("Anmeldung fehlgeschlagen"),
    AuditEvent.AUTH_LOGIN_SUCCESS: _l("Anmeldung"),
    AuditEvent.AUTH_LOGOUT: _l("Abmeldung"),
    AuditEvent.AUTH_PASSWORD_CHANGE: _l("Passwort geändert"),
    AuditEvent.AUTH_PASSWORD_RESET: _l("Passwort zurückgesetzt"),
    AuditEvent.AUTH_REAUTH_SUCCESS: _l("Identität erneut bestätigt"),
    AuditEvent.AUTH_RECOVERY_CODE_USE: _l("Wiederherstellungscode verwendet"),
    AuditEvent.AUTH_RECOVERY_CODES_REGENERATE: _l("Wiederherstellungscodes neu erzeugt"),
    AuditEvent.AUTH_SECOND_FACTOR_ENROL: _l("Zweiter Faktor eingerichtet"),
    AuditEvent.AUTH_SECOND_FACTOR_RESET: _l("Zweiter Faktor zurückgesetzt"),
    AuditEvent.CASE_BREAK_GLASS_OPEN: _l("Fallakte per Notfallzugriff geöffnet"),
    AuditEvent.CASE_CONSENT_RECORD: _l("Einwilligung erfasst"),
    AuditEvent.CASE_CONSENT_WITHDRAW: _l("Einwilligung widerrufen"),
    AuditEvent.CASE_CONTACT_ADD: _l("Kontakt erfasst"),
    AuditEvent.CASE_CONTENT_READ: _l("Fallakte gelesen"),
    AuditEvent.CASE_DEADLINE_ADD: _l("Frist eingetragen"),
    AuditEvent.CASE_DEADLINE_DONE: _l("Frist erledigt"),
    AuditEvent.CASE_DOCUMENT_ADD: _l("Dokument angefügt"),
    AuditEvent.CASE_INTERVENTION_ADD: _l("Intervention erfasst"),
    AuditEvent.CASE_LEGAL_HOLD_SET: _l("Aufbewahrungssperre geändert"),
    AuditEvent.CASE_MEMBER_ADD: _l("Fall zugewiesen oder geteilt"),
    AuditEvent.CASE_MEMBER_REMOVE: _l("Zuweisung oder Freigabe entfernt"),
    AuditEvent.CASE_RECORD_CREATE: _l("Fallakte angelegt"),
    AuditEvent.CASE_RECORD_DELETE: _l("Fallakte gelöscht (Aufbewahrungsfrist)"),
    AuditEvent.CASE_RECORD_EXPORT: _l("Fallakte exportiert (Art. 15)"),
    AuditEvent.CASE_RECORD_UPDATE: _l("Fallakte geändert"),
    AuditEvent.COORDINATOR_CENTRE_REGISTER: _l("Beratungsstelle bei der Koordinierung registriert"),
    AuditEvent.COORDINATOR_PACKAGE_IMPORT: _l("Paket einer Beratungsstelle eingespielt"),
    AuditEvent.COORDINATOR_CENTRE_CHANGE: _l(
        "Registrierte Beratungsstelle geändert (Region oder Schlüssel)"
    ),
    AuditEvent.COORDINATOR_PACKAGE_PURGE: _l("Zahlen alter Pakete gelöscht (Aufbewahrung)"),
    AuditEvent.COORDINATOR_PACKAGE_WITHDRAW: _l("Eingespieltes Paket zurückgezogen"),
    AuditEvent.CRYPTO_KEK_RETIRE: _l("Schlüssel ausgemustert"),
    AuditEvent.CRYPTO_KEK_ROTATE: _l("Schlüssel rotiert"),
    AuditEvent.ORG_CENTRE_CREATE: _l("Beratungsstelle angelegt"),
    AuditEvent.ORG_DISTRICT_CREATE: _l("Stadtteil oder Kreis angelegt"),
    AuditEvent.ORG_DISTRICT_REACTIVATE: _l("Stadtteil oder Kreis wieder aktiviert"),
    AuditEvent.ORG_DISTRICT_RENAME: _l("Stadtteil oder Kreis umbenannt"),
    AuditEvent.ORG_DISTRICT_RETIRE: _l("Stadtteil oder Kreis stillgelegt"),
    AuditEvent.ORG_DISTRICT_PROFILE_IMPORT: _l("Bevölkerungszahlen eines Jahres eingespielt"),
    AuditEvent.ACTIVITY_RECORD_CREATE: _l("Aktivität erfasst"),
    AuditEvent.ACTIVITY_RECORD_DELETE: _l("Aktivität gelöscht"),
    AuditEvent.ACTIVITY_RECORD_UPDATE: _l("Aktivität geändert"),
    AuditEvent.ACTIVITY_REPORT_EXPORT: _l("Jahresbericht der Aktivitäten heruntergeladen"),
    AuditEvent.CASE_VIGNETTE_PROPOSE: _l("Fallvignette für einen Bericht vorgeschlagen"),
    AuditEvent.REPORT_DEMAND_ADD: _l("Forderung zum Bericht hinzugefügt"),
    AuditEvent.REPORT_DEMAND_DELETE: _l("Forderung aus dem Bericht gelöscht"),
    AuditEvent.REPORT_DEMAND_MOVE: _l("Forderung im Bericht verschoben"),
    AuditEvent.REPORT_DEMAND_UPDATE: _l("Forderung im Bericht geändert"),
    AuditEvent.REPORT_RECORD_CREATE: _l("Bericht angelegt"),
    AuditEvent.REPORT_RECORD_EXPORT: _l("Bericht exportiert"),
    AuditEvent.REPORT_RECORD_FINALISE: _l("Bericht abgeschlossen"),
    AuditEvent.REPORT_VIGNETTE_ACCEPT: _l("Fallvignette angenommen"),
    AuditEvent.REPORT_VIGNETTE_REFUSE: _l("Fallvignette abgelehnt"),
    AuditEvent.CAMPAIGN_ACTIVITY_ADD: _l("Aktivität einer Kampagne eingetragen"),
    AuditEvent.CAMPAIGN_ACTIVITY_REMOVE: _l("Aktivität einer Kampagne entfernt"),
    AuditEvent.CAMPAIGN_CALENDAR_EXPORT: _l("Kampagnenkalender heruntergeladen (iCalendar)"),
    AuditEvent.CAMPAIGN_EVIDENCE_LINK: _l("Zahl als Beleg einer Kampagne verknüpft"),
    AuditEvent.CAMPAIGN_EVIDENCE_UNLINK: _l("Beleg einer Kampagne entfernt"),
    AuditEvent.CAMPAIGN_INDICATOR_ADD: _l("Indikator einer Kampagne festgelegt"),
    AuditEvent.CAMPAIGN_INDICATOR_REMOVE: _l("Indikator einer Kampagne entfernt"),
    AuditEvent.CAMPAIGN_OUTPUTS_RECORD: _l("Ergebnisse einer Kampagne eingetragen"),
    AuditEvent.CAMPAIGN_RECORD_CREATE: _l("Kampagne angelegt"),
    AuditEvent.CAMPAIGN_RECORD_UPDATE: _l("Kampagne geändert"),
    AuditEvent.STATS_PACKAGE_APPROVE: _l("Paket für die Koordinierung freigegeben"),
    AuditEvent.STATS_PACKAGE_DRAFT: _l("Paket für die Koordinierung entworfen"),
    AuditEvent.STATS_PACKAGE_EXPORT: _l("Paket für die Koordinierung verschlüsselt ausgegeben"),
    AuditEvent.STATS_RELEASE_APPROVE: _l("Statistik freigegeben und veröffentlicht"),
    AuditEvent.STATS_RELEASE_DRAFT: _l("Statistik-Entwurf erstellt"),
    AuditEvent.STATS_RELEASE_EXPORT: _l("Statistik exportiert"),
    AuditEvent.STATS_RELEASE_REJECT: _l("Statistik-Entwurf abgelehnt"),
    AuditEvent.STATS_RELEASE_REVOKE: _l("Statistik widerrufen"),
    AuditEvent.STATS_STORE_REBUILD: _l("Statistikbestand aus den Fallakten neu aufgebaut"),
    AuditEvent.SYSTEM_BACKUP_CREATE: _l("Datensicherung erstellt"),
    AuditEvent.SYSTEM_BACKUP_RESTORE: _l("Datensicherung wiederhergestellt"),
    AuditEvent.SYSTEM_SETTINGS_CHANGE: _l("Einstellungen geändert"),
    AuditEvent.USER_ACCOUNT_CREATE: _l("Konto angelegt"),
    AuditEvent.USER_ACCOUNT_DISABLE: _l("Konto deaktiviert"),
    AuditEvent.USER_ACCOUNT_ENABLE: _l("Konto aktiviert"),
    AuditEvent.USER_ROLES_CHANGE: _l("Rollen geändert"),
}

OUTCOME_LABELS: dict[str, LazyString] = {
    Outcome.SUCCESS: _l("erfolgreich"),
    Outcome.FAILURE: _l("fehlgeschlagen"),
    Outcome.DENIED: _l("verweigert"),
}

PURPOSE_LABELS: dict[str, LazyString] = {
    Purpose.COUNSELLING: _l("Beratung"),
    Purpose.SUPERVISION: _l("Fachliche Leitung"),
    Purpose.BREAK_GLASS: _l("Notfallzugriff"),
    Purpose.DPO_AUDIT: _l("Datenschutzkontrolle"),
    Purpose.ART15_REQUEST: _l("Auskunftsersuchen (Art. 15 DSGVO)"),
    Purpose.LEGAL_OBLIGATION: _l("Rechtliche Verpflichtung"),
}

#: The same purposes in words a client understands (the Art. 15 report).
PURPOSE_EXPLANATIONS: dict[str, LazyString] = {
    Purpose.COUNSELLING: _l(
        "Ihre Beraterin oder Ihr Berater hat die Akte für Ihre Beratung genutzt."
    ),
    Purpose.SUPERVISION: _l(
        "Die Leitung der Beratungsstelle hat die Akte zur fachlichen Begleitung oder Vertretung eingesehen."
    ),
    Purpose.BREAK_GLASS: _l(
        "Die Akte wurde in einer dringenden Lage ausnahmsweise von einer sonst nicht zuständigen Person geöffnet; jeder solche Zugriff wird von der bzw. dem Datenschutzbeauftragten geprüft."
    ),
    Purpose.DPO_AUDIT: _l(
        "Die bzw. der Datenschutzbeauftragte hat die Akte zur Kontrolle des Datenschutzes eingesehen."
    ),
    Purpose.ART15_REQUEST: _l(
        "Die Akte wurde geöffnet, um eine Auskunftsanfrage nach Art. 15 DSGVO zu beantworten."
    ),
    Purpose.LEGAL_OBLIGATION: _l(
        "Die Akte wurde geöffnet, um eine gesetzliche Pflicht zu erfüllen."
    ),
}

#: The object types the application writes (the search offers exactly these; a fixed list, so
#: the form needs no scan of the log). Others found in the log are shown as their code.
OBJECT_TYPES = (
    "activity",
    "api_token",
    "audit_checkpoint",
    "audit_entry",
    "campaign",
    "campaign_activity",
    "campaign_evidence",
    "campaign_indicator",
    "case",
    "centre",
    "coordinator_centre",
    "coordinator_package",
    "district",
    "district_profile",
    "endpoint",
    "instance",
    "kek",
    "report",
    "report_demand",
    "report_vignette",
    "stats_release",
    "user",
)

OBJECT_TYPE_LABELS: dict[str, LazyString] = {
    "activity": _l("Aktivität"),
    "api_token": _l("API-Token"),
    "audit_checkpoint": _l("Prüfpunkt"),
    "audit_entry": _l("Protokolleintrag"),
    "campaign": _l("Kampagne"),
    "campaign_activity": _l("Aktivität einer Kampagne"),
    "campaign_evidence": _l("Beleg einer Kampagne"),
    "campaign_indicator": _l("Indikator einer Kampagne"),
    "case": _l("Fallakte"),
    "centre": _l("Beratungsstelle"),
    "coordinator_centre": _l("registrierte Beratungsstelle (Koordinierung)"),
    "coordinator_package": _l("eingespieltes Paket (Koordinierung)"),
    "district": _l("Stadtteil oder Kreis"),
    "district_profile": _l("Bevölkerungszahlen eines Jahres (Stadtteile)"),
    "endpoint": _l("Seite oder Schnittstelle (Zugriff verweigert)"),
    "instance": _l("Installation (Einstellungen)"),
    "kek": _l("Schlüssel (Schlüsselbund)"),
    "report": _l("Bericht"),
    "report_demand": _l("Forderung eines Berichts"),
    "report_vignette": _l("Fallvignette eines Berichts"),
    "stats_release": _l("Statistik-Freigabe"),
    "user": _l("Benutzerkonto"),
}

#: What ``audit.verify`` found, by the code stored in the details of ``audit:chain:verify``.
PROBLEM_LABELS: dict[str, LazyString] = {
    "edited": _l("Ein Eintrag wurde verändert."),
    "reordered": _l("Einträge wurden umsortiert."),
    "deleted": _l("Einträge wurden gelöscht."),
    "rewritten": _l("Das Protokoll weicht von einem signierten Prüfpunkt ab (neu geschrieben)."),
    "malformed": _l(
        "Ein Eintrag wurde an der Anwendung vorbei in die Datenbank geschrieben: Er passt zur Kette, aber nicht zu dem, was die Anwendung schreibt."
    ),
    "truncated": _l(
        "Das Protokoll wurde gekürzt: ein signierter Prüfpunkt deckt fehlende Einträge ab."
    ),
    "forged_checkpoint": _l("Ein Prüfpunkt trägt keine gültige Signatur."),
}

#: What ``audit.protection.findings`` reports about the database's own protection of the log.
PROTECTION_LABELS: dict[str, LazyString] = {
    Finding.NO_PRIVILEGE_SYSTEM: _l(
        "SQLite kennt keine Zugriffsrechte: Trigger verhindern versehentliche Änderungen am Protokoll, gezielte Änderungen deckt erst die Prüfung der Kette auf. Für den Betrieb mit echten Fällen ist PostgreSQL vorgesehen."
    ),
    Finding.TRIGGERS_MISSING: _l(
        "Ein Trigger, der Änderungen am Protokoll verweigert, fehlt oder ist abgeschaltet."
    ),
    Finding.ROLE_OWNS_TABLE: _l(
        "Die Datenbankrolle des Dienstes besitzt eine Protokolltabelle und könnte deren Trigger abschalten."
    ),
    Finding.ROLE_MAY_MODIFY: _l(
        "Die Datenbankrolle des Dienstes darf Protokolleinträge ändern, löschen oder die Tabelle leeren."
    ),
}

OPERATOR_ROLE_LABEL = _l("Betrieb (Kommandozeile)")
SYSTEM_ACTOR_LABEL = _l("System/Betrieb")


def problem_code(problem: Problem) -> str:
    """The problem as a details code (no spaces allowed there): "forged_checkpoint"."""
    return problem.value.replace(" ", "_")


def _label(labels: dict[str, LazyString], value: object) -> str:
    """The label; an unknown code as itself (the template escapes it), never an error."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    found = labels.get(value)
    return str(found) if found is not None else value


def action_label(value: object) -> str:
    return _label(ACTION_LABELS, value)


def outcome_label(value: object) -> str:
    return _label(OUTCOME_LABELS, value)


def purpose_label(value: object) -> str:
    return _label(PURPOSE_LABELS, value)


def object_type_label(value: object) -> str:
    return _label(OBJECT_TYPE_LABELS, value)


def problem_label(value: object) -> str:
    return _label(PROBLEM_LABELS, value)


def protection_label(value: object) -> str:
    return _label(PROTECTION_LABELS, value)


def role_label(value: str | None) -> str:
    """Roles as stored ("counsellor+supervisor") in words ("Beratung, Leitung")."""
    if not value:
        return ""
    names = []
    for part in value.split("+"):
        if part == OPERATOR_ROLE:
            names.append(str(OPERATOR_ROLE_LABEL))
        else:
            try:
                names.append(str(ROLE_LABELS[Role(part)]))
            except ValueError:
                names.append(part)
    return ", ".join(names)
