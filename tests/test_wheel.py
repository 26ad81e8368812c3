"""The wheel carries everything the service needs: templates, migrations, data files, script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import cli

REPOSITORY = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).resolve().parent / "support" / "wheel_probe.py"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built into a wheel and installed into a private folder (no dependencies)."""
    folder = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(folder / "dist"), str(REPOSITORY)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (folder / "dist").glob("servicestelle-*.whl")
    site = folder / "site"
    done = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return site


def outside_env(site: Path) -> dict[str, str]:
    """Only the installed wheel and the virtualenv's dependencies are importable."""
    return {**cli.clean_environ(), "PYTHONPATH": str(site)}


@pytest.fixture(scope="module")
def probe(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    script = shutil.copy(PROBE, elsewhere / "probe.py")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=elsewhere,
        env=outside_env(installed),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _inside(path: object, folder: Path) -> bool:
    return Path(str(path)).resolve().is_relative_to(folder.resolve())


def test_the_installed_packages_are_imported_not_the_source_tree(installed, probe):
    for package in ("servicestelle", "crypto", "audit"):
        assert _inside(probe[package], installed), probe[package]
        assert not _inside(probe[package], REPOSITORY), probe[package]


def test_templates_and_migrations_travel_inside_the_package(installed, probe):
    package = installed / "servicestelle"

    assert Path(str(probe["templates"])) == (package / "templates").resolve()
    assert Path(str(probe["migrations"])) == (package / "migrations").resolve()
    assert _inside(probe["script_location"], package)
    assert _inside(probe["template_file"], package)
    assert (package / "templates" / "auth" / "login.html").is_file()
    assert sorted(p.name for p in (package / "migrations" / "versions").glob("*.py")) == sorted(
        p.name for p in (REPOSITORY / "migrations" / "versions").glob("*.py")
    )


def test_the_common_passwords_list_is_installed(probe):
    assert probe["blocklist_size"] > 1000
    assert probe["blocklist_has_password"] is True


def test_the_installed_migrations_build_the_schema(probe):
    assert probe["head"] is not None
    assert probe["current"] == probe["head"]
    assert {"alembic_version", "centres", "users", "api_tokens"} <= set(probe["tables"])  # type: ignore[arg-type]


def test_the_installed_app_renders_the_login_page_and_serves_its_styles(probe):
    assert probe["login_status"] == 200
    assert probe["login_has_title"] is True
    assert probe["static_status"] == 200
    assert probe["health"] == {"status": "ok"}


def test_the_installed_console_script_initialises_an_instance(installed, tmp_path):
    script = installed / "bin" / "servicestelle"
    key = cli.write_secret_file(tmp_path / "secret_key_file")
    env = {
        **outside_env(installed),
        **cli.FLOOR_HASHING,
        "SERVICESTELLE_INSTANCE": str(tmp_path / "instance"),
        "SERVICESTELLE_SECRET_KEY_FILE": str(key),
        "SERVICESTELLE_KEYRING_PASSPHRASE_FILE": str(cli.passphrase_file_beside(key)),
    }

    result = cli.run_program([str(script), "init"], env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "centre created: ZENTRALE" in result.stdout
    assert (tmp_path / "instance" / "servicestelle.sqlite3").is_file()
