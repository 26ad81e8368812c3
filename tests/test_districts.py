"""The district register ("Stadtteile und Kreise"): kept by supervisors, chosen on the case.

Supervisors add, rename, retire and reactivate their centre's districts; nobody else may, and
another centre's district is no district at all. The case form and the API offer the centre's
active districts and keep a retired one on the case that already names it; any other code —
another centre's, an unknown one, a retired one chosen anew — is refused and nothing saved.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa

from servicestelle.api.operations import create_token
from servicestelle.auth.models import User
from servicestelle.cases import operations as case_operations
from servicestelle.cases import payload
from servicestelle.cases.models import Case
from servicestelle.centres import operations
from servicestelle.centres.models import District
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import https_client, login, post_form
from tests.support import audit_log
from tests.support.cases import acting_as, load

REGISTER = "/stadtteile"
#: A page every role may open, for the CSRF token of a form posted elsewhere.
TOKEN_PAGE = "/"
NOT_OFFERED = (
    "Diesen Stadtteil oder Kreis bietet Ihre Beratungsstelle nicht an. "
    "Bitte wählen Sie einen aus der Liste."
)


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def error_of(page: str, field_id: str) -> str:
    """The message shown next to a field (the element its aria-describedby names)."""
    match = re.search(rf'id="{re.escape(field_id)}-error">([^<]*)<', page)
    assert match is not None, f"no error next to {field_id}"
    return match.group(1)


def options_of(page: str, select_id: str) -> dict[str, str]:
    """value → label of a select's options, in order."""
    match = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert match is not None, f"no select {select_id}"
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', match.group(1)))


def selected_of(page: str, select_id: str) -> str | None:
    match = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert match is not None
    chosen = re.search(r'<option selected value="([^"]*)"', match.group(1))
    return None if chosen is None else chosen.group(1)


def rows(app: Any, centre_id: int | None = None) -> list[tuple[int, str, str, bool]]:
    with app.app_context():
        statement = sa.select(District).order_by(District.id)
        if centre_id is not None:
            statement = statement.where(District.centre_id == centre_id)
        return [(d.centre_id, d.code, d.name, d.is_active) for d in db.session.scalars(statement)]


def add_directly(app: Any, supervisor_id: int, code: str, name: str, *, active: bool = True) -> int:
    """A district added through the operations (not the page), as the given supervisor."""
    with app.app_context():
        actor = db.session.get(User, supervisor_id)
        district = operations.add_district(actor, code, name)
        if not active:
            operations.set_district_active(actor, district, False)
        return district.id


def count_cases(app: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(Case)) or 0)


@pytest.fixture
def supervisor(login_as):
    return login_as(Role.SUPERVISOR, username="leitung.a")


@pytest.fixture
def other_centre(app, make_user):
    """Another centre with a supervisor and one district ("fremd", "Fremdbezirk")."""
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        centre_id = create_centre("ANDERE", "Servicestelle Anderswo").id
    boss = make_user(Role.SUPERVISOR, username="leitung.anderswo", centre_id=centre_id)
    district_id = add_directly(app, boss.id, "fremd", "Fremdbezirk")
    return {"centre_id": centre_id, "district_id": district_id, "supervisor": boss}


def browser_for(app, make_user, clock, *roles, username):
    user = make_user(*roles, username=username)
    browser = https_client(app)
    login(browser, user, clock)
    return browser, user


# --- the register page ------------------------------------------------------------------------


def test_supervisor_adds_renames_retires_and_reactivates(app, client, supervisor, centre):
    page = client.get(REGISTER)
    assert page.status_code == 200
    assert "Stadtteile und Kreise" in text_of(page) and "Noch keine Einträge" in text_of(page)
    assert f'href="{REGISTER}" aria-current="page"' in page.get_data(as_text=True)
    mark = audit_log.head(app)

    added = post_form(client, REGISTER, {"name": "  Innenstadt-Nord ", "code": "innenstadt_nord"})
    assert added.status_code == 302
    [(centre_id, code, name, active)] = rows(app)
    assert (centre_id, code, name, active) == (centre, "innenstadt_nord", "Innenstadt-Nord", True)
    listing = text_of(client.get(REGISTER))
    assert "„Innenstadt-Nord“ wurde hinzugefügt." in listing
    assert "<code>innenstadt_nord</code>" in listing and "aktiv" in listing

    with app.app_context():
        district_id = db.session.scalar(sa.select(District.id))
    renamed = post_form(
        client, f"{REGISTER}/{district_id}/umbenennen", {"name": "Nordstadt"}, form_url=REGISTER
    )
    assert renamed.status_code == 302
    assert rows(app) == [(centre, "innenstadt_nord", "Nordstadt", True)]  # the code stays

    retired = post_form(client, f"{REGISTER}/{district_id}/stilllegen", {}, form_url=REGISTER)
    assert retired.status_code == 302
    assert rows(app) == [(centre, "innenstadt_nord", "Nordstadt", False)]
    listing = text_of(client.get(REGISTER))
    assert "stillgelegt" in listing and "Wieder anbieten" in listing

    back = post_form(client, f"{REGISTER}/{district_id}/aktivieren", {}, form_url=REGISTER)
    assert back.status_code == 302
    assert rows(app) == [(centre, "innenstadt_nord", "Nordstadt", True)]

    written = [
        (row.action, row.object_type, row.object_id, row.centre_id, row.details, row.actor_id)
        for row in audit_log.entries(app, after=mark)
        if row.action.startswith("org:district:")
    ]
    details = '{"code":"innenstadt_nord"}'
    assert written == [
        (action, "district", str(district_id), centre, details, supervisor.id)
        for action in (
            "org:district:create",
            "org:district:rename",
            "org:district:retire",
            "org:district:reactivate",
        )
    ]


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"code": "Innenstadt_Nord"}, "code", "Kleinbuchstaben a–z, Ziffern und Unterstrich"),
        ({"code": "innenstadt-nord"}, "code", "Kleinbuchstaben a–z, Ziffern und Unterstrich"),
        ({"code": "nord stadt"}, "code", "Kleinbuchstaben a–z, Ziffern und Unterstrich"),
        ({"code": ""}, "code", "Bitte geben Sie einen Code an."),
        ({"code": "a" * 33}, "code", "Höchstens 32 Zeichen."),
        ({"code": "keine_angabe"}, "code", "verwenden die Statistiken selbst"),
        ({"code": "eving"}, "code", "Diesen Code hat schon ein anderer Stadtteil"),
        ({"name": "EVING"}, "name", "Diesen Namen hat schon ein anderer Stadtteil"),
        ({"name": ""}, "name", "Bitte geben Sie einen Namen an."),
        ({"name": "x" * 81}, "name", "Höchstens 80 Zeichen."),
        ({"name": "Zeile\nzwei"}, "name", "unzulässige Zeichen"),
    ],
    ids=[
        "upper-case",
        "dash",
        "space",
        "no-code",
        "code-too-long",
        "reserved",
        "duplicate-code",
        "duplicate-name",
        "no-name",
        "name-too-long",
        "line-break",
    ],
)
def test_a_refused_district_is_explained_next_to_its_field_and_nothing_is_saved(
    app, client, supervisor, fields, field_id, message
):
    add_directly(app, supervisor.id, "eving", "Eving")
    before = rows(app)
    mark = audit_log.head(app)

    response = post_form(client, REGISTER, {"name": "Hombruch", "code": "hombruch", **fields})

    page = text_of(response)
    assert response.status_code == 400
    assert message in error_of(page, field_id)
    assert 'id="error-summary"' in page and f'href="#{field_id}"' in page
    assert rows(app) == before
    assert [row.action for row in audit_log.entries(app, after=mark)] == []


def test_renaming_to_a_taken_name_is_refused_next_to_the_field(app, client, supervisor):
    add_directly(app, supervisor.id, "eving", "Eving")
    district_id = add_directly(app, supervisor.id, "hombruch", "Hombruch")
    url = f"{REGISTER}/{district_id}/umbenennen"
    form = text_of(client.get(url))
    assert 'value="Hombruch"' in form and "<code>hombruch</code>" in form

    response = post_form(client, url, {"name": "eving"})

    assert response.status_code == 400
    assert "Diesen Namen hat schon" in error_of(text_of(response), "name")
    assert [name for _c, _code, name, _a in rows(app)] == ["Eving", "Hombruch"]


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.DPO, Role.ADMIN], ids=lambda r: r.value)
def test_only_supervisors_keep_the_register(app, client, login_as, make_user, role):
    boss = make_user(Role.SUPERVISOR, username="leitung.b")
    district_id = add_directly(app, boss.id, "eving", "Eving")
    login_as(role)
    before = rows(app)

    assert client.get(REGISTER).status_code == 403
    assert client.get(f"{REGISTER}/{district_id}/umbenennen").status_code == 403
    for url, data in [
        (REGISTER, {"name": "Hombruch", "code": "hombruch"}),
        (f"{REGISTER}/{district_id}/umbenennen", {"name": "Anders"}),
        (f"{REGISTER}/{district_id}/stilllegen", {}),
    ]:
        assert post_form(client, url, data, form_url=TOKEN_PAGE).status_code == 403
    assert rows(app) == before
    assert f'href="{REGISTER}"' not in client.get("/").get_data(as_text=True)


def test_the_operations_refuse_whoever_may_not_keep_the_register(app, make_user, other_centre):
    counsellor = make_user(Role.COUNSELLOR)
    boss = make_user(Role.SUPERVISOR)
    with app.app_context():
        with pytest.raises(operations.DistrictError):
            operations.add_district(db.session.get(User, counsellor.id), "eving", "Eving")
        foreign = db.session.get(District, other_centre["district_id"])
        with pytest.raises(operations.DistrictError):
            operations.rename_district(db.session.get(User, boss.id), foreign, "Meins")
        with pytest.raises(operations.DistrictError):
            operations.set_district_active(db.session.get(User, boss.id), foreign, False)
    assert rows(app, other_centre["centre_id"]) == [
        (other_centre["centre_id"], "fremd", "Fremdbezirk", True)
    ]


def test_another_centres_district_is_not_found_and_the_probe_is_audited(
    app, client, supervisor, other_centre
):
    foreign = other_centre["district_id"]
    mark = audit_log.head(app)

    assert client.get(f"{REGISTER}/{foreign}/umbenennen").status_code == 404
    for url, data in [
        (f"{REGISTER}/{foreign}/umbenennen", {"name": "Übernommen"}),
        (f"{REGISTER}/{foreign}/stilllegen", {}),
    ]:
        assert post_form(client, url, data, form_url=REGISTER).status_code == 404
    assert client.get(f"{REGISTER}/999999/umbenennen").status_code == 404

    assert rows(app, other_centre["centre_id"]) == [
        (other_centre["centre_id"], "fremd", "Fremdbezirk", True)
    ]
    assert "Fremdbezirk" not in text_of(client.get(REGISTER))
    denials = audit_log.entries(app, after=mark, action="access:request:deny")
    assert {(row.object_type, row.object_id) for row in denials} == {("district", str(foreign))}
    assert all(row.centre_id == other_centre["centre_id"] for row in denials)


# --- the case form ------------------------------------------------------------------------------


@pytest.fixture
def register(app, make_user):
    """The test centre's districts: two active, one retired. Returns the supervisor."""
    boss = make_user(Role.SUPERVISOR, username="leitung.register")
    add_directly(app, boss.id, "eving", "Eving")
    add_directly(app, boss.id, "hombruch", "Hombruch")
    add_directly(app, boss.id, "altstadt", "Altstadt", active=False)
    return boss


@pytest.fixture
def counsellor(login_as):
    return login_as(Role.COUNSELLOR, username="beraterin.d")


def new_case(client: Any, **fields: Any) -> int:
    response = post_form(client, "/faelle/neu", fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def set_active(app: Any, supervisor_id: int, code: str, active: bool) -> None:
    with app.app_context():
        district = db.session.scalar(sa.select(District).where(District.code == code))
        operations.set_district_active(db.session.get(User, supervisor_id), district, active)


def test_the_case_form_offers_the_centres_active_districts_only(
    client, register, other_centre, counsellor
):
    page = text_of(client.get("/faelle/neu"))

    assert options_of(page, "incident_district_code") == {
        "": "Keine Angabe",
        "eving": "Eving",
        "hombruch": "Hombruch",
    }
    assert selected_of(page, "incident_district_code") == ""
    assert "Ort oder Stadtteil, freie Angabe" in page  # the typed place stays, apart


def test_the_case_page_shows_the_districts_name(app, client, register, counsellor):
    case_id = new_case(client, incident_district_code="hombruch", incident_district="Am Markt")

    text = text_of(client.get(f"/faelle/{case_id}"))
    assert "Hombruch" in text and "Am Markt" in text
    assert "hombruch" not in re.sub(r"<[^>]+>", " ", text)  # the name, not the code

    with app.app_context():
        district = db.session.scalar(sa.select(District).where(District.code == "hombruch"))
        operations.rename_district(db.session.get(User, register.id), district, "Hombruch-Mitte")
    assert "Hombruch-Mitte" in text_of(client.get(f"/faelle/{case_id}"))


@pytest.mark.parametrize(
    "code",
    ["fremd", "gibt_es_nicht", "altstadt", "Eving!"],
    ids=["other-centre", "unknown", "retired", "malformed"],
)
def test_a_forged_district_is_refused_on_a_new_case(
    app, client, register, other_centre, counsellor, code
):
    response = post_form(
        client,
        "/faelle/neu",
        {"incident_district_code": code, "client_pseudonym": "Sternschnuppe"},
    )

    page = text_of(response)
    assert response.status_code == 400
    # Something that is not even a code fails the payload's shape check before the register.
    expected = "Bitte wählen Sie einen Eintrag aus der Liste." if code == "Eving!" else NOT_OFFERED
    assert error_of(page, "incident_district_code") == expected
    assert 'value="Sternschnuppe"' in page  # what was typed is still there
    assert count_cases(app) == 0


def test_a_retired_district_stays_on_its_case_and_is_not_chosen_anew(
    app, client, register, other_centre, counsellor
):
    kept = new_case(client, incident_district_code="eving", client_pseudonym="Amsel")
    other = new_case(client, client_pseudonym="Drossel")
    set_active(app, register.id, "eving", False)

    form = text_of(client.get(f"/faelle/{kept}/bearbeiten"))
    assert options_of(form, "incident_district_code") == {
        "": "Keine Angabe",
        "eving": "Eving (stillgelegt)",
        "hombruch": "Hombruch",
    }
    assert selected_of(form, "incident_district_code") == "eving"
    saved = post_form(
        client,
        f"/faelle/{kept}/bearbeiten",
        {"content_version": "1", "incident_district_code": "eving", "client_pseudonym": "Amsel"},
        form_url="/faelle",
    )
    assert saved.status_code == 302
    assert "Eving" in text_of(client.get(f"/faelle/{kept}"))

    # The other case never named it: neither offered nor accepted there.
    form = text_of(client.get(f"/faelle/{other}/bearbeiten"))
    assert "eving" not in options_of(form, "incident_district_code")
    refused = post_form(
        client,
        f"/faelle/{other}/bearbeiten",
        {"content_version": "1", "incident_district_code": "eving", "client_pseudonym": "Drossel"},
        form_url="/faelle",
    )
    assert refused.status_code == 400
    assert NOT_OFFERED in error_of(text_of(refused), "incident_district_code")
    with app.app_context():
        assert db.session.get(Case, other).content_version == 1


@pytest.mark.parametrize("code", ["fremd", "gibt_es_nicht", "altstadt"])
def test_a_forged_district_on_an_edit_loses_nothing_already_saved(
    app, client, register, other_centre, counsellor, code
):
    case_id = new_case(client, incident_district_code="hombruch", account_narrative="Erste Fassung")

    response = post_form(
        client,
        f"/faelle/{case_id}/bearbeiten",
        {
            "content_version": "1",
            "incident_district_code": code,
            "account_narrative": "Zweite Fassung",
        },
        form_url="/faelle",
    )

    page = text_of(response)
    assert response.status_code == 400
    assert NOT_OFFERED in error_of(page, "incident_district_code")
    assert "Zweite Fassung</textarea>" in page  # the input is kept for another try
    with app.app_context():
        assert db.session.get(Case, case_id).content_version == 1
    text = text_of(client.get(f"/faelle/{case_id}"))
    assert "Erste Fassung" in text and "Hombruch" in text and "Zweite Fassung" not in text


# --- the API ------------------------------------------------------------------------------------


class Caller:
    def __init__(self, client: Any, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=self.headers)

    def post(self, url: str, body: dict[str, Any]) -> Any:
        return self.client.post(url, json=body, headers=self.headers)

    def put(self, url: str, body: dict[str, Any]) -> Any:
        return self.client.put(url, json=body, headers=self.headers)


@pytest.fixture
def api(app, client, make_user):
    user = make_user(Role.COUNSELLOR, username="beraterin.api")
    with app.app_context():
        token = create_token(db.session.get(User, user.id), "test").plaintext
    return Caller(client, token)


def _content(code: str, narrative: str = "Erste Fassung") -> dict[str, Any]:
    return {"incident": {"district_code": code}, "account": {"narrative": narrative}}


def test_the_api_lists_the_own_centres_districts(register, other_centre, api):
    listed = api.get("/api/v1/districts")

    assert listed.status_code == 200
    assert listed.get_json() == [
        {"code": "altstadt", "name": "Altstadt", "is_active": False},
        {"code": "eving", "name": "Eving", "is_active": True},
        {"code": "hombruch", "name": "Hombruch", "is_active": True},
    ]


def test_the_api_saves_an_offered_district_and_refuses_a_forged_one(
    app, register, other_centre, api
):
    created = api.post("/api/v1/cases", {"content": _content("eving")})
    assert created.status_code == 201
    case_id = created.get_json()["id"]
    assert (
        api.get(f"/api/v1/cases/{case_id}").get_json()["content"]["incident"]["district_code"]
        == "eving"
    )

    for code in ("fremd", "gibt_es_nicht", "altstadt"):
        refused = api.post("/api/v1/cases", {"content": _content(code)})
        assert refused.status_code == 422, code
        error = refused.get_json()["error"]
        assert error["code"] == "validation_failed"
        assert error["fields"] == {"content": {"incident": {"district_code": [NOT_OFFERED]}}}
        assert code not in refused.get_data(as_text=True)  # the value is never echoed
    malformed = api.post("/api/v1/cases", {"content": _content("Eving; DROP")})
    assert malformed.status_code == 422
    assert "district_code" in malformed.get_json()["error"]["fields"]["content"]["incident"]
    assert count_cases(app) == 1


def test_the_api_keeps_a_retired_district_on_its_case_only(app, register, other_centre, api):
    kept = api.post("/api/v1/cases", {"content": _content("hombruch")}).get_json()["id"]
    other = api.post("/api/v1/cases", {"content": _content("")}).get_json()["id"]
    set_active(app, register.id, "hombruch", False)

    def save(case_id: int, code: str, version: int, narrative: str) -> Any:
        body = {
            "status": "open",
            "opened_on": "2026-03-02",
            "content": _content(code, narrative),
            "content_version": version,
        }
        return api.put(f"/api/v1/cases/{case_id}", body)

    assert save(kept, "hombruch", 1, "Zweite Fassung").status_code == 200
    for case_id, code in [(other, "hombruch"), (kept, "fremd"), (kept, "altstadt")]:
        refused = save(case_id, code, 2 if case_id == kept else 1, "Verloren?")
        assert refused.status_code == 422, (case_id, code)
        assert refused.get_json()["error"]["fields"]["content"]["incident"]["district_code"]
    read = api.get(f"/api/v1/cases/{kept}").get_json()
    assert read["content_version"] == 2
    assert read["content"]["incident"]["district_code"] == "hombruch"
    assert read["content"]["account"]["narrative"] == "Zweite Fassung"
    assert api.get(f"/api/v1/cases/{other}").get_json()["content_version"] == 1


# --- the operations: every way of saving a case ------------------------------------------------


def _stored_district(app: Any, user_id: int, case_id: int) -> str:
    with acting_as(app, user_id):
        opened = case_operations.open_sealed(load(user_id, case_id))
        return str(opened.payload["incident"]["district_code"])


@pytest.mark.parametrize(
    "code",
    ["fremd", "gibt_es_nicht", "altstadt"],
    ids=["other-centre", "unknown", "retired"],
)
def test_the_operation_refuses_a_new_case_naming_a_district_not_offered(
    app, register, other_centre, make_user, code
):
    user = make_user(Role.COUNSELLOR, username="beraterin.ops")
    mark = audit_log.head(app)

    with (
        acting_as(app, user.id) as actor,
        pytest.raises(case_operations.DistrictNotOffered) as refused,
    ):
        case_operations.create_case(actor, payload.load_payload(_content(code)))

    assert refused.value.messages == {"incident": {"district_code": [NOT_OFFERED]}}
    assert count_cases(app) == 0
    assert audit_log.entries(app, after=mark) == []


def test_the_operation_keeps_a_retired_district_on_its_case_only(
    app, register, other_centre, make_user
):
    user = make_user(Role.COUNSELLOR, username="beraterin.ops")
    with acting_as(app, user.id) as actor:
        kept = case_operations.create_case(actor, payload.load_payload(_content("hombruch"))).id
        other = case_operations.create_case(actor, payload.load_payload(_content(""))).id
    set_active(app, register.id, "hombruch", False)

    def save(case_id: int, code: str) -> None:
        with acting_as(app, user.id):
            case_operations.update_case(
                load(user.id, case_id),
                payload.load_payload(_content(code, "Zweite Fassung")),
                case_operations.Metadata(),
                based_on=1,
            )

    for code in ("hombruch", "fremd", "altstadt"):
        with pytest.raises(case_operations.DistrictNotOffered):
            save(other, code)
    with app.app_context():
        assert db.session.get(Case, other).content_version == 1
    assert _stored_district(app, user.id, other) == ""

    save(kept, "hombruch")
    with app.app_context():
        assert db.session.get(Case, kept).content_version == 2
    assert _stored_district(app, user.id, kept) == "hombruch"


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_cases_name_districts_of_the_demo_register():
    from servicestelle.demo import DEMO_DISTRICTS
    from servicestelle.demo_cases import DEMO_CASES

    codes = {code for code, _name in DEMO_DISTRICTS}
    named = [spec["content"].get("incident", {}).get("district_code") for spec in DEMO_CASES]
    assert {code for code in named if code} <= codes
    assert sum(1 for code in named if code) >= 3
    for code, _name in DEMO_DISTRICTS:
        assert operations.DISTRICT_CODE.fullmatch(code)
