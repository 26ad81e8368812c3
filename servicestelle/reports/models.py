"""Reports, their vignettes and policy demands.

A report holds no figure: its tables are read from the centre's published release of its
period whenever it is shown (reports/document.py). What a report stores is what people wrote
for it — the title, anonymised vignettes, policy demands — and its status. A vignette stores
its text and its report, never the case it was written from: nothing here links back to a case
(tests/test_reports_vignettes.py checks the columns).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped

from servicestelle.db import Base, UTCDateTime, classified, intpk, timestamp

TITLE_MAX = 200
VIGNETTE_MAX = 4_000
DEMAND_TITLE_MAX = 300
DEMAND_TEXT_MAX = 3_000
REASON_MAX = 1_000


class ReportStatus(StrEnum):
    DRAFT = "draft"  # vignettes and demands may change
    FINAL = "final"  # finalised by a supervisor: vignettes and demands are frozen


class VignetteStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for a supervisor other than the proposer
    ACCEPTED = "accepted"  # shown in the report's outputs
    REFUSED = "refused"  # never shown; the reason stays for the proposer


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("centres.id"), index=True)
    #: Typed by staff for publication ("Antidiskriminierungsbericht 2026").
    title: Mapped[str] = classified("personal", String(TITLE_MAX))
    #: "2026", "2026-H1" or "2026-Q3" (stats.periods.Period.code).
    period: Mapped[str] = classified("none", String(8))
    status: Mapped[str] = classified("none", String(16), default=ReportStatus.DRAFT.value)
    created_by: Mapped[int] = classified("none", ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    finalised_by: Mapped[int | None] = classified("none", ForeignKey("users.id"), nullable=True)
    finalised_at: Mapped[datetime | None] = classified("none", UTCDateTime(), nullable=True)
    #: The published release the report showed when it was finalised (so that a later
    #: revocation of it can be stated); its figures are still read from the release.
    release_id: Mapped[int | None] = classified(
        "none", ForeignKey("stats_releases.id"), nullable=True
    )


class Vignette(Base):
    """An anonymised case vignette: text written for publication. No case id, by design."""

    __tablename__ = "report_vignettes"

    id: Mapped[intpk]
    report_id: Mapped[int] = classified("none", ForeignKey("reports.id"), index=True)
    #: Written for publication and reviewed before it appears; may still describe a person.
    #: Until accepted, only its proposer and the reviewers read it; blanked ("") on refusal,
    #: since a text is mostly refused because someone could be recognised in it.
    text: Mapped[str] = classified("personal", Text)
    status: Mapped[str] = classified("none", String(16), default=VignetteStatus.PROPOSED.value)
    proposed_by: Mapped[int] = classified("none", ForeignKey("users.id"))
    #: A day, not a moment: a time to the second would match the case's audit entry.
    proposed_on: Mapped[date] = classified("none", Date)
    reviewed_by: Mapped[int | None] = classified("none", ForeignKey("users.id"), nullable=True)
    reviewed_at: Mapped[datetime | None] = classified("none", UTCDateTime(), nullable=True)
    #: Why a supervisor refused it; about the text, not about people. Shown, like the text
    #: of a proposal, only to the proposer and the reviewers.
    refusal_reason: Mapped[str | None] = classified("personal", Text, nullable=True)


class PolicyDemand(Base):
    """A policy demand (Forderung) of the report, in the order the report lists them."""

    __tablename__ = "report_demands"

    id: Mapped[intpk]
    report_id: Mapped[int] = classified("none", ForeignKey("reports.id"), index=True)
    position: Mapped[int] = classified("none", Integer)
    #: Written for publication.
    title: Mapped[str] = classified("personal", String(DEMAND_TITLE_MAX))
    #: Written for publication.
    text: Mapped[str] = classified("personal", Text, default="")
    created_by: Mapped[int] = classified("none", ForeignKey("users.id"))
    created_at: Mapped[timestamp]
