"""The coordinator's writers: register, move and re-key a centre, import a package. Each is
audited.

An import opens the package file with the coordinator's key (stats.package_crypto), checks
the document's schema, finds the centre in the registry and checks the package against the
key registered for it — never against the key the package brings — then the period and the
catalogue version (stats.package_format). A refusal says why in one German sentence and is
audited as a failure with its reason code; nothing of a refused package is stored.

Withdrawals and the retention purge: coordinator.withdrawals.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from enum import StrEnum

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from audit import AuditEvent, Outcome
from servicestelle import clock, services
from servicestelle.audit_trail import record
from servicestelle.auth.models import User
from servicestelle.coordinator import keys
from servicestelle.coordinator.models import (
    CODE_MAX,
    NAME_MAX,
    REGION_NAME_MAX,
    ImportedPackage,
    RegisteredCentre,
)
from servicestelle.extensions import db
from servicestelle.stats import package_crypto, package_format, signing
from servicestelle.stats.package_format import PackageInvalid, Refusal
from servicestelle.stats.release_models import OUT, Release, ReleaseKind

log = logging.getLogger(__name__)

CENTRE_OBJECT = "coordinator_centre"
PACKAGE_OBJECT = "coordinator_package"
#: A centre's code as the centres write it (centres/operations.CENTRE_CODE).
CENTRE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
#: A region's code becomes a statistics code (figure keys): lower case, digits, underscore.
REGION_CODE = re.compile(rf"^[a-z0-9_]{{1,{CODE_MAX}}}$")


class CoordinatorError(ValueError):
    """Refused; nothing was saved. The message is German and fit for the user."""


class ImportRefusal(StrEnum):
    NOT_COORDINATOR = "not_coordinator"
    UNREADABLE = "unreadable"
    MALFORMED = Refusal.MALFORMED.value
    UNKNOWN_CENTRE = "unknown_centre"
    TAMPERED = Refusal.TAMPERED.value
    OTHER_KEY = Refusal.OTHER_KEY.value
    SIGNATURE = Refusal.SIGNATURE.value
    PERIOD = Refusal.PERIOD.value
    CATALOGUE = Refusal.CATALOGUE.value
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"
    RELEASED = "released"


REFUSAL_MESSAGES: dict[ImportRefusal, LazyString] = {
    ImportRefusal.NOT_COORDINATOR: _l("Pakete spielt nur eine Koordinierungsstelle ein."),
    ImportRefusal.UNREADABLE: _l(
        "Die Datei lässt sich mit dem Schlüssel dieser Koordinierungsstelle nicht öffnen: Sie "
        "ist beschädigt, verändert oder für eine andere Koordinierungsstelle verschlüsselt."
    ),
    ImportRefusal.MALFORMED: _l(
        "Die Datei ist kein gültiges Paket: Aufbau oder Tabellen entsprechen nicht dem Katalog."
    ),
    ImportRefusal.UNKNOWN_CENTRE: _l(
        "Das Paket stammt von einer Beratungsstelle, die hier nicht registriert ist."
    ),
    ImportRefusal.TAMPERED: _l(
        "Der Inhalt des Pakets passt nicht zu seiner Prüfsumme: Das Paket wurde verändert."
    ),
    ImportRefusal.OTHER_KEY: _l(
        "Das Paket ist nicht mit dem hier registrierten Schlüssel der Beratungsstelle signiert."
    ),
    ImportRefusal.SIGNATURE: _l(
        "Die Signatur des Pakets stimmt nicht: Es wurde nach der Freigabe verändert."
    ),
    ImportRefusal.PERIOD: _l("Der Zeitraum des Pakets ist kein Quartal, Halbjahr oder Jahr."),
    ImportRefusal.CATALOGUE: _l(
        "Das Paket wurde mit einer anderen Version des Tabellenkatalogs erstellt."
    ),
    ImportRefusal.DUPLICATE: _l(
        "Für diese Beratungsstelle und diesen Zeitraum ist bereits ein Paket eingespielt."
    ),
    ImportRefusal.SUPERSEDED: _l(
        "Dieses Paket ist nicht später freigegeben als das zurückgezogene Paket der "
        "Beratungsstelle für diesen Zeitraum. Bitte lassen Sie die Stelle ein berichtigtes "
        "Paket freigeben und senden."
    ),
    ImportRefusal.RELEASED: _l(
        "Aus den Paketen für diesen Zeitraum ist bereits eine Landesstatistik veröffentlicht "
        "worden. Ein weiteres Paket würde ihre Zahlen ändern, und der Unterschied legte die "
        "Zahlen dieser Beratungsstelle offen."
    ),
}


class ImportRefused(CoordinatorError):
    def __init__(self, refusal: ImportRefusal) -> None:
        super().__init__(str(REFUSAL_MESSAGES[refusal]))
        self.refusal = refusal


# --- the registry --------------------------------------------------------------------------


def parse_public_key(text: str) -> bytes:
    """A centre's Ed25519 release public key from base64 (as its JSON exports carry it)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise CoordinatorError(
            str(_l("Der öffentliche Schlüssel muss ein Ed25519-Schlüssel sein (32 Bytes, Base64)."))
        ) from None
    return raw


def register_centre(
    actor: User | None,
    *,
    code: str,
    name: str,
    region_code: str,
    region_name: str,
    public_key: bytes,
) -> RegisteredCentre:
    """Register a centre and the key its packages must be signed with (committed).
    ``actor`` None: the operator on the command line."""
    _require_coordinator()
    code, name = code.strip().upper(), name.strip()
    region_code, region_name = region_code.strip(), region_name.strip()
    if not CENTRE_CODE.match(code):
        raise CoordinatorError(
            str(_l("Der Code einer Stelle hat 2–32 Zeichen: A–Z, 0–9 und Bindestrich."))
        )
    if not 1 <= len(name) <= NAME_MAX:
        raise CoordinatorError(str(_l("Der Name hat 1 bis 200 Zeichen.")))
    _check_region(region_code, region_name)
    _check_key(public_key)
    taken = db.session.scalar(
        sa.select(sa.func.count(RegisteredCentre.id)).where(
            sa.or_(RegisteredCentre.code == code, RegisteredCentre.public_key == public_key)
        )
    )
    if taken:
        raise CoordinatorError(
            str(_l("Diese Stelle oder dieser Schlüssel ist bereits registriert."))
        )
    centre = RegisteredCentre(
        code=code,
        name=name,
        region_code=region_code,
        region_name=region_name,
        public_key=public_key,
        registered_at=clock.now(),
        registered_by=actor.id if actor is not None else None,
    )
    db.session.add(centre)
    try:
        db.session.flush()
    except IntegrityError:  # registered by someone else meanwhile
        db.session.rollback()
        raise CoordinatorError(
            str(_l("Diese Stelle oder dieser Schlüssel ist bereits registriert."))
        ) from None
    record(
        AuditEvent.COORDINATOR_CENTRE_REGISTER,
        actor=actor,
        object_type=CENTRE_OBJECT,
        object_id=centre.id,
        details={"region": region_code},
    )
    db.session.commit()
    log.info("centre registered: id=%s region=%s", centre.id, region_code)
    return centre


def _check_region(region_code: str, region_name: str) -> None:
    if not REGION_CODE.match(region_code):
        raise CoordinatorError(
            str(_l("Der Code einer Region hat 1–32 Zeichen: a–z, 0–9 und Unterstrich."))
        )
    if not 1 <= len(region_name) <= REGION_NAME_MAX:
        raise CoordinatorError(str(_l("Der Name einer Region hat 1 bis 80 Zeichen.")))
    named = db.session.scalar(
        sa.select(RegisteredCentre.region_name)
        .where(RegisteredCentre.region_code == region_code)
        .limit(1)
    )
    if named is not None and named != region_name:
        raise CoordinatorError(
            str(_l("Diese Region ist schon unter einem anderen Namen registriert."))
        )


def _check_key(public_key: bytes) -> None:
    if len(public_key) != 32:
        raise CoordinatorError(str(_l("Der öffentliche Schlüssel hat 32 Bytes.")))


def get_centre(code: str) -> RegisteredCentre:
    """A registered centre by its code; ``CoordinatorError`` if there is none."""
    centre = db.session.scalar(
        sa.select(RegisteredCentre).where(RegisteredCentre.code == code.strip().upper())
    )
    if centre is None:
        raise CoordinatorError(str(_l("Diese Beratungsstelle ist hier nicht registriert.")))
    return centre


def move_centre(
    actor: User | None, centre: RegisteredCentre, *, region_code: str, region_name: str
) -> None:
    """Move a centre to another region (committed). Its packages imported so far keep the
    region they were imported in; its next ones count in the new region."""
    _require_coordinator()
    region_code, region_name = region_code.strip(), region_name.strip()
    _check_region(region_code, region_name)
    if region_code == centre.region_code:
        raise CoordinatorError(str(_l("Die Beratungsstelle ist bereits in dieser Region.")))
    previous = centre.region_code
    centre.region_code, centre.region_name = region_code, region_name
    record(
        AuditEvent.COORDINATOR_CENTRE_CHANGE,
        actor=actor,
        object_type=CENTRE_OBJECT,
        object_id=centre.id,
        details={"changed": ["region"], "from": previous, "to": region_code},
    )
    db.session.commit()
    log.info("centre moved: id=%s region=%s", centre.id, region_code)


def replace_key(actor: User | None, centre: RegisteredCentre, public_key: bytes) -> None:
    """Register a centre's new release public key (after a key rotation at the centre;
    committed). Its next packages must be signed with it; those imported stay as they are
    (each was verified when it was imported)."""
    _require_coordinator()
    _check_key(public_key)
    if public_key == centre.public_key:
        raise CoordinatorError(
            str(_l("Dieser Schlüssel ist bereits der registrierte Schlüssel der Stelle."))
        )
    taken = db.session.scalar(
        sa.select(sa.func.count(RegisteredCentre.id)).where(
            RegisteredCentre.public_key == public_key
        )
    )
    if taken:
        raise CoordinatorError(
            str(_l("Dieser Schlüssel ist bereits für eine andere Stelle registriert."))
        )
    centre.public_key = public_key
    try:
        db.session.flush()
    except IntegrityError:  # registered for another centre meanwhile
        db.session.rollback()
        raise CoordinatorError(
            str(_l("Dieser Schlüssel ist bereits für eine andere Stelle registriert."))
        ) from None
    record(
        AuditEvent.COORDINATOR_CENTRE_CHANGE,
        actor=actor,
        object_type=CENTRE_OBJECT,
        object_id=centre.id,
        details={"changed": ["public_key"]},
    )
    db.session.commit()
    log.info("centre key replaced: id=%s", centre.id)


# --- imports -------------------------------------------------------------------------------


def _require_coordinator() -> None:
    if not services.settings().is_coordinator:
        raise CoordinatorError(str(REFUSAL_MESSAGES[ImportRefusal.NOT_COORDINATOR]))


def _refuse(
    actor: User | None, refusal: ImportRefusal, centre: RegisteredCentre | None = None
) -> ImportRefused:
    """Audit the refusal (committed) and return the error to raise."""
    db.session.rollback()
    record(
        AuditEvent.COORDINATOR_PACKAGE_IMPORT,
        Outcome.FAILURE,
        actor=actor,
        object_type=CENTRE_OBJECT if centre is not None else None,
        object_id=centre.id if centre is not None else None,
        details={"reason": refusal.value},
    )
    db.session.commit()
    log.info("package import refused: %s", refusal.value)  # audited; stderr stays one line
    return ImportRefused(refusal)


def import_package(actor: User | None, data: bytes) -> ImportedPackage:
    """Open, verify and store a centre's package file (committed); ``ImportRefused`` with
    the reason otherwise. ``actor`` None: the operator on the command line."""
    if not services.settings().is_coordinator:
        raise ImportRefused(ImportRefusal.NOT_COORDINATOR)
    try:
        plaintext = package_crypto.decrypt_file(data, keys.private_key())
    except package_crypto.PackageCryptoError:
        raise _refuse(actor, ImportRefusal.UNREADABLE) from None
    try:
        loaded = package_format.load(plaintext)
    except PackageInvalid as exc:
        raise _refuse(actor, ImportRefusal(exc.refusal.value)) from None
    centre = db.session.scalar(
        sa.select(RegisteredCentre).where(RegisteredCentre.code == loaded["centre"])
    )
    if centre is None:
        raise _refuse(actor, ImportRefusal.UNKNOWN_CENTRE)
    try:
        checked = package_format.check(loaded, centre.public_key)
    except PackageInvalid as exc:
        raise _refuse(actor, ImportRefusal(exc.refusal.value), centre) from None
    period = checked.period
    package = ImportedPackage(
        centre_id=centre.id,
        period=period.code,
        catalogue_version=loaded["catalogue_version"],
        region_code=centre.region_code,
        region_name=centre.region_name,
        content=signing.canonical(loaded["content"]).decode(),
        content_hash=loaded["content_sha256"],
        signature=loaded["signature"],
        public_key=centre.public_key,
        published_at=checked.published_at,
        imported_at=clock.now(),
        imported_by=actor.id if actor is not None else None,
    )
    exists = db.session.scalar(
        sa.select(sa.func.count(ImportedPackage.id)).where(
            ImportedPackage.centre_id == centre.id,
            ImportedPackage.period == period.code,
            ImportedPackage.withdrawn_at.is_(None),
        )
    )
    if exists:
        raise _refuse(actor, ImportRefusal.DUPLICATE, centre)
    # A replacement is a package approved after the withdrawn one: the withdrawn file, or an
    # older one, sent again is refused.
    newest_withdrawn = db.session.scalar(
        sa.select(ImportedPackage.published_at)
        .where(
            ImportedPackage.centre_id == centre.id,
            ImportedPackage.period == period.code,
            ImportedPackage.withdrawn_at.is_not(None),
        )
        .order_by(ImportedPackage.published_at.desc())
        .limit(1)
    )
    if newest_withdrawn is not None and checked.published_at <= newest_withdrawn:
        raise _refuse(actor, ImportRefusal.SUPERSEDED, centre)
    # A statewide release of the period is out: its figures are known, and a package added
    # now would change them (the reason a withdrawal is refused then, coordinator.withdrawals).
    released = db.session.scalar(
        sa.select(sa.func.count(Release.id)).where(
            Release.kind == ReleaseKind.RELEASE.value,
            Release.period == period.code,
            Release.status.in_([status.value for status in OUT]),
        )
    )
    if released:
        raise _refuse(actor, ImportRefusal.RELEASED, centre)
    db.session.add(package)
    try:
        db.session.flush()
    except IntegrityError:  # the same package imported at the same moment
        raise _refuse(actor, ImportRefusal.DUPLICATE, centre) from None
    record(
        AuditEvent.COORDINATOR_PACKAGE_IMPORT,
        actor=actor,
        object_type=PACKAGE_OBJECT,
        object_id=package.id,
        details={"centre": centre.id, "period": period.code, "region": centre.region_code},
    )
    db.session.commit()
    log.info("package imported: id=%s centre=%s period=%s", package.id, centre.id, period.code)
    return package
