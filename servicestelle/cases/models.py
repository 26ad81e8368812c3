"""The case tables: plaintext metadata for lists and deadlines, everything else sealed.

What stays readable (DESIGN.md §4): ids, centre, reference, status, dates needed for lists,
deadlines and retention, assignment, consent purposes and dates. Everything a person wrote,
every name and every category of the case is in a sealed column, encrypted under the case's
own data key (``case_keys``) and bound to its table, column and row.

Case ids are never reused (``sqlite_autoincrement``; PostgreSQL sequences never reuse): the
audit log names cases by id, and a deleted case's id must not come back as another case.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, relationship

from servicestelle.db import Base, UTCDateTime, classified, intpk, timestamp

STATUSES = ("open", "waiting", "closed")
MEMBER_KINDS = ("assigned", "shared")


def _case_fk() -> ForeignKey:
    return ForeignKey("cases.id", ondelete="CASCADE")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("centre_id", "year", "number", name="uq_cases_reference"),
        CheckConstraint("status IN ('open', 'waiting', 'closed')", name="status"),
        CheckConstraint("number >= 1", name="number"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("centres.id"), index=True)
    #: Reference number per centre and year ("2026-0042"): opaque, names nobody.
    year: Mapped[int] = classified("none", Integer)
    number: Mapped[int] = classified("none", Integer)
    status: Mapped[str] = classified("none", String(16), default="open")
    opened_on: Mapped[date] = classified("none", Date)
    closed_on: Mapped[date | None] = classified("none", Date)
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]
    created_by: Mapped[int | None] = classified("none", ForeignKey("users.id"))
    #: Bumped by every save of the sealed payload: a save based on an older version is refused
    #: instead of silently overwriting a colleague's work.
    content_version: Mapped[int] = classified("none", Integer, default=1)
    #: Everything about the incident, the people and the classification (cases/payload.py).
    payload: Mapped[bytes | None] = classified("sealed", LargeBinary)
    #: Blind indexes (cases/indexes.py): find a client pseudonym or a respondent again.
    pseudonym_index: Mapped[int | None] = classified(
        "blind_index", Integer, index=True, info={"of": "client.pseudonym"}
    )
    respondent_index: Mapped[int | None] = classified(
        "blind_index", Integer, index=True, info={"of": "respondent.name"}
    )
    #: Kept beyond the retention period while set (litigation, a pending complaint).
    legal_hold: Mapped[bool] = classified("none", Boolean, default=False)
    #: The client withdrew consent to statistics: the statistics store must drop this case.
    statistics_excluded: Mapped[bool] = classified("none", Boolean, default=False)

    members: Mapped[list[CaseMember]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def reference(self) -> str:
        return f"{self.year}-{self.number:04d}"


class CaseKey(Base):
    """The case's data key, wrapped by a key-encryption key. Deleting it shreds the case."""

    __tablename__ = "case_keys"

    case_id: Mapped[int] = classified("none", _case_fk(), primary_key=True)
    kek_id: Mapped[int] = classified("none", Integer, index=True)
    wrapped_key: Mapped[bytes] = classified("secret", LargeBinary)
    #: Compare-and-swap counter: a re-wrap only replaces the version it read.
    version: Mapped[int] = classified("none", Integer, default=1)
    created_at: Mapped[timestamp]
    rewrapped_at: Mapped[datetime | None] = classified("none", UTCDateTime())


class CaseMember(Base):
    """Who works on a case: assigned by a supervisor (or its creator), or shared with."""

    __tablename__ = "case_members"
    __table_args__ = (
        UniqueConstraint("case_id", "user_id"),
        CheckConstraint("kind IN ('assigned', 'shared')", name="kind"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = classified("none", _case_fk(), index=True)
    user_id: Mapped[int] = classified("none", ForeignKey("users.id"), index=True)
    kind: Mapped[str] = classified("none", String(16))
    added_at: Mapped[timestamp]
    added_by: Mapped[int | None] = classified("none", ForeignKey("users.id"))

    case: Mapped[Case] = relationship(back_populates="members")


class CaseContact(Base):
    """One contact in the timeline; channel, duration and note are sealed."""

    __tablename__ = "case_contacts"

    id: Mapped[intpk]
    case_id: Mapped[int] = classified("none", _case_fk(), index=True)
    occurred_on: Mapped[date] = classified("none", Date)
    content: Mapped[bytes] = classified("sealed", LargeBinary)
    created_at: Mapped[timestamp]
    created_by: Mapped[int | None] = classified("none", ForeignKey("users.id"))


class CaseIntervention(Base):
    """A step taken (DOMAIN.md A6); type, details and result are sealed."""

    __tablename__ = "case_interventions"

    id: Mapped[intpk]
    case_id: Mapped[int] = classified("none", _case_fk(), index=True)
    occurred_on: Mapped[date] = classified("none", Date)
    content: Mapped[bytes] = classified("sealed", LargeBinary)
    created_at: Mapped[timestamp]
    created_by: Mapped[int | None] = classified("none", ForeignKey("users.id"))


class CaseDeadline(Base):
    """A statutory deadline. Due date and uncertainty are plain (lists, the start page); the
    legal basis and the trigger date are sealed (an AGG §15 deadline says "employment")."""

    __tablename__ = "case_deadlines"

    id: Mapped[intpk]
    case_id: Mapped[int] = classified("none", _case_fk(), index=True)
    due_on: Mapped[date] = classified("none", Date, index=True)
    uncertain: Mapped[bool] = classified("none", Boolean, default=False)
    done_on: Mapped[date | None] = classified("none", Date)
    content: Mapped[bytes] = classified("sealed", LargeBinary)
    created_at: Mapped[timestamp]
    created_by: Mapped[int | None] = classified("none", ForeignKey("users.id"))


class CaseDocument(Base):
    """An attached file, sealed; its name and description are sealed apart from the bytes."""

    __tablename__ = "case_documents"

    id: Mapped[intpk]
    case_id: Mapped[int] = classified("none", _case_fk(), index=True)
    #: Decided from the content (cases/filetypes.py), never from the uploaded name.
    media_type: Mapped[str] = classified("none", String(100))
    size: Mapped[int] = classified("none", Integer)
    description: Mapped[bytes] = classified("sealed", LargeBinary)
    content: Mapped[bytes] = classified("sealed", LargeBinary)
    created_at: Mapped[timestamp]
    created_by: Mapped[int | None] = classified("none", ForeignKey("users.id"))


class CaseConsent(Base):
    """A consent given for one purpose (GDPR Art. 9(2)(a)); revocable, never deleted."""

    __tablename__ = "case_consents"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('beratungsdokumentation', 'kontakt_gegenseite', 'statistik', "
            "'fallvignette')",
            name="purpose",
        ),
        CheckConstraint("form IN ('schriftlich', 'muendlich')", name="form"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = classified("none", _case_fk(), index=True)
    purpose: Mapped[str] = classified("none", String(32))
    given_on: Mapped[date] = classified("none", Date)
    form: Mapped[str] = classified("none", String(16))
    withdrawn_on: Mapped[date | None] = classified("none", Date)
    created_at: Mapped[timestamp]
    created_by: Mapped[int | None] = classified("none", ForeignKey("users.id"))


class BreakGlassAccess(Base):
    """An emergency opening of a case by someone not assigned to it, for a limited time.

    The reason is sealed under the keyring's "oversight" key, not the case key: the DPO reads
    it when reviewing, without being able to open the case.
    """

    __tablename__ = "case_break_glass"

    id: Mapped[intpk]
    case_id: Mapped[int] = classified("none", _case_fk(), index=True)
    user_id: Mapped[int] = classified("none", ForeignKey("users.id"), index=True)
    opened_at: Mapped[timestamp]
    expires_at: Mapped[datetime] = classified("none", UTCDateTime())
    reason: Mapped[bytes] = classified("sealed", LargeBinary)


class CaseDeletion(Base):
    """What remains of a deleted case for the DPO: reference and dates, never content."""

    __tablename__ = "case_deletions"

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("centres.id"), index=True)
    case_id: Mapped[int] = classified("none", Integer, unique=True)
    reference: Mapped[str] = classified("none", String(16))
    opened_on: Mapped[date] = classified("none", Date)
    closed_on: Mapped[date | None] = classified("none", Date)
    deleted_at: Mapped[timestamp]
    #: "retention" (the deletion job) — the only way a case is deleted today.
    reason: Mapped[str] = classified("none", String(32))
