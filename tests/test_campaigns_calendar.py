"""The campaign calendar: a month without JavaScript, the iCalendar export (parsed back with
icalendar: every campaign and activity, stable UIDs, all-day dates), and the centre's other
activities (activities/) beside the campaigns."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import icalendar
import pytest

from servicestelle.auth.models import User
from servicestelle.campaigns import calendar, operations
from servicestelle.campaigns.models import Campaign
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.support.audit_log import entries, head
from tests.support.statements import captured
from tests.test_campaigns import new_campaign, text


def add_activity(
    app, user_id: int, campaign_id: int, title: str, first: date, last: date | None = None
) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        actor = db.session.get(User, user_id)
        campaign = db.session.get(Campaign, campaign_id)
        return operations.add_activity(actor, campaign, title, first, last, user_id).id


@pytest.fixture
def planned(app, login_as):  # type: ignore[no-untyped-def]
    user = login_as(Role.COUNSELLOR)
    fair = new_campaign(
        app, user.id, title="Fair wohnen", starts_on=date(2026, 3, 1), ends_on=date(2026, 4, 15)
    )
    job = new_campaign(
        app, user.id, title="Fair im Job", starts_on=date(2026, 5, 1), ends_on=date(2026, 5, 31)
    )
    workshop = add_activity(app, user.id, fair, "Workshop Mieterverein", date(2026, 3, 10))
    fair_day = add_activity(app, user.id, fair, "Fachtag", date(2026, 4, 14), date(2026, 4, 15))
    return SimpleNamespace(user=user, fair=fair, job=job, workshop=workshop, fair_day=fair_day)


def test_the_month_lists_campaigns_and_activities_by_day(client, planned):
    page = text(client.get("/kampagnen/kalender?jahr=2026&monat=3"))
    assert "März 2026" in page
    assert '<time datetime="2026-03-10">' in page and "Workshop Mieterverein" in page
    assert '<time datetime="2026-03-01">' in page and "Fair wohnen" in page
    assert "Fair im Job" not in page  # May
    assert "Fachtag" not in page  # April
    april = text(client.get("/kampagnen/kalender?jahr=2026&monat=4"))
    assert '<time datetime="2026-04-15">' in april and "Fachtag" in april
    assert '<time datetime="2026-04-16">' not in april  # the campaign ended on the 15th
    # The month chooser and the neighbours are plain links and a GET form.
    assert 'href="/kampagnen/kalender?jahr=2026&amp;monat=2"' in page
    assert 'href="/kampagnen/kalender?jahr=2026&amp;monat=4"' in page
    assert '<select class="field__input" id="monat" name="monat">' in page


def test_a_bad_month_is_refused_in_german(client, planned):
    response = client.get("/kampagnen/kalender?jahr=1999&monat=13")
    assert response.status_code == 400
    assert "Bitte wählen Sie einen Monat und ein Jahr von 2000 bis 2100." in text(response)


def test_the_icalendar_export_holds_every_campaign_and_activity(app, client, planned):
    response = client.get("/kampagnen/kalender.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    parsed = icalendar.Calendar.from_ical(response.data)
    events = {str(event["UID"]): event for event in parsed.walk("VEVENT")}
    assert set(events) == {
        f"campaign-{planned.fair}@test.servicestelle",
        f"campaign-{planned.job}@test.servicestelle",
        f"campaign-activity-{planned.workshop}@test.servicestelle",
        f"campaign-activity-{planned.fair_day}@test.servicestelle",
    }
    fair = events[f"campaign-{planned.fair}@test.servicestelle"]
    assert str(fair["SUMMARY"]) == "Fair wohnen"
    assert fair.decoded("DTSTART") == date(2026, 3, 1)
    assert fair.decoded("DTEND") == date(2026, 4, 16)  # all day: the end is exclusive
    assert str(fair["URL"]).endswith(f"/kampagnen/{planned.fair}")
    day = events[f"campaign-activity-{planned.fair_day}@test.servicestelle"]
    assert (day.decoded("DTSTART"), day.decoded("DTEND")) == (date(2026, 4, 14), date(2026, 4, 16))
    assert "Fachtag" in str(day["SUMMARY"]) and "Fair wohnen" in str(day["SUMMARY"])
    # The same objects keep their UIDs: a subscribed calendar updates instead of duplicating.
    again = icalendar.Calendar.from_ical(client.get("/kampagnen/kalender.ics").data)
    assert {str(event["UID"]) for event in again.walk("VEVENT")} == set(events)


def test_the_icalendar_export_is_audited_with_counts_and_reads_activities_at_once(
    app, client, planned
):
    import json

    third = new_campaign(app, planned.user.id, title="Fair lernen")
    add_activity(app, planned.user.id, third, "Elternabend", date(2027, 3, 5))
    mark = head(app)
    with captured(app) as statements:
        response = client.get("/kampagnen/kalender.ics")
    assert response.status_code == 200
    # The activities of all three campaigns in one query, not one per campaign.
    assert len([s for s in statements if "FROM campaign_activities" in s]) == 1
    (entry,) = entries(app, after=mark, action="campaign:calendar:export")
    assert entry.actor_id == planned.user.id
    assert json.loads(entry.details) == {
        "campaigns": 3,
        "campaign_activities": 3,
        "activities": 0,
    }  # counts only: no title, no id of a campaign
    # The month page is no export: not audited.
    mark = head(app)
    assert client.get("/kampagnen/kalender?jahr=2026&monat=3").status_code == 200
    assert entries(app, after=mark, action="campaign:calendar:export") == []


def test_the_centres_other_activities_appear_beside_the_campaigns(app, client, planned):
    from servicestelle.activities import operations as activities

    with app.app_context():
        actor = db.session.get(User, planned.user.id)
        meeting = activities.record_activity(
            actor,
            activities.ActivityData(
                title="Netzwerktreffen",
                starts_on=date(2026, 3, 20),
                ends_on=None,
                type="netzwerk_gremium",
                eckpunkt="antidiskriminierungsarbeit",
                task="netzwerk_kooperation",
                district_code=None,
                participants=None,
                partners="",
                description="",
            ),
            set(),
        ).id
    page = text(client.get("/kampagnen/kalender?jahr=2026&monat=3"))
    assert "Weitere Aktivität" in page and "Netzwerktreffen" in page
    assert "Netzwerktreffen" not in text(client.get("/kampagnen/kalender?jahr=2026&monat=4"))
    parsed = icalendar.Calendar.from_ical(client.get("/kampagnen/kalender.ics").data)
    uids = {str(e["UID"]) for e in parsed.walk("VEVENT")}
    assert f"activity-{meeting}@test.servicestelle" in uids


def test_month_view_is_a_list_of_the_days_with_entries():
    entries = [
        calendar.Entry("activity", "B", date(2026, 2, 27), date(2026, 3, 2), 2, 1, "K"),
        calendar.Entry("campaign", "K", date(2026, 3, 2), date(2026, 3, 3), 1, 1),
    ]
    month = calendar.month_view(2026, 3, entries)
    assert [(d.day, [e.title for e in d.entries]) for d in month.days] == [
        (date(2026, 3, 1), ["B"]),
        (date(2026, 3, 2), ["K", "B"]),
        (date(2026, 3, 3), ["K"]),
    ]
    assert (month.previous, month.next) == ("2026-02", "2026-04")
    assert month.last == date(2026, 3, 1) + timedelta(days=30)
