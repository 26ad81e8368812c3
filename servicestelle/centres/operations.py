"""Writers for centres and their district register; each records its audit event."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from audit import AuditEvent
from servicestelle import audit_trail, clock
from servicestelle.centres.models import DISTRICT_CODE_MAX, DISTRICT_NAME_MAX, Centre, District
from servicestelle.extensions import db
from servicestelle.permissions import Permission

if TYPE_CHECKING:
    from servicestelle.auth.models import User

CENTRE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
#: A district's code: what statistics and imported population figures are keyed by.
DISTRICT_CODE = re.compile(rf"^[a-z0-9_]{{1,{DISTRICT_CODE_MAX}}}$")
#: Codes the statistics use for answers that are no district (DOMAIN.md: every list has them).
RESERVED_DISTRICT_CODES = frozenset({"anderes", "keine_angabe"})


class CentreError(ValueError):
    pass


def create_centre(code: str, name: str) -> Centre:
    """Add a centre (committed); codes are upper-case letters, digits and dashes."""
    code = code.strip().upper()
    name = name.strip()
    if not CENTRE_CODE.match(code):
        raise CentreError("centre code: 2–32 characters, A–Z, 0–9 and '-'")
    if not name or len(name) > 200:
        raise CentreError("centre name: 1–200 characters")
    if db.session.scalar(select(Centre).where(Centre.code == code)) is not None:
        raise CentreError(f"centre {code} exists already")
    centre = Centre(code=code, name=name, created_at=clock.now())
    db.session.add(centre)
    db.session.flush()
    audit_trail.record(
        AuditEvent.ORG_CENTRE_CREATE, object_type="centre", object_id=centre.id, centre_id=centre.id
    )
    db.session.commit()
    return centre


# --- the district register ------------------------------------------------------------------


class DistrictError(ValueError):
    """The change cannot be made; nothing was saved. The message (German) says why, ``field``
    names what it is about (``"code"``, ``"name"``) or is None for the change as a whole."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


CODE_RULE = _l(
    "1–32 Zeichen: Kleinbuchstaben a–z, Ziffern und Unterstrich, zum Beispiel innenstadt_nord."
)
CODE_TAKEN = _l("Diesen Code hat schon ein anderer Stadtteil oder Kreis Ihrer Beratungsstelle.")
NAME_TAKEN = _l("Diesen Namen hat schon ein anderer Stadtteil oder Kreis Ihrer Beratungsstelle.")


def _check_manager(actor: User, centre_id: int) -> None:
    # The views check both before they call; this keeps every other caller honest.
    if not actor.can(Permission.DISTRICTS_MANAGE) or actor.centre_id != centre_id:
        raise DistrictError(
            str(_l("Stadtteile und Kreise pflegt die Leitung der Beratungsstelle."))
        )


def _clean_name(name: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", name).split())
    if not name:
        raise DistrictError(str(_l("Bitte geben Sie einen Namen an.")), "name")
    if len(name) > DISTRICT_NAME_MAX:
        raise DistrictError(str(_l("Höchstens %(max)d Zeichen.", max=DISTRICT_NAME_MAX)), "name")
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in name):
        raise DistrictError(str(_l("Das Feld enthält unzulässige Zeichen.")), "name")
    return name


def _name_taken(centre_id: int, name: str, *, besides: int | None = None) -> bool:
    """Another district of the centre has this name, in any capitalisation."""
    wanted = name.casefold()
    return any(
        district.name.casefold() == wanted and district.id != besides
        for district in db.session.scalars(select(District).where(District.centre_id == centre_id))
    )


def _audit(event: AuditEvent, actor: User, district: District) -> None:
    audit_trail.record(
        event,
        actor=actor,
        object_type="district",
        object_id=district.id,
        centre_id=district.centre_id,
        details={"code": district.code},
    )


def _commit_or_refuse() -> None:
    """Commit; a unique constraint that a concurrent change won is the same refusal as ours."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DistrictError(
            str(
                _l("Code oder Name wurden gerade anderweitig vergeben. Bitte prüfen Sie die Liste.")
            )
        ) from None


def add_district(actor: User, code: str, name: str) -> District:
    """Add a district to the actor's centre, active (committed)."""
    _check_manager(actor, actor.centre_id)
    code = code.strip()
    if not DISTRICT_CODE.fullmatch(code):
        raise DistrictError(str(CODE_RULE), "code")
    if code in RESERVED_DISTRICT_CODES:
        raise DistrictError(
            str(
                _l("Diesen Code verwenden die Statistiken selbst. Bitte wählen Sie einen anderen.")
            ),
            "code",
        )
    name = _clean_name(name)
    centre_id = actor.centre_id
    taken = db.session.scalar(
        select(District.id).where(District.centre_id == centre_id, District.code == code)
    )
    if taken is not None:
        raise DistrictError(str(CODE_TAKEN), "code")
    if _name_taken(centre_id, name):
        raise DistrictError(str(NAME_TAKEN), "name")
    district = District(
        centre_id=centre_id, code=code, name=name, is_active=True, created_at=clock.now()
    )
    db.session.add(district)
    db.session.flush()
    _audit(AuditEvent.ORG_DISTRICT_CREATE, actor, district)
    _commit_or_refuse()
    return district


def rename_district(actor: User, district: District, name: str) -> None:
    """Give a district another display name; its code, and so every case, stays (committed)."""
    _check_manager(actor, district.centre_id)
    name = _clean_name(name)
    if name == district.name:
        return
    if _name_taken(district.centre_id, name, besides=district.id):
        raise DistrictError(str(NAME_TAKEN), "name")
    district.name = name
    _audit(AuditEvent.ORG_DISTRICT_RENAME, actor, district)
    _commit_or_refuse()


def set_district_active(actor: User, district: District, active: bool) -> None:
    """Retire a district (kept for the cases that name it, not offered for new ones) or
    offer it again (committed)."""
    _check_manager(actor, district.centre_id)
    if district.is_active is active:
        return
    district.is_active = active
    event = AuditEvent.ORG_DISTRICT_REACTIVATE if active else AuditEvent.ORG_DISTRICT_RETIRE
    _audit(event, actor, district)
    _commit_or_refuse()
