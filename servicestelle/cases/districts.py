"""The districts a case form offers (``incident.district_code``): the centre's register.

The rule itself — an active district of the case's centre, or the retired one the case
already names — is part of saving a case: operations.create_case and update_case refuse any
other code (``operations.DistrictNotOffered``), whichever way the case is saved. The form
offers the same choice beforehand, so that a refusal is the exception.
"""

from __future__ import annotations

from servicestelle.cases import operations
from servicestelle.centres.models import District
from servicestelle.centres.queries import districts_of

NOT_OFFERED = operations.DISTRICT_NOT_OFFERED
#: Whether a retired district stays selectable on this case (``offered(..., kept)``).
kept_code = operations.kept_district


def offered(centre_id: int, kept: str = "") -> list[District]:
    """What a case form offers, by name: the active districts, and the retired one the case
    already names (``kept``)."""
    return [
        district
        for district in districts_of(centre_id)
        if district.is_active or (kept and district.code == kept)
    ]
