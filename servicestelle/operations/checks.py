"""The checks of the operations page: profile and transport, settings, versions — and the
list of every section (the key and database sections live in keys.py and records.py)."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from servicestelle.accessibility.views import software_version
from servicestelle.config import OWASP_FLOOR, RFC_9106_LOW_MEMORY, Settings
from servicestelle.operations import keys, records
from servicestelle.operations.findings import Finding, Section, Status

#: Retention beyond this many years gets a notice (GDPR Art. 5(1)(e): storage limitation).
LONG_RETENTION_YEARS = 10
#: A break-glass opening longer than this gets a notice.
LONG_BREAK_GLASS_MINUTES = 120


@dataclass(frozen=True)
class Context:
    """What the checks look at besides the database: settings, the time, this request."""

    settings: Settings
    now: datetime
    is_https: bool
    forwarded: bool  # the request carried X-Forwarded-For or X-Forwarded-Proto


def collect(context: Context) -> list[Section]:
    """Every section of the page, in reading order."""
    settings, now = context.settings, context.now
    return [
        Section("transport", _("Betriebsart und Verbindung"), transport(context)),
        Section("keys", _("Geheimnisse und Schlüssel"), keys.findings(settings, now)),
        Section("database", _("Datenbank"), records.database(settings)),
        Section("audit", _("Protokoll und Datensicherung"), records.audit_log(settings, now)),
        Section("settings", _("Einstellungen"), configured(settings)),
        Section("versions", _("Versionen"), versions(now)),
    ]


# --- profile and transport -------------------------------------------------------------------


def transport(context: Context) -> list[Finding]:
    settings = context.settings
    return [
        _profile(settings),
        _mode(settings),
        _debug(),
        _https(context),
        _proxies(context),
        _cookies(settings),
        _hsts(settings),
    ]


def _profile(settings: Settings) -> Finding:
    label = _("Profil")
    if settings.profile == "production":
        return Finding(
            "profile",
            label,
            _("Produktion"),
            Status.OK,
            _(
                "Geheimnisse kommen aus Dateien, Cookies nur über https, HSTS ist an, schwache Passwort-Hashes werden abgelehnt."
            ),
        )
    if settings.profile == "demo":
        return Finding(
            "profile",
            label,
            _("Demo"),
            Status.WARNING,
            _(
                "Nur für synthetische Daten: Geheimschlüssel und Passphrase liegen im Instanzordner, Cookies gehen ohne Secure. Echte Fälle gehören in eine mit „servicestelle init“ eingerichtete Instanz, gestartet mit „servicestelle run“."
            ),
        )
    return Finding(
        "profile",
        label,
        _("Test"),
        Status.WARNING,
        _("Nur für die Testsuite (billige Passwort-Hashes); nie für echte Fälle."),
    )


def _mode(settings: Settings) -> Finding:
    value = (
        _("Landeskoordinierung (ohne Fallmodul)")
        if settings.is_coordinator
        else _("Beratungsstelle")
    )
    return Finding(
        "mode",
        _("Betriebsart"),
        value,
        Status.OK,
        _("Festgelegt mit SERVICESTELLE_MODE."),
    )


def _debug() -> Finding:
    if current_app.debug or current_app.config.get("PROPAGATE_EXCEPTIONS"):
        return Finding(
            "debug",
            _("Flask-Debugmodus"),
            _("an"),
            Status.WARNING,
            _(
                "Im Debugmodus zeigen Fehlerseiten Programmcode und Werte, und der Debugger führt Code aus. Starten Sie den Dienst mit „servicestelle run“."
            ),
        )
    return Finding(
        "debug",
        _("Flask-Debugmodus"),
        _("aus"),
        Status.OK,
        _("Fehler zeigen eine Seite mit Vorgangsnummer, nie Programmcode oder Werte."),
    )


def _https(context: Context) -> Finding:
    label = _("Verschlüsselte Verbindung (TLS)")
    if context.is_https:
        return Finding("https", label, _("https"), Status.OK, _("Diese Anfrage kam über https an."))
    if context.settings.profile == "demo":
        return Finding(
            "https",
            label,
            _("http"),
            Status.NOTICE,
            _("Die Demo läuft ohne TLS, nur auf diesem Rechner (127.0.0.1)."),
        )
    return Finding(
        "https",
        label,
        _("http"),
        Status.WARNING,
        _(
            "Diese Anfrage kam unverschlüsselt an. Betreiben Sie den Dienst hinter einem Reverse-Proxy mit TLS (z. B. nginx) und setzen Sie SERVICESTELLE_TRUSTED_PROXIES auf die Zahl der Proxys; erst dann erkennt der Dienst https."
        ),
    )


def _proxies(context: Context) -> Finding:
    label = _("Vertrauenswürdige Reverse-Proxys")
    count = context.settings.trusted_proxies
    if count == 0 and context.forwarded:
        return Finding(
            "proxies",
            label,
            "0",
            Status.WARNING,
            _(
                "Diese Anfrage kam über einen Proxy, der nicht eingetragen ist: Alle Clients teilen seine Adresse (eine Sperre nach Fehlversuchen trifft alle), und https sieht aus wie http. Setzen Sie SERVICESTELLE_TRUSTED_PROXIES auf die Zahl der Proxys."
            ),
        )
    if count == 0:
        return Finding(
            "proxies",
            label,
            "0",
            Status.NOTICE,
            _(
                "Richtig nur, wenn die Clients den Dienst direkt erreichen. Hinter einem Reverse-Proxy setzen Sie SERVICESTELLE_TRUSTED_PROXIES auf die Zahl der Proxys."
            ),
        )
    if not context.forwarded:
        return Finding(
            "proxies",
            label,
            str(count),
            Status.WARNING,
            _(
                "Diese Anfrage kam ohne X-Forwarded-For an: Entweder setzt der Proxy die Kopfzeilen nicht, oder der Dienst ist auch direkt erreichbar – dann kann jeder Client seine Adresse fälschen. Binden Sie den Dienst an 127.0.0.1 oder ein internes Netz."
            ),
        )
    return Finding(
        "proxies",
        label,
        str(count),
        Status.OK,
        _(
            "Client-Adresse und Protokoll werden aus X-Forwarded-For und X-Forwarded-Proto der eingetragenen Proxys übernommen."
        ),
    )


def _cookies(settings: Settings) -> Finding:
    if settings.cookie_secure:
        return Finding(
            "cookies",
            _("Sitzungs-Cookie"),
            settings.session_cookie_name,
            Status.OK,
            _(
                "Secure, HttpOnly, SameSite=Strict, nur für diesen Host; es gilt nur bis zum Schließen des Browsers."
            ),
        )
    return Finding(
        "cookies",
        _("Sitzungs-Cookie"),
        settings.session_cookie_name,
        Status.WARNING,
        _("Ohne Secure, damit die Demo über http funktioniert; in Produktion immer mit Secure."),
    )


def _hsts(settings: Settings) -> Finding:
    if settings.hsts:
        return Finding(
            "hsts",
            _("HSTS"),
            _("1 Jahr, mit Subdomains"),
            Status.OK,
            _(
                "Browser, die den Dienst einmal über https erreicht haben, nutzen danach nur noch https."
            ),
        )
    return Finding(
        "hsts",
        _("HSTS"),
        _("aus"),
        Status.WARNING,
        _("Nur das Produktionsprofil sendet Strict-Transport-Security."),
    )


# --- settings ----------------------------------------------------------------------------------


def configured(settings: Settings) -> list[Finding]:
    return [
        _argon2(settings),
        Finding(
            "sessions",
            _("Sitzungen"),
            _(
                "%(idle)s Min. ohne Aktivität, höchstens %(hours)s Std.",
                idle=settings.session_idle_minutes,
                hours=settings.session_absolute_hours,
            ),
            Status.OK,
            _("Danach ist eine neue Anmeldung mit zweitem Faktor nötig."),
        ),
        _statistics_k(settings),
        _retention(settings),
        _break_glass(settings),
        _accessibility_contact(settings),
    ]


def _accessibility_contact(settings: Settings) -> Finding:
    label = _("Kontakt in der Erklärung zur Barrierefreiheit")
    if settings.accessibility_contact:
        return Finding(
            "accessibility_contact",
            label,
            _("eingetragen"),
            Status.OK,
            _("Die Erklärung (/barrierefreiheit) nennt ihn für Meldungen von Barrieren."),
        )
    return Finding(
        "accessibility_contact",
        label,
        _("fehlt"),
        Status.NOTICE,
        _(
            "Die Erklärung zur Barrierefreiheit (§ 7 BITV 2.0) muss einen Kontakt für Meldungen von Barrieren nennen: Tragen Sie ihn in SERVICESTELLE_ACCESSIBILITY_CONTACT ein."
        ),
    )


def _argon2(settings: Settings) -> Finding:
    params = settings.password_hash
    value = _(
        "Argon2id, t=%(t)s, %(mib)s MiB, p=%(p)s; bis zu %(slots)s Prüfungen gleichzeitig",
        t=params.time_cost,
        mib=params.memory_cost_kib // 1024,
        p=params.parallelism,
        slots=settings.max_concurrent_password_checks,
    )
    label = _("Passwort-Hashes")
    if params.at_least(RFC_9106_LOW_MEMORY):
        return Finding(
            "argon2",
            label,
            value,
            Status.OK,
            _("Mindestens RFC 9106 (64 MiB, t=3, p=4) in jedem Parameter."),
        )
    if params.at_least(OWASP_FLOOR):
        return Finding(
            "argon2",
            label,
            value,
            Status.NOTICE,
            _(
                "Über der OWASP-Untergrenze, aber unter der Voreinstellung (RFC 9106: 64 MiB, t=3, p=4). Erhöhen Sie die Werte, wenn der Server es trägt."
            ),
        )
    return Finding(
        "argon2",
        label,
        value,
        Status.WARNING,
        _("Unter der OWASP-Untergrenze (19 MiB, t=2, p=1): nur in der Testsuite zulässig."),
    )


def _statistics_k(settings: Settings) -> Finding:
    k = settings.statistics_k
    if k >= 5:
        return Finding(
            "statistics_k",
            _("Statistik: kleinste veröffentlichte Zahl (k)"),
            str(k),
            Status.OK,
            _("Zahlen von 1 bis %(below)s werden in Freigaben unterdrückt.", below=k - 1),
        )
    return Finding(
        "statistics_k",
        _("Statistik: kleinste veröffentlichte Zahl (k)"),
        str(k),
        Status.NOTICE,
        _(
            "Unter dem üblichen Wert 5: Kleine Zahlen machen Personen eher erkennbar. Begründen Sie den Wert im Datenschutzkonzept."
        ),
    )


def _retention(settings: Settings) -> Finding:
    years = settings.retention_years
    value = ngettext(
        "%(num)s Jahr nach Ende des Abschlussjahres",
        "%(num)s Jahre nach Ende des Abschlussjahres",
        years,
    )
    label = _("Aufbewahrung abgeschlossener Fälle")
    if years == 0 or years > LONG_RETENTION_YEARS:
        return Finding(
            "retention",
            label,
            value,
            Status.NOTICE,
            _(
                "Ungewöhnlich kurz oder lang: Prüfen Sie den Wert gegen das Löschkonzept der Beratungsstelle (Art. 5 Abs. 1 lit. e DSGVO) und lassen Sie „servicestelle retention run“ regelmäßig laufen."
            ),
        )
    return Finding(
        "retention",
        label,
        value,
        Status.OK,
        _(
            "„servicestelle retention run“ löscht danach; es sollte regelmäßig laufen (z. B. monatlich)."
        ),
    )


def _break_glass(settings: Settings) -> Finding:
    minutes = settings.break_glass_minutes
    value = ngettext("%(num)s Minute", "%(num)s Minuten", minutes)
    if minutes > LONG_BREAK_GLASS_MINUTES:
        return Finding(
            "break_glass",
            _("Notfallzugriff"),
            value,
            Status.NOTICE,
            _(
                "Ein Notfallzugriff öffnet einen Fall lange. Kürzer ist besser: Ein neuer Zugriff mit Begründung ist jederzeit möglich."
            ),
        )
    return Finding(
        "break_glass",
        _("Notfallzugriff"),
        value,
        Status.OK,
        _("Jeder Notfallzugriff wird protokolliert und von der/dem DSB geprüft."),
    )


# --- versions --------------------------------------------------------------------------------


def python_end_of_life(minor: int) -> date:
    """Python 3.N gets security fixes until October of 2016 + N (PEP 602: five years)."""
    return date(2016 + minor, 10, 1)


def versions(now: datetime) -> list[Finding]:
    minor = sys.version_info.minor
    return [
        records.supported(
            "python",
            _("Python"),
            platform.python_version(),
            python_end_of_life(minor),
            now.date(),
        ),
        Finding(
            "servicestelle",
            _("Servicestelle"),
            software_version() or "–",
            Status.OK,
            _("Spielen Sie neue Versionen zeitnah ein: Sie bringen Sicherheitskorrekturen."),
        ),
        records.database_version(now.date()),
    ]
