"""The coordinator's registry of centres and the packages imported from them.

A package holds one centre's unsuppressed aggregate counts for one period (never a case, a
person or a free text); the coordinator publishes only statewide sums of them, through the
same disclosure control as a centre's releases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped

from servicestelle.db import Base, UTCDateTime, classified, intpk, timestamp

#: Limits of the registry's codes and names (operations, CLI and migration share them).
CODE_MAX = 32
NAME_MAX = 200
REGION_NAME_MAX = 80


class RegisteredCentre(Base):
    """A counselling centre whose packages this coordinator accepts."""

    __tablename__ = "coordinator_centres"

    id: Mapped[intpk]
    #: The centre's own code (its packages name it; its release key is derived from it).
    code: Mapped[str] = classified("none", String(CODE_MAX), unique=True)
    #: The centre's name (an organisation, not a person).
    name: Mapped[str] = classified("none", String(NAME_MAX))
    #: The region the centre's cases count in statewide (e.g. "owl"), and its name.
    region_code: Mapped[str] = classified("none", String(CODE_MAX), index=True)
    region_name: Mapped[str] = classified("none", String(REGION_NAME_MAX))
    #: The centre's Ed25519 release public key (raw 32 bytes): packages verify with it only.
    public_key: Mapped[bytes] = classified("none", LargeBinary(32), unique=True)
    registered_at: Mapped[timestamp]
    #: None: the operator on the command line.
    registered_by: Mapped[int | None] = classified("none", ForeignKey("users.id"), nullable=True)


class ImportedPackage(Base):
    """One centre's package for one period, verified and stored as signed."""

    __tablename__ = "coordinator_packages"
    __table_args__ = (
        UniqueConstraint("centre_id", "period", name="uq_coordinator_packages_centre_period"),
    )

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("coordinator_centres.id"), index=True)
    #: "2026", "2026-H1" or "2026-Q3" (stats.periods.Period.code).
    period: Mapped[str] = classified("none", String(8), index=True)
    catalogue_version: Mapped[int] = classified("none", Integer)
    #: Canonical JSON of the package's tables: aggregate counts, none suppressed.
    content: Mapped[str] = classified("statistical", Text)
    #: SHA-256 (hex) of ``content``, as signed by the centre.
    content_hash: Mapped[str] = classified("none", String(64))
    #: The centre's Ed25519 signature of the package document (stats.package_format).
    signature: Mapped[bytes] = classified("none", LargeBinary(64))
    #: When the centre's second supervisor approved the package (signed).
    published_at: Mapped[datetime] = classified("none", UTCDateTime())
    imported_at: Mapped[timestamp]
    #: None: the operator on the command line.
    imported_by: Mapped[int | None] = classified("none", ForeignKey("users.id"), nullable=True)
