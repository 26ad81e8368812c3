"""The demo's history: two completed years of synthetic cases, published as year releases."""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from servicestelle import demo_history
from servicestelle.auth.queries import get_user_by_username
from servicestelle.cases import access, operations, vault
from servicestelle.cases import payload as payload_rules
from servicestelle.cases.models import Case, CaseIntervention
from servicestelle.demo import DEMO_LOGINS, ensure_demo_data
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats.models import StatsRecord
from servicestelle.stats.release_models import Release, ReleaseStatus
from servicestelle.stats.tables import TABLES
from tests.conftest import FrozenClock

#: In January: two of the demo cases (40 and 75 days old) fall into the later history year.
TODAY = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
OLDER, LATER = 2025, 2026


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TODAY)


@pytest.fixture
def demo(app):
    """The app after the demo was set up, inside a request context."""
    with app.test_request_context():
        ensure_demo_data()
        yield app


def _releases() -> list[Release]:
    return list(db.session.scalars(sa.select(Release).order_by(Release.period)))


def _figures(release: Release) -> dict[str, dict[tuple[Any, Any], int | None]]:
    content = json.loads(release.content)
    return {
        table["id"]: {(f["row"], f["col"]): f["value"] for f in table["figures"]}
        for table in content["tables"]
    }


def _opened_in(year: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Case.opened_on >= date(year, 1, 1), Case.opened_on <= date(year, 12, 31)
        )
    )


def _counts() -> dict[str, int]:
    tables = {
        "cases": Case,
        "interventions": CaseIntervention,
        "records": StatsRecord,
        "releases": Release,
    }
    counted = {
        name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for name, model in tables.items()
    }
    counted["audit"] = db.session.scalar(sa.text("SELECT count(*) FROM audit_entry"))
    return counted


def _check_figures(releases: list[Release]) -> None:
    for release, planned in zip(releases, demo_history.CASES_PER_YEAR, strict=True):
        year = release.year
        figures = _figures(release)
        # Every case opened that year, as the case table holds them (the demo cases of the
        # later year included): the store was derived by the real operations.
        assert figures["faelle"][("opened", None)] == _opened_in(year) >= planned
        grounds = {row: value for (row, _), value in figures["merkmale"].items() if row}
        racism = grounds.pop("rassismus_antisemitismus_herkunft")
        assert racism > 0.6 * figures["faelle"][("opened", None)]
        assert all(value is None or value < racism for value in grounds.values())
        assert figures["rassismus"][("antisemitismus", None)] >= 5
        assert figures["rassismus"][("antimuslimischer_rassismus", None)] >= 5
        assert figures["agg_gericht"][("agg_relevant", "ja")] >= 5
        assert figures["interventionen"][("gerichtlich", None)] >= 5
        assert figures["verursachende"][("behoerde", None)] >= 5
        assert figures["verursachende"][("polizei", None)] >= 5
        repeated = figures["wiederholte_verursachende"]
        assert repeated[("repeated_2", None)] >= 5
        assert repeated[("repeated_5", None)] >= 5
        assert repeated[("repeated_2", "wohnen")] >= 5
        # Every catalogue table publishes figures, and far more are published than hidden.
        for table, cells in figures.items():
            assert any(value for value in cells.values()), table
        values = [value for cells in figures.values() for value in cells.values()]
        suppressed = sum(value is None for value in values)
        assert 0 < suppressed < sum(bool(value) for value in values) // 2


def _check_spread() -> None:
    for year, planned in zip((OLDER, LATER), demo_history.CASES_PER_YEAR, strict=True):
        cases = db.session.scalars(
            sa.select(Case).where(
                Case.opened_on >= date(year, 1, 1), Case.opened_on <= date(year, 12, 31)
            )
        ).all()
        assert len(cases) >= planned
        assert {case.opened_on.month for case in cases} == set(range(1, 13))
        closed = [case for case in cases if case.status == "closed"]
        assert 0.5 * len(cases) < len(closed) < len(cases)
        assert all(case.opened_on < case.closed_on <= TODAY.date() for case in closed)
    assert _opened_in(OLDER) == demo_history.CASES_PER_YEAR[0]  # no demo case falls there


def _sealed_texts(content: dict[str, Any]) -> list[str]:
    """Every free-text field of a case's content (the codes and their "other" aside)."""
    return [
        content["incident"]["place"],
        content["incident"]["district"],
        content["respondent"]["address"],
        content["client"]["contact"],
        content["account"]["client_goal"],
        content["account"]["consequences_note"],
        content["closure"]["note"],
    ]


def _intervention_texts(case_id: int) -> list[str]:
    opened = vault.open_vault(case_id)
    texts = []
    for row in db.session.scalars(
        sa.select(CaseIntervention).where(CaseIntervention.case_id == case_id)
    ):
        content = payload_rules.part_from_storage(
            payload_rules.InterventionContentSchema(),
            opened.open_json("case_interventions", "content", row.id, row.content),
        )
        texts += [content["details"], content["result"]]
    return texts


def test_the_second_supervisor_is_a_demo_login():
    supervisors = [login for login in DEMO_LOGINS if login.role is Role.SUPERVISOR]

    assert [login.username for login in supervisors] == ["leitung", "leitung2"]
    assert all(login.display_name.endswith("(Demo)") for login in DEMO_LOGINS)
    assert len({login.password for login in DEMO_LOGINS}) == len(DEMO_LOGINS)


def test_each_history_year_is_published_under_four_eyes_with_its_main_figures(demo):
    drafter = get_user_by_username("leitung")
    approver = get_user_by_username("leitung2")

    releases = _releases()

    assert [release.period for release in releases] == [str(OLDER), str(LATER)]
    for release in releases:
        assert release.status == ReleaseStatus.PUBLISHED.value
        assert release.audit_passed
        assert json.loads(release.audit)["reason"] is None
        assert (release.drafted_by, release.decided_by) == (drafter.id, approver.id)
        assert release.signature is not None
        assert release.k == 5
        assert release.table_ids.split(",") == [table.id for table in TABLES]
    _check_figures(releases)


def test_the_history_is_spread_over_the_years_and_holds_no_personal_data(demo):
    _check_spread()
    counsellor = get_user_by_username("beraterin")
    respondents: Counter[str] = Counter()
    history = 0
    for case in db.session.scalars(sa.select(Case).order_by(Case.id)):
        content = operations.open_sealed(access.load(case.id, counsellor, content=True)).payload
        assert content["client"]["pseudonym"].endswith(" (Demo)")
        name = content["respondent"]["name"]
        assert name == "" or name.endswith(" (Demo)")
        if content["account"]["narrative"] != demo_history.MARKER:
            continue  # one of the four demo cases (demo_cases.py)
        history += 1
        respondents[name] += 1
        assert _sealed_texts(content) == [""] * 7
        assert content["incident"]["date"] is None
        selections = [*content["classification"].values(), *content["client"].values()]
        assert all(item["other"] == "" for item in selections if isinstance(item, dict))
        assert _intervention_texts(case.id) in ([], ["", ""])
    assert history == sum(demo_history.CASES_PER_YEAR)
    # Some respondents are named again and again; most cases name none.
    assert respondents[""] > history / 2
    assert max(count for name, count in respondents.items() if name) >= 10


def test_running_the_demo_or_publishing_a_year_again_adds_nothing(demo):
    drafter, approver = get_user_by_username("leitung"), get_user_by_username("leitung2")
    before = _counts()

    ensure_demo_data()
    assert _counts() == before
    assert demo_history.publish_year(drafter, approver, OLDER) is None
    assert _counts() == before
    assert before["cases"] == 4 + sum(demo_history.CASES_PER_YEAR)
    assert before["releases"] == 2


def test_a_draft_that_fails_its_audit_stays_a_draft(app, monkeypatch, caplog):
    draft = demo_history.releases.draft_release

    def failing(*args: Any, **kwargs: Any) -> Release:
        # As if the attacker audit had found a suppressed cell it cannot protect.
        release = draft(*args, **kwargs)
        release.audit_passed = False
        release.audit = json.dumps({"reason": "unprotectable: demo test"})
        db.session.commit()
        return release

    monkeypatch.setattr(demo_history.releases, "draft_release", failing)
    with app.test_request_context(), caplog.at_level(logging.WARNING, "servicestelle"):
        ensure_demo_data()
        releases = _releases()

    assert [release.status for release in releases] == [ReleaseStatus.DRAFT.value] * 2
    assert all(release.decided_by is None for release in releases)
    assert sum("stays a draft" in record.getMessage() for record in caplog.records) == 2
