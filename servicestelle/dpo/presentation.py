"""Template helpers of the workspace: local times, labels, names (a blueprint context processor)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from audit import Entry
from servicestelle import services
from servicestelle.dpo import labels


def zone() -> ZoneInfo:
    return ZoneInfo(services.settings().local_timezone)


def _locale() -> str:
    return str(get_locale() or "de")


def local_time(moment: datetime | None) -> str:
    """Date and time in the centre's time zone, in the reader's language."""
    if moment is None:
        return ""
    return format_datetime(moment, "medium", tzinfo=zone(), locale=_locale())


def local_date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return format_date(moment.astimezone(zone()).date(), "medium", locale=_locale())


def utc_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_time(moment: datetime | None) -> str:
    """For the ``datetime`` attribute of ``<time>``."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def weekday_names(days: Iterable[int]) -> str:
    """ISO weekdays (Monday = 1) as names in the reader's language."""
    names = get_day_names("wide", locale=_locale())  # 0 = Monday
    return ", ".join(str(names[day - 1]) for day in sorted(days))


def actor_name(actor_id: int | None, names: Mapping[int, str]) -> str:
    """The username; "System/Betrieb" without an actor; the number for another centre's account."""
    if actor_id is None:
        return str(labels.SYSTEM_ACTOR_LABEL)
    return names.get(actor_id) or str(_l("Konto Nr. %(id)s", id=actor_id))


def object_text(entry: Entry) -> str:
    if entry.object_type is None:
        return ""
    label = labels.object_type_label(entry.object_type)
    return f"{label} {entry.object_id}" if entry.object_id is not None else label


def helpers() -> dict[str, Any]:
    return {
        "local_time": local_time,
        "local_date": local_date,
        "utc_time": utc_time,
        "iso_time": iso_time,
        "actor_name": actor_name,
        "object_text": object_text,
        "action_label": labels.action_label,
        "outcome_label": labels.outcome_label,
        "purpose_label": labels.purpose_label,
        "role_label": labels.role_label,
        "object_type_label": labels.object_type_label,
        "problem_label": labels.problem_label,
        "protection_label": labels.protection_label,
        "weekday_names": weekday_names,
        "timezone_name": services.settings().local_timezone,
    }
