"""Campaigns of a centre: what they target, when, who does what, the published figures they
rest on (evidence), the figures they want to move (indicators) and what the team did.

Nothing here links to a case: targets are catalogue codes and district codes, evidence and
indicators are figure keys of published releases (stats/keys.py). The free texts are the
team's own planning notes; the forms ask for no names of clients.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, relationship

from servicestelle.db import Base, UTCDateTime, classified, intpk, timestamp

TITLE_MAX = 200
TEXT_MAX = 2_000
#: A figure key ("opened|grounds=geschlecht|life_areas=arbeit") and its label.
KEY_MAX = 255
LABEL_MAX = 400


class CampaignStatus(StrEnum):
    IDEA = "idee"
    PLANNED = "geplant"
    RUNNING = "laufend"
    DONE = "abgeschlossen"


class Direction(StrEnum):
    """Where an indicator should go."""

    LOWER = "senken"
    RAISE = "erhoehen"
    #: More reports of an under-reported discrimination: a rise is what the campaign wants.
    VISIBLE = "sichtbar_machen"


def split_codes(value: str) -> list[str]:
    return [code for code in value.split(",") if code]


def join_codes(codes: list[str]) -> str:
    return ",".join(dict.fromkeys(codes))


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("centres.id"), index=True)
    #: The team's title for the campaign (planning text about a topic, not about people).
    title: Mapped[str] = classified("personal", String(TITLE_MAX))
    #: The goal in the team's words.
    goal: Mapped[str] = classified("personal", Text, default="")
    status: Mapped[str] = classified("none", String(16))
    starts_on: Mapped[date] = classified("none", Date)
    ends_on: Mapped[date] = classified("none", Date)
    #: Euro cents (SQLite has no exact decimal type); None: no budget planned.
    budget_cents: Mapped[int | None] = classified("none", Integer, nullable=True)
    #: Codes, comma-separated: catalogue GROUNDS (top level or racism sub-form), LIFE_AREAS,
    #: the centre's district register, and codes.AUDIENCES.
    grounds: Mapped[str] = classified("none", Text, default="")
    life_areas: Mapped[str] = classified("none", Text, default="")
    districts: Mapped[str] = classified("none", Text, default="")
    audiences: Mapped[str] = classified("none", Text, default="")
    #: Further audiences in the team's words (a group, never a person).
    audience_other: Mapped[str] = classified("personal", String(TITLE_MAX), default="")
    #: Outputs entered by the team for the review (Wirkungsdialog).
    events_held: Mapped[int | None] = classified("none", Integer, nullable=True)
    people_reached: Mapped[int | None] = classified("none", Integer, nullable=True)
    outputs_note: Mapped[str] = classified("personal", Text, default="")
    created_by: Mapped[int] = classified("none", ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]

    activities: Mapped[list[CampaignActivity]] = relationship(
        back_populates="campaign",
        cascade="all, delete-orphan",
        order_by="(CampaignActivity.starts_on, CampaignActivity.id)",
    )
    evidence: Mapped[list[CampaignEvidence]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignEvidence.id"
    )
    indicators: Mapped[list[CampaignIndicator]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignIndicator.id"
    )

    @property
    def ground_codes(self) -> list[str]:
        return split_codes(self.grounds)

    @property
    def life_area_codes(self) -> list[str]:
        return split_codes(self.life_areas)

    @property
    def district_codes(self) -> list[str]:
        return split_codes(self.districts)

    @property
    def audience_codes(self) -> list[str]:
        return split_codes(self.audiences)


class CampaignActivity(Base):
    """Something the campaign does on a day (or over days), and who in the team is
    responsible for it."""

    __tablename__ = "campaign_activities"

    id: Mapped[intpk]
    campaign_id: Mapped[int] = classified(
        "none", ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = classified("personal", String(TITLE_MAX))
    starts_on: Mapped[date] = classified("none", Date)
    #: None: a one-day activity.
    ends_on: Mapped[date | None] = classified("none", Date, nullable=True)
    responsible_id: Mapped[int | None] = classified("none", ForeignKey("users.id"), nullable=True)
    created_at: Mapped[timestamp]

    campaign: Mapped[Campaign] = relationship(back_populates="activities")

    @property
    def last_day(self) -> date:
        return self.ends_on or self.starts_on


class CampaignEvidence(Base):
    """A published figure the campaign rests on, as it was when linked."""

    __tablename__ = "campaign_evidence"
    __table_args__ = (
        UniqueConstraint(
            "campaign_id", "release_id", "key", name="uq_campaign_evidence_campaign_release_key"
        ),
    )

    id: Mapped[intpk]
    campaign_id: Mapped[int] = classified(
        "none", ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    release_id: Mapped[int] = classified("none", ForeignKey("stats_releases.id"), index=True)
    key: Mapped[str] = classified("none", String(KEY_MAX))
    #: The published value when linked, a record of what was linked. No page shows it: they
    #: read the value from the release, and only while it is published (queries.
    #: evidence_shown), so revoking the release withdraws the figure here too.
    value: Mapped[int] = classified("none", Integer)
    #: "table title: row / column", German, from the release content.
    label: Mapped[str] = classified("none", String(LABEL_MAX))
    linked_by: Mapped[int] = classified("none", ForeignKey("users.id"))
    linked_at: Mapped[datetime] = classified("none", UTCDateTime())

    campaign: Mapped[Campaign] = relationship(back_populates="evidence")


class CampaignIndicator(Base):
    """A figure the campaign wants to move, and in which direction."""

    __tablename__ = "campaign_indicators"
    __table_args__ = (
        UniqueConstraint("campaign_id", "key", name="uq_campaign_indicators_campaign_key"),
    )

    id: Mapped[intpk]
    campaign_id: Mapped[int] = classified(
        "none", ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = classified("none", String(KEY_MAX))
    label: Mapped[str] = classified("none", String(LABEL_MAX))
    direction: Mapped[str] = classified("none", String(16))
    created_at: Mapped[timestamp]

    campaign: Mapped[Campaign] = relationship(back_populates="indicators")
