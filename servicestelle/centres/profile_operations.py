"""The writer of district profiles: importing a year's figures (committed, audited).

A re-import of a year replaces its figures (profile_models.py says why the old figures are
not kept); the audit entry names the version it replaced and both files' hashes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from audit import AuditEvent
from servicestelle import audit_trail, clock
from servicestelle.centres.models import District
from servicestelle.centres.profile_import import ProfileFileError, parse
from servicestelle.centres.profile_models import DistrictFigure, DistrictProfile
from servicestelle.extensions import db
from servicestelle.permissions import Permission

if TYPE_CHECKING:
    from servicestelle.auth.models import User

#: Years a profile may describe (the same bounds as the statistics periods).
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
OBJECT_TYPE = "district_profile"


@dataclass(frozen=True)
class Imported:
    profile: DistrictProfile
    #: The version this import replaced, or None for the first import of the year.
    replaced: DistrictProfile | None


def import_profile(actor: User, year: int, data: bytes) -> Imported:
    """Import the file as the actor's centre's profile of ``year`` (committed); raises
    ProfileFileError (German, line by line) and saves nothing if anything is wrong."""
    if not actor.can(Permission.DISTRICTS_MANAGE):
        raise ProfileFileError(
            [str(_l("Bevölkerungszahlen spielt die Leitung der Beratungsstelle ein."))]
        )
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ProfileFileError([str(_l("Bitte wählen Sie ein Jahr von 2000 bis 2100."))])
    centre_id = actor.centre_id
    register = {
        district.code: district.name
        for district in db.session.scalars(
            sa.select(District).where(District.centre_id == centre_id)
        )
    }
    parsed = parse(data, register)
    now = clock.now()
    replaced = db.session.scalar(
        sa.select(DistrictProfile).where(
            DistrictProfile.centre_id == centre_id,
            DistrictProfile.year == year,
            DistrictProfile.replaced_at.is_(None),
        )
    )
    latest_version = db.session.scalar(
        sa.select(sa.func.max(DistrictProfile.version)).where(
            DistrictProfile.centre_id == centre_id, DistrictProfile.year == year
        )
    )
    if replaced is not None:
        replaced.replaced_at = now
        replaced.figures.clear()  # the replaced version keeps its summary only
    profile = DistrictProfile(
        centre_id=centre_id,
        year=year,
        version=(latest_version or 0) + 1,
        columns=",".join(parsed.columns),
        district_count=len(parsed.rows),
        population_total=sum(row.population for row in parsed.rows),
        source_sha256=hashlib.sha256(data).hexdigest(),
        imported_by=actor.id,
        imported_at=now,
        figures=[
            DistrictFigure(
                district_code=row.code,
                population=row.population,
                extra=json.dumps(
                    {code: str(value) for code, value in row.extra.items()}, sort_keys=True
                ),
            )
            for row in parsed.rows
        ],
    )
    db.session.add(profile)
    db.session.flush()
    details: dict[str, object] = {
        "year": year,
        "version": profile.version,
        "districts": profile.district_count,
        "columns": list(parsed.columns),
        "sha256": profile.source_sha256,
    }
    if replaced is not None:
        details |= {
            "replaced_version": replaced.version,
            "replaced_sha256": replaced.source_sha256,
            "replaced_districts": replaced.district_count,
        }
    audit_trail.record(
        AuditEvent.ORG_DISTRICT_PROFILE_IMPORT,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=profile.id,
        centre_id=centre_id,
        details=details,
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Another import of the same year got its version number first.
        db.session.rollback()
        raise ProfileFileError(
            [
                str(
                    _l(
                        "Für dieses Jahr wurden gerade andere Zahlen eingespielt. Bitte prüfen "
                        "Sie die Liste und laden Sie die Datei gegebenenfalls erneut hoch."
                    )
                )
            ]
        ) from None
    return Imported(profile=profile, replaced=replaced)
