"""Reads of activities: by period (the annual report, the campaigns calendar), the list's
filters, one by id (another centre's is an audited 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import abort

from servicestelle.activities.models import Activity
from servicestelle.activities.operations import OBJECT_TYPE
from servicestelle.extensions import db
from servicestelle.security import deny_out_of_scope


def activities_between(centre_id: int, start: date, end: date) -> list[Activity]:
    """The centre's activities that take place on a day from ``start`` to ``end`` (both
    included): those that start in the range, and those over several days that overlap it.
    By first day, then id."""
    return list(
        db.session.scalars(
            sa.select(Activity)
            .where(
                Activity.centre_id == centre_id,
                Activity.starts_on <= end,
                sa.func.coalesce(Activity.ends_on, Activity.starts_on) >= start,
            )
            .order_by(Activity.starts_on, Activity.id)
        )
    )


def activities_of_year(centre_id: int, year: int) -> list[Activity]:
    """The activities a year's report counts: those whose first day lies in the year (an
    activity over New Year counts once, in the year it began)."""
    return list(
        db.session.scalars(
            sa.select(Activity)
            .where(
                Activity.centre_id == centre_id,
                Activity.starts_on >= date(year, 1, 1),
                Activity.starts_on <= date(year, 12, 31),
            )
            .order_by(Activity.starts_on, Activity.id)
        )
    )


@dataclass(frozen=True)
class Filters:
    type: str | None = None
    eckpunkt: str | None = None
    task: str | None = None
    district_code: str | None = None


def filtered(activities: list[Activity], filters: Filters) -> list[Activity]:
    return [
        activity
        for activity in activities
        if (filters.type is None or activity.type == filters.type)
        and (filters.eckpunkt is None or activity.eckpunkt == filters.eckpunkt)
        and (filters.task is None or activity.task == filters.task)
        and (filters.district_code is None or activity.district_code == filters.district_code)
    ]


def years_with_activities(centre_id: int) -> list[int]:
    """The years in which the centre recorded an activity, newest first."""
    firsts = db.session.scalars(
        sa.select(Activity.starts_on).where(Activity.centre_id == centre_id)
    )
    return sorted({first.year for first in firsts}, reverse=True)


def get_activity_in_centre_or_404(activity_id: int, centre_id: int) -> Activity:
    """An activity of the given centre; another centre's is a 404 (and audited)."""
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    if activity.centre_id != centre_id:
        deny_out_of_scope(OBJECT_TYPE, activity.id, centre_id=activity.centre_id)
    return activity
