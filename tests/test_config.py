"""Settings.from_env: what each profile refuses and accepts, read from an explicit env dict."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from servicestelle import create_app, migrate
from servicestelle.config import (
    OWASP_FLOOR,
    RFC_9106_LOW_MEMORY,
    ConfigError,
    DemoSecretWarning,
    Settings,
)
from tests.support.cli import write_secret_file

GOOD_KEY = "3f9c1e7a5b2d4f6081a3c5e7f9b1d3e5a7c9e1f3b5d7f9a1c3e5a7b9d1f3e5a7"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return write_secret_file(tmp_path / "secret_key_file", GOOD_KEY + "\n")


def production_env(tmp_path: Path, key_file: Path | None = None, **extra: str) -> dict[str, str]:
    env = {"SERVICESTELLE_INSTANCE": str(tmp_path / "instance")}
    if key_file is not None:
        env["SERVICESTELLE_SECRET_KEY_FILE"] = str(key_file)
    env.update({f"SERVICESTELLE_{name}": value for name, value in extra.items()})
    return env


def demo_settings(tmp_path: Path, **extra: str) -> Settings:
    env = {"SERVICESTELLE_INSTANCE": str(tmp_path / "instance")}
    env.update({f"SERVICESTELLE_{name}": value for name, value in extra.items()})
    with pytest.warns(DemoSecretWarning, match="never for real cases"):
        return Settings.from_env(env, profile="demo")


# --- production: the secret key ---------------------------------------------------------


def test_production_is_the_default_profile_and_accepts_a_private_key_file(tmp_path, key_file):
    settings = Settings.from_env(production_env(tmp_path, key_file))

    assert settings.profile == "production"
    assert settings.is_production
    assert settings.secret_key == GOOD_KEY.encode()  # the trailing newline is not part of it
    assert settings.instance_path == (tmp_path / "instance").resolve()
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'servicestelle.sqlite3'}"
    assert settings.password_hash == RFC_9106_LOW_MEMORY
    assert not (tmp_path / "instance").exists()  # reading settings writes nothing


def test_production_refuses_to_start_without_a_secret_key_file(tmp_path):
    with pytest.raises(ConfigError, match="SERVICESTELLE_SECRET_KEY_FILE"):
        Settings.from_env(production_env(tmp_path))
    assert not (tmp_path / "instance").exists()  # and never invents a key of its own


def test_systemd_credentials_supply_the_secret_key_and_the_passphrase_file(tmp_path):
    # LoadCredentialEncrypted= decrypts into $CREDENTIALS_DIRECTORY (mode 0400, the service's
    # user); the README's unit names no file at all.
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    write_secret_file(credentials / "secret-key", GOOD_KEY)
    write_secret_file(credentials / "keyring-passphrase", "a passphrase from systemd")
    (credentials / "secret-key").chmod(0o400)
    env = production_env(tmp_path) | {"CREDENTIALS_DIRECTORY": str(credentials)}

    settings = Settings.from_env(env)

    assert settings.secret_key == GOOD_KEY.encode()
    assert settings.keyring_passphrase_file == (credentials / "keyring-passphrase").resolve()


def test_an_explicit_file_wins_over_a_systemd_credential(tmp_path, key_file):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    write_secret_file(credentials / "secret-key", "f" * 64)
    own_passphrase = write_secret_file(tmp_path / "passphrase", "mine")
    env = production_env(tmp_path, key_file, KEYRING_PASSPHRASE_FILE=str(own_passphrase))
    env["CREDENTIALS_DIRECTORY"] = str(credentials)

    settings = Settings.from_env(env)

    assert settings.secret_key == GOOD_KEY.encode()
    assert settings.keyring_passphrase_file == own_passphrase.resolve()


def test_a_credentials_directory_without_the_secret_key_still_refuses_to_start(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    write_secret_file(credentials / "keyring-passphrase", "only this one")
    env = production_env(tmp_path) | {"CREDENTIALS_DIRECTORY": str(credentials)}
    with pytest.raises(ConfigError, match="SERVICESTELLE_SECRET_KEY_FILE"):
        Settings.from_env(env)


def test_an_unreadable_credentials_directory_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    credentials = tmp_path / "credentials"
    credentials.mkdir()

    def refuse(self):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "is_file", refuse)
    env = production_env(tmp_path) | {"CREDENTIALS_DIRECTORY": str(credentials)}
    with pytest.raises(ConfigError, match="cannot read the systemd credential"):
        Settings.from_env(env)


def test_production_refuses_a_secret_key_file_that_does_not_exist(tmp_path):
    missing = tmp_path / "nowhere" / "secret_key_file"

    with pytest.raises(ConfigError, match="cannot read the secret key file"):
        Settings.from_env(production_env(tmp_path, missing))


def test_production_refuses_a_secret_key_shorter_than_32_bytes(tmp_path):
    short = write_secret_file(tmp_path / "short", "0123456789abcdef0123456789abcde\n")  # 31

    with pytest.raises(ConfigError, match="at least 32 bytes"):
        Settings.from_env(production_env(tmp_path, short))


def test_a_secret_key_of_exactly_32_bytes_is_enough(tmp_path):
    exact = write_secret_file(tmp_path / "exact", "0123456789abcdef0123456789abcdef")

    assert len(Settings.from_env(production_env(tmp_path, exact)).secret_key) == 32


@pytest.mark.parametrize("default", ["changeme", "CHANGEME\n", "  secret  ", "dev", ""])
def test_production_refuses_a_well_known_default_secret(tmp_path, default):
    path = write_secret_file(tmp_path / "default", default)

    with pytest.raises(ConfigError, match="secret key"):
        Settings.from_env(production_env(tmp_path, path))


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o660])
def test_production_refuses_a_secret_key_file_others_may_access(tmp_path, mode):
    path = write_secret_file(tmp_path / "shared", GOOD_KEY, mode=mode)

    with pytest.raises(ConfigError, match="readable by others; chmod 600"):
        Settings.from_env(production_env(tmp_path, path))


@pytest.mark.parametrize("profile", ["production", "demo", "test"])
def test_the_secret_key_is_never_taken_from_an_environment_variable(tmp_path, key_file, profile):
    env = production_env(tmp_path, key_file, SECRET_KEY=GOOD_KEY)

    with pytest.raises(ConfigError, match="SERVICESTELLE_SECRET_KEY is not accepted"):
        Settings.from_env(env, profile=profile)
    assert not (tmp_path / "instance").exists()


def test_the_secret_key_variable_is_refused_even_when_empty(tmp_path, key_file):
    env = production_env(tmp_path, key_file, SECRET_KEY="")

    with pytest.raises(ConfigError, match="SERVICESTELLE_SECRET_KEY is not accepted"):
        Settings.from_env(env)


# --- password hashing and numbers -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARGON2_MEMORY_KIB", str(OWASP_FLOOR.memory_cost_kib - 1)),
        ("ARGON2_TIME_COST", str(OWASP_FLOOR.time_cost - 1)),
        ("ARGON2_PARALLELISM", "0"),
    ],
)
@pytest.mark.parametrize("profile", ["production", "demo"])
def test_password_hashing_below_the_owasp_floor_is_refused(
    tmp_path, key_file, profile, name, value
):
    env = production_env(tmp_path, key_file, **{name: value})

    with pytest.raises(ConfigError, match="below the OWASP floor"):
        Settings.from_env(env, profile=profile)


def test_password_hashing_exactly_at_the_owasp_floor_is_accepted(tmp_path, key_file):
    env = production_env(
        tmp_path,
        key_file,
        ARGON2_MEMORY_KIB=str(OWASP_FLOOR.memory_cost_kib),
        ARGON2_TIME_COST=str(OWASP_FLOOR.time_cost),
        ARGON2_PARALLELISM=str(OWASP_FLOOR.parallelism),
    )

    assert Settings.from_env(env).password_hash == OWASP_FLOOR


def test_only_the_test_profile_may_hash_cheaply(tmp_path, key_file):
    env = production_env(tmp_path, key_file, ARGON2_MEMORY_KIB="1024")
    env["SERVICESTELLE_ARGON2_TIME_COST"] = "1"

    settings = Settings.from_env(env, profile="test")

    assert settings.password_hash.memory_cost_kib == 1024
    assert settings.password_hash.time_cost == 1


@pytest.mark.parametrize(
    "name",
    [
        "ARGON2_MEMORY_KIB",
        "ARGON2_TIME_COST",
        "ARGON2_PARALLELISM",
        "ARGON2_MEMORY_BUDGET_MIB",
        "TRUSTED_PROXIES",
        "MAX_CONTENT_LENGTH",
    ],
)
@pytest.mark.parametrize("value", ["lots", "1.5", "64k"])
def test_a_number_variable_that_is_no_whole_number_is_refused(tmp_path, key_file, name, value):
    with pytest.raises(ConfigError, match=f"SERVICESTELLE_{name} must be a whole number"):
        Settings.from_env(production_env(tmp_path, key_file, **{name: value}))


def test_an_empty_number_variable_means_the_default(tmp_path, key_file):
    settings = Settings.from_env(production_env(tmp_path, key_file, ARGON2_MEMORY_KIB=""))

    assert settings.password_hash.memory_cost_kib == RFC_9106_LOW_MEMORY.memory_cost_kib


def test_negative_trusted_proxies_are_refused(tmp_path, key_file):
    with pytest.raises(ConfigError, match="must not be negative"):
        Settings.from_env(production_env(tmp_path, key_file, TRUSTED_PROXIES="-1"))


@pytest.mark.parametrize("profile", ["demo", "test", "development", "Production", "prod"])
def test_the_environment_cannot_pick_a_weaker_profile(tmp_path, key_file, profile):
    with pytest.raises(ConfigError, match="SERVICESTELLE_PROFILE"):
        Settings.from_env(production_env(tmp_path, key_file, PROFILE=profile))


def test_the_environment_may_say_production(tmp_path, key_file):
    settings = Settings.from_env(production_env(tmp_path, key_file, PROFILE="production"))
    assert settings.profile == "production"


@pytest.mark.parametrize("profile", ["development", "Production", "prod", "dev", "testing"])
def test_an_unknown_profile_is_refused(tmp_path, key_file, profile):
    with pytest.raises(ConfigError, match="unknown profile"):
        Settings.from_env(production_env(tmp_path, key_file), profile=profile)  # type: ignore[arg-type]


# --- demo -------------------------------------------------------------------------------


def test_demo_creates_its_secret_in_the_instance_folder_readable_only_by_the_owner(tmp_path):
    settings = demo_settings(tmp_path)

    path = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.secret_key == path.read_bytes().strip()
    assert len(settings.secret_key) >= 32
    assert settings.profile == "demo"


def test_demo_reuses_its_secret_on_every_later_start(tmp_path):
    first = demo_settings(tmp_path)
    content = (tmp_path / "instance" / "secret_key").read_bytes()

    second = demo_settings(tmp_path)

    assert second.secret_key == first.secret_key
    assert (tmp_path / "instance" / "secret_key").read_bytes() == content


def test_two_demo_instances_get_different_secrets(tmp_path):
    assert demo_settings(tmp_path / "a").secret_key != demo_settings(tmp_path / "b").secret_key


def test_demo_refuses_its_own_secret_file_once_others_may_read_it(tmp_path):
    demo_settings(tmp_path)
    (tmp_path / "instance" / "secret_key").chmod(0o644)

    with pytest.warns(DemoSecretWarning), pytest.raises(ConfigError, match="readable by others"):
        Settings.from_env({"SERVICESTELLE_INSTANCE": str(tmp_path / "instance")}, profile="demo")


# --- cookies, HSTS and the hashing budget ----------------------------------------------


def test_production_cookies_are_secure_host_only_and_hsts_is_on(tmp_path, key_file):
    settings = Settings.from_env(production_env(tmp_path, key_file))

    assert settings.cookie_secure is True
    assert settings.session_cookie_name.startswith("__Host-")
    assert settings.hsts is True


def test_demo_cookies_work_over_plain_http_and_hsts_is_off(tmp_path):
    settings = demo_settings(tmp_path)

    assert settings.cookie_secure is False
    assert not settings.session_cookie_name.startswith("__Host-")
    assert settings.hsts is False


def _login_page_headers(settings: Settings, scheme: str):  # type: ignore[no-untyped-def]
    engine = sa.create_engine(settings.database_url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = scheme
    response = client.get("/anmelden")
    from servicestelle.extensions import db

    with app.app_context():
        db.engine.dispose()
    assert response.status_code == 200
    return response.headers


def test_the_production_app_sets_a_host_only_secure_cookie_and_hsts(tmp_path, key_file):
    settings = Settings.from_env(production_env(tmp_path, key_file))
    settings.instance_path.mkdir()

    headers = _login_page_headers(settings, "https")

    cookie = headers["Set-Cookie"]
    assert cookie.startswith("__Host-servicestelle=")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "Domain=" not in cookie
    assert "max-age=" in headers["Strict-Transport-Security"]


def test_the_demo_app_sets_a_plain_cookie_and_no_hsts(tmp_path):
    settings = demo_settings(tmp_path)

    headers = _login_page_headers(settings, "http")

    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"{settings.session_cookie_name}=")
    assert "Secure" not in cookie
    assert "HttpOnly" in cookie
    assert "Strict-Transport-Security" not in headers


@pytest.mark.parametrize(
    ("budget_mib", "memory_kib", "expected"),
    [
        ("512", "65536", 8),  # the defaults
        ("100", "19456", 5),  # 102400 // 19456
        ("64", "65536", 1),
        ("1", "65536", 1),  # less than one hash still allows one check at a time
    ],
)
def test_concurrent_password_checks_are_the_budget_divided_by_the_memory_cost(
    tmp_path, key_file, budget_mib, memory_kib, expected
):
    env = production_env(
        tmp_path, key_file, ARGON2_MEMORY_BUDGET_MIB=budget_mib, ARGON2_MEMORY_KIB=memory_kib
    )

    settings = Settings.from_env(env)

    assert settings.password_hash_memory_budget_mib == int(budget_mib)
    assert settings.max_concurrent_password_checks == expected


def test_settings_are_frozen_and_changes_are_validated_again(tmp_path, key_file):
    settings = Settings.from_env(production_env(tmp_path, key_file))

    with pytest.raises(AttributeError):
        settings.profile = "demo"  # type: ignore[misc]
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        settings.with_changes(secret_key=b"short")
    assert "secret_key" not in repr(settings)
    assert GOOD_KEY not in repr(settings)
