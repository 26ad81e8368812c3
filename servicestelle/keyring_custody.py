"""Key custody: where the keyring of key-encryption keys comes from when the service starts.

Production: the keyring file is encrypted under a passphrase read from the file named in
``SERVICESTELLE_KEYRING_PASSPHRASE_FILE`` (readable only by the service, e.g. a systemd
credential) or typed at a prompt; a key or passphrase in an environment variable is refused
(config.REFUSED_KEY_VARIABLES). The demo and the test suite keep the passphrase in the
instance folder beside the keyring — which protects nothing against a stolen disk, so it says
so at every start.

The holder re-reads the file when it changes on disk, so that ``servicestelle keys rotate``
run beside a serving process does not leave that process unable to open re-wrapped keys.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import stat
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from crypto import Keyring, KeyringError
from crypto.keyring import DEFAULT_KDF, PassphraseKdf
from servicestelle.config import ConfigError, DemoSecretWarning, Settings

PASSPHRASE_FILENAME = "keyring-passphrase"  # noqa: S105 - a file name
#: The named keys this version needs; each has one purpose (see where it is used).
NAMED_KEYS = (
    "blind-index",  # master of the blind indexes (cases/indexes.py); never rotated
    "coordinator-package",  # derives a coordinator's X25519 package key (coordinator/keys.py)
    "oversight",  # seals break-glass reasons so the DPO can read them without a case key
    "second-factor",  # seals TOTP seeds (auth/sealing.py)
    "release-signing",  # derives each centre's Ed25519 release key (stats/signing.py)
    "statistics",  # keys the statistics store's pseudonyms and respondent tokens (stats/store.py)
)
#: Only the test suite: an Argon2id at production cost would cost every test app 0.2 s.
TEST_ONLY_KDF = PassphraseKdf(time_cost=1, memory_cost_kib=1024, parallelism=1)
#: A keyring file whose passphrase key is cheaper than this is refused in production.
PRODUCTION_KDF_FLOOR = PassphraseKdf(time_cost=2, memory_cost_kib=19_456, parallelism=1)

#: A production keyring passphrase shorter than this is refused when the keyring is made.
MIN_PASSPHRASE_BYTES = 15

Prompt = Callable[[], bytes]
T = TypeVar("T")


class KeyringLocked(ConfigError):
    """No passphrase, no keyring, or the keyring does not open; the message says what to do."""


def kdf_for(settings: Settings) -> PassphraseKdf:
    return TEST_ONLY_KDF if settings.profile == "test" else DEFAULT_KDF


def read_passphrase_file(path: Path) -> bytes:
    """The passphrase from a file only its owner may read (trailing newline dropped)."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes().rstrip(b"\r\n")
    except OSError as exc:
        raise KeyringLocked(
            f"cannot read the keyring passphrase file {path}: {exc.strerror}"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringLocked(
            f"the keyring passphrase file {path} is readable by others; chmod 600 it"
        )
    if not data:
        raise KeyringLocked(f"the keyring passphrase file {path} is empty")
    return data


def instance_passphrase(settings: Settings) -> bytes:
    """Demo and tests: a random passphrase kept beside the keyring, created on first use."""
    path = settings.instance_path / PASSPHRASE_FILENAME
    if not path.exists():
        settings.instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32))
    if settings.profile == "demo":
        warnings.warn(
            f"the keyring passphrase is kept in the instance folder ({path}), next to the "
            "keys it protects: fine for a demo, never for real cases",
            DemoSecretWarning,
            stacklevel=2,
        )
    return read_passphrase_file(path)


def passphrase(settings: Settings, prompt: Prompt | None = None) -> bytes:
    if settings.keyring_passphrase_file is not None:
        return read_passphrase_file(settings.keyring_passphrase_file)
    if not settings.is_production:
        return instance_passphrase(settings)
    if prompt is not None:
        return prompt()
    raise KeyringLocked(
        "the keyring is locked: name a passphrase file in SERVICESTELLE_KEYRING_PASSPHRASE_FILE "
        "or start the command on a terminal to be asked for the passphrase"
    )


@contextmanager
def file_lock(settings: Settings) -> Iterator[None]:
    """Hold the keyring's lock file: every load → change → save runs under it, so two
    processes (a rotation and a worker adding a named key) never overwrite each other."""
    path = settings.keyring_path.with_name(settings.keyring_path.name + ".lock")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def create_keyring(settings: Settings, secret: bytes) -> Keyring:
    """A new keyring file; never replaces an existing one (that would orphan every case)."""
    path = settings.keyring_path
    if settings.is_production and len(secret) < MIN_PASSPHRASE_BYTES:
        raise KeyringLocked(
            f"the keyring passphrase must be at least {MIN_PASSPHRASE_BYTES} characters long "
            "(e.g. `openssl rand -base64 32`)"
        )
    with file_lock(settings):
        if path.exists():
            raise KeyringLocked(f"a keyring already exists at {path}")
        keyring = Keyring.generate(named=NAMED_KEYS)
        try:
            keyring.save(path, secret, kdf=kdf_for(settings))
        except KeyringError as exc:
            raise KeyringLocked(str(exc)) from None
    return keyring


def open_keyring(settings: Settings, secret: bytes) -> Keyring:
    """Open the keyring file; add named keys a newer version needs (saved at once)."""
    try:
        keyring, kdf = Keyring.load_with_kdf(settings.keyring_path, secret)
    except KeyringError as exc:
        raise KeyringLocked(str(exc)) from None
    if settings.is_production and not _at_least(kdf, PRODUCTION_KDF_FLOOR):
        raise KeyringLocked(
            f"the keyring {settings.keyring_path} was written with test-only passphrase "
            "hashing; it cannot protect real cases"
        )
    if not set(NAMED_KEYS) <= set(keyring.named):
        with file_lock(settings):
            # Read again under the lock: another process may have added them meanwhile (or
            # replaced the file: then it is refused like any unreadable keyring).
            try:
                keyring, kdf = Keyring.load_with_kdf(settings.keyring_path, secret)
            except KeyringError as exc:
                raise KeyringLocked(str(exc)) from None
            if keyring.add_missing(NAMED_KEYS):
                keyring.save(settings.keyring_path, secret, kdf=kdf)
    return keyring


def _at_least(kdf: PassphraseKdf, floor: PassphraseKdf) -> bool:
    return (
        kdf.time_cost >= floor.time_cost
        and kdf.memory_cost_kib >= floor.memory_cost_kib
        and kdf.parallelism >= floor.parallelism
    )


def unlock(settings: Settings, prompt: Prompt | None = None) -> KeyringHolder:
    """The keyring for this process; demo and tests create theirs on first use."""
    secret = passphrase(settings, prompt)
    if not settings.keyring_path.exists():
        if settings.is_production:
            raise KeyringLocked(
                f"no keyring at {settings.keyring_path}; `servicestelle init` creates one"
            )
        create_keyring(settings, secret)
    return KeyringHolder(settings, secret)


def _signature(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return (info.st_ino, info.st_size, info.st_mtime_ns)


class KeyringHolder:
    """The unlocked keyring of a process, re-read when the file changes (rotation)."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self._settings = settings
        self._secret = secret
        self._lock = threading.Lock()
        self._seen = _signature(settings.keyring_path)
        self._keyring = open_keyring(settings, secret)

    def get(self) -> Keyring:
        try:
            current = _signature(self._settings.keyring_path)
        except OSError:
            return self._keyring  # a rename in progress; the next call sees the new file
        if current != self._seen:
            with self._lock:
                if current != self._seen:
                    self._keyring = open_keyring(self._settings, self._secret)
                    self._seen = current
        return self._keyring

    def modify(self, change: Callable[[Keyring], T]) -> T:
        """Change the keyring on disk (rotation, retirement): under the file lock, on the
        file as it is now — never on an older copy held in memory — saved atomically."""
        path = self._settings.keyring_path
        with self._lock, file_lock(self._settings):
            try:
                fresh, kdf = Keyring.load_with_kdf(path, self._secret)
                result = change(fresh)
                fresh.save(path, self._secret, kdf=kdf)
            except KeyringError as exc:
                raise KeyringLocked(str(exc)) from None
            self._keyring = fresh
            self._seen = _signature(path)
        return result
