"""Forms of the workspace. The searches are GET forms (bookmarkable, no CSRF token needed);
the POST buttons carry only the CSRF token, checked globally."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import Field, Form, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import DateInput

from audit import AuditEvent, Outcome
from servicestelle.auth.queries import users_of_centre
from servicestelle.dpo import queries
from servicestelle.dpo.labels import (
    ACTION_LABELS,
    OBJECT_TYPE_LABELS,
    OBJECT_TYPES,
    OUTCOME_LABELS,
    object_type_label,
)
from servicestelle.forms_common import single_line

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
#: Dates outside this range are typing mistakes (and would overflow the time-zone arithmetic).
YEARS = range(1970, 10_000 - 1)
#: The periods the anomaly page offers, in days.
PERIODS = (1, 7, 30, 90)
DEFAULT_PERIOD = 30

# Object ids are pseudonymous ids, never prose: an access report records the id it was about,
# and the log cannot forget it again, so a name typed here would stay for good. Each pattern
# lies inside what the audit library accepts, so a refusal here comes before its error.
_NUMBER_ID = re.compile(r"[0-9]{1,18}")
_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
#: Denied requests name the endpoint ("admin.users").
_ENDPOINT_ID = re.compile(r"[a-z_]{1,40}(\.[a-z_]{1,60})?")
#: Object type → the form of its ids; types without an entry ("instance") have no id.
OBJECT_ID_PATTERNS: dict[str, re.Pattern[str]] = {
    "activity": _NUMBER_ID,
    "api_token": _NUMBER_ID,
    "audit_checkpoint": _NUMBER_ID,
    "audit_entry": _NUMBER_ID,
    "campaign": _NUMBER_ID,
    "campaign_activity": _NUMBER_ID,
    "campaign_evidence": _NUMBER_ID,
    "campaign_indicator": _NUMBER_ID,
    "case": _CASE_ID,
    "centre": _NUMBER_ID,
    "coordinator_centre": _NUMBER_ID,
    "coordinator_package": _NUMBER_ID,
    "district": _NUMBER_ID,
    "district_profile": _NUMBER_ID,
    "endpoint": _ENDPOINT_ID,
    "kek": _NUMBER_ID,
    "report": _NUMBER_ID,
    "report_demand": _NUMBER_ID,
    "report_vignette": _NUMBER_ID,
    "stats_release": _NUMBER_ID,
    "user": _NUMBER_ID,
}
#: Without a type: any id one of the types could have (case ids include plain numbers).
_ANY_ID = _CASE_ID
_PERSON_ID = re.compile(r"[0-9]{1,10}")


def parse_date(text: str | None) -> date | None:
    """A date typed as JJJJ-MM-TT (what date inputs send) or TT.MM.JJJJ; None if neither."""
    value = (text or "").strip()
    for pattern in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        return parsed if parsed.year in YEARS else None
    return None


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of a local calendar day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _valid_date(form: Form, field: Field) -> None:
    if parse_date(field.data) is None:
        raise ValidationError(
            str(_l("Bitte geben Sie ein Datum als TT.MM.JJJJ an, zum Beispiel 01.03.2026."))
        )


def _in_choices(form: Form, field: Field) -> None:
    if field.data and field.data not in {str(value) for value, _label in field.choices or ()}:
        raise ValidationError(str(_l("Bitte wählen Sie einen Eintrag aus der Liste.")))


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def check_object_id(object_type: str | None, object_id: str) -> None:
    """Refuse an id that is not of the form the object type's ids have (a name, a sentence).

    ``object_type`` None or "" means "any type"; an unknown type is left to its own field.
    """
    if object_type and object_type not in OBJECT_TYPES:
        return
    pattern = OBJECT_ID_PATTERNS.get(object_type) if object_type else _ANY_ID
    if pattern is None:
        raise ValidationError(str(_l("Objekte dieser Art haben keine Kennung.")))
    if pattern.fullmatch(object_id):
        return
    if pattern is _NUMBER_ID:
        raise ValidationError(
            str(
                _l(
                    "Die Kennung eines Objekts der Art „%(type)s“ ist eine Nummer: nur Ziffern, höchstens 18.",
                    type=object_type_label(object_type),
                )
            )
        )
    raise ValidationError(
        str(
            _l(
                "Eine Kennung besteht aus Buchstaben, Ziffern und den Zeichen _ . : - (höchstens 64, ohne Leerzeichen) und beginnt mit einem Buchstaben oder einer Ziffer. Namen oder andere Angaben zur Person gehören nicht hierher."
            )
        )
    )


def _object_type_choices(types: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    labelled = [(value, str(OBJECT_TYPE_LABELS.get(value, value))) for value in types]
    return sorted(labelled, key=lambda choice: choice[1].casefold())


def _any() -> tuple[str, str]:
    return ("", str(_l("alle")))


class LogSearchForm(FlaskForm):
    """Filters of the log search; empty fields do not filter."""

    class Meta:
        csrf = False

    since = StringField(
        _l("Von (Datum)"),
        name="von",
        validators=[Optional(), Length(max=10), _valid_date],
        widget=DateInput(),
    )
    until = StringField(
        _l("Bis einschließlich (Datum)"),
        name="bis",
        validators=[Optional(), Length(max=10), _valid_date],
        widget=DateInput(),
    )
    # A select of account numbers: a username typed here would travel in URLs and access logs.
    actor = SelectField(_l("Person"), name="person", validate_choice=False)
    action = SelectField(
        _l("Aktion"), name="aktion", validate_choice=False, validators=[_in_choices]
    )
    object_type = SelectField(
        _l("Objektart"), name="objektart", validate_choice=False, validators=[_in_choices]
    )
    object_id = StringField(
        _l("Objektkennung"),
        name="objekt",
        description=_l("z. B. die Kennung einer Fallakte oder die Nummer eines Kontos"),
        filters=[_strip],
        validators=[Optional(), Length(max=128), single_line],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    outcome = SelectField(
        _l("Ergebnis"), name="ergebnis", validate_choice=False, validators=[_in_choices]
    )

    def __init__(self, *args: Any, centre_id: int, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.actor.choices = [
            _any(),
            *((str(user.id), user.username) for user in users_of_centre(centre_id)),
        ]
        actions = sorted(
            ((event.value, str(ACTION_LABELS.get(event, event.value))) for event in AuditEvent),
            key=lambda choice: choice[1].casefold(),
        )
        self.action.choices = [_any(), *actions]
        self.object_type.choices = [_any(), *_object_type_choices(OBJECT_TYPES)]
        self.outcome.choices = [
            _any(),
            *((outcome.value, str(OUTCOME_LABELS[outcome])) for outcome in Outcome),
        ]

    def validate_actor(self, field: Field) -> None:
        if field.data and field.data not in self._actor_labels():
            raise ValidationError(
                str(_l("In Ihrer Beratungsstelle gibt es kein Konto mit dieser Nummer."))
            )

    def validate_object_id(self, field: Field) -> None:
        if field.data and not field.errors:
            check_object_id(self.object_type.data, field.data)

    def _actor_labels(self) -> dict[str, str]:
        return {str(value): str(label) for value, label in self.actor.choices or () if value}

    def validate_until(self, field: Field) -> None:
        since, until = parse_date(self.since.data), parse_date(field.data)
        if since is not None and until is not None and until < since:
            raise ValidationError(str(_l("Das Ende liegt vor dem Anfang des Zeitraums.")))

    def to_filter(self) -> queries.LogFilter:
        """The validated input as a filter: dates are whole local days."""
        since, until = parse_date(self.since.data), parse_date(self.until.data)
        return queries.LogFilter(
            since=None if since is None else local_midnight(since, self.zone),
            until=None if until is None else local_midnight(until + timedelta(days=1), self.zone),
            actor_id=int(self.actor.data) if _PERSON_ID.fullmatch(self.actor.data or "") else None,
            action=self.action.data or None,
            object_type=self.object_type.data or None,
            object_id=self.object_id.data or None,
            outcome=self.outcome.data or None,
        )

    def query_args(self) -> dict[str, str]:
        """Parameter → value of the filters in use, for links (the person as account number)."""
        return {field.name: str(field.data) for field in self if field.data}

    def described(self) -> dict[str, str]:
        """The filters for the export file (the person by username), never for the audit log."""
        described = self.query_args()
        if self.actor.data:
            described[self.actor.name] = self._actor_labels().get(self.actor.data, self.actor.data)
        return described


class ObjectForm(FlaskForm):
    """Which object an access report is about."""

    class Meta:
        csrf = False

    object_type = SelectField(
        _l("Objektart"),
        name="typ",
        default="case",
        validate_choice=False,
        validators=[DataRequired(_l("Bitte wählen Sie eine Objektart.")), _in_choices],
    )
    object_id = StringField(
        _l("Kennung"),
        name="id",
        id="report-object-id",
        description=_l(
            "Die Kennung der Fallakte (z. B. c-123) oder die Nummer des Kontos – nie ein Name."
        ),
        filters=[_strip],
        validators=[
            DataRequired(_l("Bitte geben Sie die Kennung an.")),
            Length(max=128),
            single_line,
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only types whose objects have an id can be reported on.
        self.object_type.choices = _object_type_choices(sorted(OBJECT_ID_PATTERNS))

    def validate_object_id(self, field: Field) -> None:
        if not field.errors and self.object_type.data in OBJECT_ID_PATTERNS:
            check_object_id(self.object_type.data, field.data)


class PeriodForm(FlaskForm):
    """How far back the anomaly page looks."""

    class Meta:
        csrf = False

    days = SelectField(
        _l("Zeitraum"),
        name="tage",
        default=str(DEFAULT_PERIOD),
        validate_choice=False,
        validators=[_in_choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.days.choices = [
            (str(days), ngettext("letzter Tag", "letzte %(num)s Tage", days)) for days in PERIODS
        ]

    @property
    def period_days(self) -> int:
        """The chosen period; the default when the input was not one of the offered ones."""
        chosen = str(self.days.data or "")
        return int(chosen) if chosen in {str(days) for days in PERIODS} else DEFAULT_PERIOD
