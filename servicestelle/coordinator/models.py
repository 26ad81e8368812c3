"""The coordinator's registry of centres and the packages imported from them.

A package holds one centre's unsuppressed aggregate counts for one period (never a case, a
person or a free text); the coordinator publishes only statewide sums of them, through the
same disclosure control as a centre's releases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, text
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


#: A package still counted: neither withdrawn nor (for a year before the retention limit)
#: purged. Only a withdrawal makes room for another package of the same centre and period.
ACTIVE = "withdrawn_at IS NULL"


class ImportedPackage(Base):
    """One centre's package for one period, verified and stored as signed.

    The row outlives its counts: a withdrawal (coordinator.operations.withdraw_package) and
    the retention purge delete ``content`` and keep the rest for the audit trail.
    """

    __tablename__ = "coordinator_packages"
    __table_args__ = (
        # One counted package per centre and period; withdrawn ones stay beside it.
        Index(
            "uq_coordinator_packages_centre_period_active",
            "centre_id",
            "period",
            unique=True,
            sqlite_where=text(ACTIVE),
            postgresql_where=text(ACTIVE),
        ),
    )

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("coordinator_centres.id"), index=True)
    #: "2026", "2026-H1" or "2026-Q3" (stats.periods.Period.code).
    period: Mapped[str] = classified("none", String(8), index=True)
    catalogue_version: Mapped[int] = classified("none", Integer)
    #: The centre's region when the package was imported: a later move of the centre leaves
    #: the region figures of the periods already imported alone.
    region_code: Mapped[str] = classified("none", String(CODE_MAX))
    region_name: Mapped[str] = classified("none", String(REGION_NAME_MAX))
    #: Canonical JSON of the package's tables: aggregate counts, none suppressed. None once
    #: withdrawn or purged (retention).
    content: Mapped[str | None] = classified("statistical", Text, nullable=True)
    #: SHA-256 (hex) of ``content``, as signed by the centre.
    content_hash: Mapped[str] = classified("none", String(64))
    #: The centre's Ed25519 signature of the package document (stats.package_format).
    signature: Mapped[bytes] = classified("none", LargeBinary(64))
    #: The registered key the signature was verified with (raw 32 bytes): still there after
    #: the centre's key is replaced (coordinator.operations.replace_key).
    public_key: Mapped[bytes] = classified("none", LargeBinary(32))
    #: When the centre's second supervisor approved the package (signed).
    published_at: Mapped[datetime] = classified("none", UTCDateTime())
    imported_at: Mapped[timestamp]
    #: None: the operator on the command line.
    imported_by: Mapped[int | None] = classified("none", ForeignKey("users.id"), nullable=True)
    withdrawn_at: Mapped[datetime | None] = classified("none", UTCDateTime(), nullable=True)
    #: None (with ``withdrawn_at`` set): the operator on the command line.
    withdrawn_by: Mapped[int | None] = classified("none", ForeignKey("users.id"), nullable=True)
    #: A supervisor's reason for the withdrawal; written about figures, not people.
    withdrawal_reason: Mapped[str | None] = classified("personal", Text, nullable=True)
    #: When the retention purge deleted the counts (`servicestelle coordinator packages purge`).
    purged_at: Mapped[datetime | None] = classified("none", UTCDateTime(), nullable=True)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None
