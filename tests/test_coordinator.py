"""Statewide aggregation: centres send packages of unsuppressed counts (four eyes, signed,
encrypted to the coordinator); the coordinator registers centres, imports and verifies the
packages, and drafts statewide releases from their sums through the same disclosure control
and four-eyes workflow. The test's ``app`` holds the centres; the coordinator has a database
of its own on the same backend."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from marshmallow import ValidationError

from audit import AuditEvent
from servicestelle import create_app
from servicestelle.centres.operations import create_centre
from servicestelle.coordinator import keys
from servicestelle.coordinator import operations as coordination
from servicestelle.coordinator.counts import REGION
from servicestelle.coordinator.models import ImportedPackage
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import (
    exports,
    operations,
    package_crypto,
    package_format,
    packages,
    signing,
)
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release, ReleaseKind, ReleaseStatus
from tests import conftest
from tests.support import coordinator as support
from tests.support.audit_log import entries
from tests.support.coordinator import user
from tests.support.stats import add_records

STATEWIDE_TABLES = ["faelle", "alter", "regionen"]
#: Periods are drafted once they have ended (stats.operations): the tests run in 2027.
AFTER_2026 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _year_2026_over(clock) -> None:  # type: ignore[no-untyped-def]
    clock.moment = AFTER_2026


# --- two instances -------------------------------------------------------------------------


@pytest.fixture
def coordinator_url(request, backend, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    yield from support.database_url(request, backend, tmp_path)


@pytest.fixture
def min_centres() -> int:
    """SERVICESTELLE_COORDINATOR_MIN_CENTRES here: most tests have two centres (the default
    of three is tested in test_coordinator_corrections)."""
    return 2


@pytest.fixture
def coordinator(tmp_path: Path, coordinator_url: str, clock, min_centres: int) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    settings = conftest.make_settings(
        tmp_path / "coordinator",
        coordinator_url,
        mode="coordinator",
        coordinator_min_centres=min_centres,
    )
    application = create_app(settings, clock=clock)
    application.config["TESTING"] = True
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def settings(tmp_path, backend, coordinator):  # type: ignore[no-untyped-def]
    """The centres' instance, configured with the coordinator's public key."""
    return conftest.make_settings(
        tmp_path, backend.url, coordinator_public_key=support.coordinator_key(coordinator)
    )


@pytest.fixture
def nord(app) -> int:  # type: ignore[no-untyped-def]
    """A second centre on the centres' instance."""
    with app.app_context():
        return create_centre("NORD", "Servicestelle Nord").id


@pytest.fixture
def leads(make_user, centre, nord):  # type: ignore[no-untyped-def]
    """Two supervisors per centre and a counsellor of TEST."""
    return {
        "test": (make_user(Role.SUPERVISOR).id, make_user(Role.SUPERVISOR).id),
        "nord": (
            make_user(Role.SUPERVISOR, centre_id=nord).id,
            make_user(Role.SUPERVISOR, centre_id=nord).id,
        ),
        "counsellor": make_user(Role.COUNSELLOR).id,
    }


def _populate(app: Flask, centre: int, nord: int) -> None:
    with app.app_context():
        add_records(centre, 30, age_band="27_45", grounds="geschlecht", life_areas="arbeit")
        add_records(centre, 12, age_band="46_64", grounds="geschlecht", life_areas="wohnen")
        add_records(centre, 2, age_band="u18", grounds="religion_weltanschauung")
        add_records(nord, 20, age_band="27_45", grounds="geschlecht", life_areas="arbeit")
        add_records(nord, 8, age_band="46_64", grounds="lebensalter", life_areas="wohnen")
        add_records(nord, 1, age_band="u18", grounds="religion_weltanschauung")


def _register(coordinator: Flask, app: Flask, code: str, region: str, region_name: str) -> None:
    with app.app_context():
        public = signing.public_key(code)
    with coordinator.app_context():
        coordination.register_centre(
            None,
            code=code,
            name=f"Servicestelle {code}",
            region_code=region,
            region_name=region_name,
            public_key=public,
        )


def _import(coordinator: Flask, data: bytes) -> ImportedPackage:
    with coordinator.app_context():
        return coordination.import_package(None, data)


def _refusal(coordinator: Flask, data: bytes) -> coordination.ImportRefusal:
    with coordinator.app_context():
        before = db.session.scalar(sa.select(sa.func.count(ImportedPackage.id)))
        with pytest.raises(coordination.ImportRefused) as refused:
            coordination.import_package(None, data)
        assert db.session.scalar(sa.select(sa.func.count(ImportedPackage.id))) == before
    return refused.value.refusal


def _figures(content: dict, table_id: str) -> dict[tuple[str | None, str | None], int | None]:  # type: ignore[type-arg]
    table = next(t for t in content["tables"] if t["id"] == table_id)
    return {(f["row"], f["col"]): f["value"] for f in table["figures"]}


# --- the centre's side ---------------------------------------------------------------------


def test_a_package_is_unsuppressed_approved_by_four_eyes_and_opens_only_with_the_coordinators_key(
    app, coordinator, centre, nord, leads
):
    _populate(app, centre, nord)
    drafter, approver = leads["test"]
    with app.app_context():
        package = packages.draft_package(user(drafter), Period.parse("2026-Q1"))
        assert package.kind == ReleaseKind.PACKAGE and package.status == ReleaseStatus.DRAFT
        content = json.loads(package.content)
        assert content["format"] == package_format.CONTENT_FORMAT and "k" not in content
        assert [t["id"] for t in content["tables"]] == [t.id for t in package_format.PACKAGE_TABLES]
        assert "stadtteile" not in package.table_list
        # Unsuppressed: the two children are there as 2.
        assert _figures(content, "alter")[("u18", None)] == 2
        assert json.loads(package.audit)["disclosure_control"] is False
        with pytest.raises(operations.ReleaseError, match="Vier Augen"):
            operations.approve_release(user(drafter), package)
        with pytest.raises(operations.ReleaseError, match="freigegebenes"):
            packages.export_package(user(approver), package)  # a draft is not exported
        operations.approve_release(user(approver), package)
        package = db.session.get_one(Release, package.id)
        assert package.status == ReleaseStatus.PUBLISHED
        # Never one of the releases a later draft of the centre must take into account.
        assert operations._earlier(centre, 2026) == []
    data = support.package_file(app, package.id)
    sealed = json.loads(data)
    assert set(sealed) == {"format", "ephemeral_public_key", "nonce", "ciphertext"}
    assert sealed["format"] == package_crypto.FORMAT
    assert b"27_45" not in data and b"TEST" not in data  # nothing readable on the way

    document = support.open_file(coordinator, data)
    assert document["centre"] == "TEST" and document["period"] == "2026-Q1"
    assert _figures(document["content"], "alter")[("u18", None)] == 2
    assert signing.content_hash(document["content"]) == document["content_sha256"]
    signed = package_format.signed_document(
        centre_code="TEST",
        period="2026-Q1",
        catalogue_version=document["catalogue_version"],
        content_hash=document["content_sha256"],
        published_at=document["published_at"],
    )
    with app.app_context():
        assert base64.b64decode(document["public_key"]) == signing.public_key("TEST")
    assert signing.verify(
        base64.b64decode(document["public_key"]), base64.b64decode(document["signature"]), signed
    )
    # Another key does not open it, and says nothing but that.
    with pytest.raises(package_crypto.PackageCryptoError):
        package_crypto.decrypt_file(data, keys.private_key(b"\x01" * 32))
    # A package's signature never passes for a published release's.
    with pytest.raises(ValidationError):
        exports.verify_export(
            {
                **document,
                "format": exports.EXPORT_FORMAT,
                "release_id": package.id,
                "k": 5,
                "status": "published",
                "revoked": False,
            }
        )
    actions = [row.action for row in entries(app)]
    for event in (
        AuditEvent.STATS_PACKAGE_DRAFT,
        AuditEvent.STATS_PACKAGE_APPROVE,
        AuditEvent.STATS_PACKAGE_EXPORT,
    ):
        assert event.value in actions


def test_a_package_does_not_hold_back_a_release_of_the_year(app, centre, nord, leads, clock):
    _populate(app, centre, nord)
    drafter, approver = leads["test"]
    with app.app_context():
        release = operations.draft_release(user(drafter), Period.parse("2026"), ["alter"])
        clock.advance(seconds=60)
        support_id = packages.draft_package(user(drafter), Period.parse("2026-Q1")).id
        operations.approve_release(user(approver), db.session.get_one(Release, support_id))
        clock.advance(seconds=60)
        operations.approve_release(user(approver), release)  # the package came out meanwhile
        assert db.session.get_one(Release, release.id).status == ReleaseStatus.PUBLISHED


def test_without_the_coordinators_key_nothing_is_exported(app, centre, nord, leads):
    _populate(app, centre, nord)
    package_id = support.approved_package(app, *leads["test"])
    settings = app.extensions["servicestelle.settings"]
    app.extensions["servicestelle.settings"] = settings.with_changes(coordinator_public_key=None)
    with app.app_context(), pytest.raises(operations.ReleaseError, match="COORDINATOR_PUBLIC_KEY"):
        packages.export_package(None, db.session.get_one(Release, package_id))


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SUPERVISOR], ids=lambda r: r.value)
def test_a_package_never_shows_where_releases_are_read(
    app, client, centre, nord, leads, make_user, clock, role
):
    """Unsuppressed counts are no release: not on the statistics pages, not in the API."""
    _populate(app, centre, nord)
    package_id = support.approved_package(app, *leads["test"])
    reader = make_user(role)
    conftest.login(client, reader, clock)
    from servicestelle.api.operations import create_token

    with app.app_context():
        token = create_token(user(reader.id), "reader").plaintext
    bearer = {"Authorization": f"Bearer {token}"}
    assert f'href="/statistik/{package_id}"' not in client.get("/statistik").get_data(as_text=True)
    for url in (f"/statistik/{package_id}", f"/statistik/{package_id}/export.json"):
        assert client.get(url).status_code == 404, url
    listed = client.get("/api/v1/stats/releases", headers=bearer).get_json()
    assert package_id not in [item["id"] for item in listed]
    assert client.get(f"/api/v1/stats/releases/{package_id}", headers=bearer).status_code == 404


# --- the coordinator's side ----------------------------------------------------------------


def test_statewide_release_sums_the_centres_packages_suppresses_and_needs_four_eyes(
    app, coordinator, centre, nord, leads
):
    _populate(app, centre, nord)
    test_file = support.package_file(app, support.approved_package(app, *leads["test"]))
    nord_file = support.package_file(app, support.approved_package(app, *leads["nord"]))
    _register(coordinator, app, "TEST", "owl", "Ostwestfalen-Lippe")
    _register(coordinator, app, "NORD", "ruhr", "Ruhrgebiet")
    assert _import(coordinator, test_file).period == "2026-Q1"
    _import(coordinator, nord_file)
    office = support.office(coordinator)

    with coordinator.app_context():
        draft = operations.draft_release(
            user(office.drafter), Period.parse("2026-Q1"), STATEWIDE_TABLES
        )
        content = json.loads(draft.content)
        assert draft.centre_id == office.centre_id and draft.audit_passed
        assert content["centre"] == support.COORDINATION_OFFICE
        ages, cases = _figures(content, "alter"), _figures(content, "faelle")
        # Sums of the centres' unsuppressed counts: 30 + 20 adults, 44 + 29 cases.
        assert ages[("27_45", None)] == 50
        assert cases[("opened", None)] == 73
        # 2 + 1 children: too few statewide, suppressed (with a complementary cell).
        assert ages[("u18", None)] is None
        assert ages[("46_64", None)] is None
        regions = next(t for t in content["tables"] if t["id"] == "regionen")
        assert regions["row_dimension"] == REGION
        assert [row["label"] for row in regions["rows"]] == ["Ostwestfalen-Lippe", "Ruhrgebiet"]
        # One centre per region: each region's figure is that centre's own count, suppressed
        # however large (SERVICESTELLE_COORDINATOR_MIN_CENTRES).
        assert _figures(content, "regionen") == {
            (None, None): 73,
            ("owl", None): None,
            ("ruhr", None): None,
        }
        forced = json.loads(draft.audit)["forced"]
        assert "opened|region=owl" in forced and "opened|region=ruhr" in forced
        # Four eyes hold on the coordinator too.
        with pytest.raises(operations.ReleaseError, match="Vier Augen"):
            operations.approve_release(user(office.drafter), draft)
        with pytest.raises(operations.ReleaseError):
            operations.approve_release(user(office.counsellor), draft)
        operations.approve_release(user(office.approver), draft)
        published = db.session.get_one(Release, draft.id)
        assert published.status == ReleaseStatus.PUBLISHED
        exported = exports.export_json(published, support.COORDINATION_OFFICE)
        exports.verify_export(json.loads(json.dumps(exported)))
        assert (
            exported["public_key"]
            == base64.b64encode(signing.public_key(support.COORDINATION_OFFICE)).decode()
        )
        # The store stays empty: the figures came from the packages.
        assert db.session.execute(sa.text("SELECT count(*) FROM stats_records")).scalar() == 0
    actions = [row.action for row in entries(coordinator)]
    assert actions.count(AuditEvent.COORDINATOR_CENTRE_REGISTER.value) == 2
    assert actions.count(AuditEvent.COORDINATOR_PACKAGE_IMPORT.value) == 2


def test_the_statewide_catalogue_has_regions_instead_of_districts(coordinator):
    with coordinator.app_context():
        ids = [table.id for table in operations.catalogue()]
        assert "regionen" in ids and "stadtteile" not in ids
        repeated = next(t for t in operations.catalogue() if t.id == "wiederholte_verursachende")
        assert "innerhalb einer Stelle" in str(repeated.note)


def test_a_statewide_draft_without_packages_or_with_contradicting_ones_is_refused(
    app, coordinator, centre, nord, leads, clock
):
    _populate(app, centre, nord)
    _register(coordinator, app, "TEST", "owl", "OWL")
    _register(coordinator, app, "NORD", "owl", "OWL")
    office = support.office(coordinator)
    with coordinator.app_context(), pytest.raises(operations.ReleaseError, match="kein Paket"):
        operations.draft_release(user(office.drafter), Period.parse("2026-Q1"), ["alter"])
    _import(coordinator, support.package_file(app, support.approved_package(app, *leads["test"])))
    _import(coordinator, support.package_file(app, support.approved_package(app, *leads["nord"])))
    with coordinator.app_context():
        quarter = operations.draft_release(user(office.drafter), Period.parse("2026-Q1"), ["alter"])
        assert _figures(json.loads(quarter.content), "alter")[("u18", None)] is None
        clock.advance(seconds=60)
        operations.approve_release(user(office.approver), quarter)
    # The centre's year package counts ten adults fewer in its first quarter (consent
    # withdrawn since): the year's figures contradict the published first quarter, and the
    # attacker's model of the suppressed cells has no solution.
    with app.app_context():
        doomed = db.session.scalars(
            sa.text(
                "SELECT pseudonym FROM stats_records"
                " WHERE centre_id = :c AND age_band = '27_45' LIMIT 10"
            ),
            {"c": centre},
        ).all()
        db.session.execute(
            sa.text("DELETE FROM stats_records WHERE pseudonym IN :p").bindparams(
                sa.bindparam("p", expanding=True)
            ),
            {"p": doomed},
        )
        db.session.commit()
    clock.advance(seconds=60)
    year = support.package_file(app, support.approved_package(app, *leads["test"], "2026"))
    _import(coordinator, year)
    nord_year = support.package_file(app, support.approved_package(app, *leads["nord"], "2026"))
    _import(coordinator, nord_year)
    with coordinator.app_context(), pytest.raises(operations.ReleaseError, match="passen nicht"):
        operations.draft_release(user(office.drafter), Period.parse("2026"), ["alter"])


# --- refusals ------------------------------------------------------------------------------


@pytest.fixture
def test_package(app, coordinator, centre, nord, leads) -> bytes:  # type: ignore[no-untyped-def]
    """TEST's approved package file; TEST registered at the coordinator, NORD not."""
    _populate(app, centre, nord)
    _register(coordinator, app, "TEST", "owl", "OWL")
    return support.package_file(app, support.approved_package(app, *leads["test"]))


def _flip(data: bytes) -> bytes:
    sealed = json.loads(data)
    ciphertext = bytearray(base64.b64decode(sealed["ciphertext"]))
    ciphertext[len(ciphertext) // 2] ^= 0x01
    sealed["ciphertext"] = base64.b64encode(bytes(ciphertext)).decode()
    return json.dumps(sealed).encode()


def test_a_package_of_an_unregistered_centre_is_refused(app, coordinator, test_package, leads):
    nord_file = support.package_file(app, support.approved_package(app, *leads["nord"]))
    assert _refusal(coordinator, nord_file) is coordination.ImportRefusal.UNKNOWN_CENTRE


def test_a_flipped_byte_and_another_coordinators_key_are_refused_alike(
    app, coordinator, test_package
):
    document = support.open_file(coordinator, test_package)
    assert _refusal(coordinator, _flip(test_package)) is coordination.ImportRefusal.UNREADABLE
    elsewhere = support.seal(document, support.stranger_key())
    assert _refusal(coordinator, elsewhere) is coordination.ImportRefusal.UNREADABLE
    assert _refusal(coordinator, b"kein Paket") is coordination.ImportRefusal.UNREADABLE
    # The refusals are audited as failures, with their reason.
    failures = [
        json.loads(row.details)["reason"]
        for row in entries(coordinator, action=AuditEvent.COORDINATOR_PACKAGE_IMPORT.value)
        if row.outcome == "failure"
    ]
    assert failures == ["unreadable"] * 3


def test_changed_content_under_the_old_signature_is_refused(app, coordinator, test_package):
    recipient = support.coordinator_key(coordinator)
    document = support.open_file(coordinator, test_package)
    content = json.loads(json.dumps(document["content"]))
    ages = next(t for t in content["tables"] if t["id"] == "alter")
    next(f for f in ages["figures"] if f["row"] == "u18")["value"] = 7
    # Content changed, its hash kept: the hash gives it away.
    changed = {**document, "content": content}
    assert (
        _refusal(coordinator, support.seal(changed, recipient))
        is coordination.ImportRefusal.TAMPERED
    )
    # Content and hash changed, the signature kept: the signature gives it away.
    rehashed = {**changed, "content_sha256": signing.content_hash(content)}
    assert (
        _refusal(coordinator, support.seal(rehashed, recipient))
        is coordination.ImportRefusal.SIGNATURE
    )
    # The period changed under the old signature.
    moved = {**document, "period": "2026-Q2"}
    assert (
        _refusal(coordinator, support.seal(moved, recipient))
        is coordination.ImportRefusal.SIGNATURE
    )
    # The unchanged document, re-encrypted, still imports.
    assert _import(coordinator, support.seal(document, recipient)).period == "2026-Q1"


def test_a_package_signed_with_another_centres_key_is_refused(app, coordinator, test_package, nord):
    recipient = support.coordinator_key(coordinator)
    document = support.open_file(coordinator, test_package)
    # NORD signs a package in TEST's name, with its own key (and names that key) …
    forged = support.signed_by(app, "NORD", document)
    assert (
        _refusal(coordinator, support.seal(forged, recipient))
        is coordination.ImportRefusal.OTHER_KEY
    )
    # … or names TEST's key: the signature does not verify with it.
    forged = {**forged, "public_key": document["public_key"]}
    assert (
        _refusal(coordinator, support.seal(forged, recipient))
        is coordination.ImportRefusal.SIGNATURE
    )


def test_a_second_package_of_a_centre_for_the_same_period_is_refused(
    app, coordinator, test_package, leads
):
    _import(coordinator, test_package)
    again = support.package_file(app, support.approved_package(app, *leads["test"]))
    assert _refusal(coordinator, again) is coordination.ImportRefusal.DUPLICATE
    assert _refusal(coordinator, test_package) is coordination.ImportRefusal.DUPLICATE


def test_a_signed_package_for_no_release_period_and_a_malformed_one_are_refused(
    app, coordinator, test_package
):
    recipient = support.coordinator_key(coordinator)
    document = support.open_file(coordinator, test_package)
    content = {**document["content"], "period": "2026-Q5"}
    odd = {
        **document,
        "period": "2026-Q5",
        "content": content,
        "content_sha256": signing.content_hash(content),
    }
    odd = support.signed_by(app, "TEST", odd)  # signed by the centre itself
    assert _refusal(coordinator, support.seal(odd, recipient)) is coordination.ImportRefusal.PERIOD
    # A table that is not the catalogue's, signed by the centre: malformed.
    tables = [t for t in document["content"]["tables"] if t["id"] != "alter"]
    short = {**document["content"], "tables": [{**tables[0], "figures": tables[0]["figures"][1:]}]}
    cut = {**document, "content": short, "content_sha256": signing.content_hash(short)}
    cut = support.signed_by(app, "TEST", cut)
    assert (
        _refusal(coordinator, support.seal(cut, recipient)) is coordination.ImportRefusal.MALFORMED
    )
    # Not the schema at all.
    assert (
        _refusal(coordinator, support.seal({"format": "x"}, recipient))
        is coordination.ImportRefusal.MALFORMED
    )


def test_a_centre_imports_nothing_and_the_registry_refuses_nonsense(app, coordinator, centre):
    with app.app_context(), pytest.raises(coordination.ImportRefused) as refused:
        coordination.import_package(None, b"{}")
    assert refused.value.refusal is coordination.ImportRefusal.NOT_COORDINATOR
    with coordinator.app_context():
        key = signing.public_key("TEST", b"\x02" * 32)
        for changes, message in (
            ({"code": "x"}, "Code einer Stelle"),
            ({"region_code": "OWL!"}, "Code einer Region"),
            ({"public_key": b"\x00" * 31}, "32 Bytes"),
        ):
            arguments = {
                "code": "TEST",
                "name": "Test",
                "region_code": "owl",
                "region_name": "OWL",
                "public_key": key,
                **changes,
            }
            with pytest.raises(coordination.CoordinatorError, match=message):
                coordination.register_centre(None, **arguments)
        coordination.register_centre(
            None, code="TEST", name="Test", region_code="owl", region_name="OWL", public_key=key
        )
        with pytest.raises(coordination.CoordinatorError, match="bereits registriert"):
            coordination.register_centre(
                None, code="ANDERE", name="A", region_code="owl", region_name="OWL", public_key=key
            )
        with pytest.raises(coordination.CoordinatorError, match="anderen Namen"):
            coordination.register_centre(
                None,
                code="ANDERE",
                name="A",
                region_code="owl",
                region_name="Lippe",
                public_key=signing.public_key("ANDERE", b"\x02" * 32),
            )
        with pytest.raises(coordination.CoordinatorError, match="Ed25519"):
            coordination.parse_public_key("nicht base64!")


# --- the command line ----------------------------------------------------------------------


@pytest.fixture
def run_cli(app, coordinator, monkeypatch):  # type: ignore[no-untyped-def]
    """`servicestelle …` in this process: ``on`` picks the instance (both databases)."""
    from click.testing import CliRunner

    from servicestelle import cli, cli_coordinator, cli_retention, cli_stats

    def run(on: Flask, *args: str):  # type: ignore[no-untyped-def]
        for module in (cli_coordinator, cli_stats, cli_retention):
            monkeypatch.setattr(module, "app_context", on.app_context)
        return CliRunner().invoke(cli.main, list(args))

    return run


def _one_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_the_commands_from_the_centres_key_to_a_statewide_import(
    app, coordinator, centre, nord, leads, run_cli, tmp_path
):
    _populate(app, centre, nord)
    package_id = support.approved_package(app, *leads["test"])

    printed = run_cli(coordinator, "coordinator", "public-key")
    assert printed.exit_code == 0, printed.output
    assert base64.b64decode(printed.output.strip()) == support.coordinator_key(coordinator)
    centre_key = run_cli(app, "stats", "public-key", "--centre", "TEST")
    assert centre_key.exit_code == 0, centre_key.output
    registered = run_cli(
        coordinator,
        *("coordinator", "centres", "register", "TEST", "--name", "Servicestelle Test"),
        *("--region", "owl", "--region-name", "OWL", "--public-key", centre_key.output.strip()),
    )
    assert registered.exit_code == 0, registered.output
    listed = run_cli(coordinator, "coordinator", "centres", "list")
    assert listed.output.split()[:3] == ["TEST", "owl", centre_key.output.strip()]

    out = tmp_path / "paket.json"
    exported = run_cli(app, "stats", "package", "export", str(package_id), "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert "exists" in _one_line(
        run_cli(app, "stats", "package", "export", str(package_id), "--out", str(out))
    )
    with app.app_context():
        release = operations.draft_release(user(leads["test"][0]), Period.parse("2026"), ["alter"])
    assert "freigegebenes Paket" in _one_line(
        run_cli(app, "stats", "package", "export", str(release.id), "--out", str(tmp_path / "x"))
    )
    imported = run_cli(coordinator, "coordinator", "import", str(out))
    assert imported.exit_code == 0, imported.output
    assert "2026-Q1" in imported.output
    assert "bereits" in _one_line(run_cli(coordinator, "coordinator", "import", str(out)))
    # A centre imports nothing; a coordinator has no cases.
    assert "coordinator" in _one_line(run_cli(app, "coordinator", "import", str(out)))
    assert "no cases" in _one_line(run_cli(coordinator, "retention", "run", "--dry-run"))
    assert "no cases" in _one_line(run_cli(coordinator, "stats", "rebuild", "--purpose", "check"))
    assert "no cases" in _one_line(
        run_cli(coordinator, "stats", "package", "export", "1", "--out", str(tmp_path / "y"))
    )
