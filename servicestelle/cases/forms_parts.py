"""Forms for the parts of a case: contacts, interventions, deadlines, documents, consents.

Each has a page of its own (views_parts.py); the codes offered come from the catalogue and are
checked as choices here, unlike the case form's (forms_specs.py).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional

from servicestelle import catalogue
from servicestelle.cases.forms_fields import date_field, radio_field, text_field
from servicestelle.cases.payload import LONG_TEXT, MEDIUM_TEXT


class ContactForm(FlaskForm):
    occurred_on = date_field(_l("Datum des Kontakts"), required=True)
    channel = radio_field(catalogue.CONTACT_CHANNELS, _l("Bitte wählen Sie den Kontaktweg."))
    duration_minutes = IntegerField(
        _l("Dauer in Minuten"),
        validators=[
            Optional(),
            NumberRange(min=0, max=24 * 60, message=_l("Bitte 0 bis 1440 Minuten.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    note = text_field(_l("Notiz"), LONG_TEXT, multiline=True)


class InterventionForm(FlaskForm):
    occurred_on = date_field(_l("Datum"), required=True)
    type = radio_field(
        catalogue.INTERVENTIONS,
        _l("Bitte wählen Sie die Art der Intervention."),
        label=_l("Art der Intervention"),
    )
    details = text_field(_l("Einzelheiten"), LONG_TEXT, multiline=True)
    result = text_field(_l("Ergebnis"), MEDIUM_TEXT, multiline=True)


class DeadlineForm(FlaskForm):
    kind = radio_field(catalogue.DEADLINE_KINDS, _l("Bitte wählen Sie die Fristart."))
    trigger_on = date_field(
        _l("Ausgangsdatum"),
        required=True,
        past=False,
        description=_l(
            "Zugang der Ablehnung, Kenntnis von der Benachteiligung oder Datum der schriftlichen Geltendmachung."
        ),
    )
    uncertain = BooleanField(_l("Datum ist ungefähr"))
    note = text_field(_l("Notiz"), MEDIUM_TEXT, multiline=True)


class FollowUpForm(FlaskForm):
    """The deadline that meeting another one starts (ArbGG §61b after AGG §15(4))."""

    kind = HiddenField(validators=[InputRequired()])
    trigger_on = date_field(_l("Datum der schriftlichen Geltendmachung"), required=True)
    uncertain = BooleanField(_l("Datum ist ungefähr"))
    mark_done = BooleanField(_l("Die bisherige Frist als erledigt markieren"), default=True)


class DocumentForm(FlaskForm):
    file = FileField(_l("Datei"), validators=[FileRequired(_l("Bitte wählen Sie eine Datei."))])
    description = text_field(_l("Beschreibung"), MEDIUM_TEXT, multiline=True)


class ConsentForm(FlaskForm):
    purpose = radio_field(
        catalogue.CONSENT_PURPOSES, _l("Bitte wählen Sie den Zweck."), label=_l("Zweck")
    )
    given_on = date_field(_l("Erteilt am"), required=True)
    given_as = radio_field(
        catalogue.CONSENT_FORMS, _l("Bitte wählen Sie die Form."), label=_l("Form")
    )


class WithdrawForm(FlaskForm):
    withdrawn_on = date_field(_l("Widerrufen am"), required=True)
