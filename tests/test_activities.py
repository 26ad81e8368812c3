"""Activities beyond cases: counsellors and supervisors record, change and delete them; every
bad input comes back in German with what was typed (400, nothing saved); another centre's
activity is an audited 404; the period query the campaigns calendar reads.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from servicestelle.activities.models import Activity
from servicestelle.activities.queries import activities_between
from servicestelle.auth.models import User
from servicestelle.centres import operations as centre_operations
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import https_client, login, post_form
from tests.support import audit_log

LIST = "/aktivitaeten"
NEW = "/aktivitaeten/neu"
NOT_OFFERED = "Diesen Stadtteil oder Kreis bietet Ihre Beratungsstelle nicht an."
VALID = {
    "title": "Workshop Gesamtschule Nord",
    "starts_on": "2026-02-10",
    "ends_on": "",
    "type": "workshop",
    "eckpunkt": "antidiskriminierungsarbeit",
    "task": "bildungsarbeit",
    "district_code": "nord",
    "participants": "24",
    "partners": "Gesamtschule Nord",
    "description": "Zwei Stunden zu Diskriminierung im Schulalltag.",
}


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def error_of(page: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-error">([^<]*)<', page)
    assert match is not None, f"no error next to {field_id}"
    return html.unescape(match.group(1))


def stored(app: Any) -> list[Activity]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(Activity).order_by(Activity.id)))
        for activity in found:
            db.session.expunge(activity)
        return found


def add_district(app: Any, supervisor_id: int, code: str, name: str) -> None:
    with app.app_context():
        centre_operations.add_district(db.session.get(User, supervisor_id), code, name)


@pytest.fixture
def register(app, make_user):
    """The centre's register: "nord" (active) and "alt" (retired)."""
    boss = make_user(Role.SUPERVISOR, username="leitung.register")
    add_district(app, boss.id, "nord", "Innenstadt-Nord")
    add_district(app, boss.id, "alt", "Altstadt")
    with app.app_context():
        actor = db.session.get(User, boss.id)
        retired = db.session.scalars(
            sa.select(centre_operations.District).where(centre_operations.District.code == "alt")
        ).one()
        centre_operations.set_district_active(actor, retired, False)
    return boss


@pytest.fixture
def counsellor(login_as, register):
    return login_as(Role.COUNSELLOR, username="beratung.a")


def record(client: Any, **changes: str) -> Any:
    return post_form(client, NEW, {**VALID, **changes})


# --- record, list, change, delete -------------------------------------------------------------


def test_a_counsellor_records_an_activity(app, client, counsellor, centre):
    mark = audit_log.head(app)
    response = record(client)
    assert response.status_code == 302
    [activity] = stored(app)
    assert response.headers["Location"].endswith(f"{LIST}?jahr=2026#aktivitaet-{activity.id}")
    assert (activity.centre_id, activity.title, activity.starts_on, activity.ends_on) == (
        centre, "Workshop Gesamtschule Nord", date(2026, 2, 10), None,
    )  # fmt: skip
    assert (activity.type, activity.eckpunkt, activity.task) == (
        "workshop", "antidiskriminierungsarbeit", "bildungsarbeit",
    )  # fmt: skip
    assert (activity.district_code, activity.participants) == ("nord", 24)
    assert activity.partners == "Gesamtschule Nord" and activity.created_by == counsellor.id
    entry = audit_log.one(app, "activity:record:create", after=mark)
    assert (entry.actor_id, entry.centre_id, entry.object_type, entry.object_id) == (
        counsellor.id, centre, "activity", str(activity.id),
    )  # fmt: skip
    assert json.loads(entry.details) == {
        "type": "workshop", "eckpunkt": "antidiskriminierungsarbeit", "task": "bildungsarbeit",
    }  # fmt: skip
    assert "Gesamtschule" not in entry.details  # no free text in the log

    page = text_of(client.get(response.headers["Location"]))
    assert "Die Aktivität wurde erfasst." in page
    assert "Workshop Gesamtschule Nord" in page and "Innenstadt-Nord" in page
    assert "Antidiskriminierungsarbeit: Bildungsarbeit" in page


def test_the_form_warns_against_client_data_and_offers_the_register(app, client, counsellor):
    page = text_of(client.get(NEW))
    assert "Keine Namen oder anderen Angaben zu Ratsuchenden" in page
    select = re.search(r'<select[^>]*id="district_code"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert re.findall(r'value="([^"]*)"', select.group(1)) == ["", "nord"]  # not the retired one
    tasks = re.search(r'<select[^>]*id="task"[^>]*>(.*?)</select>', page, re.S)
    assert tasks is not None
    assert '<optgroup label="Aufgabenfelder">' in tasks.group(1)
    assert '<optgroup label="Servicefunktionen">' in tasks.group(1)
    assert 'label=""' not in tasks.group(1)  # "keine Angabe" stands outside the groups


BAD_INPUT = [
    ("no title", {"title": "  "}, "title", "Bitte geben Sie einen Titel an."),
    ("title too long", {"title": "x" * 121}, "title", "Höchstens 120 Zeichen."),
    ("no date", {"starts_on": ""}, "starts_on", "Bitte geben Sie ein Datum an."),
    (
        "impossible date",
        {"starts_on": "31.02.2026"},
        "starts_on",
        "Bitte geben Sie ein gültiges Datum an (TT.MM.JJJJ).",
    ),
    (
        "end before start",
        {"ends_on": "2026-02-09"},
        "ends_on",
        "Der letzte Tag liegt vor dem ersten.",
    ),
    ("implausible year", {"starts_on": "01.01.1990"}, "starts_on", "Bitte prüfen Sie das Jahr."),
    ("no type", {"type": ""}, "type", "Bitte wählen Sie die Art der Aktivität."),
    ("unknown type", {"type": "zauberei"}, "type", "Bitte wählen Sie die Art der Aktivität."),
    ("unknown eckpunkt", {"eckpunkt": "fuenfter"}, "eckpunkt", "Bitte wählen Sie einen Eckpunkt."),
    (
        "anti-discrimination work without a task",
        {"task": ""},
        "task",
        "Bitte wählen Sie ein Aufgabenfeld oder eine Servicefunktion.",
    ),
    (
        "a task under another Eckpunkt",
        {"eckpunkt": "interkulturelle_oeffnung"},
        "task",
        "Aufgabenfelder und Servicefunktionen gehören zum Eckpunkt Antidiskriminierungsarbeit.",
    ),
    (
        "participants not a number",
        {"participants": "viele"},
        "participants",
        "Bitte geben Sie eine ganze Zahl ab 0 an.",
    ),
    (
        "negative participants",
        {"participants": "-3"},
        "participants",
        "Bitte geben Sie eine ganze Zahl ab 0 an.",
    ),
    (
        "too many participants",
        {"participants": "100001"},
        "participants",
        "Bitte eine Zahl von 0 bis 100000.",
    ),
    (
        # "²".isdigit() is True, but int() refuses it: without a German message of our own
        # the field would show Python's English one.
        "a superscript digit",
        {"participants": "²"},
        "participants",
        "Bitte geben Sie eine ganze Zahl ab 0 an.",
    ),
    ("a retired district", {"district_code": "alt"}, "district_code", NOT_OFFERED),
    ("an unknown district", {"district_code": "fremd"}, "district_code", NOT_OFFERED),
    (
        "control characters",
        {"partners": "A\x07B"},
        "partners",
        "Das Feld enthält unzulässige Zeichen.",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_comes_back_in_german_with_the_input_and_nothing_saved(
    app, client, counsellor, changes, field, message
):
    mark = audit_log.head(app)
    response = record(client, **changes)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in error_of(page, field)
    assert 'value="Gesamtschule Nord"' in page or field == "partners"  # what was typed stays
    assert "Traceback" not in page
    assert stored(app) == []
    assert audit_log.entries(app, after=mark, action="activity:record:create") == []


def test_an_activity_without_optional_fields_and_over_several_days(app, client, counsellor):
    response = record(
        client, ends_on="12.02.2026", eckpunkt="sozialraumorientierte_arbeit", task="",
        district_code="", participants="", partners="", description="",
    )  # fmt: skip
    assert response.status_code == 302
    [activity] = stored(app)
    assert activity.ends_on == date(2026, 2, 12) and activity.task is None
    assert activity.district_code is None and activity.participants is None


def test_an_activity_is_changed_and_the_log_names_the_fields(app, client, counsellor):
    assert record(client).status_code == 302
    [activity] = stored(app)
    url = f"/aktivitaeten/{activity.id}/bearbeiten"
    form = text_of(client.get(url))
    assert 'value="Workshop Gesamtschule Nord"' in form and 'value="2026-02-10"' in form
    mark = audit_log.head(app)
    response = post_form(client, url, {**VALID, "participants": "30", "type": "fortbildung"})
    assert response.status_code == 302
    [changed] = stored(app)
    assert (changed.participants, changed.type) == (30, "fortbildung")
    assert changed.updated_at is not None
    details = json.loads(audit_log.one(app, "activity:record:update", after=mark).details)
    assert sorted(details["fields"]) == ["participants", "type"]

    refused = post_form(client, url, {**VALID, "title": ""})
    assert refused.status_code == 400 and stored(app)[0].title == "Workshop Gesamtschule Nord"


def test_a_district_retired_since_stays_on_the_activity(app, client, counsellor, register):
    assert record(client).status_code == 302
    [activity] = stored(app)
    with app.app_context():
        nord = db.session.scalars(
            sa.select(centre_operations.District).where(centre_operations.District.code == "nord")
        ).one()
        centre_operations.set_district_active(db.session.get(User, register.id), nord, False)
    url = f"/aktivitaeten/{activity.id}/bearbeiten"
    assert post_form(client, url, {**VALID, "participants": "25"}).status_code == 302
    assert stored(app)[0].district_code == "nord"
    assert record(client).status_code == 400  # a new one cannot choose it


def test_an_activity_is_deleted_after_confirmation(app, client, counsellor):
    assert record(client).status_code == 302
    [activity] = stored(app)
    url = f"/aktivitaeten/{activity.id}/loeschen"
    confirm = text_of(client.get(url))
    assert "Aktivität löschen?" in confirm and "Workshop Gesamtschule Nord" in confirm
    assert stored(app) != []  # asking deletes nothing
    mark = audit_log.head(app)
    response = post_form(client, url, {})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"{LIST}?jahr=2026"
    )
    assert stored(app) == []
    entry = audit_log.one(app, "activity:record:delete", after=mark)
    assert entry.object_id == str(activity.id) and json.loads(entry.details)["type"] == "workshop"


def test_the_list_shows_a_year_and_filters(app, client, counsellor):
    assert record(client).status_code == 302
    assert (
        record(
            client, title="Netzwerk Nord", type="netzwerk_gremium", task="netzwerk_kooperation"
        ).status_code
        == 302
    )
    assert record(client, title="Vorjahr", starts_on="2025-11-05").status_code == 302
    page = text_of(client.get(LIST))
    assert "Workshop Gesamtschule Nord" in page and "Netzwerk Nord" in page
    assert "Vorjahr" not in page
    filtered = text_of(client.get(f"{LIST}?jahr=2026&art=netzwerk_gremium"))
    assert "Netzwerk Nord" in filtered and "Workshop Gesamtschule Nord" not in filtered
    assert "1 von 2 (gefiltert)" in filtered
    assert "Vorjahr" in text_of(client.get(f"{LIST}?jahr=2025"))
    assert client.get(f"{LIST}?jahr=abc&art=<script>").status_code == 200


@pytest.mark.parametrize("value", ["%C2%B2", "99999999999999999999999", "-2026"])
def test_a_bad_year_in_the_query_shows_the_current_year_never_500(app, client, counsellor, value):
    # "²".isdigit() is True but int("²") raises; a huge number is no year either. Like any
    # other text ("abc") the list falls back to the current year.
    def shown_year(response: Any) -> str:
        assert response.status_code == 200
        found = re.search(r"Jahresbericht (\d{4})", text_of(response))
        assert found is not None
        return found.group(1)

    assert shown_year(client.get(f"{LIST}?jahr={value}")) == shown_year(client.get(LIST))


# --- another centre ---------------------------------------------------------------------------


def test_another_centres_activity_is_a_404_and_audited(app, client, counsellor, make_user, clock):
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        other = create_centre("ANDERE", "Servicestelle Anderswo").id
    someone = make_user(Role.COUNSELLOR, username="beratung.anderswo", centre_id=other)
    elsewhere = https_client(app)
    login(elsewhere, someone, clock)
    assert post_form(elsewhere, NEW, {**VALID, "district_code": ""}).status_code == 302
    [foreign] = stored(app)
    mark = audit_log.head(app)
    edit = f"/aktivitaeten/{foreign.id}/bearbeiten"
    delete = f"/aktivitaeten/{foreign.id}/loeschen"
    assert client.get(edit).status_code == 404
    assert client.get(delete).status_code == 404
    assert post_form(client, delete, {}, form_url=LIST).status_code == 404
    assert (
        post_form(client, edit, {**VALID, "title": "Übernommen"}, form_url=LIST).status_code == 404
    )
    assert stored(app)[0].title == "Workshop Gesamtschule Nord"
    denials = audit_log.entries(app, after=mark, action="access:request:deny")
    assert denials, "probing another centre's activity is audited"
    assert {(row.object_type, row.object_id, row.centre_id) for row in denials} == {
        ("activity", str(foreign.id), other)
    }
    assert "Workshop Gesamtschule Nord" not in text_of(client.get(LIST))
    assert client.get("/aktivitaeten/999999/bearbeiten").status_code == 404


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_only_counsellors_and_supervisors_reach_the_activities(app, client, login_as, role):
    login_as(role)
    allowed = role in {Role.COUNSELLOR, Role.SUPERVISOR}
    for url in (
        LIST,
        NEW,
        "/aktivitaeten/jahresbericht",
        "/aktivitaeten/jahresbericht/2026-uebersicht.csv",
    ):
        status = client.get(url).status_code
        assert (status == 200) is allowed and (status == 403) is (not allowed), f"{url}: {status}"


# --- the period query (the campaigns calendar) -----------------------------------------------


def test_activities_between_includes_overlaps_and_only_the_centre(app, client, counsellor, centre):
    assert (
        record(client, title="Januar", starts_on="2026-01-30", ends_on="2026-02-02").status_code
        == 302
    )
    assert record(client, title="Februar", starts_on="2026-02-10").status_code == 302
    assert record(client, title="März", starts_on="2026-03-01").status_code == 302
    with app.app_context():
        february = [
            a.title for a in activities_between(centre, date(2026, 2, 1), date(2026, 2, 28))
        ]
        first_day = [
            a.title for a in activities_between(centre, date(2026, 3, 1), date(2026, 3, 1))
        ]
        elsewhere = activities_between(centre + 1000, date(2026, 1, 1), date(2026, 12, 31))
    assert february == ["Januar", "Februar"]
    assert first_day == ["März"]
    assert elsewhere == []
