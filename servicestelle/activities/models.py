"""Activities beyond cases: workshops, trainings, network meetings, institutional counselling,
publications, campaigns — what the annual activity report for the funder counts.

An activity is about the centre's work, never about a client: the form says so next to every
free-text field. Those fields are still classified "personal": a staff member or a partner's
contact person may be named there.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped

from servicestelle.centres.models import DISTRICT_CODE_MAX
from servicestelle.db import Base, UTCDateTime, classified, intpk, timestamp

TITLE_MAX = 120
PARTNERS_MAX = 500
DESCRIPTION_MAX = 2_000
#: More would be a typing error, not a very large event.
PARTICIPANTS_MAX = 100_000


class Activity(Base):
    __tablename__ = "activities"

    id: Mapped[intpk]
    centre_id: Mapped[int] = classified("none", ForeignKey("centres.id"), index=True)
    #: Short title, e.g. "Workshop Gesamtschule Nord"; about the event, not about people.
    title: Mapped[str] = classified("personal", String(TITLE_MAX))
    #: The (first) day; the year of the report is this day's year.
    starts_on: Mapped[date] = classified("none", Date, index=True)
    #: The last day of an activity over several days, else None.
    ends_on: Mapped[date | None] = classified("none", Date, nullable=True)
    #: activities.codes.TYPES
    type: Mapped[str] = classified("none", String(32))
    #: activities.codes.ECKPUNKTE
    eckpunkt: Mapped[str] = classified("none", String(40))
    #: activities.codes.TASKS (Aufgabenfeld or Servicefunktion); only under Eckpunkt 4.
    task: Mapped[str | None] = classified("none", String(40), nullable=True)
    #: A code of the centre's district register, or None (a coordinator has none).
    district_code: Mapped[str | None] = classified("none", String(DISTRICT_CODE_MAX), nullable=True)
    participants: Mapped[int | None] = classified("none", Integer, nullable=True)
    #: Partner organisations; may name a contact person.
    partners: Mapped[str] = classified("personal", String(PARTNERS_MAX), default="")
    #: Short description of the activity; never client data (the form says so).
    description: Mapped[str] = classified("personal", Text, default="")
    created_by: Mapped[int] = classified("none", ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    updated_at: Mapped[datetime | None] = classified("none", UTCDateTime(), nullable=True)
