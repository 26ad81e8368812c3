"""The statistics store (DESIGN.md §6): every case operation that changes what the store holds
rewrites the case's record in its own transaction; a record holds the case's codes and months
under a keyed pseudonym, and nothing a person wrote.

Records are read back through a connection of their own, so that what a test sees is what was
committed, not what the operation's session still holds.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from servicestelle import catalogue, create_app, services
from servicestelle import clock as app_clock
from servicestelle.auth.models import User
from servicestelle.cases import operations, parts, retention, statistics
from servicestelle.cases import payload as rules
from servicestelle.cases.models import Case, CaseConsent
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import store
from servicestelle.stats.models import StatsRecord
from tests.conftest import make_settings
from tests.support.cases import acting_as, canary_payload, leaks, load

OPENED = date(2026, 2, 10)
CLOSED_ON = date(2026, 3, 1)
RESPONDENT = "Müller Wohnen GmbH"

CONTENT: dict[str, Any] = {
    "incident": {"place": "Musterstraße 1", "district": "Nordstadt"},
    "classification": {
        "grounds": {"codes": ["lebensalter"], "sub": ["antisemitismus", "frau_sexismus"]},
        "life_areas": {"sub": ["wohnungssuche"]},
        "forms": {"codes": ["zugang_verwehrt", "belaestigung"]},
        "level": {"codes": ["institutionell"]},
        "agg_relevance": {"codes": ["agg_relevant"]},
    },
    "respondent": {"type": {"codes": ["vermieter_wohnungsunternehmen"]}, "name": RESPONDENT},
    "client": {
        "pseudonym": "Frau A.",
        "contact": "0170 1234567",
        "age_band": {"codes": ["27_45"]},
        "gender": {"codes": ["weiblich"]},
        "requester_type": {"codes": ["betroffene_person"]},
        "channel": {"codes": ["telefon"]},
        "referral_source": {"codes": ["internet"]},
    },
}
#: The record CONTENT gives, opened in February and still open.
EXPECTED = {
    "catalogue_version": store.CATALOGUE_VERSION,
    "opened_month": "2026-02",
    "closed_month": None,
    "district": "keine_angabe",
    "status": "open",
    "grounds": "geschlecht;lebensalter;rassismus_antisemitismus_herkunft",
    "ground_subs": "antisemitismus;frau_sexismus",
    "life_areas": "wohnen",
    "life_area_subs": "wohnungssuche",
    "forms": "belaestigung;zugang_verwehrt",
    "level": "institutionell",
    "agg_relevance": "agg_relevant",
    "went_to_court": "nein",
    "interventions": "keine_angabe",
    "intervention_groups": "keine_angabe",
    "outcomes": "keine_angabe",
    "respondent_type": "vermieter_wohnungsunternehmen",
    "age_band": "27_45",
    "gender": "weiblich",
    "requester_type": "betroffene_person",
    "channel": "telefon",
    "referral_source": "internet",
}
CLOSING = {
    "closure": {
        "outcome": {"codes": ["ziel_erreicht", "entschuldigung"]},
        "reason": {"codes": ["anliegen_bearbeitet"]},
    }
}


@pytest.fixture
def owner(make_user) -> int:
    return make_user(Role.COUNSELLOR).id


@pytest.fixture
def committed(backend):
    """The stats_records rows as committed, read over a connection of their own."""
    engine = sa.create_engine(backend.owner_url)

    def read() -> list[dict[str, Any]]:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(StatsRecord.__table__).order_by(StatsRecord.pseudonym)
            )
            return [{**row._mapping} for row in rows]

    yield read
    engine.dispose()


def _create(app, user_id: int, content: dict[str, Any], meta=None) -> int:
    with acting_as(app, user_id) as user:
        meta = meta or operations.Metadata(opened_on=OPENED)
        return operations.create_case(user, rules.load_payload(content), meta).id


def _pseudonym(app, case_id: int) -> bytes:
    with app.app_context():
        return store.pseudonym(case_id)


def _record(app, committed, case_id: int) -> dict[str, Any] | None:
    wanted = _pseudonym(app, case_id)
    found = [row for row in committed() if row["pseudonym"] == wanted]
    assert len(found) <= 1
    return found[0] if found else None


def _codes(row: dict[str, Any] | None) -> dict[str, Any]:
    assert row is not None, "no record"
    return {k: v for k, v in row.items() if k not in {"pseudonym", "centre_id", "respondent_token"}}


# --- what a record holds ------------------------------------------------------------------------


def test_a_new_case_gets_its_record_with_the_codes_joined_and_sorted(app, owner, centre, committed):
    case_id = _create(app, owner, CONTENT)

    [row] = committed()
    assert row["pseudonym"] == _pseudonym(app, case_id)
    assert row["centre_id"] == centre
    assert _codes(row) == EXPECTED
    assert len(row["respondent_token"]) == 16


def test_an_empty_case_counts_as_keine_angabe_in_every_dimension(app, owner, committed):
    _create(app, owner, {})

    [row] = committed()
    for name in (
        "district",
        "grounds",
        "life_areas",
        "forms",
        "level",
        "agg_relevance",
        "interventions",
        "intervention_groups",
        "outcomes",
        "respondent_type",
        "age_band",
        "gender",
        "requester_type",
        "channel",
        "referral_source",
    ):
        assert row[name] == "keine_angabe", name
    assert (row["ground_subs"], row["life_area_subs"]) == ("", "")
    assert row["went_to_court"] == "nein"
    assert row["respondent_token"] is None


def test_interventions_give_their_groups_and_a_lawsuit_means_went_to_court(app, owner, committed):
    case_id = _create(app, owner, CONTENT)

    def add(kind: str) -> dict[str, Any]:
        with acting_as(app, owner):
            parts.add_intervention(load(owner, case_id), OPENED, {"type": kind, "details": "x"})
        return _codes(_record(app, committed, case_id))

    first = add("beratung_empowerment")
    assert (first["interventions"], first["intervention_groups"], first["went_to_court"]) == (
        "beratung_empowerment",
        "beratung",
        "nein",
    )
    second = add("klage_prozessbegleitung")
    assert second["interventions"] == "beratung_empowerment;klage_prozessbegleitung"
    # "Beratung ohne weitere Intervention" is counselling alone: no longer this case.
    assert second["intervention_groups"] == "gerichtlich"
    assert second["went_to_court"] == "ja"
    # "anderes" counts in the group "anderes"; its details stay in the case.
    third = add("anderes")
    assert third["interventions"] == "anderes;beratung_empowerment;klage_prozessbegleitung"
    assert third["intervention_groups"] == "anderes;gerichtlich"
    assert len(committed()) == 1


def test_counselling_only_means_no_other_intervention(app, owner, committed):
    case_id = _create(app, owner, CONTENT)
    with acting_as(app, owner):
        for kind in ("beratung_empowerment", "anderes"):
            parts.add_intervention(load(owner, case_id), OPENED, {"type": kind, "details": "x"})
    assert _codes(_record(app, committed, case_id))["intervention_groups"] == "anderes"


def test_saving_the_case_again_overwrites_its_record(app, owner, committed):
    case_id = _create(app, owner, CONTENT)
    before = committed()
    changed = {
        **CONTENT,
        **CLOSING,
        "classification": {"grounds": {"codes": ["sozialer_status"]}},
        "respondent": {"name": ""},
    }

    with acting_as(app, owner):
        meta = operations.Metadata("closed", OPENED, CLOSED_ON)
        operations.update_case(load(owner, case_id), changed, meta, based_on=1)

    [row] = committed()
    assert row["pseudonym"] == before[0]["pseudonym"]
    assert (row["status"], row["opened_month"], row["closed_month"]) == (
        "closed",
        "2026-02",
        "2026-03",
    )
    assert (row["grounds"], row["ground_subs"], row["forms"]) == (
        "sozialer_status",
        "",
        "keine_angabe",
    )
    assert row["outcomes"] == "entschuldigung;ziel_erreicht"
    assert row["respondent_token"] is None


def test_the_district_code_goes_over_and_the_typed_place_never_does():
    case = Case(opened_on=OPENED, closed_on=None, status="open")
    content = rules.load_payload(CONTENT)
    content["incident"]["district_code"] = "innenstadt_nord"

    assert statistics.figures_of(case, content, []).district == "innenstadt_nord"
    content["incident"]["district_code"] = ""
    assert statistics.figures_of(case, content, []).district == "keine_angabe"
    del content["incident"]["district_code"]
    assert statistics.figures_of(case, content, []).district == "keine_angabe"
    assert "Nordstadt" not in repr(statistics.figures_of(case, content, []))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"grounds": ("Frau Yilmaz aus der Nordstadt",)}, "grounds"),
        ({"grounds": "wohnen"}, "grounds"),  # a string is not a collection of codes
        ({"ground_subs": ("Ärger",)}, "ground_subs"),
        (
            {"forms": ("frauyilmazausdernordstadtwohntinderlindenstrasseundrufttaeglichan",)},
            "forms",
        ),
        ({"district": "Nordstadt"}, "district"),
        ({"opened_month": "2026-02-10"}, "opened_month"),
        ({"closed_month": "März"}, "closed_month"),
        ({"status": "geheim"}, "status"),
        ({"went_to_court": "ja"}, "went_to_court"),
        ({"catalogue_version": 0}, "catalogue_version"),
    ],
)
def test_figures_refuse_anything_but_codes_and_name_the_field_not_the_value(changes, field):
    values = {"opened_month": "2026-02", "status": "open", **changes}

    with pytest.raises(store.FiguresInvalid) as raised:
        store.CaseFigures(**values)

    # The field and a fixed text: whatever was handed over never reaches a log or a page.
    assert str(raised.value).removeprefix(f"{field} ") in {
        "must be a collection of codes",
        "holds something that is not a code",
        "is not a code",
        "is not a month YYYY-MM",
        "is not a case status",
        "is not a flag",
        "is not a version number",
    }


def test_every_code_of_the_catalogue_passes_for_a_code():
    """A valid case must never be refused by the store's check of the form of codes."""
    lists = (*catalogue.ALL_LISTS, catalogue.INTERVENTION_GROUPS)
    codes = {x for code_list in lists for e in code_list.entries() for x in (e, *e.sub)}

    store.CaseFigures(opened_month="2026-02", status="open", forms={c.code for c in codes})


def test_figures_keep_their_codes_sorted_once():
    figures = store.CaseFigures(
        opened_month="2026-02", status="open", forms=["viktimisierung", "anweisung", "anweisung"]
    )

    assert figures.forms == ("anweisung", "viktimisierung")
    assert figures.columns()["forms"] == "anweisung;viktimisierung"
    assert figures.columns()["ground_subs"] == ""
    assert figures.columns()["grounds"] == "keine_angabe"


# --- consent and deletion ------------------------------------------------------------------


def _consent(app, user_id: int, case_id: int, purpose: str = "statistik") -> int:
    with acting_as(app, user_id):
        return parts.record_consent(load(user_id, case_id), purpose, OPENED, "schriftlich").id


def _withdraw(app, user_id: int, case_id: int, consent_id: int) -> None:
    with acting_as(app, user_id):
        parts.withdraw_consent(load(user_id, case_id), consent_id, CLOSED_ON)


def test_withdrawing_the_statistics_consent_removes_the_record_and_a_new_one_brings_it_back(
    app, owner, committed
):
    case_id = _create(app, owner, CONTENT)
    consent = _consent(app, owner, case_id)
    pseudonym = committed()[0]["pseudonym"]

    _withdraw(app, owner, case_id, consent)
    assert committed() == []

    _consent(app, owner, case_id)
    [row] = committed()
    assert row["pseudonym"] == pseudonym
    assert _codes(row) == EXPECTED


def test_the_record_goes_in_the_transaction_of_the_withdrawal(
    app, owner, committed, monkeypatch, backend
):
    """If the withdrawal fails before its commit, the record is still there: no separate
    commit took it out on its own."""
    case_id = _create(app, owner, CONTENT)
    consent = _consent(app, owner, case_id)

    def failing_audit(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(parts, "_audit", failing_audit)
    with acting_as(app, owner), pytest.raises(RuntimeError):
        parts.withdraw_consent(load(owner, case_id), consent, CLOSED_ON)
    monkeypatch.undo()

    assert len(committed()) == 1
    engine = sa.create_engine(backend.owner_url)
    with engine.connect() as connection:
        withdrawn = connection.scalar(sa.select(CaseConsent.withdrawn_on))
    engine.dispose()
    assert withdrawn is None
    # And when it succeeds, both the withdrawal and the removal are committed.
    _withdraw(app, owner, case_id, consent)
    assert committed() == []


def test_withdrawing_another_consent_keeps_the_record(app, owner, committed):
    case_id = _create(app, owner, CONTENT)
    consent = _consent(app, owner, case_id, "kontakt_gegenseite")

    _withdraw(app, owner, case_id, consent)

    assert len(committed()) == 1


def test_an_excluded_case_stays_out_when_it_is_saved_or_gets_an_intervention(app, owner, committed):
    case_id = _create(app, owner, CONTENT)
    _withdraw(app, owner, case_id, _consent(app, owner, case_id))

    with acting_as(app, owner):
        operations.update_case(load(owner, case_id), CONTENT, operations.Metadata(), based_on=1)
        parts.add_intervention(load(owner, case_id), OPENED, {"type": "testing"})

    assert committed() == []


def test_retention_deletion_removes_the_record(app, owner, clock, committed):
    meta = operations.Metadata("closed", date(2025, 3, 1), date(2025, 12, 31))
    gone = _create(app, owner, {**CONTENT, **CLOSING}, meta)
    kept = _create(app, owner, CONTENT)
    assert len(committed()) == 2

    clock.moment = datetime(2029, 1, 2, 9, 0, tzinfo=UTC)
    with app.test_request_context():
        [due] = retention.due_cases(app_clock.today(), 3)
        assert due.case_id == gone
        assert retention.delete_case(due, app_clock.today(), 3)

    assert [row["pseudonym"] for row in committed()] == [_pseudonym(app, kept)]


# --- keys -----------------------------------------------------------------------------------------


def test_the_pseudonym_is_an_hmac_under_this_instances_statistics_key(
    app, owner, committed, tmp_path, backend, clock
):
    case_id = _create(app, owner, CONTENT)
    [row] = committed()
    with app.app_context():
        key = services.keyring().named_key("statistics")
        blind_index_key = services.keyring().named_key("blind-index")
    assert key != blind_index_key

    assert row["pseudonym"] == hmac.new(key, b"case|%d" % case_id, hashlib.sha256).digest()
    assert str(case_id).encode() != row["pseudonym"]
    # Another instance (another keyring) gives the same case another pseudonym.
    other = create_app(make_settings(tmp_path / "zweite", backend.url), clock=clock)
    with other.app_context():
        assert services.keyring().named_key("statistics") != key
        assert store.pseudonym(case_id) != row["pseudonym"]
        db.engine.dispose()


def test_one_respondent_spelt_differently_has_one_token_and_others_their_own(app, owner, committed):
    names = [
        "Müller Wohnen GmbH",
        "mueller wohnen gmbh",
        "MÜLLER  Wohnen-GmbH.",
        "Schmidt Immobilien",
    ]
    ids = [_create(app, owner, {"respondent": {"name": name}}) for name in names]
    nobody = _create(app, owner, {"respondent": {"name": "  "}})

    tokens = [_record(app, committed, case_id)["respondent_token"] for case_id in ids]
    assert tokens[0] == tokens[1] == tokens[2]
    assert tokens[3] != tokens[0]
    assert all(len(token) == 16 for token in tokens)
    assert _record(app, committed, nobody)["respondent_token"] is None
    # Not the case table's blind index of the respondent (short, keyed apart).
    with app.app_context():
        index = db.session.get(Case, ids[0]).respondent_index
    assert index is not None and tokens[0] != index.to_bytes(16, "big")


def test_a_respondent_digest_must_be_full_length(app):
    with app.app_context():
        with pytest.raises(ValueError, match="32 bytes"):
            store.respondent_token(b"\x01\x02")
        assert len(store.respondent_token(bytes(32))) == 16


# --- nothing a person wrote ----------------------------------------------------------------


def test_no_canary_of_a_case_reaches_the_store(app, owner, committed):
    content, canaries = canary_payload()
    # A register code, not free text (centres/): the canary helper may take it for text.
    if "district_code" in content["incident"]:
        canaries.remove(content["incident"].pop("district_code"))
    assert {"respondent.name", "client.contact", "incident.district"} <= {
        c.removeprefix("KANARIE-").removesuffix("-7f3a") for c in canaries
    }
    case_id = _create(app, owner, content)
    updated, more = canary_payload(".neu")
    updated["incident"].pop("district_code", None)
    with acting_as(app, owner):
        operations.update_case(load(owner, case_id), updated, operations.Metadata(), based_on=1)
        reach = load(owner, case_id)
        parts.add_intervention(
            reach,
            OPENED,
            {"type": "anderes", "details": "KANARIE-i.d-7f3a", "result": "KANARIE-i.r-7f3a"},
        )
        parts.add_contact(reach, OPENED, {"channel": "telefon", "note": "KANARIE-c.n-7f3a"})
        _consent(app, owner, case_id)

    rows = committed()
    haystack = b"".join(
        value if isinstance(value, bytes) else str(value).encode("utf-8")
        for row in rows
        for value in row.values()
    )
    assert len(rows) == 1
    assert b"anderes" in haystack  # the code of every "other" is there, its text is not
    assert leaks(haystack, [*canaries, *more, "KANARIE-i.d-7f3a", "KANARIE-c.n-7f3a"]) == []


# --- the demo -------------------------------------------------------------------------------------


def test_the_demo_cases_land_in_the_store(app, committed, monkeypatch):
    from servicestelle.demo import ensure_demo_data
    from servicestelle.demo_cases import DEMO_CASES

    # The demo's history (tests/test_demo_history.py) would bury the four cases looked at here.
    monkeypatch.setattr("servicestelle.demo.ensure_demo_history", lambda *users: {})
    with app.test_request_context():
        ensure_demo_data()

    rows = committed()
    assert len(rows) == len(DEMO_CASES)
    assert sorted(row["ground_subs"] for row in rows) == [
        "",
        "antimuslimischer_rassismus",
        "antisemitismus",
        "behinderung",
    ]
    assert sorted(row["interventions"] for row in rows) == [
        "agg_beschwerde_13",
        "keine_angabe",
        "keine_angabe",
        "testing",
    ]
    assert sum(row["respondent_token"] is not None for row in rows) == 1
    # The district as the demo codes it; its typed place never.
    assert sorted(row["district"] for row in rows) == sorted(
        spec["content"].get("incident", {}).get("district_code") or "keine_angabe"
        for spec in DEMO_CASES
    )


def test_every_intervention_code_has_a_group_or_is_generic():
    """The groups come from the catalogue; a new intervention without one would count in no
    group of the "interventions by group" table."""
    for entry in catalogue.INTERVENTIONS.entries():
        assert (entry.group is None) == (entry.code in {"anderes", "keine_angabe"}), entry.code
    assert statistics.COURT_INTERVENTION in catalogue.INTERVENTIONS.values()


def test_a_case_of_another_centre_gets_its_centre(app, make_user, committed):
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        other = create_centre("ZWEI", "Zweite Stelle").id
    user_id = make_user(Role.COUNSELLOR, centre_id=other).id

    _create(app, user_id, CONTENT)

    assert [row["centre_id"] for row in committed()] == [other]


# --- stats rebuild --------------------------------------------------------------------------


@pytest.fixture
def run_cli(app, monkeypatch):
    """`servicestelle …` in this process, on the test's app (both databases)."""
    from click.testing import CliRunner

    from servicestelle import cli, cli_stats

    monkeypatch.setattr(cli_stats, "app_context", app.app_context)

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli.main, list(args))

    return run


@pytest.fixture
def population(app, owner, centre):
    """Four cases of the centre: full with a lawsuit, empty, closed, statistics withdrawn."""
    full = _create(app, owner, CONTENT)
    with acting_as(app, owner):
        parts.add_intervention(load(owner, full), OPENED, {"type": "klage_prozessbegleitung"})
    empty = _create(app, owner, {})
    closed = _create(
        app, owner, {**CONTENT, **CLOSING}, operations.Metadata("closed", OPENED, CLOSED_ON)
    )
    excluded = _create(app, owner, CONTENT)
    _withdraw(app, owner, excluded, _consent(app, owner, excluded))
    return {"full": full, "empty": empty, "closed": closed, "excluded": excluded}


def _wipe(backend, *, stale_centre: int | None = None) -> None:
    """Empty the store, as a failed migration of the code lists might leave it; optionally
    leave a record whose case does not exist."""
    engine = sa.create_engine(backend.owner_url)
    with engine.begin() as connection:
        connection.execute(sa.delete(StatsRecord.__table__))
        if stale_centre is not None:
            figures = store.CaseFigures(opened_month="2025-01", status="open").columns()
            connection.execute(
                sa.insert(StatsRecord.__table__).values(
                    pseudonym=b"\x07" * 32, centre_id=stale_centre, respondent_token=None, **figures
                )
            )
    engine.dispose()


def test_rebuild_restores_exactly_the_records_the_operations_wrote(
    app, backend, population, committed, run_cli, centre
):
    from tests.support import audit_log

    written = committed()
    assert len(written) == 3  # the excluded case has none
    _wipe(backend, stale_centre=centre)
    head = audit_log.head(app)

    result = run_cli("stats", "rebuild", "--purpose", "check", "--batch-size", "3")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "3/4",
        "4/4",
        "statistics store rebuilt: 3 records derived from 4 cases, 1 left out (statistics "
        "consent withdrawn), 1 stale records deleted",
    ]
    assert committed() == written
    # One audit entry for the run, with counts only; no entry per case opened.
    after = audit_log.entries(app, after=head)
    assert [e.action for e in after if not e.action.startswith("audit:")] == ["stats:store:rebuild"]
    entry = after[0]
    assert (entry.role, entry.object_type, entry.object_id, entry.purpose) == (
        "operator",
        None,
        None,
        None,
    )
    assert entry.details == '{"cases":4,"excluded":1,"purpose":"check"}'


def test_rebuild_of_one_centre_leaves_the_others_alone(
    app, backend, population, committed, run_cli, make_user, centre
):
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        other = create_centre("ZWEI", "Zweite Stelle").id
    _create(app, make_user(Role.COUNSELLOR, centre_id=other).id, CONTENT)
    written = committed()
    _wipe(backend)

    result = run_cli("stats", "rebuild", "--purpose", "check", "--centre", "test")

    assert result.exit_code == 0, result.output
    restored = committed()
    assert [row for row in written if row["centre_id"] == centre] == restored
    assert len(restored) == 3  # the three of the population; the other centre's is still gone
    assert run_cli("stats", "rebuild", "--purpose", "check").exit_code == 0
    assert committed() == written


def test_rebuild_refuses_an_unknown_centre_in_one_line(run_cli, population):
    result = run_cli("stats", "rebuild", "--purpose", "check", "--centre", "NIRGENDS")

    assert result.exit_code != 0
    assert result.output.strip().splitlines() == ["Error: no centre with the code NIRGENDS"]


@pytest.mark.parametrize("purpose", [None, "curiosity"])
def test_rebuild_opens_no_case_without_a_purpose_from_the_list(app, run_cli, population, purpose):
    from tests.support import audit_log

    head = audit_log.head(app)
    options = [] if purpose is None else ["--purpose", purpose]

    result = run_cli("stats", "rebuild", *options)

    assert result.exit_code == 2  # a usage error: nothing ran
    assert "--purpose" in result.output
    assert audit_log.entries(app, after=head) == []


def test_rebuild_keeps_the_record_of_a_case_that_no_longer_opens(
    app, population, committed, run_cli
):
    from servicestelle.cases import vault

    written = committed()
    with app.app_context():
        vault.shred(population["closed"])
        db.session.commit()

    result = run_cli("stats", "rebuild", "--purpose", "check")

    assert result.exit_code == 1
    assert "1 cases do not open" in result.output
    assert committed() == written


def test_rebuild_does_not_bring_back_a_case_withdrawn_or_saved_while_it_ran(
    app, owner, population, committed
):
    """The batch reads its cases, then a colleague withdraws one case's statistics consent and
    saves another before the batch writes: neither is overwritten with what was read."""
    changed = {**CONTENT, "classification": {"grounds": {"codes": ["gewicht"]}}}
    with app.test_request_context():
        read = db.session.scalars(sa.select(Case).order_by(Case.id)).all()
        with app.app_context():  # a session of its own: another request
            _withdraw(app, owner, population["full"], _consent(app, owner, population["full"]))
            with acting_as(app, owner):
                access_ = load(owner, population["empty"])
                operations.update_case(access_, changed, operations.Metadata(), based_on=1)
        statistics._rebuild_batch(read, statistics.RebuildResult())
        db.session.commit()

    assert _record(app, committed, population["full"]) is None
    assert _record(app, committed, population["empty"])["grounds"] == "gewicht"
    assert _record(app, committed, population["closed"]) is not None


def test_the_operator_rebuilds_a_production_instance(tmp_path):
    """`servicestelle stats rebuild` as installed, on an instance made by `init` (SQLite)."""
    import sqlite3

    from servicestelle.auth.operations import create_user
    from servicestelle.centres.queries import list_centres
    from servicestelle.config import Settings
    from tests.conftest import FrozenClock
    from tests.support import cli

    key_file = cli.write_secret_file(tmp_path / "secret_key_file")
    env = {
        **cli.clean_environ(),
        **cli.FLOOR_HASHING,
        "SERVICESTELLE_INSTANCE": str(tmp_path / "instance"),
        "SERVICESTELLE_PROFILE": "production",
        "SERVICESTELLE_SECRET_KEY_FILE": str(key_file),
        "SERVICESTELLE_KEYRING_PASSPHRASE_FILE": str(cli.passphrase_file_beside(key_file)),
    }
    assert cli.run(["init"], env).returncode == 0
    app = create_app(Settings.from_env(env), clock=FrozenClock(datetime.now(UTC)))
    with app.test_request_context():
        user = db.session.get(
            User,
            create_user(
                centre=list_centres()[0],
                username="anna",
                display_name="Anna",
                password="korrekt pferd batterie heftklammer",
                roles=[Role.COUNSELLOR],
            ).user.id,
        )
        for content in (CONTENT, {}):
            operations.create_case(user, rules.load_payload(content))
        db.engine.dispose()
    database = sqlite3.connect(tmp_path / "instance" / "servicestelle.sqlite3")
    written = database.execute("SELECT * FROM stats_records ORDER BY pseudonym").fetchall()
    database.execute("DELETE FROM stats_records")
    database.commit()

    result = cli.run(["stats", "rebuild", "--purpose", "check"], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "2/2"
    assert result.stdout.splitlines()[-1].startswith("statistics store rebuilt: 2 records")
    assert database.execute("SELECT * FROM stats_records ORDER BY pseudonym").fetchall() == written
    assert len(written) == 2
    actions = [row[0] for row in database.execute("SELECT action FROM audit_entry")]
    database.close()
    assert actions.count("stats:store:rebuild") == 1
    assert cli.run(["audit", "verify"], env).returncode == 0
