"""Secrets and keys: where each file lies and who may read it, the keyring's primary key.

Only paths, file modes, key ids and times are read — never a file's content.
"""

from __future__ import annotations

import stat
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import gettext as _

from servicestelle import services
from servicestelle.cases import rotation
from servicestelle.config import ConfigError, Settings
from servicestelle.keyring_custody import PASSPHRASE_FILENAME
from servicestelle.operations import queries
from servicestelle.operations.findings import FileState, Finding, Status, file_finding, when

#: NIST SP 800-57 Part 1 Rev. 5, 5.3.6: a symmetric key-wrapping key is used to wrap for
#: up to about two years.
KEK_ROTATION_DAYS = 730


def findings(settings: Settings, now: datetime) -> list[Finding]:
    return [
        _secret_key(settings),
        file_finding(
            "keyring",
            _("Schlüsselbund (Datei)"),
            FileState.of(settings.keyring_path),
            missing_advice=_("Es gibt keinen Schlüsselbund: „servicestelle init“ legt ihn an."),
        ),
        _passphrase(settings),
        file_finding(
            "audit_signing_key",
            _("Signaturschlüssel des Protokolls (Datei)"),
            FileState.of(settings.audit_signing_key_path),
            missing_advice=_(
                "Ohne ihn gibt es keine signierten Prüfpunkte: „servicestelle init“ legt ihn an."
            ),
        ),
        _instance_folder(settings),
        *_primary_key(now),
    ]


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _secret_key(settings: Settings) -> Finding:
    label = _("Geheimschlüssel (Datei)")
    path = settings.secret_source
    if path is None:
        return Finding(
            "secret_key",
            label,
            _("nicht aus einer Datei"),
            Status.NOTICE,
            _("So nur in der Testsuite; der Dienst liest ihn aus SERVICESTELLE_SECRET_KEY_FILE."),
        )
    state = FileState.of(path)
    if state.exists and state.private and _inside(path, settings.instance_path):
        return Finding(
            "secret_key",
            label,
            state.describe(),
            Status.WARNING,
            _(
                "Der Schlüssel liegt im Instanzordner, neben den Daten, die er schützt (so nur in der Demo). Legen Sie ihn außerhalb ab (z. B. /etc/servicestelle/secret_key) und nennen Sie ihn in SERVICESTELLE_SECRET_KEY_FILE."
            ),
        )
    return file_finding(
        "secret_key",
        label,
        state,
        missing_advice=_(
            "Die Datei ist nicht mehr da; beim nächsten Start verweigert der Dienst den Betrieb."
        ),
    )


def _passphrase(settings: Settings) -> Finding:
    label = _("Passphrase des Schlüsselbunds")
    keyring_folder = settings.keyring_path.parent
    beside = keyring_folder / PASSPHRASE_FILENAME
    configured = settings.keyring_passphrase_file
    if configured is None and not settings.is_production:
        return Finding(
            "passphrase",
            label,
            FileState.of(beside).describe(),
            Status.WARNING,
            _(
                "Demo und Test: Die Passphrase liegt neben dem Schlüsselbund. Wer den Ordner kopiert, kann jeden Fall öffnen."
            ),
        )
    if configured is not None and _inside(configured, keyring_folder):
        return Finding(
            "passphrase",
            label,
            FileState.of(configured).describe(),
            Status.WARNING,
            _(
                "Die Passphrase-Datei liegt im Ordner des Schlüsselbunds: Eine Kopie des Ordners öffnet jeden Fall. Legen Sie sie getrennt ab (z. B. als systemd-Credential)."
            ),
        )
    if beside.exists():
        return Finding(
            "passphrase",
            label,
            FileState.of(beside).describe(),
            Status.WARNING,
            _(
                "Neben dem Schlüsselbund liegt eine Passphrase-Datei. Löschen Sie sie und bewahren Sie die Passphrase getrennt vom Schlüsselbund auf."
            ),
        )
    if configured is None:
        return Finding(
            "passphrase",
            label,
            _("beim Start eingegeben"),
            Status.OK,
            _(
                "Keine Datei auf dem Server; bewahren Sie die Passphrase getrennt auf (z. B. bei der/dem DSB)."
            ),
        )
    return file_finding(
        "passphrase",
        label,
        FileState.of(configured),
        missing_advice=_(
            "Die Datei ist nicht mehr da; beim nächsten Start lässt sich der Schlüsselbund nicht öffnen."
        ),
    )


def _instance_folder(settings: Settings) -> Finding:
    folder = settings.instance_path
    label = _("Instanzordner")
    try:
        mode = folder.stat().st_mode
    except OSError:
        return Finding(
            "instance",
            label,
            _("%(path)s (fehlt)", path=folder),
            Status.WARNING,
            _("„servicestelle init“ legt ihn an."),
        )
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Finding(
            "instance",
            label,
            _("%(path)s (auch für andere zugänglich)", path=folder),
            Status.WARNING,
            _(
                "Er enthält Datenbank und Schlüssel: Beschränken Sie ihn mit chmod 700 auf das Konto des Dienstes."
            ),
        )
    return Finding(
        "instance",
        label,
        _("%(path)s (nur für den Dienst zugänglich)", path=folder),
        Status.OK,
        _("Sichern Sie ihn regelmäßig, Schlüsselbund und Passphrase getrennt voneinander."),
    )


def _primary_key(now: datetime) -> list[Finding]:
    label = _("Primärer Schlüssel der Fallakten")
    try:
        holder = services.current_holder() or services.keyring_holder()
        keyring = holder.get()
    except ConfigError:
        return [
            Finding(
                "primary_key",
                label,
                _("nicht geöffnet"),
                Status.WARNING,
                _(
                    "Der Schlüsselbund ließ sich in diesem Prozess nicht öffnen; Fälle lassen sich so nicht lesen. Prüfen Sie die Passphrase-Datei und das Anwendungsprotokoll."
                ),
            )
        ]
    primary = keyring.primary
    rotated = queries.rotation_to(primary)
    since = rotated or queries.first_entry_time()
    value = _("Nr. %(id)s, in Gebrauch seit %(since)s", id=primary, since=when(since, now))
    if since is not None and now - since > timedelta(days=KEK_ROTATION_DAYS):
        age = Finding(
            "primary_key",
            label,
            value,
            Status.NOTICE,
            _(
                "Älter als zwei Jahre (NIST SP 800-57): Erzeugen Sie mit „servicestelle keys rotate“ einen neuen; die Fälle bleiben lesbar."
            ),
        )
    else:
        age = Finding(
            "primary_key",
            label,
            value,
            Status.OK,
            _("„servicestelle keys rotate“ erzeugt einen neuen, spätestens nach zwei Jahren."),
        )
    return [age, _wrapped_keys(keyring.primary, set(keyring.keys))]


def _wrapped_keys(primary: int, present: set[int]) -> Finding:
    usage = rotation.usage()
    label = _("Datenschlüssel der Fälle")
    total = sum(usage.values())
    lost = sum(count for kek_id, count in usage.items() if kek_id not in present)
    older = sum(count for kek_id, count in usage.items() if kek_id != primary) - lost
    value = _("%(total)s, davon %(older)s unter älteren Schlüsseln", total=total, older=older)
    if lost:
        return Finding(
            "data_keys",
            label,
            value,
            Status.WARNING,
            _(
                "%(lost)s Datenschlüssel sind unter einem Schlüssel verpackt, der im Schlüsselbund fehlt: Diese Fälle lassen sich nicht öffnen. Holen Sie den Schlüsselbund aus der Sicherung zurück.",
                lost=lost,
            ),
        )
    if older:
        return Finding(
            "data_keys",
            label,
            value,
            Status.NOTICE,
            _(
                "Führen Sie „servicestelle keys rotate“ erneut aus; alte Schlüssel erst danach mit „servicestelle keys retire“ entfernen."
            ),
        )
    return Finding(
        "data_keys",
        label,
        value,
        Status.OK,
        _("Alle Datenschlüssel sind unter dem primären Schlüssel verpackt."),
    )
