"""Pages the campaign views share: a campaign's page (again, with a refused form) and how a
refusal of an operation reaches the form."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from servicestelle.campaigns import operations, queries
from servicestelle.campaigns.forms import ActivityForm, OutputsForm
from servicestelle.campaigns.models import Campaign
from servicestelle.campaigns.review import review
from servicestelle.centres.queries import district_names
from servicestelle.extensions import db


def refused(form: FlaskForm, exc: operations.CampaignError) -> None:
    """The operation's refusal next to the field it names (else on top of the form)."""
    db.session.rollback()
    if exc.field is not None and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


def show_page(
    campaign: Campaign,
    *,
    activity_form: ActivityForm | None = None,
    outputs_form: OutputsForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    team = [(user.id, user.display_name) for user in queries.team_of(campaign.centre_id)]
    names = queries.display_names(
        [activity.responsible_id for activity in campaign.activities] + [campaign.created_by]
    )
    return (
        render_template(
            "campaigns/show.html",
            campaign=campaign,
            districts=district_names(campaign.centre_id),
            evidence=queries.evidence_shown(campaign),
            names=names,
            review=review(campaign),
            activity_form=activity_form or ActivityForm(team),
            outputs_form=outputs_form
            or OutputsForm(
                data={
                    "events_held": campaign.events_held,
                    "people_reached": campaign.people_reached,
                    "outputs_note": campaign.outputs_note,
                }
            ),
        ),
        status,
    )
