"""Password policy and argon2id hashing with bounded memory use."""

from __future__ import annotations

import string
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l

from servicestelle.config import PasswordHashParameters

MIN_LENGTH = 12
MAX_LENGTH = 128
#: Seconds a login waits for a free hashing slot before the server answers "busy".
SLOT_TIMEOUT_SECONDS = 10.0


class PasswordRejected(ValueError):
    """The password does not meet the policy; ``reason`` is a translatable message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HasherBusy(RuntimeError):
    """All hashing slots stayed taken: the server is flooded with logins."""


def normalise(password: str) -> str:
    """NFKC, so that the same password typed on different keyboards hashes the same."""
    return unicodedata.normalize("NFKC", password)


@lru_cache(maxsize=1)
def blocklist() -> frozenset[str]:
    text = resources.files("servicestelle.auth").joinpath("data/common-passwords.txt")
    lines = text.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


_TRAILING_NOISE = string.digits + string.punctuation + " "
# Runs of digits or keyboard rows typed in order ("123456789012", "qwertzuiopü+").
_SEQUENCES = tuple(
    row * 4
    for row in (
        "0123456789",
        "9876543210",
        "qwertzuiopü",
        "qwertyuiop",
        "asdfghjklöä",
        "yxcvbnm,.-",
    )
)


def _is_trivial(folded: str) -> bool:
    """A repeated character or pair, or a run along the digits or a keyboard row."""
    return len(set(folded)) <= 2 or any(folded in sequence for sequence in _SEQUENCES)


def check_policy(password: str, username: str) -> str:
    """Return the normalised password or raise PasswordRejected with the reason.

    NIST SP 800-63B: length and a blocklist only, no composition rules.
    """
    candidate = normalise(password)
    if len(candidate) < MIN_LENGTH:
        raise PasswordRejected(str(_l("Das Passwort muss mindestens 12 Zeichen lang sein.")))
    if len(candidate) > MAX_LENGTH:
        raise PasswordRejected(str(_l("Das Passwort darf höchstens 128 Zeichen lang sein.")))
    if any(unicodedata.category(char) == "Cc" for char in candidate):
        raise PasswordRejected(str(_l("Das Passwort enthält Steuerzeichen.")))
    folded = candidate.casefold()
    if folded == normalise(username).strip().casefold():
        raise PasswordRejected(str(_l("Das Passwort darf nicht der Benutzername sein.")))
    # "password2026!" is as weak as "password": also look the stem up.
    stem = folded.rstrip(_TRAILING_NOISE)
    if folded in blocklist() or stem in blocklist() or _is_trivial(folded):
        raise PasswordRejected(
            str(_l("Dieses Passwort ist zu verbreitet. Bitte wählen Sie ein anderes."))
        )
    return candidate


@dataclass
class Verification:
    ok: bool
    #: A new hash to store because the stored one used weaker parameters.
    new_hash: str | None = None


class PasswordService:
    """argon2id at named parameters; a semaphore caps concurrent hashes to a memory budget."""

    def __init__(self, parameters: PasswordHashParameters, max_concurrent: int) -> None:
        self.parameters = parameters
        self.max_concurrent = max_concurrent
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._slots = threading.BoundedSemaphore(max_concurrent)
        # Verified when a username is unknown, so that it costs as much as a wrong password.
        self._dummy_hash = self._hasher.hash("servicestelle-dummy-password")

    def _slot(self) -> _Slot:
        return _Slot(self._slots)

    def hash(self, normalised_password: str) -> str:
        with self._slot():
            return self._hasher.hash(normalised_password)

    def verify(self, stored_hash: str | None, password: str) -> Verification:
        """Check a password; with ``stored_hash=None`` spend the same time and fail."""
        candidate = normalise(password)
        if len(candidate) > MAX_LENGTH:
            # Cap before hashing: an attacker must not make us hash megabytes.
            return Verification(ok=False)
        target = stored_hash if stored_hash is not None else self._dummy_hash
        with self._slot():
            try:
                self._hasher.verify(target, candidate)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return Verification(ok=False)
            if stored_hash is None:
                return Verification(ok=False)
            if self._hasher.check_needs_rehash(stored_hash):
                return Verification(ok=True, new_hash=self._hasher.hash(candidate))
        return Verification(ok=True)


class _Slot:
    def __init__(self, semaphore: threading.BoundedSemaphore) -> None:
        self._semaphore = semaphore

    def __enter__(self) -> None:
        if not self._semaphore.acquire(timeout=SLOT_TIMEOUT_SECONDS):
            raise HasherBusy("no free password-hashing slot")

    def __exit__(self, *exc: object) -> None:
        self._semaphore.release()
