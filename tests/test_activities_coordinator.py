"""Activities on a coordinator instance: recorded like on a centre, but without a district
(a coordinator has no register); the district profiles, part of the centres module, are a 404
there for everyone."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from servicestelle.activities.models import Activity
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests import conftest
from tests.conftest import post_form


@pytest.fixture
def settings(tmp_path, backend):  # type: ignore[no-untyped-def]
    return conftest.make_settings(tmp_path, backend.url, mode="coordinator")


def test_a_coordinator_records_activities_without_districts(app, client, login_as):
    login_as(Role.COUNSELLOR)
    form = client.get("/aktivitaeten/neu").get_data(as_text=True)
    assert 'id="district_code"' not in form
    response = post_form(
        client,
        "/aktivitaeten/neu",
        {
            "title": "Landesnetzwerk",
            "starts_on": "2026-02-10",
            "type": "netzwerk_gremium",
            "eckpunkt": "antidiskriminierungsarbeit",
            "task": "netzwerk_kooperation",
            "district_code": "nord",  # ignored: there is no such field here
        },
    )
    assert response.status_code == 302
    with app.app_context():
        [activity] = db.session.scalars(sa.select(Activity)).all()
        assert activity.district_code is None
    assert client.get("/aktivitaeten/jahresbericht?jahr=2026").status_code == 200


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_the_district_profiles_are_a_404_on_a_coordinator(app, client, login_as, role):
    login_as(role)
    for url in (
        "/stadtteile/profile",
        "/stadtteile/profile/2025",
        "/stadtteile/profile/vorlage.csv",
    ):
        assert client.get(url).status_code == 404, url
