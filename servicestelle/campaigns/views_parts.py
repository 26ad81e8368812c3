"""A campaign's parts: activities, evidence (published figures) and indicators.

Choosing a figure works without JavaScript: the page lists one release's figures (a GET
form picks the release), and the evidence and indicator forms post the figure's key. The
operations take the value from the release, never from the form.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from servicestelle.campaigns import figures, operations, queries
from servicestelle.campaigns.blueprint import bp, me
from servicestelle.campaigns.forms import ActivityForm, EvidenceForm, IndicatorForm, figure_choices
from servicestelle.campaigns.models import Campaign
from servicestelle.campaigns.pages import refused, show_page
from servicestelle.converters import small_int
from servicestelle.extensions import db
from servicestelle.permissions import Permission, require
from servicestelle.stats.presentation import SUPPRESSED

#: The indicator form shares its page with the evidence form: its own field names and ids.
INDICATOR_PREFIX = "indikator"

# --- activities -----------------------------------------------------------------------------


@bp.post("/<int:campaign_id>/aktivitaeten")
@require(Permission.CAMPAIGNS_MANAGE)
def add_activity(campaign_id: int) -> ResponseReturnValue:
    """Add an activity with its dates and the person responsible."""
    campaign = queries.get_campaign_or_404(campaign_id, me())
    team = [(user.id, user.display_name) for user in queries.team_of(campaign.centre_id)]
    form = ActivityForm(team)
    if form.validate() and form.starts_on.data is not None:
        try:
            operations.add_activity(
                me(),
                campaign,
                form.title.data or "",
                form.starts_on.data,
                form.ends_on.data,
                form.responsible_id,
            )
        except operations.CampaignError as exc:
            refused(form, exc)
        else:
            flash(_l("Die Aktivität ist eingetragen."), "success")
            return redirect(
                url_for("campaigns.show", campaign_id=campaign.id, _anchor="aktivitaeten")
            )
    return show_page(campaign, activity_form=form, status=400)


@bp.post("/<int:campaign_id>/aktivitaeten/<int:activity_id>/entfernen")
@require(Permission.CAMPAIGNS_MANAGE)
def remove_activity(campaign_id: int, activity_id: int) -> ResponseReturnValue:
    """Remove an activity from the campaign."""
    campaign = queries.get_campaign_or_404(campaign_id, me())
    activity = queries.get_activity_or_404(campaign, activity_id)
    operations.remove_activity(me(), activity)
    flash(_l("Die Aktivität ist entfernt."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id, _anchor="aktivitaeten"))


# --- choosing figures -----------------------------------------------------------------------


def _chosen_release(value: str | None) -> queries.PublishedRelease | None:
    """The release asked for (own centre, published; else 404), or the default one."""
    if value:
        release_id = small_int(value)
        if release_id is None:
            abort(404)
        return queries.get_published_release_or_404(release_id, me())
    return queries.default_release(queries.published_releases(me().centre_id))


def _shown(figure: figures.Figure) -> str:
    value = SUPPRESSED if figure.value is None else str(figure.value)
    return f"{figure.label.split(': ', 1)[-1]}: {value}"


def _figures_page(
    campaign: Campaign,
    release: queries.PublishedRelease | None,
    *,
    evidence_form: EvidenceForm | None = None,
    indicator_form: IndicatorForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    evidence_form = evidence_form or EvidenceForm()
    indicator_form = indicator_form or IndicatorForm(prefix=INDICATOR_PREFIX)
    if release is not None:
        evidence_form.release.data = str(release.id)
        indicator_form.release.data = str(release.id)
        evidence_form.key.choices = figure_choices(
            figures.grouped(release.content, published_only=True), _shown
        )
        indicator_form.key.choices = figure_choices(
            figures.grouped(release.content, published_only=False), _shown
        )
    return (
        render_template(
            "campaigns/figures.html",
            campaign=campaign,
            release=release,
            releases=queries.published_releases(campaign.centre_id),
            evidence_form=evidence_form,
            indicator_form=indicator_form,
        ),
        status,
    )


@bp.get("/<int:campaign_id>/zahlen")
@require(Permission.CAMPAIGNS_MANAGE)
def choose_figures(campaign_id: int) -> ResponseReturnValue:
    """A release's figures, to link as evidence or name as indicators."""
    campaign = queries.get_campaign_or_404(campaign_id, me())
    return _figures_page(campaign, _chosen_release(request.args.get("release")))


def _posted_release(value: str) -> queries.PublishedRelease | None:
    """The release a posted form names, for showing the page again; the default one if it
    is none the user may use (the operation has said so)."""
    release_id = small_int(value)
    if release_id is not None:
        found = queries.find_published_release(me().centre_id, release_id)
        if found is not None:
            return found
    return queries.default_release(queries.published_releases(me().centre_id))


@bp.post("/<int:campaign_id>/belege")
@require(Permission.CAMPAIGNS_MANAGE)
def link_evidence(campaign_id: int) -> ResponseReturnValue:
    """Link a published figure as evidence, with the value the release publishes."""
    campaign = queries.get_campaign_or_404(campaign_id, me())
    form = EvidenceForm()
    form.key.validate_choice = False  # the operation checks the key against the release
    release_arg = form.release.data or ""
    if form.validate():
        try:
            release_id = small_int(release_arg)
            if release_id is None:
                raise operations.CampaignError(operations.NOT_PUBLISHED, "key")
            operations.link_evidence(me(), campaign, release_id, form.key.data or "")
        except operations.CampaignError as exc:
            db.session.rollback()
            form.key.errors = [*form.key.errors, str(exc)]
        else:
            flash(_l("Die Zahl ist als Beleg verknüpft."), "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id, _anchor="belege"))
    return _figures_page(campaign, _posted_release(release_arg), evidence_form=form, status=400)


@bp.post("/<int:campaign_id>/indikatoren")
@require(Permission.CAMPAIGNS_MANAGE)
def add_indicator(campaign_id: int) -> ResponseReturnValue:
    """Name a figure the campaign wants to move, and the direction."""
    campaign = queries.get_campaign_or_404(campaign_id, me())
    form = IndicatorForm(prefix=INDICATOR_PREFIX)
    form.key.validate_choice = False
    release_arg = form.release.data or ""
    if form.validate():
        try:
            release_id = small_int(release_arg)
            if release_id is None:
                raise operations.CampaignError(operations.NOT_PUBLISHED, "key")
            operations.add_indicator(
                me(), campaign, release_id, form.key.data or "", form.direction.data or ""
            )
        except operations.CampaignError as exc:
            db.session.rollback()
            target = form.direction if exc.field == "direction" else form.key
            target.errors = [*target.errors, str(exc)]
        else:
            flash(_l("Der Indikator ist festgelegt."), "success")
            return redirect(
                url_for("campaigns.show", campaign_id=campaign.id, _anchor="indikatoren")
            )
    return _figures_page(campaign, _posted_release(release_arg), indicator_form=form, status=400)


@bp.post("/<int:campaign_id>/belege/<int:evidence_id>/entfernen")
@require(Permission.CAMPAIGNS_MANAGE)
def unlink_evidence(campaign_id: int, evidence_id: int) -> ResponseReturnValue:
    """Remove a figure from the campaign's evidence."""
    campaign = queries.get_campaign_or_404(campaign_id, me())
    evidence = queries.get_evidence_or_404(campaign, evidence_id)
    operations.unlink_evidence(me(), campaign, evidence)
    flash(_l("Der Beleg ist entfernt."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id, _anchor="belege"))


@bp.post("/<int:campaign_id>/indikatoren/<int:indicator_id>/entfernen")
@require(Permission.CAMPAIGNS_MANAGE)
def remove_indicator(campaign_id: int, indicator_id: int) -> ResponseReturnValue:
    """Remove an indicator from the campaign."""
    campaign = queries.get_campaign_or_404(campaign_id, me())
    indicator = queries.get_indicator_or_404(campaign, indicator_id)
    operations.remove_indicator(me(), campaign, indicator)
    flash(_l("Der Indikator ist entfernt."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id, _anchor="indikatoren"))
