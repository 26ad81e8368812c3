"""Releases: a period's tables, frozen, audited against re-identification, approved by a
second supervisor and signed.

A release holds aggregate figures only: counts that passed disclosure control, suppressed
cells as null. The true values of suppressed cells are not stored anywhere (the audit keeps
the attacker's interval, never the value).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped

from servicestelle.db import Base, UTCDateTime, classified, intpk, timestamp


class ReleaseStatus(StrEnum):
    DRAFT = "draft"  # frozen, waiting for a second supervisor
    PUBLISHED = "published"  # approved and signed; immutable
    REJECTED = "rejected"  # the second supervisor said no, with a reason
    REVOKED = "revoked"  # withdrawn after publication, with a reason (its figures are out)


class ReleaseKind(StrEnum):
    RELEASE = "release"  # disclosure-controlled tables for readers
    #: Unsuppressed counts for the statewide coordinator only (stats/packages.py): never
    #: public, never an earlier release of the disclosure model, encrypted when exported.
    PACKAGE = "package"


#: A release that anyone has seen counts as known to an attacker.
OUT = (ReleaseStatus.PUBLISHED, ReleaseStatus.REVOKED)

REASON_MAX = 2_000


class Release(Base):
    __tablename__ = "stats_releases"

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("centres.id"), index=True)
    kind: Mapped[str] = classified(
        "none",
        String(16),
        default=ReleaseKind.RELEASE.value,
        server_default=ReleaseKind.RELEASE.value,
    )
    #: "2026", "2026-H1" or "2026-Q3" (periods.Period.code).
    period: Mapped[str] = classified("none", String(8))
    #: Releases link within a calendar year (stats.model); the year finds them.
    year: Mapped[int] = classified("none", Integer, index=True)
    catalogue_version: Mapped[int] = classified("none", Integer)
    #: Table ids, comma-separated, in catalogue order.
    table_ids: Mapped[str] = classified("none", String(400))
    #: Minimum count of a published cell: the setting at drafting time, raised to the k of
    #: every earlier release of the centre and year (operations.release_k).
    k: Mapped[int] = classified("none", Integer)
    status: Mapped[str] = classified("none", String(16), default=ReleaseStatus.DRAFT.value)
    #: Canonical JSON of the tables: counts, suppressed cells as null (aggregates only).
    content: Mapped[str] = classified("statistical", Text)
    #: SHA-256 (hex) of ``content``: what the approver approves and the signature covers.
    content_hash: Mapped[str] = classified("none", String(64))
    #: The attacker audit: per suppressed cell its feasible interval (never its value).
    audit: Mapped[str] = classified("statistical", Text)
    audit_passed: Mapped[bool] = classified("none", Boolean)
    drafted_by: Mapped[int] = classified("none", ForeignKey("users.id"))
    drafted_at: Mapped[timestamp]
    decided_by: Mapped[int | None] = classified("none", ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = classified("none", UTCDateTime(), nullable=True)
    #: A supervisor's reason for rejecting or revoking; written about figures, not people.
    reason: Mapped[str | None] = classified("personal", Text, nullable=True)
    revoked_by: Mapped[int | None] = classified("none", ForeignKey("users.id"), nullable=True)
    revoked_at: Mapped[datetime | None] = classified("none", UTCDateTime(), nullable=True)
    #: Ed25519 signature over the signed document (signing.signed_document).
    signature: Mapped[bytes | None] = classified("none", LargeBinary(64), nullable=True)
    #: The centre's release public key at signing (raw 32 bytes).
    public_key: Mapped[bytes | None] = classified("none", LargeBinary(32), nullable=True)
    #: The signed revocation document (signing.revocation_document, canonical JSON): ids,
    #: times, hashes and a keyed commitment to the reason, never the reason's text.
    revocation: Mapped[str | None] = classified("none", Text, nullable=True)
    #: Ed25519 signature over ``revocation`` under the centre's release key.
    revocation_signature: Mapped[bytes | None] = classified("none", LargeBinary(64), nullable=True)
    #: The random key of the reason's commitment (signing.reason_commitment): lets the centre
    #: prove the reason it signed; it never leaves the database.
    revocation_salt: Mapped[bytes | None] = classified("none", LargeBinary(16), nullable=True)

    @property
    def table_list(self) -> list[str]:
        return [table_id for table_id in self.table_ids.split(",") if table_id]
