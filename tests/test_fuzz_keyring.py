"""Property tests of the keyring file (crypto/keyring.py) and of its custody at start
(servicestelle/keyring_custody.py): arbitrary bytes, arbitrary JSON, a real keyring file with
one part changed, and payloads sealed under the right passphrase that are not a keyring all
raise only ``KeyringError`` (``KeyringLocked`` at start) — never KeyError, OverflowError,
Argon2's HashingError or a RecursionError — and nothing opens as a keyring it is not.

No database: not parametrised by backend. The passphrase hashing is Argon2id at its smallest
cost, so an example costs microseconds; KDF parameters the mutations draw stay small (a huge
cost is a slow file, not a wrong one, and is not what these tests look for).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crypto.errors import KeyringError
from crypto.keyring import Keyring, PassphraseKdf, _aad, _header
from servicestelle.keyring_custody import KeyringLocked, open_keyring
from tests.conftest import make_settings

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=150)
#: Argon2id's smallest parameters: a file check, not a passphrase check, is under test here.
TINY = PassphraseKdf(time_cost=1, memory_cost_kib=8, parallelism=1)
PASSPHRASE = b"passphrase of the fuzzed keyring"
DEEP = b"[" * 100_000  # deeper than the interpreter's recursion limit

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
#: Argon2 parameters as a damaged file might hold them: too small, negative, beyond 32 bits,
#: or not numbers at all — never a valid but enormous cost (that would only be slow).
kdf_numbers = st.one_of(
    st.integers(min_value=-3, max_value=16),
    st.integers(min_value=2**32, max_value=2**70),
    st.integers(max_value=-(2**31)),
    json_values,
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def ring() -> Keyring:
    return Keyring.generate(named=("blind-index",))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keyring-fuzz")


@pytest.fixture(scope="module")
def document(ring: Keyring, folder: Path) -> dict[str, Any]:
    """A real keyring file's JSON document (TINY passphrase hashing)."""
    path = folder / "original.json"
    ring.save(path, PASSPHRASE, kdf=TINY)
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _write(folder: Path, data: bytes) -> Path:
    path = folder / "keyring.json"
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


def _opens_as_itself_or_is_refused(path: Path, ring: Keyring) -> None:
    """The one property: the original keyring, or KeyringError — nothing else, ever."""
    try:
        opened = Keyring.load(path, PASSPHRASE)
    except KeyringError:
        return
    assert (opened.keys, opened.primary, opened.named) == (ring.keys, ring.primary, ring.named)


@FUZZ
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_are_no_keyring(data, folder):
    with pytest.raises(KeyringError):
        Keyring.load(_write(folder, data), PASSPHRASE)


@pytest.mark.parametrize("data", [DEEP, b'{"format":' * 50_000], ids=["list", "object"])
def test_json_nested_deeper_than_the_interpreter_goes_is_no_keyring(data, folder):
    path = _write(folder, data)
    with pytest.raises(KeyringError, match="is not a keyring file"):
        Keyring.load(path, PASSPHRASE)
    settings_ = make_settings(folder / "custody", "sqlite://").with_changes(keyring_file=path)
    with pytest.raises(KeyringLocked, match="is not a keyring file"):
        open_keyring(settings_, PASSPHRASE)


@FUZZ
@given(value=json_values)
def test_arbitrary_json_is_no_keyring(value, folder):
    with pytest.raises(KeyringError):
        Keyring.load(_write(folder, json.dumps(value).encode()), PASSPHRASE)


def _mutations(document: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The real document with one part removed, replaced or damaged."""
    names = sorted(document)
    kdf_names = sorted(document["kdf"])
    binary_names = ("salt", "nonce", "ciphertext")
    return st.one_of(
        st.sampled_from(names).map(lambda name: {k: v for k, v in document.items() if k != name}),
        st.tuples(st.sampled_from(names), json_values).map(
            lambda change: {**document, change[0]: change[1]}
        ),
        st.tuples(st.sampled_from(binary_names), st.binary(max_size=48)).map(
            lambda change: {**document, change[0]: _b64(change[1])}
        ),
        st.tuples(st.sampled_from(binary_names), st.text(max_size=48)).map(
            lambda change: {**document, change[0]: change[1]}
        ),
        st.tuples(st.sampled_from(kdf_names), kdf_numbers).map(
            lambda change: {**document, "kdf": {**document["kdf"], change[0]: change[1]}}
        ),
        st.tuples(st.text(max_size=8), json_values).map(
            lambda change: {**document, "kdf": {**document["kdf"], change[0]: change[1]}}
        ),
        st.tuples(st.sampled_from(binary_names), st.integers(min_value=0, max_value=400)).map(
            lambda change: {**document, change[0]: _flipped(document[change[0]], change[1])}
        ),
    )


def _flipped(encoded: str, bit: int) -> str:
    raw = bytearray(base64.b64decode(encoded))
    bit %= len(raw) * 8
    raw[bit // 8] ^= 1 << (bit % 8)
    return _b64(bytes(raw))


@FUZZ
@given(data=st.data())
@example(data=None)  # the unchanged document opens (the property is not vacuous)
def test_a_keyring_file_with_one_part_changed_opens_as_itself_or_not_at_all(
    data, document, ring, folder
):
    changed = document if data is None else data.draw(_mutations(document), label="document")
    path = _write(folder, json.dumps(changed).encode())
    if data is None:
        assert Keyring.load(path, PASSPHRASE).keys == ring.keys
    _opens_as_itself_or_is_refused(path, ring)


def _sealed_file(payload: bytes) -> bytes:
    """A keyring file whose payload is ``payload``, sealed under the right passphrase."""
    salt, nonce = os.urandom(16), os.urandom(12)
    header = _header(TINY, salt)
    sealed = AESGCM(TINY.derive(PASSPHRASE, salt)).encrypt(nonce, payload, _aad(header))
    return json.dumps({**header, "nonce": _b64(nonce), "ciphertext": _b64(sealed)}).encode()


key_bytes = st.binary(min_size=32, max_size=32).map(_b64)
plausible_payloads = st.fixed_dictionaries(
    {
        "primary": st.one_of(st.integers(min_value=-2, max_value=4), json_values),
        "keys": st.one_of(
            st.dictionaries(
                st.one_of(st.integers(min_value=-2, max_value=4).map(str), st.text(max_size=4)),
                st.one_of(key_bytes, st.binary(max_size=40).map(_b64), json_values),
                max_size=3,
            ),
            json_values,
        ),
    },
    optional={
        "named": st.one_of(
            st.dictionaries(st.text(max_size=8), st.one_of(key_bytes, json_values), max_size=3),
            json_values,
        )
    },
)


@FUZZ
@given(
    payload=st.one_of(
        st.binary(max_size=80),
        json_values.map(lambda v: json.dumps(v).encode()),
        plausible_payloads.map(lambda v: json.dumps(v).encode()),
    )
)
@example(payload=json.dumps({"primary": 1, "keys": {"1": _b64(bytes(32))}}).encode())
def test_a_sealed_payload_that_is_no_keyring_is_refused(payload, folder):
    """Authentic (sealed under the passphrase) but not a keyring: refused in the same words;
    what does open keeps the keyring's invariants."""
    try:
        opened = Keyring.load(_write(folder, _sealed_file(payload)), PASSPHRASE)
    except KeyringError:
        return
    assert opened.primary in opened.keys
    assert all(len(key) == 32 for key in [*opened.keys.values(), *opened.named.values()])


@settings(FUZZ, max_examples=60)
@given(data=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_custody_reports_a_damaged_keyring_as_locked(data, folder):
    """At start, a damaged file is a KeyringLocked (a configuration error the CLI prints),
    never a traceback."""
    settings_ = make_settings(folder / "custody", "sqlite://").with_changes(
        keyring_file=_write(folder, data)
    )
    with pytest.raises(KeyringLocked):
        open_keyring(settings_, PASSPHRASE)


@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_custody_opens_a_changed_file_as_itself_or_reports_it_locked(data, document, ring, folder):
    changed = data.draw(_mutations(document), label="document")
    path = _write(folder, json.dumps(changed).encode())
    settings_ = make_settings(folder / "custody", "sqlite://").with_changes(keyring_file=path)
    try:
        opened = open_keyring(settings_, PASSPHRASE)
    except KeyringLocked:
        return
    assert opened.keys == ring.keys and opened.primary == ring.primary
