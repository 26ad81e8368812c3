"""Campaign pages under /kampagnen: the list, a new campaign (from a suggestion, with its
figure as evidence), a campaign's page with its review, and its changes.

Every handler is load → check → act: the guard checks ``campaigns:manage``; queries answer
404 (audited) for another centre's campaign or release; the forms and then the operations
refuse in German, and the page comes back with what was typed (400), nothing saved.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from servicestelle.campaigns import figures, operations, queries
from servicestelle.campaigns import views_parts as _parts  # noqa: F401 (routes on bp)
from servicestelle.campaigns import views_plan as _plan  # noqa: F401 (routes on bp)
from servicestelle.campaigns.blueprint import bp, me
from servicestelle.campaigns.forms import CampaignForm, OutputsForm, euros
from servicestelle.campaigns.models import Campaign
from servicestelle.campaigns.pages import refused, show_page
from servicestelle.centres.queries import district_names
from servicestelle.converters import small_int
from servicestelle.permissions import Permission, require

__all__ = ["bp"]


@bp.get("")
@require(Permission.CAMPAIGNS_MANAGE)
def index() -> ResponseReturnValue:
    """The centre's campaigns, the latest first."""
    campaigns = queries.campaigns_of(me().centre_id)
    return render_template(
        "campaigns/index.html",
        campaigns=campaigns,
        districts=district_names(me().centre_id),
    )


# --- a new campaign -------------------------------------------------------------------------


def _suggested_figure() -> tuple[queries.PublishedRelease, figures.Figure] | None:
    """The figure a suggestion links (``?release=…&key=…``): a published figure of a
    published release of the user's centre; another centre's release is a 404, audited."""
    release_arg, key = request.args.get("release"), request.args.get("key")
    if not release_arg or not key:
        return None
    release_id = small_int(release_arg)
    if release_id is None:
        abort(404)
    release = queries.get_published_release_or_404(release_id, me())
    figure = figures.find(release.content, key)
    if figure is None or figure.value is None:
        abort(404)
    return release, figure


def _posted_figure(form: CampaignForm) -> tuple[queries.PublishedRelease, figures.Figure] | None:
    """The figure a submitted form carries, for showing it again; None if it is not one the
    user may link (the operation says why)."""
    release_id, key = small_int(form.evidence_release.data), form.evidence_key.data
    if release_id is None or not key:
        return None
    try:
        figure = operations.published_figure(me().centre_id, release_id, key)
    except operations.CampaignError:
        return None
    release = queries.find_published_release(me().centre_id, release_id)
    return (release, figure) if release is not None else None


@bp.route("/neu", methods=["GET", "POST"])
@require(Permission.CAMPAIGNS_MANAGE)
def new() -> ResponseReturnValue:
    """A new campaign; from a suggestion, its targets and its figure are filled in."""
    districts = district_names(me().centre_id)
    if request.method == "GET":
        suggested = _suggested_figure()
        data: dict[str, object] = {}
        if suggested is not None:
            release, figure = suggested
            targets = figures.targets(figure.key)
            data = {
                "grounds": targets.grounds,
                "life_areas": targets.life_areas,
                "districts": [code for code in targets.districts if code in districts],
                "evidence_release": str(release.id),
                "evidence_key": figure.key,
            }
        form = CampaignForm(districts, data=data)
        return _form_page(form, suggested)
    form = CampaignForm(districts)
    if form.validate():
        evidence = None
        if form.link_evidence.data and form.evidence_release.data and form.evidence_key.data:
            release_id = small_int(form.evidence_release.data)
            if release_id is None:
                form.form_errors.append(str(operations.NOT_PUBLISHED))
                return _form_page(form, None, 400)
            evidence = (release_id, form.evidence_key.data)
        try:
            campaign = operations.create_campaign(
                me(),
                form.as_input(),
                evidence=evidence,
                indicator=form.indicator.data or None,
            )
        except operations.CampaignError as exc:
            refused(form, exc)
        else:
            flash(_l("Die Kampagne ist angelegt."), "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _form_page(form, _posted_figure(form), 400)


def _form_page(
    form: CampaignForm,
    suggested: tuple[queries.PublishedRelease, figures.Figure] | None,
    status: int = 200,
    campaign: Campaign | None = None,
) -> ResponseReturnValue:
    return (
        render_template("campaigns/form.html", form=form, suggested=suggested, campaign=campaign),
        status,
    )


# --- a campaign -----------------------------------------------------------------------------


@bp.get("/<int:campaign_id>")
@require(Permission.CAMPAIGNS_MANAGE)
def show(campaign_id: int) -> ResponseReturnValue:
    """A campaign: targets, activities, evidence, indicators and the review."""
    campaign = queries.get_campaign_or_404(campaign_id, me())
    return show_page(campaign)


@bp.route("/<int:campaign_id>/bearbeiten", methods=["GET", "POST"])
@require(Permission.CAMPAIGNS_MANAGE)
def edit(campaign_id: int) -> ResponseReturnValue:
    """Change a campaign's title, goal, targets, period, budget or status."""
    campaign = queries.get_campaign_or_404(campaign_id, me())
    districts = district_names(campaign.centre_id)
    if request.method == "GET":
        form = CampaignForm(
            districts,
            data={
                "title": campaign.title,
                "goal": campaign.goal,
                "status": campaign.status,
                "starts_on": campaign.starts_on,
                "ends_on": campaign.ends_on,
                "budget": euros(campaign.budget_cents),
                "grounds": campaign.ground_codes,
                "life_areas": campaign.life_area_codes,
                "districts": campaign.district_codes,
                "audiences": campaign.audience_codes,
                "audience_other": campaign.audience_other,
            },
        )
        return _form_page(form, None, campaign=campaign)
    form = CampaignForm(districts)
    if form.validate():
        try:
            operations.update_campaign(me(), campaign, form.as_input())
        except operations.CampaignError as exc:
            refused(form, exc)
        else:
            flash(_l("Die Kampagne ist gespeichert."), "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _form_page(form, None, 400, campaign=campaign)


@bp.post("/<int:campaign_id>/ergebnisse")
@require(Permission.CAMPAIGNS_MANAGE)
def outputs(campaign_id: int) -> ResponseReturnValue:
    """The team's outputs for the review: events held, people reached, notes."""
    campaign = queries.get_campaign_or_404(campaign_id, me())
    form = OutputsForm()
    if form.validate():
        try:
            operations.record_outputs(
                me(),
                campaign,
                form.events_held.data,
                form.people_reached.data,
                form.outputs_note.data or "",
            )
        except operations.CampaignError as exc:
            refused(form, exc)
        else:
            flash(_l("Die Ergebnisse sind gespeichert."), "success")
            return redirect(
                url_for("campaigns.show", campaign_id=campaign.id, _anchor="auswertung")
            )
    return show_page(campaign, outputs_form=form, status=400)
