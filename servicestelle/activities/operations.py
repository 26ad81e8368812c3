"""The writers of activities: record, change, delete — each committed with its audit entry.

Audit details hold the activity's codes and the names of changed fields, never the title,
the partners or the description.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from audit import AuditEvent
from servicestelle import audit_trail, clock
from servicestelle.activities import codes
from servicestelle.activities.models import Activity
from servicestelle.extensions import db
from servicestelle.permissions import Permission

if TYPE_CHECKING:
    from servicestelle.auth.models import User

OBJECT_TYPE = "activity"


class ActivityError(ValueError):
    """The change cannot be made; nothing was saved (the message is German)."""


@dataclass(frozen=True)
class ActivityData:
    """What the form submits, checked by the form; the operations check it again."""

    title: str
    starts_on: date
    ends_on: date | None
    type: str
    eckpunkt: str
    task: str | None
    district_code: str | None
    participants: int | None
    partners: str
    description: str


def _check(actor: User, centre_id: int, data: ActivityData, districts: set[str]) -> None:
    # The views check all of this through the guard and the form; other callers too.
    if not actor.can(Permission.ACTIVITIES_RECORD) or actor.centre_id != centre_id:
        raise ActivityError(str(_l("Aktivitäten erfassen Beratende und die Leitung.")))
    if not data.title.strip():
        raise ActivityError(str(_l("Bitte geben Sie einen Titel an.")))
    if data.type not in codes.TYPES or data.eckpunkt not in codes.ECKPUNKTE:
        raise ActivityError(str(_l("Art oder Eckpunkt ist unbekannt.")))
    if (data.eckpunkt == codes.ANTIDISKRIMINIERUNG) != (data.task is not None) or (
        data.task is not None and data.task not in codes.TASKS
    ):
        raise ActivityError(
            str(
                _l(
                    "Aufgabenfelder und Servicefunktionen gehören zum Eckpunkt Antidiskriminierungsarbeit."
                )
            )
        )
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise ActivityError(str(_l("Der letzte Tag liegt vor dem ersten.")))
    if data.district_code is not None and data.district_code not in districts:
        raise ActivityError(
            str(_l("Diesen Stadtteil oder Kreis kennt Ihre Beratungsstelle nicht."))
        )
    if data.participants is not None and data.participants < 0:
        raise ActivityError(str(_l("Bitte geben Sie eine ganze Zahl ab 0 an.")))


def _details(activity: Activity) -> dict[str, object]:
    return {"type": activity.type, "eckpunkt": activity.eckpunkt, "task": activity.task}


def _apply(activity: Activity, data: ActivityData) -> list[str]:
    """Copy the data onto the activity; the names of the fields that changed."""
    changed = []
    for item in fields(data):
        value = getattr(data, item.name)
        if getattr(activity, item.name) != value:
            setattr(activity, item.name, value)
            changed.append(item.name)
    return changed


def record_activity(actor: User, data: ActivityData, districts: set[str]) -> Activity:
    """Record an activity of the actor's centre (committed). ``districts``: the codes the
    centre's register offers."""
    _check(actor, actor.centre_id, data, districts)
    activity = Activity(centre_id=actor.centre_id, created_by=actor.id, created_at=clock.now())
    _apply(activity, data)
    db.session.add(activity)
    db.session.flush()
    audit_trail.record(
        AuditEvent.ACTIVITY_RECORD_CREATE,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=activity.id,
        centre_id=activity.centre_id,
        details=_details(activity),
    )
    db.session.commit()
    return activity


def change_activity(
    actor: User, activity: Activity, data: ActivityData, districts: set[str]
) -> list[str]:
    """Change an activity (committed when anything changed); the changed fields' names."""
    # A district retired since the activity was recorded may stay on it.
    _check(actor, activity.centre_id, data, districts | {activity.district_code or ""})
    changed = _apply(activity, data)
    if not changed:
        return []
    activity.updated_at = clock.now()
    audit_trail.record(
        AuditEvent.ACTIVITY_RECORD_UPDATE,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=activity.id,
        centre_id=activity.centre_id,
        details={**_details(activity), "fields": changed},
    )
    db.session.commit()
    return changed


def delete_activity(actor: User, activity: Activity) -> None:
    """Delete an activity (committed); the audit entry keeps its id and codes."""
    if not actor.can(Permission.ACTIVITIES_RECORD) or actor.centre_id != activity.centre_id:
        raise ActivityError(str(_l("Aktivitäten erfassen Beratende und die Leitung.")))
    audit_trail.record(
        AuditEvent.ACTIVITY_RECORD_DELETE,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=activity.id,
        centre_id=activity.centre_id,
        details=_details(activity),
    )
    db.session.delete(activity)
    db.session.commit()


#: The downloads of the annual report the audit log names.
REPORT_FORMATS = ("pdf", "csv_activities", "csv_summary")


def record_report_export(
    actor: User, year: int, fmt: str, *, activities: int, campaigns: int, release_id: int | None
) -> None:
    """Audit one download of the annual activity report (committed): the year, the format,
    how many activities and campaigns it lists and the statistics release it quotes — ids
    and counts, never a title."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown export format: {fmt}")
    audit_trail.record(
        AuditEvent.ACTIVITY_REPORT_EXPORT,
        actor=actor,
        centre_id=actor.centre_id,
        details={
            "year": year,
            "format": fmt,
            "activities": activities,
            "campaigns": campaigns,
            "release_id": release_id,
        },
    )
    db.session.commit()
