"""Envelope encryption: fields sealed under a case's data key, bound to their place."""

from __future__ import annotations

import itertools

import pytest

from crypto.envelope import (
    FORMAT_VERSION,
    KEY_BYTES,
    NONCE_BYTES,
    Binding,
    associated_data,
    key_id_of,
    new_key,
    seal,
    unseal,
    unwrap_key,
    wrap_key,
)
from crypto.errors import DecryptionError

HERE = Binding("cases", "payload", "42")


def counting_random():
    """Reproducible 'randomness': distinct bytes each call."""
    counter = itertools.count(1)
    return lambda size: next(counter).to_bytes(size, "big")


def test_a_sealed_field_opens_with_its_key_and_binding():
    key = new_key()
    blob = seal(key, 7, b"Schulhof, Dortmund-Nord", HERE)
    assert unseal(key, blob, HERE) == b"Schulhof, Dortmund-Nord"
    assert key_id_of(blob) == 7
    assert blob[0] == FORMAT_VERSION
    assert b"Schulhof" not in blob


def test_ten_thousand_seals_of_one_plaintext_are_all_different():
    key = new_key()
    blobs = {seal(key, 1, b"same", HERE) for _ in range(10_000)}
    nonces = {blob[5 : 5 + NONCE_BYTES] for blob in blobs}
    assert len(blobs) == len(nonces) == 10_000


@pytest.mark.parametrize(
    "elsewhere",
    [
        Binding("cases", "payload", "43"),
        Binding("cases", "notes", "42"),
        Binding("x", "payload", "42"),
    ],
)
def test_a_field_moved_to_another_row_or_column_does_not_open(elsewhere):
    key = new_key()
    with pytest.raises(DecryptionError):
        unseal(key, seal(key, 1, b"secret", HERE), elsewhere)


def test_every_single_bit_flip_is_refused_with_the_same_error():
    key = new_key()
    blob = seal(key, 3, b"Kurze Notiz", HERE)
    messages = set()
    for position in range(len(blob)):
        for bit in range(8):
            damaged = bytearray(blob)
            damaged[position] ^= 1 << bit
            with pytest.raises(DecryptionError) as refused:
                unseal(key, bytes(damaged), HERE)
            messages.add(str(refused.value))
    assert messages == {"the ciphertext cannot be decrypted"}


def test_another_key_a_short_blob_or_an_unknown_version_do_not_open():
    key = new_key()
    blob = seal(key, 1, b"x", HERE)
    for wrong in (lambda: unseal(new_key(), blob, HERE), lambda: unseal(key, blob[:20], HERE)):
        with pytest.raises(DecryptionError):
            wrong()
    with pytest.raises(DecryptionError):
        key_id_of(bytes([FORMAT_VERSION + 1]) + blob[1:])


def test_the_binding_encoding_is_unambiguous():
    # Without length prefixes ("ab","c") and ("a","bc") would collide.
    assert associated_data(Binding("ab", "c", "1"), 1) != associated_data(
        Binding("a", "bc", "1"), 1
    )
    assert associated_data(HERE, 1) != associated_data(HERE, 2)


def test_injected_randomness_makes_output_reproducible():
    key = bytes(KEY_BYTES)
    assert seal(key, 1, b"x", HERE, random=counting_random()) == seal(
        key, 1, b"x", HERE, random=counting_random()
    )
    assert new_key(counting_random()) == (1).to_bytes(KEY_BYTES, "big")


def test_bad_keys_ids_and_nonces_are_refused_before_anything_is_sealed():
    with pytest.raises(ValueError, match="32 bytes"):
        seal(b"short", 1, b"x", HERE)
    with pytest.raises(ValueError, match="32-bit"):
        seal(new_key(), -1, b"x", HERE)
    with pytest.raises(ValueError, match="short nonce"):
        seal(new_key(), 1, b"x", HERE, random=lambda size: b"\x00")
    with pytest.raises(ValueError, match="32 bytes"):
        new_key(lambda size: b"\x00")
    with pytest.raises(DecryptionError):  # a wrong-size key on opening is just "cannot open"
        unseal(b"short", seal(new_key(), 1, b"x", HERE), HERE)


def test_data_keys_are_wrapped_bound_to_their_row():
    kek, data_key = new_key(), new_key()
    row = Binding("case_keys", "wrapped_key", "42")
    wrapped = wrap_key(kek, 2, data_key, row)
    assert unwrap_key(kek, wrapped, row) == data_key
    assert key_id_of(wrapped) == 2
    with pytest.raises(DecryptionError):
        unwrap_key(kek, wrapped, Binding("case_keys", "wrapped_key", "43"))
    with pytest.raises(ValueError, match="32 bytes"):
        wrap_key(kek, 2, b"not a key", row)
    # Something else sealed under the KEK at that place is no data key.
    with pytest.raises(DecryptionError):
        unwrap_key(kek, seal(kek, 2, b"not a key", row), row)
