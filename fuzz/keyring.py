"""Fuzz target: the keyring file loader (crypto/keyring.py) and custody's wrapping of it
(servicestelle/keyring_custody.open_keyring).

Input: one mode byte, then bytes. Mode 0: the bytes are the keyring file. Mode 1: the bytes
are the sealed payload — the target seals them under the right passphrase, so the parsing
behind the authentication is reached too (what only a passphrase holder could write). Mode 2:
the file again, opened through custody. Declared: ``KeyringError`` (``KeyringLocked`` through
custody). Invariant: what opens keeps the keyring's invariants (primary among the keys, every
key 32 bytes); in mode 0 and 2 it is the seeds' keyring.

Out of scope: Argon2 costs above ``COST_CAP``. A file asking for 64 GiB of memory or a million
passes is slow, not wrong — and only the service's own account can write the file — so such
inputs are skipped rather than reported as timeouts or out-of-memory.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["crypto", "servicestelle.keyring_custody"]):
    from crypto.errors import KeyringError
    from crypto.keyring import Keyring, PassphraseKdf, _aad, _header
    from servicestelle.config import Settings
    from servicestelle.keyring_custody import KeyringLocked, open_keyring

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fuzz.common import main

TINY = PassphraseKdf(time_cost=1, memory_cost_kib=8, parallelism=1)
#: Larger Argon2 parameters are skipped (see the module docstring).
COST_CAP = {"time_cost": 4, "memory_cost_kib": 65_536, "parallelism": 16}
PASSPHRASE = b"passphrase of the fuzzed keyring"
RING = Keyring(
    {1: bytes(range(32)), 2: bytes(range(1, 33))},
    primary=2,
    named={"blind-index": bytes(range(2, 34))},
)
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-keyring-"))
PATH = FOLDER / "keyring.json"
SETTINGS = Settings(
    profile="test",
    instance_path=FOLDER / "instance",
    database_url="sqlite://",
    secret_key=b"fuzz-" * 8,
    keyring_file=PATH,
)


def _counter(size: int) -> bytes:
    return bytes(size)


def _saved() -> bytes:
    RING.save(PATH, PASSPHRASE, kdf=TINY, random=_counter)
    return PATH.read_bytes()


def _payload(keys: dict[int, bytes], primary: int, named: dict[str, bytes]) -> bytes:
    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return json.dumps(
        {
            "primary": primary,
            "keys": {str(k): b64(v) for k, v in keys.items()},
            "named": {k: b64(v) for k, v in named.items()},
        }
    ).encode()


def _sealed_file(payload: bytes) -> bytes:
    salt, nonce = bytes(16), bytes(12)
    header = _header(TINY, salt)
    sealed = AESGCM(TINY.derive(PASSPHRASE, salt)).encrypt(nonce, payload, _aad(header))
    document = {
        **header,
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    return json.dumps(document).encode()


def seeds() -> dict[str, bytes]:
    saved = _saved()
    return {
        "file": b"\x00" + saved,
        "custody": b"\x02" + saved,
        "payload": b"\x01" + _payload(RING.keys, RING.primary, RING.named),
        "payload-without-named": b"\x01" + _payload({1: bytes(32)}, 1, {}),
        "payload-wrong-primary": b"\x01" + _payload({1: bytes(32)}, 3, {}),
    }


def _too_costly(data: bytes) -> bool:
    try:
        kdf = json.loads(data)["kdf"]
        return any(isinstance(kdf[name], int) and kdf[name] > cap for name, cap in COST_CAP.items())
    except Exception:  # anything unparsable costs nothing; the loader decides what it is
        return False


def _write(data: bytes) -> None:
    PATH.unlink(missing_ok=True)
    fd = os.open(PATH, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _check(opened: Keyring, *, is_seed_ring: bool) -> None:
    if opened.primary not in opened.keys:
        raise AssertionError("a keyring opened without its primary key")
    if any(len(key) != 32 for key in [*opened.keys.values(), *opened.named.values()]):
        raise AssertionError("a keyring opened with a key that is not 32 bytes")
    # Custody adds the named keys this version needs; the seeds' own must be unchanged.
    kept = {name: opened.named.get(name) for name in RING.named}
    if is_seed_ring and (opened.keys, kept) != (RING.keys, RING.named):
        raise AssertionError("a changed file opened as another keyring")


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, body = data[0] % 3, data[1:]
    if mode == 1:
        body = _sealed_file(body)
    elif _too_costly(body):
        return
    _write(body)
    try:
        opened = open_keyring(SETTINGS, PASSPHRASE) if mode == 2 else Keyring.load(PATH, PASSPHRASE)
    except (KeyringError, KeyringLocked):
        return
    _check(opened, is_seed_ring=mode != 1)


if __name__ == "__main__":
    main(test_one_input, seeds)
