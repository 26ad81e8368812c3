"""The coordinator's commands as an operator runs them: two instances, a centre and a
coordinator, each made by `servicestelle init`; the centre's key registered, a package
exported and imported, the case commands refused on the coordinator (SQLite only)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from servicestelle import create_app
from servicestelle.config import Settings
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.conftest import FrozenClock
from tests.support import cli
from tests.support import coordinator as support
from tests.support.cli import one_line_reason
from tests.support.stats import add_records


def _env(instance: Path, key_file: Path, **extra: str) -> dict[str, str]:
    return {
        **cli.clean_environ(),
        **cli.FLOOR_HASHING,
        "SERVICESTELLE_INSTANCE": str(instance),
        "SERVICESTELLE_SECRET_KEY_FILE": str(key_file),
        "SERVICESTELLE_KEYRING_PASSPHRASE_FILE": str(cli.passphrase_file_beside(key_file)),
        **{f"SERVICESTELLE_{name}": value for name, value in extra.items()},
    }


def _ok(args: list[str], env: dict[str, str]) -> str:
    result = cli.run(args, env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _approved_package(env: dict[str, str]) -> int:
    """Two supervisors of the centre, twelve records, a package drafted and approved."""
    from servicestelle.auth.operations import create_user
    from servicestelle.centres.queries import list_centres

    app = create_app(Settings.from_env(env), clock=FrozenClock(datetime.now(UTC)))
    try:
        with app.app_context():
            (centre,) = list_centres()
            add_records(centre.id, 12, age_band="27_45", opened_month="2026-02")
            ids = [
                create_user(
                    centre=centre,
                    username=name,
                    display_name=name,
                    password="korrekt pferd batterie heftklammer",
                    roles=(Role.SUPERVISOR,),
                    with_second_factor=False,
                ).user.id
                for name in ("leitung.a", "leitung.b")
            ]
        return support.approved_package(app, *ids)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_package_travels_from_a_centre_to_the_coordinator_by_command(tmp_path: Path):
    key_file = cli.write_secret_file(tmp_path / "secret_key_file")
    coordinator = _env(tmp_path / "coordinator", key_file, MODE="coordinator")
    _ok(["init", "--centre-code", "LKS", "--centre-name", "Landeskoordinierung"], coordinator)
    coordinator_key = _ok(["coordinator", "public-key"], coordinator).strip()
    assert len(base64.b64decode(coordinator_key)) == 32

    centre = _env(tmp_path / "centre", key_file, COORDINATOR_PUBLIC_KEY=coordinator_key)
    _ok(["init", "--centre-code", "WEST", "--centre-name", "Servicestelle West"], centre)
    centre_key = _ok(["stats", "public-key"], centre).strip()
    package_id = _approved_package(centre)
    out = tmp_path / "paket.json"
    _ok(["stats", "package", "export", str(package_id), "--out", str(out)], centre)

    # Not registered yet: refused in one line, nothing stored.
    refused = cli.run(["coordinator", "import", str(out)], coordinator)
    assert "nicht registriert" in one_line_reason(refused)
    _ok(
        [
            *("coordinator", "centres", "register", "WEST", "--name", "Servicestelle West"),
            *("--region", "muenster", "--region-name", "Münsterland", "--public-key", centre_key),
        ],
        coordinator,
    )
    assert "WEST  muenster" in _ok(["coordinator", "centres", "list"], coordinator)
    assert "2026-Q1" in _ok(["coordinator", "import", str(out)], coordinator)
    again = cli.run(["coordinator", "import", str(out)], coordinator)
    assert "bereits" in one_line_reason(again)

    # A coordinator has no cases; a centre imports nothing.
    for command in (["retention", "run", "--dry-run"], ["stats", "rebuild", "--purpose", "check"]):
        assert "no cases" in one_line_reason(cli.run(command, coordinator))
    assert "coordinator" in one_line_reason(cli.run(["coordinator", "import", str(out)], centre))
    bad = cli.run(["coordinator", "public-key"], {**centre, "SERVICESTELLE_MODE": "zentrale"})
    assert "SERVICESTELLE_MODE" in one_line_reason(bad)
