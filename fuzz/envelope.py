"""Fuzz target: the sealed-field parser and decryptor (crypto/envelope.py).

Input: one mode byte, then a blob. Mode 0 opens the blob with the right key and binding,
mode 1 with a key of the wrong length, mode 2 unwraps it as a data key. Declared:
``DecryptionError``. Invariants: ``key_id_of`` is a 32-bit id of a blob of at least header,
nonce and tag; whatever opens is the one plaintext sealed in the seeds (AES-GCM: a mutated
blob that opens would be a forgery).
"""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["crypto"]):
    from crypto import envelope
    from crypto.envelope import Binding
    from crypto.errors import DecryptionError

from fuzz.common import main

KEY = bytes(range(32))
BINDING = Binding("case_fields", "narrative", "42")
PLAINTEXT = "Beratungsgespräch am 3. März".encode()
DATA_KEY = bytes(range(100, 132))
MINIMUM = 1 + 4 + envelope.NONCE_BYTES + envelope.TAG_BYTES


def _nonce(size: int) -> bytes:
    return bytes(size)


def seeds() -> dict[str, bytes]:
    blob = envelope.seal(KEY, 7, PLAINTEXT, BINDING, random=_nonce)
    wrapped = envelope.wrap_key(KEY, 7, DATA_KEY, BINDING, random=_nonce)
    return {
        "open": b"\x00" + blob,
        "wrong-key": b"\x01" + blob,
        "unwrap": b"\x02" + wrapped,
        "empty": b"\x00" + envelope.seal(KEY, 0, b"", BINDING, random=_nonce),
        "short": b"\x00" + blob[:MINIMUM],
    }


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, blob = data[0] % 3, data[1:]
    try:
        key_id = envelope.key_id_of(blob)
    except DecryptionError:
        key_id = None
    if key_id is not None and not (len(blob) >= MINIMUM and 0 <= key_id <= envelope.MAX_KEY_ID):
        raise AssertionError("key_id_of accepted what is no blob")
    try:
        if mode == 0:
            opened = envelope.unseal(KEY, blob, BINDING)
            if opened != PLAINTEXT and opened != DATA_KEY and opened != b"":
                raise AssertionError("a mutated blob opened")
        elif mode == 1:
            envelope.unseal(KEY[: len(blob) % 32], blob, BINDING)
            raise AssertionError("a blob opened with a short key")
        else:
            if envelope.unwrap_key(KEY, blob, BINDING) != DATA_KEY:
                raise AssertionError("a mutated wrapped key opened")
    except DecryptionError:
        return


if __name__ == "__main__":
    main(test_one_input, seeds)
