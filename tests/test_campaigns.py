"""Campaign pages: who may open them, a campaign from a suggestion with its evidence, the
refusals of bad input (German, what was typed kept, nothing saved), evidence only from the
centre's own published releases, and another centre's campaign (404, audited)."""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from audit import AuditEvent
from servicestelle.campaigns.models import Campaign, CampaignActivity, CampaignEvidence
from servicestelle.centres.operations import create_centre
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests import conftest
from tests.conftest import post_form
from tests.support import releases
from tests.support.audit_log import entries, head
from tests.support.releases import content_of, populate
from tests.support.stats import AFTER_2026

DENY = AuditEvent.ACCESS_REQUEST_DENY.value
FIGURE = "opened|grounds=geschlecht|life_areas=arbeit"
#: Tables whose figures the test population publishes (the full catalogue suppresses the
#: grounds: complementary suppression across many tables).
TABLES = ("faelle", "merkmale", "lebensbereiche", "merkmal_lebensbereich", "ebene", "alter")


@pytest.fixture
def clock() -> conftest.FrozenClock:
    return conftest.FrozenClock(AFTER_2026)


def publish(app, drafter: int, approver: int, period: str = "2026") -> int:  # type: ignore[no-untyped-def]
    return releases.publish(app, drafter, approver, period, TABLES)


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def campaign_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Campaign.id))) or 0


def value_of(content: dict, key: str) -> int | None:  # type: ignore[type-arg]
    return next(
        figure["value"]
        for table in content["tables"]
        for figure in table["figures"]
        if figure["key"] == key
    )


def form_data(**changes: object) -> dict:  # type: ignore[type-arg]
    data: dict[str, object] = {
        "title": "Fair im Job",
        "goal": "Betriebe kennen das AGG.",
        "status": "geplant",
        "starts_on": "2027-03-01",
        "ends_on": "2027-06-30",
        "budget": "1.500,50",
        "grounds": ["geschlecht"],
        "life_areas": ["arbeit"],
        "audiences": ["arbeitgeber"],
        "audience_other": "Kammern",
    }
    data.update(changes)
    return data


def new_campaign(app, user_id: int, **changes: object) -> int:  # type: ignore[no-untyped-def]
    from servicestelle.auth.models import User
    from servicestelle.campaigns import operations

    fields = {
        "title": "Fair wohnen",
        "goal": "",
        "status": "geplant",
        "starts_on": date(2027, 3, 1),
        "ends_on": date(2027, 6, 30),
    }
    fields.update(changes)
    with app.app_context():
        actor = db.session.get(User, user_id)
        return operations.create_campaign(actor, operations.CampaignInput(**fields)).id  # type: ignore[arg-type]


# --- who may open the pages -----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SUPERVISOR])
def test_counsellors_and_supervisors_open_every_campaign_page(client, login_as, app, role):
    user = login_as(role)
    campaign_id = new_campaign(app, user.id)
    for url in (
        "/kampagnen",
        "/kampagnen/neu",
        "/kampagnen/vorschlaege",
        "/kampagnen/kalender",
        "/kampagnen/kalender.ics",
        f"/kampagnen/{campaign_id}",
        f"/kampagnen/{campaign_id}/bearbeiten",
        f"/kampagnen/{campaign_id}/zahlen",
    ):
        assert client.get(url).status_code == 200, url
    assert 'href="/kampagnen"' in text(client.get("/kampagnen"))  # in the main navigation


@pytest.mark.parametrize("role", [Role.DPO, Role.ADMIN])
def test_dpo_and_admin_are_refused(client, login_as, make_user, app, role):
    owner = make_user(Role.COUNSELLOR, username="planerin")
    campaign_id = new_campaign(app, owner.id)
    login_as(role)
    for url in ("/kampagnen", "/kampagnen/vorschlaege", f"/kampagnen/{campaign_id}"):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login(client):
    for url in ("/kampagnen", "/kampagnen/kalender.ics", "/kampagnen/1"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden")


def test_another_centres_campaign_is_a_404_and_audited(app, client, login_as, make_user):
    with app.app_context():
        other_centre = create_centre("ANDERE", "Andere Servicestelle").id
    stranger = make_user(Role.COUNSELLOR, username="fremd", centre_id=other_centre)
    theirs = new_campaign(app, stranger.id)
    login_as(Role.COUNSELLOR)
    mark = head(app)
    for url in (f"/kampagnen/{theirs}", f"/kampagnen/{theirs}/bearbeiten"):
        assert client.get(url).status_code == 404, url
    response = post_form(
        client,
        f"/kampagnen/{theirs}/aktivitaeten",
        {"title": "x", "starts_on": "2027-03-02"},
        form_url="/kampagnen",
    )
    assert response.status_code == 404
    denials = entries(app, after=mark, action=DENY)
    assert {(row.object_type, row.object_id) for row in denials} == {("campaign", str(theirs))}
    assert all(row.centre_id == other_centre for row in denials)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CampaignActivity.id))) == 0


# --- from a suggestion to a campaign with evidence ------------------------------------------


def test_following_a_suggestion_prefills_the_form_and_saves_the_published_value(
    app, client, make_user, login_as, centre
):
    populate(app, centre)
    second = make_user(Role.SUPERVISOR, username="leitung.b")
    user = login_as(Role.SUPERVISOR, username="leitung.a")
    release_id = publish(app, user.id, second.id)
    published = value_of(content_of(app, release_id), FIGURE)
    assert published == 30

    suggestions = text(client.get("/kampagnen/vorschlaege"))
    link = f"/kampagnen/neu?release={release_id}&amp;key={quote(FIGURE, safe='')}"
    assert link in suggestions
    form = text(client.get(link.replace("&amp;", "&")))
    assert re.search(
        r'<input[^>]*checked[^>]*value="geschlecht"|<input[^>]*value="geschlecht"[^>]*checked', form
    )
    assert re.search(
        r'<input[^>]*value="arbeit"[^>]*checked|<input[^>]*checked[^>]*value="arbeit"', form
    )
    assert not re.search(r'<input[^>]*value="wohnen"[^>]*checked', form)
    assert f'value="{release_id}"' in form and f'value="{FIGURE}"' in form
    assert "Diskriminierungsmerkmal nach Lebensbereich: Geschlecht / Arbeit" in form

    mark = head(app)
    response = post_form(
        client,
        "/kampagnen/neu",
        form_data(
            evidence_release=str(release_id),
            evidence_key=FIGURE,
            link_evidence="y",
            indicator="senken",
        ),
        form_url=link.replace("&amp;", "&"),
    )
    assert response.status_code == 302, text(response)
    with app.app_context():
        campaign = db.session.scalars(sa.select(Campaign)).one()
        assert response.headers["Location"] == f"/kampagnen/{campaign.id}"
        assert (campaign.grounds, campaign.life_areas, campaign.budget_cents) == (
            "geschlecht",
            "arbeit",
            150_050,
        )
        (evidence,) = campaign.evidence
        assert (evidence.release_id, evidence.key, evidence.value) == (release_id, FIGURE, 30)
        assert evidence.label == "Diskriminierungsmerkmal nach Lebensbereich: Geschlecht / Arbeit"
        (indicator,) = campaign.indicators
        assert (indicator.key, indicator.direction) == (FIGURE, "senken")
        campaign_id = campaign.id
    actions = [row.action for row in entries(app, after=mark)]
    assert actions[:3] == [
        AuditEvent.CAMPAIGN_RECORD_CREATE.value,
        AuditEvent.CAMPAIGN_EVIDENCE_LINK.value,
        AuditEvent.CAMPAIGN_INDICATOR_ADD.value,
    ]
    created = entries(app, after=mark, action=AuditEvent.CAMPAIGN_RECORD_CREATE.value)[0]
    assert "Fair" not in created.details and "Kammern" not in created.details
    (linked,) = entries(app, after=mark, action=AuditEvent.CAMPAIGN_EVIDENCE_LINK.value)
    assert json.loads(linked.details) == {
        "release_id": release_id,
        "figure": ["opened", "grounds:geschlecht", "life_areas:arbeit"],
    }

    page = text(client.get(f"/kampagnen/{campaign_id}"))
    assert "Geschlecht / Arbeit" in page and "Statistik Jahr 2026 (Nr. " in page
    assert "1.500,50" in page


def test_a_posted_value_is_never_taken_the_release_decides(
    app, client, make_user, login_as, centre
):
    populate(app, centre)
    second = make_user(Role.SUPERVISOR, username="leitung.b")
    user = login_as(Role.SUPERVISOR, username="leitung.a")
    release_id = publish(app, user.id, second.id)
    campaign_id = new_campaign(app, user.id)
    response = post_form(
        client,
        f"/kampagnen/{campaign_id}/belege",
        {"release": str(release_id), "key": "opened|life_areas=wohnen", "value": "999"},
        form_url=f"/kampagnen/{campaign_id}/zahlen",
    )
    assert response.status_code == 302
    with app.app_context():
        (evidence,) = db.session.scalars(sa.select(CampaignEvidence)).all()
        assert evidence.value == 12 == value_of(content_of(app, release_id), evidence.key)


def _refused_evidence(app, client, release_id: int, key: str = FIGURE) -> str:  # type: ignore[no-untyped-def]
    response = post_form(
        client,
        "/kampagnen/neu",
        form_data(evidence_release=str(release_id), evidence_key=key, link_evidence="y"),
        form_url="/kampagnen/neu",
    )
    assert response.status_code == 400
    assert campaign_count(app) == 0
    return text(response)


def test_evidence_from_a_draft_or_a_suppressed_cell_is_refused(
    app, client, make_user, login_as, centre
):
    populate(app, centre)
    user = login_as(Role.SUPERVISOR, username="leitung.a")
    with app.app_context():
        from servicestelle.auth.models import User
        from servicestelle.stats import operations as stats_operations
        from servicestelle.stats.periods import Period

        draft = stats_operations.draft_release(
            db.session.get(User, user.id), Period.parse("2026"), ["merkmale", "alter"]
        ).id
    page = _refused_evidence(app, client, draft, "opened|grounds=geschlecht")
    assert "nicht aus einer veröffentlichten Statistik Ihrer Beratungsstelle" in page
    assert 'value="Fair im Job"' in page  # what was typed stays
    # The suggestion link of a draft is a 404 (its figures are not out).
    assert client.get(f"/kampagnen/neu?release={draft}&key=opened").status_code == 404
    assert client.get(f"/kampagnen/vorschlaege?release={draft}").status_code == 404

    second = make_user(Role.SUPERVISOR, username="leitung.b")
    with app.app_context():
        from servicestelle.stats.release_models import Release

        stats_operations.reject_release(
            db.session.get(User, second.id), db.session.get(Release, draft), "zu früh"
        )
    release_id = publish(app, user.id, second.id)
    children = "opened|age_band=u18"
    assert value_of(content_of(app, release_id), children) is None
    page = _refused_evidence(app, client, release_id, children)
    assert "gesperrt" in page


def test_evidence_from_another_centres_release_is_refused_and_its_link_audited(
    app, client, make_user, login_as, centre
):
    with app.app_context():
        other_centre = create_centre("ANDERE", "Andere Servicestelle").id
    populate(app, other_centre)
    first = make_user(Role.SUPERVISOR, username="fremd.a", centre_id=other_centre)
    second = make_user(Role.SUPERVISOR, username="fremd.b", centre_id=other_centre)
    theirs = publish(app, first.id, second.id)
    login_as(Role.COUNSELLOR)
    page = _refused_evidence(app, client, theirs)
    assert "nicht aus einer veröffentlichten Statistik Ihrer Beratungsstelle" in page
    assert "Geschlecht / Arbeit" not in page  # nothing of their release is shown

    mark = head(app)
    assert client.get(f"/kampagnen/neu?release={theirs}&key={FIGURE}").status_code == 404
    assert client.get(f"/kampagnen/vorschlaege?release={theirs}").status_code == 404
    denials = entries(app, after=mark, action=DENY)
    assert {(row.object_type, row.object_id) for row in denials} == {("stats_release", str(theirs))}


def evidence_cells(page: str, key: str) -> list[str]:
    """The texts of the cells of the evidence row with this figure key."""
    start = page.index('id="belege-heading"')
    section = page[start : page.index("</section>", start)]
    row = re.search(rf'<tr data-key="{re.escape(key)}">(.*?)</tr>', section, re.S)
    assert row is not None, key
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)
    ]


def test_evidence_of_a_revoked_release_is_withdrawn_not_shown(
    app, client, make_user, login_as, centre
):
    populate(app, centre)
    second = make_user(Role.SUPERVISOR, username="leitung.b")
    user = login_as(Role.SUPERVISOR, username="leitung.a")
    release_id = publish(app, user.id, second.id)
    published = value_of(content_of(app, release_id), FIGURE)
    assert published is not None
    campaign_id = new_campaign(app, user.id)
    post_form(
        client,
        f"/kampagnen/{campaign_id}/belege",
        {"release": str(release_id), "key": FIGURE},
        form_url=f"/kampagnen/{campaign_id}/zahlen",
    )
    page = text(client.get(f"/kampagnen/{campaign_id}"))
    assert "aus einer widerrufenen Statistik" not in page
    assert evidence_cells(page, FIGURE)[1] == str(published)
    with app.app_context():
        from servicestelle.auth.models import User
        from servicestelle.stats import operations as stats_operations
        from servicestelle.stats.release_models import Release

        stats_operations.revoke_release(
            db.session.get(User, second.id), db.session.get(Release, release_id), "Fehler"
        )
    page = text(client.get(f"/kampagnen/{campaign_id}"))
    assert "aus einer widerrufenen Statistik" in page
    # Revoking withdraws the figure: the page shows no number for it, not even the copy
    # stored when it was linked (still in the row, read by no page).
    _label, shown, _source, _remove = evidence_cells(page, FIGURE)
    assert shown == "widerrufen" and not re.search(r"\d", shown)
    with app.app_context():
        (evidence,) = db.session.scalars(sa.select(CampaignEvidence)).all()
        assert evidence.value == published
    # A revoked release is no source of new evidence nor of suggestions.
    assert client.get(f"/kampagnen/vorschlaege?release={release_id}").status_code == 404
    assert "noch keine veröffentlichte Statistik" in text(client.get("/kampagnen/vorschlaege"))


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_on": "2027-02-28"}, "Das Ende liegt vor dem Beginn."),
        ({"budget": "-5"}, "Das Budget kann nicht negativ sein."),
        ({"budget": "viel"}, "Bitte geben Sie einen Betrag in Euro an"),
        ({"grounds": ["geschlecht", "erfunden"]}, "Die Auswahl enthält einen unbekannten Wert."),
        ({"districts": ["nirgendwo"]}, "Die Auswahl enthält einen unbekannten Wert."),
        ({"audiences": ["alle"]}, "Die Auswahl enthält einen unbekannten Wert."),
        ({"status": "vielleicht"}, "Bitte wählen Sie einen Stand aus der Liste."),
        ({"starts_on": "31.02.2027"}, "Bitte geben Sie ein gültiges Datum an"),
        ({"title": ""}, "Bitte geben Sie einen Titel an."),
    ],
)
def test_bad_campaign_input_is_refused_in_german_and_nothing_is_saved(
    app, client, login_as, changes, message
):
    login_as(Role.COUNSELLOR)
    response = post_form(client, "/kampagnen/neu", form_data(**changes), form_url="/kampagnen/neu")
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "Bitte prüfen Sie Ihre Eingaben" in page
    assert 'value="Kammern"' in page  # what was typed stays
    assert campaign_count(app) == 0


def test_an_unknown_responsible_person_or_bad_dates_refuse_the_activity(
    app, client, login_as, make_user
):
    user = login_as(Role.COUNSELLOR)
    with app.app_context():
        other_centre = create_centre("ANDERE", "Andere Servicestelle").id
    stranger = make_user(Role.COUNSELLOR, username="fremd", centre_id=other_centre)
    dpo = make_user(Role.DPO, username="datenschutz")
    campaign_id = new_campaign(app, user.id)
    url = f"/kampagnen/{campaign_id}/aktivitaeten"
    base = {"title": "Workshop Berufskolleg", "starts_on": "2027-03-10"}
    for data, message in (
        ({**base, "responsible": str(stranger.id)}, "Bitte wählen Sie eine Person aus der Liste."),
        ({**base, "responsible": str(dpo.id)}, "Bitte wählen Sie eine Person aus der Liste."),
        ({**base, "ends_on": "2027-03-09"}, "Das Ende liegt vor dem Beginn."),
        ({**base, "starts_on": "morgen"}, "Bitte geben Sie ein gültiges Datum an"),
    ):
        response = post_form(client, url, data, form_url=f"/kampagnen/{campaign_id}")
        assert response.status_code == 400, data
        assert message in text(response)
        assert 'value="Workshop Berufskolleg"' in text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CampaignActivity.id))) == 0
    response = post_form(
        client, url, {**base, "responsible": str(user.id)}, form_url=f"/kampagnen/{campaign_id}"
    )
    assert response.status_code == 302
    with app.app_context():
        (activity,) = db.session.scalars(sa.select(CampaignActivity)).all()
        assert (activity.responsible_id, activity.starts_on) == (user.id, date(2027, 3, 10))


def test_bad_outputs_are_refused_and_good_ones_recorded(app, client, login_as):
    user = login_as(Role.SUPERVISOR)
    campaign_id = new_campaign(app, user.id)
    url = f"/kampagnen/{campaign_id}/ergebnisse"
    response = post_form(
        client,
        url,
        {"events_held": "-1", "people_reached": "zwei"},
        form_url=f"/kampagnen/{campaign_id}",
    )
    assert response.status_code == 400
    assert "Bitte eine Zahl von 0 bis 1.000.000." in text(response)
    assert "Bitte eine ganze Zahl eingeben." in text(response)
    response = post_form(
        client,
        url,
        {"events_held": "4", "people_reached": "120", "outputs_note": "gut besucht"},
        form_url=f"/kampagnen/{campaign_id}",
    )
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert (campaign.events_held, campaign.people_reached, campaign.outputs_note) == (
            4,
            120,
            "gut besucht",
        )


def test_editing_changes_the_campaign_and_audits_the_field_names(app, client, login_as):
    user = login_as(Role.COUNSELLOR)
    campaign_id = new_campaign(app, user.id)
    edit = f"/kampagnen/{campaign_id}/bearbeiten"
    assert 'value="Fair wohnen"' in text(client.get(edit))
    mark = head(app)
    response = post_form(
        client,
        edit,
        form_data(title="Fair wohnen 2027", status="laufend", grounds=[], life_areas=["wohnen"]),
    )
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert (campaign.title, campaign.status, campaign.life_areas) == (
            "Fair wohnen 2027",
            "laufend",
            "wohnen",
        )
    (entry,) = entries(app, after=mark, action=AuditEvent.CAMPAIGN_RECORD_UPDATE.value)
    fields = json.loads(entry.details)["fields"]
    assert {"title", "status", "life_areas"} <= set(fields) and "grounds" not in fields
    assert "Fair" not in entry.details


def test_indicators_are_named_from_a_published_release_with_a_direction(
    app, client, make_user, login_as, centre
):
    populate(app, centre)
    second = make_user(Role.SUPERVISOR, username="leitung.b")
    user = login_as(Role.SUPERVISOR, username="leitung.a")
    release_id = publish(app, user.id, second.id)
    campaign_id = new_campaign(app, user.id)
    page_url = f"/kampagnen/{campaign_id}/zahlen"
    page = text(client.get(page_url))
    # Evidence offers published figures only; indicators suppressed ones too ("•").
    evidence_part = page[
        page.index('id="evidence-form-heading"') : page.index('id="indicator-form-heading"')
    ]
    indicator_part = page[page.index('id="indicator-form-heading"') :]
    assert 'value="opened|age_band=u18"' not in evidence_part
    assert 'value="opened|age_band=u18"' in indicator_part and "•" in indicator_part
    url = f"/kampagnen/{campaign_id}/indikatoren"
    response = post_form(
        client,
        url,
        {
            "indikator-release": str(release_id),
            "indikator-key": "opened|age_band=u18",
            "indikator-direction": "oben",
        },
        form_url=page_url,
    )
    assert response.status_code == 400
    assert "Bitte wählen Sie eine Richtung aus der Liste." in text(response)
    response = post_form(
        client,
        url,
        {"indikator-release": "999999", "indikator-key": FIGURE, "indikator-direction": "senken"},
        form_url=page_url,
    )
    assert response.status_code == 400
    assert "nicht aus einer veröffentlichten Statistik Ihrer Beratungsstelle" in text(response)
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).indicators == []
    response = post_form(
        client,
        url,
        {
            "indikator-release": str(release_id),
            "indikator-key": "opened|age_band=u18",
            "indikator-direction": "sichtbar_machen",
        },
        form_url=page_url,
    )
    assert response.status_code == 302
    with app.app_context():
        (indicator,) = db.session.get(Campaign, campaign_id).indicators
        assert (indicator.key, indicator.direction, indicator.label) == (
            "opened|age_band=u18",
            "sichtbar_machen",
            "Ratsuchende nach Altersgruppe: Unter 18 Jahre",
        )


# --- bad numbers in query strings and forms -------------------------------------------------

#: "²".isdigit() is True but int("²") raises; 23 digits overflow every INTEGER column.
SUPERSCRIPT = quote("²")
HUGE = "99999999999999999999999"


def test_bad_release_numbers_in_query_strings_are_404_never_500(app, client, login_as):
    user = login_as(Role.SUPERVISOR)
    campaign_id = new_campaign(app, user.id)
    for value in (SUPERSCRIPT, HUGE, "-1", "1e3"):
        for url in (
            f"/kampagnen/vorschlaege?release={value}",
            f"/kampagnen/neu?release={value}&key=x",
            f"/kampagnen/{campaign_id}/zahlen?release={value}",
        ):
            assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("value", ["²", HUGE])
def test_bad_release_numbers_in_forms_are_refused_in_german(app, client, login_as, value):
    user = login_as(Role.SUPERVISOR)
    campaign_id = new_campaign(app, user.id)
    figures_url = f"/kampagnen/{campaign_id}/zahlen"
    for url, data in (
        (f"/kampagnen/{campaign_id}/belege", {"release": value, "key": FIGURE}),
        (
            f"/kampagnen/{campaign_id}/indikatoren",
            {"indikator-release": value, "indikator-key": FIGURE, "indikator-direction": "senken"},
        ),
    ):
        response = post_form(client, url, data, form_url=figures_url)
        assert response.status_code == 400, url
        assert "nicht aus einer veröffentlichten Statistik Ihrer Beratungsstelle" in text(response)
    response = post_form(
        client,
        "/kampagnen/neu",
        form_data(link_evidence="y", evidence_release=value, evidence_key=FIGURE),
        form_url="/kampagnen/neu",
    )
    assert response.status_code == 400
    assert "nicht aus einer veröffentlichten Statistik Ihrer Beratungsstelle" in text(response)
    assert campaign_count(app) == 1  # only the one made above


# --- evidence and indicators of another centre's campaign -----------------------------------


def test_another_centres_evidence_and_indicators_are_404_and_audited(
    app, client, make_user, login_as
):
    from servicestelle.auth.models import User
    from servicestelle.campaigns import operations

    with app.app_context():
        other_centre = create_centre("ANDERE", "Andere Servicestelle").id
    populate(app, other_centre)
    first = make_user(Role.SUPERVISOR, username="fremd.a", centre_id=other_centre)
    second = make_user(Role.SUPERVISOR, username="fremd.b", centre_id=other_centre)
    theirs = publish(app, first.id, second.id)
    with app.app_context():
        campaign = operations.create_campaign(
            db.session.get(User, first.id),
            operations.CampaignInput("Fremd", "", "geplant", date(2027, 3, 1), date(2027, 6, 30)),
            evidence=(theirs, FIGURE),
            indicator="senken",
        )
        (evidence_id,) = [item.id for item in campaign.evidence]
        (indicator_id,) = [item.id for item in campaign.indicators]
    user = login_as(Role.SUPERVISOR, username="leitung.a")
    mine = new_campaign(app, user.id)
    mark = head(app)
    for url in (
        f"/kampagnen/{mine}/belege/{evidence_id}/entfernen",
        f"/kampagnen/{mine}/indikatoren/{indicator_id}/entfernen",
    ):
        assert post_form(client, url, {}, form_url=f"/kampagnen/{mine}").status_code == 404, url
    denials = entries(app, after=mark, action=DENY)
    assert {(row.object_type, row.object_id, row.centre_id) for row in denials} == {
        ("campaign_evidence", str(evidence_id), other_centre),
        ("campaign_indicator", str(indicator_id), other_centre),
    }
    # A missing id is a plain 404: nothing to audit.
    for url in (
        f"/kampagnen/{mine}/belege/{evidence_id + 1000}/entfernen",
        f"/kampagnen/{mine}/indikatoren/{indicator_id + 1000}/entfernen",
    ):
        assert post_form(client, url, {}, form_url=f"/kampagnen/{mine}").status_code == 404, url
    assert len(entries(app, after=mark, action=DENY)) == 2
    with app.app_context():
        kept = db.session.get(Campaign, campaign.id)
        assert kept is not None and len(kept.evidence) == 1 and len(kept.indicators) == 1
