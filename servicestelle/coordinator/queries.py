"""Reads of the coordinator's registry and imports."""

from __future__ import annotations

import sqlalchemy as sa

from servicestelle.coordinator.models import ImportedPackage, RegisteredCentre
from servicestelle.extensions import db


def registered_centres() -> list[RegisteredCentre]:
    return list(
        db.session.scalars(
            sa.select(RegisteredCentre).order_by(
                RegisteredCentre.region_name, RegisteredCentre.name
            )
        )
    )


def imported_packages() -> list[tuple[ImportedPackage, RegisteredCentre]]:
    """Every imported package with its centre, newest period first."""
    rows = db.session.execute(
        sa.select(ImportedPackage, RegisteredCentre)
        .join(RegisteredCentre, ImportedPackage.centre_id == RegisteredCentre.id)
        .order_by(ImportedPackage.period.desc(), RegisteredCentre.name, ImportedPackage.id.desc())
    )
    return [(package, centre) for package, centre in rows]


def centre_of(package: ImportedPackage) -> RegisteredCentre:
    return db.session.get_one(RegisteredCentre, package.centre_id)
