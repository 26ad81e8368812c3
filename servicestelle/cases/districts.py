"""A case's district (``incident.district_code``) checked against its centre's register.

The payload schema checks a code's shape only: it cannot know the centre. Whoever saves a
case — the case form, the API — checks here that the code is a district of the case's
centre and may be chosen: an active one, or the retired one the case already names (kept,
not chosen anew). Districts are never deleted, so a code once saved stays the centre's.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from servicestelle.cases import operations
from servicestelle.cases.access import CaseAccess
from servicestelle.centres.models import District
from servicestelle.centres.operations import DISTRICT_CODE
from servicestelle.centres.queries import districts_of, get_district_by_code

#: Also the answer for another centre's code: which codes exist elsewhere stays unsaid.
NOT_OFFERED = _l(
    "Diesen Stadtteil oder Kreis bietet Ihre Beratungsstelle nicht an. Bitte wählen Sie einen aus der Liste."
)


def offered(centre_id: int, kept: str = "") -> list[District]:
    """What a case form offers, by name: the active districts, and the retired one the case
    already names (``kept``)."""
    return [
        district
        for district in districts_of(centre_id)
        if district.is_active or (kept and district.code == kept)
    ]


def kept_code(access: CaseAccess, code: str) -> str:
    """``code`` if it is a retired district of the case's centre that the case already names;
    "" otherwise.

    Only then is the stored payload decrypted, without an audit entry of its own: this is
    part of saving the case, and the save writes the request's entry (``case:record:update``).
    Nothing of what was decrypted is shown; the caller learns only whether the code is kept.
    """
    if not DISTRICT_CODE.fullmatch(code):
        return ""  # none chosen, or no code at all (the payload schema says so)
    district = get_district_by_code(access.case.centre_id, code)
    if district is None or district.is_active:
        return ""
    stored = operations.open_sealed(access).payload["incident"].get("district_code", "")
    return code if stored == code else ""


def check(centre_id: int, code: str, *, kept: str = "") -> None:
    """Refuse a district code the centre does not offer for this case.

    Raises marshmallow's ValidationError shaped like the payload's own
    (``{"incident": {"district_code": [...]}}``), so the form puts it next to the field and
    the API answers it as any invalid field.
    """
    if not code or (kept and code == kept):
        return
    district = get_district_by_code(centre_id, code) if DISTRICT_CODE.fullmatch(code) else None
    if district is None or not district.is_active:
        raise ValidationError({"incident": {"district_code": [str(NOT_OFFERED)]}})
