"""The only writers of campaign planning; each records its audit event and commits.

The operations check again what the forms check (the actor's centre, codes, dates, amounts),
so that no other caller can store a campaign the pages would refuse. Evidence is taken from
the release itself, never from what a form sends: only a published figure of the actor's own
centre can be linked, with the value the release publishes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from audit import AuditEvent
from servicestelle import clock
from servicestelle.audit_trail import record
from servicestelle.auth.models import User
from servicestelle.campaigns import codes, figures
from servicestelle.campaigns.models import (
    LABEL_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Campaign,
    CampaignActivity,
    CampaignEvidence,
    CampaignIndicator,
    CampaignStatus,
    Direction,
    join_codes,
)
from servicestelle.campaigns.queries import OBJECT_TYPE, find_published_release, team_of
from servicestelle.centres.queries import district_names
from servicestelle.extensions import db
from servicestelle.permissions import Permission

log = logging.getLogger(__name__)

#: The largest budget a campaign may name: 10 million euros, in cents.
BUDGET_MAX_CENTS = 10_000_000 * 100
#: Outputs above this are a typing error.
OUTPUT_MAX = 1_000_000

NOT_PUBLISHED = _l(
    "Diese Zahl stammt nicht aus einer veröffentlichten Statistik Ihrer Beratungsstelle."
)
SUPPRESSED = _l("Diese Zahl ist gesperrt („•“) und kann nicht als Beleg dienen.")


class CampaignError(ValueError):
    """Refused; the message is German, fit for the user; ``field`` names the form field."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(str(message))
        self.field = field


@dataclass
class CampaignInput:
    title: str
    goal: str
    status: str
    starts_on: date
    ends_on: date
    budget_cents: int | None = None
    grounds: list[str] = field(default_factory=list)
    life_areas: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    audience_other: str = ""


def _check_actor(actor: User, centre_id: int | None) -> None:
    if not actor.can(Permission.CAMPAIGNS_MANAGE) or actor.centre_id != centre_id:
        raise CampaignError(_l("Sie dürfen die Kampagnen dieser Beratungsstelle nicht ändern."))


def _check_input(centre_id: int, data: CampaignInput) -> None:
    title = data.title.strip()
    if not title or len(title) > TITLE_MAX:
        raise CampaignError(_l("Bitte geben Sie einen Titel an (höchstens 200 Zeichen)."), "title")
    if len(data.goal) > TEXT_MAX:
        raise CampaignError(_l("Höchstens %(max)d Zeichen.", max=TEXT_MAX), "goal")
    if len(data.audience_other) > TITLE_MAX:
        raise CampaignError(_l("Höchstens %(max)d Zeichen.", max=TITLE_MAX), "audience_other")
    if data.status not in {status.value for status in CampaignStatus}:
        raise CampaignError(_l("Bitte wählen Sie einen Stand aus der Liste."), "status")
    if data.ends_on < data.starts_on:
        raise CampaignError(_l("Das Ende liegt vor dem Beginn."), "ends_on")
    if data.budget_cents is not None and not 0 <= data.budget_cents <= BUDGET_MAX_CENTS:
        raise CampaignError(_l("Bitte einen Betrag von 0 bis 10.000.000 Euro."), "budget")
    known = {
        "grounds": codes.GROUND_LABELS,
        "life_areas": codes.LIFE_AREA_LABELS,
        "districts": district_names(centre_id),
        "audiences": codes.AUDIENCE_LABELS,
    }
    for name, labels in known.items():
        if any(code not in labels for code in getattr(data, name)):
            raise CampaignError(_l("Die Auswahl enthält einen unbekannten Wert."), name)


def _apply(campaign: Campaign, data: CampaignInput) -> list[str]:
    """Write the input into the campaign; the names of the fields that changed."""
    values = {
        "title": data.title.strip(),
        "goal": data.goal.strip(),
        "status": data.status,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "budget_cents": data.budget_cents,
        "grounds": join_codes(data.grounds),
        "life_areas": join_codes(data.life_areas),
        "districts": join_codes(data.districts),
        "audiences": join_codes(data.audiences),
        "audience_other": data.audience_other.strip(),
    }
    changed = [name for name, value in values.items() if getattr(campaign, name, None) != value]
    for name in changed:
        setattr(campaign, name, values[name])
    return changed


def figure_detail(key: str) -> list[str]:
    """A figure key as audit details allow it: its parts, "dimension:code" (codes only)."""
    return [part.replace("=", ":") for part in key.split("|")]


def _audit(
    event: AuditEvent, actor: User, campaign: Campaign, details: dict[str, object] | None = None
) -> None:
    record(
        event,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=campaign.id,
        details=details,
        centre_id=campaign.centre_id,
    )


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CampaignError(_l("Das ist schon eingetragen.")) from None


# --- campaigns ------------------------------------------------------------------------------


def create_campaign(
    actor: User,
    data: CampaignInput,
    *,
    evidence: tuple[int, str] | None = None,
    indicator: str | None = None,
) -> Campaign:
    """A new campaign of the actor's centre, with a published figure as evidence and, if
    asked, the same figure as an indicator (committed)."""
    _check_actor(actor, actor.centre_id)
    centre_id = actor.centre_id
    _check_input(centre_id, data)
    now = clock.now()
    campaign = Campaign(centre_id=centre_id, created_by=actor.id, created_at=now, updated_at=now)
    _apply(campaign, data)
    db.session.add(campaign)
    db.session.flush()
    _audit(
        AuditEvent.CAMPAIGN_RECORD_CREATE,
        actor,
        campaign,
        {"status": campaign.status, "evidence": int(evidence is not None)},
    )
    if evidence is not None:
        linked = _link(actor, campaign, *evidence)
        if indicator:
            _add_indicator(actor, campaign, linked.key, linked.label, indicator)
    _commit()
    log.info("campaign %s created", campaign.id)
    return campaign


def update_campaign(actor: User, campaign: Campaign, data: CampaignInput) -> None:
    """Change a campaign's fields (committed); nothing is recorded if nothing changed."""
    _check_actor(actor, campaign.centre_id)
    _check_input(campaign.centre_id, data)
    changed = _apply(campaign, data)
    if not changed:
        return
    campaign.updated_at = clock.now()
    _audit(AuditEvent.CAMPAIGN_RECORD_UPDATE, actor, campaign, {"fields": changed})
    _commit()


def record_outputs(
    actor: User,
    campaign: Campaign,
    events_held: int | None,
    people_reached: int | None,
    note: str,
) -> None:
    """The team's outputs for the review (committed)."""
    _check_actor(actor, campaign.centre_id)
    for name, value in (("events_held", events_held), ("people_reached", people_reached)):
        if value is not None and not 0 <= value <= OUTPUT_MAX:
            raise CampaignError(_l("Bitte eine Zahl von 0 bis 1.000.000."), name)
    if len(note) > TEXT_MAX:
        raise CampaignError(_l("Höchstens %(max)d Zeichen.", max=TEXT_MAX), "outputs_note")
    campaign.events_held = events_held
    campaign.people_reached = people_reached
    campaign.outputs_note = note.strip()
    campaign.updated_at = clock.now()
    _audit(AuditEvent.CAMPAIGN_OUTPUTS_RECORD, actor, campaign)
    _commit()


# --- activities -----------------------------------------------------------------------------


def add_activity(
    actor: User,
    campaign: Campaign,
    title: str,
    starts_on: date,
    ends_on: date | None,
    responsible_id: int | None,
) -> CampaignActivity:
    """An activity of the campaign; the responsible person is one of the centre's team."""
    _check_actor(actor, campaign.centre_id)
    title = title.strip()
    if not title or len(title) > TITLE_MAX:
        raise CampaignError(_l("Bitte geben Sie einen Titel an (höchstens 200 Zeichen)."), "title")
    if ends_on is not None and ends_on < starts_on:
        raise CampaignError(_l("Das Ende liegt vor dem Beginn."), "ends_on")
    if responsible_id is not None and responsible_id not in {
        user.id for user in team_of(campaign.centre_id)
    }:
        raise CampaignError(_l("Bitte wählen Sie eine Person aus der Liste."), "responsible")
    activity = CampaignActivity(
        campaign=campaign,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        responsible_id=responsible_id,
        created_at=clock.now(),
    )
    db.session.add(activity)
    db.session.flush()
    _audit(AuditEvent.CAMPAIGN_ACTIVITY_ADD, actor, campaign, {"activity_id": activity.id})
    _commit()
    return activity


def remove_activity(actor: User, activity: CampaignActivity) -> None:
    """Remove an activity from its campaign (committed)."""
    campaign = activity.campaign
    _check_actor(actor, campaign.centre_id)
    activity_id = activity.id
    db.session.delete(activity)
    _audit(AuditEvent.CAMPAIGN_ACTIVITY_REMOVE, actor, campaign, {"activity_id": activity_id})
    _commit()


# --- evidence and indicators ----------------------------------------------------------------


def _published_content(centre_id: int | None, release_id: int, field: str) -> dict[str, Any]:
    """The content of a published release of the centre; one refusal for a draft, a revoked,
    another centre's or a missing release alike."""
    found = find_published_release(centre_id, release_id)
    if found is None:
        raise CampaignError(NOT_PUBLISHED, field)
    return found.content


def published_figure(centre_id: int | None, release_id: int, key: str) -> figures.Figure:
    """A published figure of a published release of the centre; CampaignError otherwise."""
    figure = figures.find(_published_content(centre_id, release_id, "evidence"), key)
    if figure is None:
        raise CampaignError(NOT_PUBLISHED, "evidence")
    if figure.value is None:
        raise CampaignError(SUPPRESSED, "evidence")
    return figure


def _link(actor: User, campaign: Campaign, release_id: int, key: str) -> CampaignEvidence:
    figure = published_figure(campaign.centre_id, release_id, key)
    evidence = CampaignEvidence(
        campaign=campaign,
        release_id=release_id,
        key=figure.key,
        value=figure.value,
        label=figure.label[:LABEL_MAX],
        linked_by=actor.id,
        linked_at=clock.now(),
    )
    db.session.add(evidence)
    db.session.flush()
    _audit(
        AuditEvent.CAMPAIGN_EVIDENCE_LINK,
        actor,
        campaign,
        {"release_id": release_id, "figure": figure_detail(figure.key)},
    )
    return evidence


def link_evidence(actor: User, campaign: Campaign, release_id: int, key: str) -> CampaignEvidence:
    """Link a published figure as evidence, with its published value (committed)."""
    _check_actor(actor, campaign.centre_id)
    if any(e.release_id == release_id and e.key == key for e in campaign.evidence):
        raise CampaignError(_l("Diese Zahl ist schon als Beleg verknüpft."), "evidence")
    evidence = _link(actor, campaign, release_id, key)
    _commit()
    return evidence


def unlink_evidence(actor: User, campaign: Campaign, evidence: CampaignEvidence) -> None:
    """Remove a figure from the campaign's evidence (committed)."""
    _check_actor(actor, campaign.centre_id)
    evidence_id = evidence.id
    campaign.evidence.remove(evidence)
    _audit(AuditEvent.CAMPAIGN_EVIDENCE_UNLINK, actor, campaign, {"evidence_id": evidence_id})
    _commit()


def _add_indicator(
    actor: User, campaign: Campaign, key: str, label: str, direction: str
) -> CampaignIndicator:
    if direction not in {d.value for d in Direction}:
        raise CampaignError(_l("Bitte wählen Sie eine Richtung aus der Liste."), "direction")
    indicator = CampaignIndicator(
        campaign=campaign,
        key=key,
        label=label[:LABEL_MAX],
        direction=direction,
        created_at=clock.now(),
    )
    db.session.add(indicator)
    db.session.flush()
    _audit(
        AuditEvent.CAMPAIGN_INDICATOR_ADD,
        actor,
        campaign,
        {"figure": figure_detail(key), "direction": direction},
    )
    return indicator


def add_indicator(
    actor: User, campaign: Campaign, release_id: int, key: str, direction: str
) -> CampaignIndicator:
    """A figure the campaign wants to move, named from a published release of the centre
    (the figure may be suppressed there: it is the key that counts)."""
    _check_actor(actor, campaign.centre_id)
    figure = figures.find(_published_content(campaign.centre_id, release_id, "key"), key)
    if figure is None:
        raise CampaignError(NOT_PUBLISHED, "key")
    if any(indicator.key == key for indicator in campaign.indicators):
        raise CampaignError(_l("Diese Zahl ist schon ein Indikator der Kampagne."), "key")
    indicator = _add_indicator(actor, campaign, figure.key, figure.label, direction)
    _commit()
    return indicator


def remove_indicator(actor: User, campaign: Campaign, indicator: CampaignIndicator) -> None:
    """Remove an indicator from the campaign (committed)."""
    _check_actor(actor, campaign.centre_id)
    indicator_id = indicator.id
    campaign.indicators.remove(indicator)
    _audit(AuditEvent.CAMPAIGN_INDICATOR_REMOVE, actor, campaign, {"indicator_id": indicator_id})
    _commit()


# --- exports --------------------------------------------------------------------------------


def record_calendar_export(
    actor: User, *, campaigns: int, campaign_activities: int, activities: int
) -> None:
    """Audit a download of the centre's iCalendar file (committed): counts only, never a
    title."""
    record(
        AuditEvent.CAMPAIGN_CALENDAR_EXPORT,
        actor=actor,
        centre_id=actor.centre_id,
        details={
            "campaigns": campaigns,
            "campaign_activities": campaign_activities,
            "activities": activities,
        },
    )
    db.session.commit()
