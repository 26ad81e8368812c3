"""Planning pages: suggestions from a published release, the calendar and its iCalendar
export."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _

from servicestelle import clock
from servicestelle.campaigns import calendar, operations, queries, suggestions
from servicestelle.campaigns.blueprint import bp, me
from servicestelle.converters import small_int
from servicestelle.permissions import Permission, require
from servicestelle.stats import downloads
from servicestelle.stats import queries as stats_queries

#: The other activities the iCalendar export includes: a year back, two ahead.
EXPORT_BACK_DAYS = 366
EXPORT_AHEAD_DAYS = 2 * 366


@bp.get("/vorschlaege")
@require(Permission.CAMPAIGNS_MANAGE)
def suggest() -> ResponseReturnValue:
    """Suggestions ranked from a published release (the latest year release by default)."""
    releases = queries.published_releases(me().centre_id)
    chosen = request.args.get("release")
    if chosen:
        release_id = small_int(chosen)
        if release_id is None:
            abort(404)
        release: queries.PublishedRelease | None = queries.get_published_release_or_404(
            release_id, me()
        )
    else:
        release = queries.default_release(releases)
    found = None
    if release is not None:
        previous = stats_queries.previous_published(release.release)
        found = suggestions.suggest(
            release, queries.published(previous) if previous is not None else None
        )
    return render_template(
        "campaigns/suggestions.html",
        releases=releases,
        release=release,
        suggestions=found,
        growth_base=suggestions.GROWTH_BASE,
    )


@bp.get("/kalender")
@require(Permission.CAMPAIGNS_MANAGE)
def calendar_month() -> ResponseReturnValue:
    """A month of campaigns and activities, as a list of days (a GET form picks the month)."""
    today = clock.today()
    year_arg, month_arg = request.args.get("jahr"), request.args.get("monat")
    error = None
    year, month = today.year, today.month
    if year_arg or month_arg:
        parsed = calendar.parse_month(f"{year_arg}-{(month_arg or '').zfill(2)}", today)
        if parsed is None:
            error = _("Bitte wählen Sie einen Monat und ein Jahr von 2000 bis 2100.")
        else:
            year, month = parsed
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    centre_id = me().centre_id
    entries = calendar.campaign_entries(
        queries.campaigns_between(centre_id, first, last),
        queries.campaign_activities_between(centre_id, first, last),
    )
    entries += calendar.other_activities(centre_id, first, last)
    view = calendar.month_view(year, month, entries)
    years = range(min(today.year, year) - 3, max(today.year, year) + 4)
    page = render_template(
        "campaigns/calendar.html",
        month=view,
        month_names=[format_date(date(2000, number, 1), "LLLL") for number in range(1, 13)],
        title=format_date(first, "LLLL yyyy"),
        years=years,
        error=error,
    )
    return page, 400 if error else 200


@bp.get("/kalender.ics")
@require(Permission.CAMPAIGNS_MANAGE)
def calendar_export() -> ResponseReturnValue:
    """Every campaign and activity of the centre as an iCalendar file (audited)."""
    user = me()
    today = clock.today()
    campaigns = queries.campaigns_of(user.centre_id, with_activities=True)
    others = calendar.other_activities(
        user.centre_id,
        today - timedelta(days=EXPORT_BACK_DAYS),
        today + timedelta(days=EXPORT_AHEAD_DAYS),
    )
    body = calendar.ics(
        f"{user.centre.code.lower()}.servicestelle",
        campaigns,
        others,
        lambda campaign_id: url_for("campaigns.show", campaign_id=campaign_id, _external=True),
        clock.now(),
    )
    operations.record_calendar_export(
        user,
        campaigns=len(campaigns),
        campaign_activities=sum(len(campaign.activities) for campaign in campaigns),
        activities=len(others),
    )
    return downloads.response(body, "text/calendar; charset=utf-8", "kampagnen.ics")
