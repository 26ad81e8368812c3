"""Key custody at start: where the keyring's passphrase comes from, what is refused, and that
no error message ever carries a key or the passphrase.

Production keyrings in these tests are written with exactly the production floor of the
passphrase hashing (cheaper than the default, and the floor itself is what is accepted).
"""

from __future__ import annotations

import base64
import dataclasses
import os
import stat
from pathlib import Path

import pytest

from crypto import Keyring, KeyringError
from crypto.keyring import PassphraseKdf
from servicestelle.config import REFUSED_KEY_VARIABLES, ConfigError, DemoSecretWarning, Settings
from servicestelle.keyring_custody import (
    NAMED_KEYS,
    PASSPHRASE_FILENAME,
    PRODUCTION_KDF_FLOOR,
    TEST_ONLY_KDF,
    KeyringLocked,
    create_keyring,
    open_keyring,
    unlock,
)
from tests.conftest import make_settings
from tests.support.cli import write_secret_file

PASSPHRASE = b"korrekt pferd batterie keyring"


def production(tmp_path: Path, **extra: str) -> Settings:
    """Production settings read from the environment, with a valid secret key file."""
    env = {
        "SERVICESTELLE_INSTANCE": str(tmp_path / "instance"),
        "SERVICESTELLE_SECRET_KEY_FILE": str(write_secret_file(tmp_path / "secret_key")),
    }
    env.update({f"SERVICESTELLE_{name}": value for name, value in extra.items()})
    return Settings.from_env(env)


def passphrase_file(tmp_path: Path, content: bytes = PASSPHRASE + b"\n", mode: int = 0o600) -> Path:
    path = tmp_path / "credentials" / "keyring-passphrase"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    path.chmod(mode)
    return path


def saved_keyring(
    path: Path, passphrase: bytes = PASSPHRASE, kdf: PassphraseKdf = PRODUCTION_KDF_FLOOR
) -> Keyring:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    keyring = Keyring.generate(named=NAMED_KEYS)
    keyring.save(path, passphrase, kdf=kdf)
    return keyring


def secret_forms(keyring: Keyring | None, *passphrases: bytes) -> list[str]:
    """Every way a key or passphrase could be spelled in a message."""
    secrets = [*passphrases]
    if keyring is not None:
        secrets += [*keyring.keys.values(), *keyring.named.values()]
    forms = []
    for secret in secrets:
        forms += [
            secret.hex(),
            secret.hex().upper(),
            base64.b64encode(secret).decode(),
            base64.urlsafe_b64encode(secret).decode(),
            repr(secret)[2:-1],
        ]
        if secret in passphrases:
            forms.append(secret.decode(errors="replace"))
    return forms


def assert_says_no_secret(message: str, keyring: Keyring | None, *passphrases: bytes) -> None:
    for form in secret_forms(keyring, *passphrases):
        assert form not in message, "a secret in the message"


# --- keys in the environment ----------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSED_KEY_VARIABLES)
def test_a_key_or_passphrase_in_the_environment_is_refused_by_name(tmp_path, name):
    value = base64.b64encode(os.urandom(32)).decode()
    key_file = write_secret_file(tmp_path / "secret_key")
    env = {
        "SERVICESTELLE_INSTANCE": str(tmp_path / "instance"),
        "SERVICESTELLE_SECRET_KEY_FILE": str(key_file),
        # Refused even beside a proper passphrase file: the variable itself is the leak.
        "SERVICESTELLE_KEYRING_PASSPHRASE_FILE": str(passphrase_file(tmp_path)),
    }
    assert Settings.from_env(env).is_production  # the rest of the environment is fine

    for given in (value, ""):
        with pytest.raises(ConfigError) as refused:
            Settings.from_env({**env, f"SERVICESTELLE_{name}": given})
        message = str(refused.value)
        assert f"SERVICESTELLE_{name}" in message
        assert "SERVICESTELLE_KEYRING_PASSPHRASE_FILE" in message  # what to do instead
        assert value not in message


def test_the_refused_variables_include_the_obvious_names():
    assert {"KEYRING_PASSPHRASE", "KEYRING_KEY", "KEK", "MASTER_KEY"} <= set(REFUSED_KEY_VARIABLES)


# --- the passphrase file --------------------------------------------------------------------


def test_production_opens_the_keyring_with_the_passphrase_file(tmp_path):
    settings = production(tmp_path, KEYRING_PASSPHRASE_FILE=str(passphrase_file(tmp_path)))
    written = saved_keyring(settings.keyring_path)  # the trailing newline is not part of it

    holder = unlock(settings)

    assert holder.get().keys == written.keys and holder.get().named == written.named


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o644])
def test_a_passphrase_file_others_may_access_is_refused(tmp_path, mode):
    path = passphrase_file(tmp_path, mode=mode)
    settings = production(tmp_path, KEYRING_PASSPHRASE_FILE=str(path))
    keyring = saved_keyring(settings.keyring_path)

    with pytest.raises(KeyringLocked, match="readable by others") as refused:
        unlock(settings)
    assert str(path) in str(refused.value)
    assert_says_no_secret(str(refused.value), keyring, PASSPHRASE)

    path.chmod(0o400)  # the same file, read-only for its owner: accepted
    assert unlock(settings).get().keys == keyring.keys


@pytest.mark.parametrize("content", [b"", b"\n", b"\r\n\n"])
def test_an_empty_passphrase_file_is_refused(tmp_path, content):
    path = passphrase_file(tmp_path, content=content)
    settings = production(tmp_path, KEYRING_PASSPHRASE_FILE=str(path))

    with pytest.raises(KeyringLocked, match="is empty"):
        unlock(settings)


def test_a_missing_passphrase_file_is_refused_in_words(tmp_path):
    settings = production(tmp_path, KEYRING_PASSPHRASE_FILE=str(tmp_path / "nowhere"))

    with pytest.raises(KeyringLocked, match="cannot read the keyring passphrase file"):
        unlock(settings)


def test_production_without_passphrase_file_or_prompt_stays_locked(tmp_path):
    settings = production(tmp_path)
    keyring = saved_keyring(settings.keyring_path)

    with pytest.raises(KeyringLocked, match="SERVICESTELLE_KEYRING_PASSPHRASE_FILE"):
        unlock(settings)
    # Never a passphrase made up in the instance folder, as the demo does.
    assert not (settings.instance_path / PASSPHRASE_FILENAME).exists()

    asked = []
    holder = unlock(settings, prompt=lambda: asked.append(1) or PASSPHRASE)
    assert asked == [1] and holder.get().keys == keyring.keys


def test_production_never_creates_a_missing_keyring(tmp_path):
    settings = production(tmp_path, KEYRING_PASSPHRASE_FILE=str(passphrase_file(tmp_path)))

    with pytest.raises(KeyringLocked, match="`servicestelle init`"):
        unlock(settings)
    assert not settings.keyring_path.exists()


def test_a_wrong_passphrase_is_refused(tmp_path):
    settings = production(tmp_path, KEYRING_PASSPHRASE_FILE=str(passphrase_file(tmp_path)))
    keyring = saved_keyring(settings.keyring_path, passphrase=b"ein ganz anderer satz")

    with pytest.raises(KeyringLocked, match="wrong passphrase") as refused:
        unlock(settings)
    assert_says_no_secret(str(refused.value), keyring, PASSPHRASE, b"ein ganz anderer satz")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_keyring_file_others_may_read_is_refused(tmp_path, mode):
    settings = production(tmp_path, KEYRING_PASSPHRASE_FILE=str(passphrase_file(tmp_path)))
    keyring = saved_keyring(settings.keyring_path)
    settings.keyring_path.chmod(mode)

    with pytest.raises(KeyringLocked, match="readable by others") as refused:
        unlock(settings)
    assert_says_no_secret(str(refused.value), keyring, PASSPHRASE)


@pytest.mark.parametrize(
    "kdf",
    [
        TEST_ONLY_KDF,
        PassphraseKdf(
            time_cost=PRODUCTION_KDF_FLOOR.time_cost - 1,
            memory_cost_kib=PRODUCTION_KDF_FLOOR.memory_cost_kib,
            parallelism=PRODUCTION_KDF_FLOOR.parallelism,
        ),
        PassphraseKdf(
            time_cost=PRODUCTION_KDF_FLOOR.time_cost,
            memory_cost_kib=PRODUCTION_KDF_FLOOR.memory_cost_kib - 1,
            parallelism=PRODUCTION_KDF_FLOOR.parallelism,
        ),
    ],
    ids=["test-only", "time-below-floor", "memory-below-floor"],
)
def test_a_keyring_with_weak_passphrase_hashing_is_refused_in_production(tmp_path, kdf):
    settings = production(tmp_path, KEYRING_PASSPHRASE_FILE=str(passphrase_file(tmp_path)))
    keyring = saved_keyring(settings.keyring_path, kdf=kdf)

    with pytest.raises(KeyringLocked, match="test-only passphrase hashing") as refused:
        unlock(settings)
    assert_says_no_secret(str(refused.value), keyring, PASSPHRASE)


# --- the demo: passphrase beside the keyring, said loudly -----------------------------------


def test_the_demo_keeps_its_passphrase_in_the_instance_and_says_so(tmp_path):
    env = {"SERVICESTELLE_INSTANCE": str(tmp_path / "instance")}
    with pytest.warns(DemoSecretWarning):
        settings = Settings.from_env(env, profile="demo")
    passphrase_path = settings.instance_path / PASSPHRASE_FILENAME
    assert not passphrase_path.exists()

    with pytest.warns(DemoSecretWarning, match="keyring passphrase .* never for real cases"):
        first = unlock(settings).get()
    assert stat.S_IMODE(passphrase_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.keyring_path.stat().st_mode) == 0o600
    assert set(first.named) == set(NAMED_KEYS)

    # Every start says it again, and finds the same keys.
    with pytest.warns(DemoSecretWarning, match="keyring passphrase"):
        again = unlock(settings).get()
    assert again.keys == first.keys and again.named == first.named


def test_the_test_profile_keeps_quiet_and_uses_cheap_hashing(tmp_path):
    settings = make_settings(tmp_path, "sqlite://")
    unlock(settings)  # filterwarnings=error: any warning fails here

    kdf = Keyring.load_with_kdf(
        settings.keyring_path, (settings.instance_path / PASSPHRASE_FILENAME).read_bytes()
    )[1]
    assert kdf == TEST_ONLY_KDF


# --- the holder and named keys --------------------------------------------------------------


def test_the_holder_rereads_the_keyring_after_it_changed_on_disk(tmp_path):
    settings = make_settings(tmp_path, "sqlite://")
    holder = unlock(settings)
    before = holder.get()
    assert holder.get() is before  # unchanged file: not read again
    secret = (settings.instance_path / PASSPHRASE_FILENAME).read_bytes()

    # `servicestelle keys rotate` in another process: its own Keyring object, saved.
    elsewhere = Keyring.load(settings.keyring_path, secret)
    new_primary = elsewhere.rotate()
    elsewhere.save(settings.keyring_path, secret, kdf=TEST_ONLY_KDF)

    after = holder.get()
    assert after.primary == new_primary == before.primary + 1
    assert after.keys == elsewhere.keys and after.key(before.primary) == before.key(before.primary)


def test_a_change_made_through_the_holder_is_on_disk_and_what_it_holds(tmp_path):
    settings = make_settings(tmp_path, "sqlite://")
    holder = unlock(settings)
    secret = (settings.instance_path / PASSPHRASE_FILENAME).read_bytes()
    stale = holder.get()

    new_id = holder.modify(lambda ring: ring.rotate())

    assert holder.get().primary == new_id == 2
    assert stale.primary == 1  # the change was made on the file's keyring, not the old copy
    on_disk, kdf = Keyring.load_with_kdf(settings.keyring_path, secret)
    assert on_disk.primary == new_id and kdf == TEST_ONLY_KDF


def test_a_short_passphrase_is_refused_for_a_production_keyring(tmp_path):
    settings = dataclasses.replace(make_settings(tmp_path, "sqlite://"), profile="production")
    with pytest.raises(KeyringLocked, match="at least 15 characters"):
        create_keyring(settings, b"kurz")
    assert not settings.keyring_path.exists()


def test_named_keys_a_newer_version_needs_are_added_and_saved(tmp_path):
    settings = make_settings(tmp_path, "sqlite://")
    secret = b"instanz passphrase fuer den test"
    old = Keyring.generate(named=NAMED_KEYS[:1])  # an older version knew one named key
    settings.keyring_path.parent.mkdir(parents=True)
    old.save(settings.keyring_path, secret, kdf=TEST_ONLY_KDF)

    opened = open_keyring(settings, secret)

    assert set(opened.named) == set(NAMED_KEYS)
    assert opened.named[NAMED_KEYS[0]] == old.named[NAMED_KEYS[0]]  # never replaced
    on_disk = Keyring.load(settings.keyring_path, secret)
    assert on_disk.named == opened.named and on_disk.keys == old.keys
    assert open_keyring(settings, secret).named == opened.named  # stable from then on


# --- no secret in any message ---------------------------------------------------------------


def test_no_refusal_carries_a_key_or_the_passphrase(tmp_path):
    path = tmp_path / "keyring.json"
    keyring = saved_keyring(path, kdf=TEST_ONLY_KDF)
    messages = []
    for attempt in (
        lambda: Keyring.load(path, b"falsch"),
        lambda: keyring.key(99),
        lambda: keyring.named_key("unbekannt"),
        lambda: keyring.retire(keyring.primary),
        lambda: Keyring({1: b"kurz"}, primary=1),
    ):
        with pytest.raises(KeyringError) as refused:
            attempt()
        messages.append(str(refused.value))
    path.chmod(0o644)
    with pytest.raises(KeyringError) as refused:
        Keyring.load(path, PASSPHRASE)
    messages.append(str(refused.value))

    assert len(messages) == 6
    for message in messages:
        assert_says_no_secret(message, keyring, PASSPHRASE)


def test_the_secret_check_would_notice_a_key_in_a_message():
    keyring = Keyring.generate(named=NAMED_KEYS)
    key = keyring.key(keyring.primary)
    for leaked in (key.hex(), base64.b64encode(key).decode(), PASSPHRASE.decode()):
        with pytest.raises(AssertionError):
            assert_says_no_secret(f"cannot open: {leaked}", keyring, PASSPHRASE)


def test_locked_is_a_configuration_error():
    # The command line reports ConfigError as a message, never as a traceback with locals.
    assert issubclass(KeyringLocked, ConfigError)
