"""The coordinator after the first import: the minimum number of centres per statewide cell,
withdrawing a package so that its centre can correct it, the region frozen at import, the
retention purge of the packages' counts and a centre's key rotation. The test's ``app``
holds the centres; the coordinator has a database of its own (tests/test_coordinator.py)."""

# The two instances' fixtures come from test_coordinator.py; pytest fixtures are used by
# naming them as parameters, which ruff reads as redefining the imported names.
# ruff: noqa: F811

from __future__ import annotations

import base64
import json
import secrets

import pytest
import sqlalchemy as sa
from flask import Flask

from audit import AuditEvent
from servicestelle.centres.operations import create_centre
from servicestelle.config import ConfigError, Settings
from servicestelle.coordinator import operations as coordination
from servicestelle.coordinator import withdrawals
from servicestelle.coordinator.counts import REGION, PackageCounts, region_dimension
from servicestelle.coordinator.models import ImportedPackage, RegisteredCentre
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import operations, presentation, signing
from servicestelle.stats.keys import Key
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release
from servicestelle.stats.tables import Basis
from tests.support import coordinator as support
from tests.support.audit_log import entries
from tests.support.coordinator import user
from tests.support.stats import add_records
from tests.test_coordinator import (  # the two instances and their steps
    _figures,
    _import,
    _one_line,
    _populate,
    _refusal,
    _register,
    _year_2026_over,  # noqa: F401  (autouse: drafts need the period over)
    coordinator,  # noqa: F401
    coordinator_url,  # noqa: F401
    leads,  # noqa: F401
    nord,  # noqa: F401
    run_cli,  # noqa: F401
    settings,  # noqa: F401
)

Q1 = Period.parse("2026-Q1")


@pytest.fixture
def min_centres() -> int:
    """The default: a statewide cell needs three contributing centres."""
    return Settings.coordinator_min_centres


@pytest.fixture
def sued(app) -> int:  # type: ignore[no-untyped-def]
    """A third centre on the centres' instance."""
    with app.app_context():
        return create_centre("SUED", "Servicestelle Süd").id


@pytest.fixture
def sued_leads(make_user, sued):  # type: ignore[no-untyped-def]
    return make_user(Role.SUPERVISOR, centre_id=sued).id, make_user(
        Role.SUPERVISOR, centre_id=sued
    ).id


def _package(app: Flask, leads: tuple[int, int], period: str = "2026-Q1") -> bytes:
    return support.package_file(app, support.approved_package(app, *leads, period))


def _key(basis: Basis, **conditions: str) -> Key:
    return Key.of(basis, conditions.items())


def _counted(coordinator: Flask, key: Key, period: Period = Q1) -> int:
    with coordinator.app_context():
        return PackageCounts().figures([key], [period])[(key, period)]


def _draft(coordinator: Flask, office: support.Office, tables: list[str]) -> Release:
    with coordinator.app_context():
        return operations.draft_release(user(office.drafter), Q1, tables)


def _approve(coordinator: Flask, office: support.Office, draft_id: int) -> None:
    with coordinator.app_context():
        operations.approve_release(user(office.approver), db.session.get_one(Release, draft_id))


def _package_row(coordinator: Flask, package_id: int) -> ImportedPackage:
    with coordinator.app_context():
        row = db.session.get_one(ImportedPackage, package_id)
        db.session.expunge(row)
        return row


# --- at least N centres per statewide cell -------------------------------------------------


@pytest.fixture
def three_centres(app, coordinator, centre, nord, sued, leads, sued_leads):  # type: ignore[no-untyped-def]
    """Three centres in one region, 20 adults each; only TEST counts people of 46–64 (12,
    well above k) and only TEST and NORD count children; all three imported for Q1. TEST's
    adults are all women, NORD's and SUED's one woman each."""
    with app.app_context():
        add_records(centre, 20, age_band="27_45", gender="weiblich")
        for centre_id in (nord, sued):
            add_records(centre_id, 19, age_band="27_45", gender="maennlich")
            add_records(centre_id, 1, age_band="27_45", gender="weiblich")
        add_records(centre, 12, age_band="46_64")
        add_records(centre, 6, age_band="u18")
        add_records(nord, 6, age_band="u18")
    for code, lead in (("TEST", leads["test"]), ("NORD", leads["nord"]), ("SUED", sued_leads)):
        _register(coordinator, app, code, "owl", "OWL")
        _import(coordinator, _package(app, lead))
    return support.office(coordinator)


def test_a_cell_only_one_centre_counts_is_suppressed_however_large(coordinator, three_centres):
    office = three_centres
    draft = _draft(coordinator, office, ["alter"])
    ages = _figures(json.loads(draft.content), "alter")
    # All three count adults, each at least k: published.
    assert ages[("27_45", None)] == 60
    # 12 people of 46–64, all at TEST: TEST's own count, suppressed though 12 >= k.
    assert ages[("46_64", None)] is None
    # Children at two centres only (6 + 6): either centre would learn the other's count.
    assert ages[("u18", None)] is None
    # Nobody counts people of 65 and over anywhere: a zero is no centre's secret.
    assert ages[("65_plus", None)] == 0
    stored = json.loads(draft.audit)
    assert "opened|age_band=46_64" in stored["forced"]
    assert "opened|age_band=27_45" not in stored["forced"]
    assert {"opened|age_band=46_64", "opened|age_band=u18"} <= set(stored["sensitive"])
    assert draft.audit_passed  # the attacker audit covers the forced cells like any other
    # The approver is told why a cell of 12 is hidden.
    with coordinator.test_request_context():
        view = presentation.audit_view(json.loads(draft.content), stored, {})
    reasons = {cell.label: cell.reason for cell in view.by_table["alter"]}
    assert reasons["46–64 Jahre"] == "zu wenige Beratungsstellen tragen bei, oder eine überwiegt"
    # Only the flagged keys come back from the counts, zeros never.
    keys = [_key(Basis.OPENED, age_band=band) for band in ("27_45", "46_64", "u18", "65_plus")]
    with coordinator.app_context():
        assert PackageCounts().sensitive(keys, Q1) == {keys[1], keys[2]}


def test_a_cell_one_centre_dominates_is_suppressed(coordinator, three_centres):
    """Women: 20 + 1 + 1 from three centres — enough centres, but TEST would learn that the
    other two counted 2 together. All cases: 38 + 26 + 20, nobody learns a small count."""
    women = _key(Basis.OPENED, gender="weiblich")
    everyone = _key(Basis.OPENED)
    with coordinator.app_context():
        assert _counted(coordinator, women) == 22
        assert PackageCounts().sensitive([women, everyone], Q1) == {women}


def test_two_contributing_centres_suffice_when_the_setting_says_two(coordinator, three_centres):
    current = coordinator.extensions["servicestelle.settings"]
    coordinator.extensions["servicestelle.settings"] = current.with_changes(
        coordinator_min_centres=2
    )
    children, middle = _key(Basis.OPENED, age_band="u18"), _key(Basis.OPENED, age_band="46_64")
    with coordinator.app_context():
        assert PackageCounts().sensitive([children, middle], Q1) == {middle}


def test_the_minimum_number_of_centres_is_a_setting_never_below_two(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(secrets.token_hex(32))
    secret.chmod(0o600)
    env = {
        "SERVICESTELLE_INSTANCE": str(tmp_path / "instance"),
        "SERVICESTELLE_SECRET_KEY_FILE": str(secret),
    }
    assert Settings.from_env(env).coordinator_min_centres == 3
    chosen = {**env, "SERVICESTELLE_COORDINATOR_MIN_CENTRES": "4"}
    assert Settings.from_env(chosen).coordinator_min_centres == 4
    for value in ("1", "0", "-3"):
        with pytest.raises(ConfigError, match="COORDINATOR_MIN_CENTRES"):
            Settings.from_env({**env, "SERVICESTELLE_COORDINATOR_MIN_CENTRES": value})


# --- withdrawal and correction -------------------------------------------------------------


@pytest.fixture
def imported(app, coordinator, centre, nord, leads, min_centres):  # type: ignore[no-untyped-def]
    """TEST's and NORD's Q1 packages imported; the ids of the imports."""
    _populate(app, centre, nord)
    _register(coordinator, app, "TEST", "owl", "OWL")
    _register(coordinator, app, "NORD", "owl", "OWL")
    test_id = _import(coordinator, _package(app, leads["test"])).id
    nord_id = _import(coordinator, _package(app, leads["nord"])).id
    return test_id, nord_id


def test_a_withdrawn_package_makes_room_for_a_corrected_one(
    app, coordinator, centre, leads, imported, clock
):
    test_id, _nord_id = imported
    adults = _key(Basis.OPENED, age_band="27_45")
    assert _counted(coordinator, adults) == 50
    first = support.open_file(coordinator, _package(app, leads["test"]))  # same content, resent
    with coordinator.app_context():
        package = db.session.get_one(ImportedPackage, test_id)
        with pytest.raises(coordination.CoordinatorError, match="Begründung"):
            withdrawals.withdraw_package(None, package, "   ")
        withdrawals.withdraw_package(None, package, "Fälle doppelt gezählt")
    row = _package_row(coordinator, test_id)
    # The row stays for the audit trail, without its counts.
    assert row.is_withdrawn and row.content is None and row.withdrawal_reason
    assert row.content_hash == first["content_sha256"]
    assert _counted(coordinator, adults) == 20  # NORD alone now
    # The withdrawn package, or one approved no later, is not taken back.
    assert (
        _refusal(coordinator, support.seal(first, support.coordinator_key(coordinator)))
        is coordination.ImportRefusal.SUPERSEDED
    )
    # The centre corrects its figures and approves a new package: imported, counted.
    with app.app_context():
        add_records(centre, 5, age_band="27_45")
    clock.advance(minutes=5)
    corrected = _import(coordinator, _package(app, leads["test"]))
    assert corrected.id != test_id
    assert _counted(coordinator, adults) == 55
    # Withdrawn once is withdrawn: a second withdrawal of the same row is refused.
    with coordinator.app_context(), pytest.raises(coordination.CoordinatorError, match="bereits"):
        withdrawals.withdraw_package(
            None, db.session.get_one(ImportedPackage, test_id), "noch einmal"
        )
    done = [
        (row.outcome, json.loads(row.details or "{}"))
        for row in entries(coordinator, action=AuditEvent.COORDINATOR_PACKAGE_WITHDRAW.value)
    ]
    assert done == [
        ("success", {"centre": row.centre_id, "period": "2026-Q1"}),
        ("failure", {"reason": "withdrawn"}),
    ]
    # The reason is stored with the package, never in the audit trail.
    assert all("doppelt" not in json.dumps(details) for _outcome, details in done)


def test_no_withdrawal_once_a_statewide_release_of_the_period_is_out(
    app, coordinator, imported, clock, sued, sued_leads
):
    test_id, _nord_id = imported
    with app.app_context():
        add_records(sued, 7, age_band="27_45")
    late = _package(app, sued_leads)
    _register(coordinator, app, "SUED", "owl", "OWL")
    office = support.office(coordinator)
    draft = _draft(coordinator, office, ["alter"])
    with coordinator.app_context():
        package = db.session.get_one(ImportedPackage, test_id)
        # A waiting draft counts the package: reject it first.
        with pytest.raises(coordination.CoordinatorError, match="Entwurf"):
            withdrawals.withdraw_package(None, package, "falsch")
    assert _package_row(coordinator, test_id).content is not None
    clock.advance(minutes=1)
    _approve(coordinator, office, draft.id)
    with coordinator.app_context():
        package = db.session.get_one(ImportedPackage, test_id)
        with pytest.raises(coordination.CoordinatorError, match="bereits eine Landesstatistik"):
            withdrawals.withdraw_package(None, package, "falsch")
        # Revoked, its figures are still known: still refused.
        operations.revoke_release(
            user(office.approver), db.session.get_one(Release, draft.id), "Fehler"
        )
        package = db.session.get_one(ImportedPackage, test_id)
        with pytest.raises(coordination.CoordinatorError, match="bereits eine Landesstatistik"):
            withdrawals.withdraw_package(None, package, "falsch")
    row = _package_row(coordinator, test_id)
    assert not row.is_withdrawn and row.content is not None
    # A late package of a third centre would change the known figures just the same.
    assert _refusal(coordinator, late) is coordination.ImportRefusal.RELEASED
    reasons = [
        json.loads(entry.details)["reason"]
        for entry in entries(coordinator, action=AuditEvent.COORDINATOR_PACKAGE_WITHDRAW.value)
    ]
    assert reasons == ["draft", "published", "published"]


def test_a_rejected_draft_does_not_hold_a_withdrawal_back(coordinator, imported):
    test_id, _nord_id = imported
    office = support.office(coordinator)
    draft = _draft(coordinator, office, ["alter"])
    with coordinator.app_context():
        operations.reject_release(
            user(office.approver), db.session.get_one(Release, draft.id), "Paket falsch"
        )
        withdrawals.withdraw_package(
            None, db.session.get_one(ImportedPackage, test_id), "Paket falsch"
        )
    assert _package_row(coordinator, test_id).is_withdrawn


def test_the_commands_list_and_withdraw_a_package(coordinator, imported, run_cli):
    test_id, nord_id = imported
    listed = run_cli(coordinator, "coordinator", "packages", "list")
    assert listed.exit_code == 0, listed.output
    assert f"{test_id}  2026-Q1  TEST  owl  counted" in listed.output
    assert "Begründung" in _one_line(
        run_cli(coordinator, "coordinator", "packages", "withdraw", str(test_id), "--reason", " ")
    )
    done = run_cli(
        coordinator, "coordinator", "packages", "withdraw", str(test_id), "--reason", "falsch"
    )
    assert done.exit_code == 0, done.output
    assert (
        f"{test_id}  2026-Q1  TEST  owl  withdrawn"
        in run_cli(coordinator, "coordinator", "packages", "list").output
    )
    assert "bereits zurückgezogen" in _one_line(
        run_cli(coordinator, "coordinator", "packages", "withdraw", str(test_id), "--reason", "x")
    )
    assert "no imported package" in _one_line(
        run_cli(coordinator, "coordinator", "packages", "withdraw", "999", "--reason", "x")
    )
    assert _package_row(coordinator, nord_id).content is not None


# --- the region is frozen at import --------------------------------------------------------


def test_moving_a_centre_leaves_the_regions_of_its_imported_packages_alone(
    app, coordinator, imported, leads
):
    owl, ruhr = (_key(Basis.OPENED, **{REGION: code}) for code in ("owl", "ruhr"))
    assert _counted(coordinator, owl) == 73
    with coordinator.app_context():
        for code in ("TEST", "NORD"):
            coordination.move_centre(
                None,
                coordination.get_centre(code),
                region_code="ruhr",
                region_name="Ruhrgebiet",
            )
        with pytest.raises(coordination.CoordinatorError, match="bereits in dieser Region"):
            coordination.move_centre(
                None, coordination.get_centre("TEST"), region_code="ruhr", region_name="Ruhrgebiet"
            )
        # No centre is in OWL any more, but the region keeps what was imported in it.
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(RegisteredCentre.region_code == "owl")
            )
            == 0
        )
        assert set(region_dimension().codes) == {"owl", "ruhr"}
    assert _counted(coordinator, owl) == 73 and _counted(coordinator, ruhr) == 0
    # The next package counts in the new region.
    year = Period.parse("2026")
    _import(coordinator, _package(app, leads["test"], "2026"))
    assert _counted(coordinator, ruhr, year) == 44
    assert _counted(coordinator, owl, year) == 0
    moves = [
        json.loads(row.details)
        for row in entries(coordinator, action=AuditEvent.COORDINATOR_CENTRE_CHANGE.value)
    ]
    assert moves[0] == {"changed": ["region"], "from": "owl", "to": "ruhr"}


# --- retention ------------------------------------------------------------------------------


def test_the_purge_deletes_old_counts_once_no_draft_of_the_year_waits(coordinator, imported, clock):
    test_id, nord_id = imported
    office = support.office(coordinator)
    draft = _draft(coordinator, office, ["alter"])
    with coordinator.app_context():
        with pytest.raises(coordination.CoordinatorError, match="abgeschlossener Jahre"):
            withdrawals.purge_packages(None, 2028)
        with pytest.raises(coordination.CoordinatorError, match="2026 wartet noch ein Entwurf"):
            withdrawals.purge_packages(None, 2027)
        # Nothing before 2026: nothing to purge, and no draft of those years in the way.
        assert withdrawals.purge_packages(None, 2026).package_ids == ()
    assert _package_row(coordinator, test_id).content is not None
    clock.advance(minutes=1)
    _approve(coordinator, office, draft.id)
    with coordinator.app_context():
        planned = withdrawals.purge_packages(None, 2027, dry_run=True)
        assert planned == withdrawals.Purge((test_id, nord_id), (2026,))
    assert _package_row(coordinator, test_id).content is not None  # a dry run writes nothing
    with coordinator.app_context():
        assert withdrawals.purge_packages(None, 2027) == planned
    for package_id in (test_id, nord_id):
        row = _package_row(coordinator, package_id)
        assert row.content is None and row.is_purged
        assert row.content_hash and row.period == "2026-Q1" and row.imported_at  # kept
    # A period whose counts are gone is not counted again.
    with coordinator.app_context(), pytest.raises(operations.ReleaseError, match="gelöscht"):
        operations.draft_release(user(office.drafter), Q1, ["alter"])
    purges = [
        json.loads(row.details)
        for row in entries(coordinator, action=AuditEvent.COORDINATOR_PACKAGE_PURGE.value)
    ]
    assert purges[-1] == {"before": 2027, "packages": [test_id, nord_id], "years": [2026]}
    with coordinator.app_context():
        assert withdrawals.purge_packages(None, 2027).package_ids == ()  # done once


def test_the_purge_command(coordinator, imported, run_cli):
    test_id, nord_id = imported
    planned = run_cli(
        coordinator, "coordinator", "packages", "purge", "--before", "2027", "--dry-run"
    )
    assert planned.exit_code == 0, planned.output
    assert "would purge: 2 packages (years 2026)" in planned.output
    assert _package_row(coordinator, test_id).content is not None
    done = run_cli(coordinator, "coordinator", "packages", "purge", "--before", "2027")
    assert done.exit_code == 0, done.output
    assert "purged: 2 packages (years 2026)" in done.output
    assert _package_row(coordinator, nord_id).is_purged
    assert "abgeschlossener Jahre" in _one_line(
        run_cli(coordinator, "coordinator", "packages", "purge", "--before", "2030")
    )


# --- a centre's new key ----------------------------------------------------------------------


def test_a_centres_new_key_replaces_the_registered_one(
    app, coordinator, centre, nord, leads, run_cli
):
    _populate(app, centre, nord)
    package = _package(app, leads["test"])
    with app.app_context():
        current = signing.public_key("TEST")
        nord_key = signing.public_key("NORD")
    old = signing.public_key("TEST", b"\x07" * 32)  # the key TEST signed with before
    with coordinator.app_context():
        coordination.register_centre(
            None, code="TEST", name="Test", region_code="owl", region_name="OWL", public_key=old
        )
        coordination.register_centre(
            None,
            code="NORD",
            name="Nord",
            region_code="owl",
            region_name="OWL",
            public_key=nord_key,
        )
    # Signed with the key TEST uses now: not the registered one.
    assert _refusal(coordinator, package) is coordination.ImportRefusal.OTHER_KEY
    with coordinator.app_context():
        test = coordination.get_centre("test")
        for key, message in ((old, "bereits der registrierte"), (nord_key, "andere Stelle")):
            with pytest.raises(coordination.CoordinatorError, match=message):
                coordination.replace_key(None, test, key)

    rekeyed = run_cli(
        coordinator,
        *("coordinator", "centres", "rekey", "TEST", "--public-key"),
        base64.b64encode(current).decode(),
    )
    assert rekeyed.exit_code == 0, rekeyed.output
    imported = _import(coordinator, package)
    assert imported.period == "2026-Q1"
    assert imported.public_key == current  # the key it was verified with, kept with it
    changes = [
        json.loads(row.details)
        for row in entries(coordinator, action=AuditEvent.COORDINATOR_CENTRE_CHANGE.value)
    ]
    assert changes == [{"changed": ["public_key"]}]
    assert "nicht registriert" in _one_line(
        run_cli(coordinator, "coordinator", "centres", "rekey", "WEST", "--public-key", "AAAA")
    )
