"""Intersectional combinations: the table of grounds alone and combined with others.

A case with two grounds counts in both ground rows and once in the column "mit weiteren
Merkmalen"; a case without a ground counts in neither column. The disclosure model knows
what every reader knows about such a table: the single-ground cells of a column add up to
its total exactly, and the multi-ground cells to at least twice theirs.
"""

from __future__ import annotations

import json

import pytest

from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import exports, operations
from servicestelle.stats.periods import Period
from servicestelle.stats.tables import TABLES_BY_ID
from tests import conftest
from tests.support.stats import AFTER_2026, add_records

TABLE = "mehrfachdiskriminierung"


@pytest.fixture
def clock() -> conftest.FrozenClock:
    return conftest.FrozenClock(AFTER_2026)


def _draft(app, centre: int, make_user) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    drafter = make_user(Role.SUPERVISOR)
    with app.app_context():
        release = operations.draft_release(
            db.session.get(User, drafter.id), Period.parse("2026"), [TABLE]
        )
        assert release.audit_passed
        (table,) = json.loads(release.content)["tables"]
        return {(f["row"], f["col"]): f["value"] for f in table["figures"]}, table


def test_a_case_with_two_grounds_counts_in_both_rows_and_once_as_combined(app, centre, make_user):
    with app.app_context():
        add_records(centre, 20, grounds="geschlecht")
        add_records(centre, 9, grounds="geschlecht;lebensalter")
        add_records(centre, 8, grounds="lebensalter")
        add_records(centre, 6, grounds="keine_angabe")
    cells, table = _draft(app, centre, make_user)

    assert cells[("geschlecht", "einzeln")] == 20
    assert cells[("geschlecht", "mehrfach")] == 9
    assert cells[("lebensalter", "einzeln")] == 8
    assert cells[("lebensalter", "mehrfach")] == 9
    assert cells[("geschlecht", None)] == 29
    assert cells[(None, "einzeln")] == 28
    assert cells[(None, "mehrfach")] == 9  # nine cases, each in two rows
    assert cells[(None, None)] == 43
    # No ground recorded: a row margin only, in neither column (those cells do not exist).
    assert cells[("keine_angabe", None)] == 6
    assert ("keine_angabe", "einzeln") not in cells
    assert [col["code"] for col in table["cols"]] == ["einzeln", "mehrfach"]
    # In the CSV the cells the table does not have are empty, not "•" (which means hidden).
    rows = [line.split(";") for line in exports.table_csv(table).splitlines()]
    assert ["Keine Angabe", "", "", "6"] in rows
    assert TABLES_BY_ID[TABLE].hidden_cols == ("keine_angabe",)


def test_single_ground_cells_add_up_to_their_column_so_one_hidden_cell_is_protected(
    app, centre, make_user
):
    # Ten cases with only "Geschlecht", two with only "Lebensalter": the 2 is hidden. A reader
    # who has the column total of single-ground cases and the other single-ground cells gets
    # 2 = 12 - 10: the control must hide one of those too.
    with app.app_context():
        add_records(centre, 10, grounds="geschlecht")
        add_records(centre, 2, grounds="lebensalter")
    cells, _table = _draft(app, centre, make_user)

    assert cells[("lebensalter", "einzeln")] is None
    singles = [
        value
        for (row, col), value in cells.items()
        if col == "einzeln" and row not in (None, "lebensalter")
    ]
    column_total = cells[(None, "einzeln")]
    recomputable = column_total is not None and None not in singles
    assert not recomputable, "the hidden single-ground cell is the column total minus the rest"


def test_a_case_with_three_grounds_counts_in_three_rows_and_small_rows_stay_hidden(
    app, centre, make_user
):
    # Six cases with two grounds and three with three: the column total is 9 and the row
    # cells add up to 6*2 + 3*3 = 21.
    with app.app_context():
        add_records(centre, 6, grounds="geschlecht;lebensalter")
        add_records(centre, 3, grounds="geschlecht;lebensalter;religion_weltanschauung")
        add_records(centre, 30, grounds="geschlecht")
    cells, _table = _draft(app, centre, make_user)

    assert cells[(None, "mehrfach")] == 9
    assert cells[("geschlecht", "mehrfach")] == 9
    assert cells[("lebensalter", "mehrfach")] == 9
    assert cells[("religion_weltanschauung", "mehrfach")] is None  # 3 < k
    assert cells[("religion_weltanschauung", None)] is None


def test_a_new_draft_starts_without_the_intersectional_table_but_offers_it(app):
    from datetime import date

    from servicestelle.stats.forms import DraftForm

    with app.test_request_context("/statistik/neu"):
        form = DraftForm(date(2027, 1, 4))
        offered = [choice.value for choice in form.tables.choices]
        assert TABLE in offered
        assert TABLE not in form.tables.data
        assert set(form.tables.data) == set(offered) - {TABLE}
