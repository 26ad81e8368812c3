"""A versioned keyring of key-encryption keys, stored encrypted under a passphrase.

The primary key wraps new data keys; every key still in the ring unwraps the ones it wrapped
(Tink-style: add a key, make it primary, re-wrap, retire the old). Beside the versioned
key-encryption keys the ring holds a few *named* keys that are never rotated, because what
they produce must stay comparable (the blind-index master key: rotating it would orphan every
index) — each has one purpose, named where it is used. The file is JSON holding
an AES-256-GCM ciphertext of the keys under a key derived from the passphrase with Argon2id;
the header (format and KDF parameters) is the associated data, so it cannot be weakened
without the file failing to open. Files that others may read are refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from argon2.exceptions import HashingError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.envelope import KEY_BYTES, MAX_KEY_ID, NONCE_BYTES, Random, new_key
from crypto.errors import KeyringError

FILE_FORMAT = "servicestelle-keyring/1"
SALT_BYTES = 16


@dataclass(frozen=True)
class PassphraseKdf:
    """Argon2id parameters for the passphrase (memory in KiB)."""

    time_cost: int = 3
    memory_cost_kib: int = 65_536
    parallelism: int = 4

    def derive(self, passphrase: bytes, salt: bytes) -> bytes:
        return hash_secret_raw(
            passphrase,
            salt,
            time_cost=self.time_cost,
            memory_cost=self.memory_cost_kib,
            parallelism=self.parallelism,
            hash_len=KEY_BYTES,
            type=Type.ID,
        )


#: RFC 9106's second recommendation, as for login passwords.
DEFAULT_KDF = PassphraseKdf()


@dataclass
class Keyring:
    """Key-encryption keys by id; ``primary`` wraps new data keys."""

    keys: dict[int, bytes] = field(repr=False)
    primary: int
    named: dict[str, bytes] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.primary not in self.keys:
            raise KeyringError("the primary key is not in the keyring")
        every_key = [*self.keys.values(), *self.named.values()]
        if any(len(key) != KEY_BYTES for key in every_key):
            raise KeyringError("keyring keys are 32 bytes")

    @classmethod
    def generate(cls, random: Random = os.urandom, *, named: tuple[str, ...] = ()) -> Keyring:
        return cls({1: new_key(random)}, primary=1, named={n: new_key(random) for n in named})

    def named_key(self, name: str) -> bytes:
        """A named key (e.g. the blind-index master); KeyringError if the ring has none."""
        try:
            return self.named[name]
        except KeyError:
            raise KeyringError(
                f"the keyring holds no {name!r} key; run `servicestelle init`"
            ) from None

    def add_missing(self, names: tuple[str, ...], random: Random = os.urandom) -> list[str]:
        """Create the named keys this version of the software needs; returns the new names."""
        missing = [name for name in names if name not in self.named]
        for name in missing:
            self.named[name] = new_key(random)
        return missing

    def key(self, key_id: int) -> bytes:
        """The key with this id; KeyringError once it is retired (or never existed)."""
        try:
            return self.keys[key_id]
        except KeyError:
            raise KeyringError(f"key {key_id} is not in the keyring (retired?)") from None

    def rotate(self, random: Random = os.urandom, *, at_least: int = 0) -> int:
        """Add a new key and make it primary; returns its id. Old keys keep unwrapping.

        ``at_least``: the caller's lowest acceptable id — above every id its data still
        names, so a keyring restored from an older copy never hands out an id twice.
        """
        new_id = max(max(self.keys) + 1, at_least)
        if new_id > MAX_KEY_ID:
            raise KeyringError("key ids are exhausted")
        self.keys[new_id] = new_key(random)
        self.primary = new_id
        return new_id

    def retire(self, key_id: int) -> None:
        """Drop a key; only once no data key is wrapped by it any more (the caller checks)."""
        if key_id == self.primary:
            raise KeyringError("the primary key cannot be retired; rotate first")
        self.key(key_id)
        del self.keys[key_id]

    # --- the file ----------------------------------------------------------------------

    def save(
        self,
        path: Path,
        passphrase: bytes,
        *,
        kdf: PassphraseKdf = DEFAULT_KDF,
        random: Random = os.urandom,
    ) -> None:
        """Write the keyring encrypted under ``passphrase`` (mode 0600, atomically)."""
        if not passphrase:
            raise KeyringError("an empty passphrase protects nothing")
        salt, nonce = random(SALT_BYTES), random(NONCE_BYTES)
        header = _header(kdf, salt)
        payload = json.dumps(
            {
                "primary": self.primary,
                "keys": {str(k): _b64(v) for k, v in sorted(self.keys.items())},
                "named": {k: _b64(v) for k, v in sorted(self.named.items())},
            }
        ).encode()
        sealed = AESGCM(kdf.derive(passphrase, salt)).encrypt(nonce, payload, _aad(header))
        document = {**header, "nonce": _b64(nonce), "ciphertext": _b64(sealed)}
        temporary = path.with_name(path.name + ".new")
        # A leftover from an interrupted save goes; the new file is created fresh (never
        # through a planted symlink, never with a stale mode).
        temporary.unlink(missing_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            json.dump(document, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        # The rename itself must reach the disk before data keys are wrapped under the new
        # key: otherwise a crash could keep wrapped keys whose key-encryption key was lost.
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    @classmethod
    def load(cls, path: Path, passphrase: bytes) -> Keyring:
        """Open a keyring file; KeyringError for a wrong passphrase or a damaged file."""
        return cls.load_with_kdf(path, passphrase)[0]

    @classmethod
    def load_with_kdf(cls, path: Path, passphrase: bytes) -> tuple[Keyring, PassphraseKdf]:
        """The keyring and the passphrase hashing it was saved with (to save it alike)."""
        try:
            mode = path.stat().st_mode
            document = json.loads(path.read_text(encoding="ascii"))
        except OSError as exc:
            raise KeyringError(f"cannot read the keyring {path}: {exc.strerror}") from None
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
            raise KeyringError(f"{path} is not a keyring file") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyringError(f"the keyring {path} is readable by others; chmod 600 it")
        try:
            if document["format"] != FILE_FORMAT:
                raise KeyringError(f"{path}: unknown keyring format")
            kdf = PassphraseKdf(**document["kdf"])
            header = _header(kdf, _unb64(document["salt"]))
            derived = kdf.derive(passphrase, _unb64(document["salt"]))
            payload = AESGCM(derived).decrypt(
                _unb64(document["nonce"]), _unb64(document["ciphertext"]), _aad(header)
            )
            data = json.loads(payload)
            keys = {int(k): _unb64(v) for k, v in data["keys"].items()}
            named = {str(k): _unb64(v) for k, v in data.get("named", {}).items()}
            return cls(keys, primary=int(data["primary"]), named=named), kdf
        except InvalidTag:
            raise KeyringError("wrong passphrase, or the keyring file was changed") from None
        except KeyringError:
            raise
        # HashingError and OverflowError: KDF parameters Argon2 refuses (a salt too short, a
        # cost of 0 or below); AttributeError: a payload that is no JSON object.
        except (
            KeyError,
            TypeError,
            ValueError,
            binascii.Error,
            AttributeError,
            OverflowError,
            HashingError,
        ):
            raise KeyringError(f"{path} is not a keyring file") from None


def _header(kdf: PassphraseKdf, salt: bytes) -> dict[str, object]:
    return {
        "format": FILE_FORMAT,
        "kdf": {
            "time_cost": kdf.time_cost,
            "memory_cost_kib": kdf.memory_cost_kib,
            "parallelism": kdf.parallelism,
        },
        "salt": _b64(salt),
    }


def _aad(header: dict[str, object]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
