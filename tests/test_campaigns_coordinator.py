"""Campaigns on a coordinator instance: the same pages and flows, no district register (the
form offers no districts, and a district code is refused)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from servicestelle.campaigns.models import Campaign
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests import conftest
from tests.conftest import post_form
from tests.test_campaigns import campaign_count, form_data, text


@pytest.fixture
def settings(tmp_path, backend):  # type: ignore[no-untyped-def]
    return conftest.make_settings(tmp_path, backend.url, mode="coordinator")


def test_a_coordinator_plans_campaigns_without_districts(app, client, login_as):
    login_as(Role.SUPERVISOR)
    for url in ("/kampagnen", "/kampagnen/vorschlaege", "/kampagnen/kalender", "/kampagnen/neu"):
        assert client.get(url).status_code == 200, url
    form = text(client.get("/kampagnen/neu"))
    assert 'name="districts"' not in form
    assert "Es gibt noch keine veröffentlichte Statistik" in text(
        client.get("/kampagnen/vorschlaege")
    )

    response = post_form(client, "/kampagnen/neu", form_data(districts=["muenster"]))
    assert response.status_code == 400 and campaign_count(app) == 0
    response = post_form(client, "/kampagnen/neu", form_data())
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.scalars(sa.select(Campaign)).one()
        assert (campaign.title, campaign.districts) == ("Fair im Job", "")
    assert "Fair im Job" in text(client.get(response.headers["Location"]))
