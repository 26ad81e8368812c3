"""Forms of the workspace. The searches are GET forms (bookmarkable, no CSRF token needed);
the POST buttons carry only the CSRF token, checked globally."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import Field, Form, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import DateInput

from audit import AuditEvent, Outcome, escape_text
from audit.chain import TEXT_LIMITS
from servicestelle.auth.models import User
from servicestelle.dpo import queries
from servicestelle.dpo.labels import ACTION_LABELS, OBJECT_TYPE_LABELS, OUTCOME_LABELS
from servicestelle.forms_common import single_line

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
#: Dates outside this range are typing mistakes (and would overflow the time-zone arithmetic).
YEARS = range(1970, 10_000 - 1)
#: The periods the anomaly page offers, in days.
PERIODS = (1, 7, 30, 90)
DEFAULT_PERIOD = 30


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


def _fits_object_id(form: Form, field: Field) -> None:
    if field.data and len(escape_text(field.data)) > TEXT_LIMITS["object_id"]:
        raise ValidationError(str(_l("Die Kennung ist zu lang.")))


def _object_type_choices(centre_id: int) -> list[tuple[str, str]]:
    present = set(queries.object_types(centre_id)) | set(OBJECT_TYPE_LABELS)
    labelled = [(value, str(OBJECT_TYPE_LABELS.get(value, value))) for value in present]
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
    actor = StringField(
        _l("Person"),
        name="person",
        description=_l("Benutzername oder Kontonummer"),
        validators=[Optional(), Length(max=64), single_line],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )
    action = SelectField(
        _l("Aktion"), name="aktion", validate_choice=False, validators=[_in_choices]
    )
    object_type = SelectField(
        _l("Objektart"), name="objektart", validate_choice=False, validators=[_in_choices]
    )
    object_id = StringField(
        _l("Objektkennung"),
        name="objekt",
        description=_l("z. B. die Nummer einer Fallakte"),
        validators=[Optional(), Length(max=128), single_line, _fits_object_id],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    outcome = SelectField(
        _l("Ergebnis"), name="ergebnis", validate_choice=False, validators=[_in_choices]
    )

    def __init__(self, *args: Any, centre_id: int, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.centre_id = centre_id
        self.zone = zone
        self.actor_user: User | None = None
        actions = sorted(
            ((event.value, str(ACTION_LABELS.get(event, event.value))) for event in AuditEvent),
            key=lambda choice: choice[1].casefold(),
        )
        self.action.choices = [_any(), *actions]
        self.object_type.choices = [_any(), *_object_type_choices(centre_id)]
        self.outcome.choices = [
            _any(),
            *((outcome.value, str(OUTCOME_LABELS[outcome])) for outcome in Outcome),
        ]

    def validate_actor(self, field: Field) -> None:
        if not field.data:
            return
        self.actor_user = queries.find_user_in_centre(self.centre_id, field.data)
        if self.actor_user is None:
            raise ValidationError(
                str(
                    _l(
                        "In Ihrer Beratungsstelle gibt es kein Konto mit diesem Namen oder dieser Nummer."
                    )
                )
            )

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
            actor_id=None if self.actor_user is None else self.actor_user.id,
            action=self.action.data or None,
            object_type=self.object_type.data or None,
            object_id=self.object_id.data.strip() if self.object_id.data else None,
            outcome=self.outcome.data or None,
        )

    def described(self) -> dict[str, str]:
        """Field → value as typed (for the export file, never for the audit log)."""
        return {field.name: str(field.data) for field in self if field.data}


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
        description=_l("z. B. die Nummer der Fallakte"),
        validators=[
            DataRequired(_l("Bitte geben Sie die Kennung an.")),
            Length(max=128),
            single_line,
            _fits_object_id,
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.object_type.choices = _object_type_choices(centre_id)


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
