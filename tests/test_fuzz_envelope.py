"""Property tests of the sealed-field format (crypto/envelope.py): whatever the bytes, the
plaintext or the binding, a blob opens only with its key and binding, every change to it is
refused with the one ``DecryptionError``, and bytes that were never a blob raise nothing else
(no IndexError, struct.error or ValueError leaking the parser's inside).

Framework-free, no database: not parametrised by backend. Derandomised, so CI sees the same
examples every run; the coverage-guided fuzzers of the same parsers live in fuzz/ (`make fuzz`).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import envelope
from crypto.envelope import MAX_KEY_ID, Binding
from crypto.errors import DecryptionError

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=150)

keys = st.binary(min_size=envelope.KEY_BYTES, max_size=envelope.KEY_BYTES)
key_ids = st.integers(min_value=0, max_value=MAX_KEY_ID)
bindings = st.builds(Binding, st.text(max_size=20), st.text(max_size=20), st.text(max_size=20))
HEADER_AND_TAG = 1 + 4 + envelope.NONCE_BYTES + envelope.TAG_BYTES


@FUZZ
@given(key=keys, key_id=key_ids, plaintext=st.binary(max_size=300), binding=bindings)
def test_any_plaintext_and_binding_round_trip(key, key_id, plaintext, binding):
    blob = envelope.seal(key, key_id, plaintext, binding)
    assert len(blob) == HEADER_AND_TAG + len(plaintext)
    assert envelope.key_id_of(blob) == key_id
    assert envelope.unseal(key, blob, binding) == plaintext


@FUZZ
@given(
    key=keys,
    key_id=key_ids,
    plaintext=st.binary(max_size=100),
    binding=bindings,
    other=bindings,
    other_key=keys,
)
def test_another_binding_or_key_is_refused(key, key_id, plaintext, binding, other, other_key):
    blob = envelope.seal(key, key_id, plaintext, binding)
    if other != binding:
        with pytest.raises(DecryptionError):
            envelope.unseal(key, blob, other)
    if other_key != key:
        with pytest.raises(DecryptionError):
            envelope.unseal(other_key, blob, binding)


@FUZZ
@given(
    key=keys,
    key_id=key_ids,
    plaintext=st.binary(max_size=100),
    binding=bindings,
    data=st.data(),
)
def test_any_flipped_bit_is_refused(key, key_id, plaintext, binding, data):
    blob = bytearray(envelope.seal(key, key_id, plaintext, binding))
    bit = data.draw(st.integers(min_value=0, max_value=len(blob) * 8 - 1), label="bit")
    blob[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecryptionError):
        envelope.unseal(key, bytes(blob), binding)


@FUZZ
@given(
    key=keys,
    plaintext=st.binary(max_size=100),
    binding=bindings,
    cut=st.integers(min_value=1, max_value=200),
    tail=st.binary(min_size=1, max_size=20),
)
def test_a_shortened_or_extended_blob_is_refused(key, plaintext, binding, cut, tail):
    blob = envelope.seal(key, 7, plaintext, binding)
    with pytest.raises(DecryptionError):
        envelope.unseal(key, blob[: max(0, len(blob) - cut)], binding)
    with pytest.raises(DecryptionError):
        envelope.unseal(key, blob + tail, binding)


def _blob_like() -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, and bytes that start like a blob (version 1, any key id)."""
    return st.one_of(
        st.binary(max_size=80),
        st.builds(
            lambda key_id, rest: (
                bytes([envelope.FORMAT_VERSION]) + key_id.to_bytes(4, "big") + rest
            ),
            key_ids,
            st.binary(max_size=80),
        ),
    )


@FUZZ
@given(blob=_blob_like(), key=keys, binding=bindings)
def test_bytes_that_were_never_a_blob_raise_only_the_declared_error(blob, key, binding):
    try:
        key_id = envelope.key_id_of(blob)
    except DecryptionError:
        assert len(blob) < HEADER_AND_TAG or blob[0] != envelope.FORMAT_VERSION
    else:
        assert 0 <= key_id <= MAX_KEY_ID
    for opener in (envelope.unseal, envelope.unwrap_key):
        with pytest.raises(DecryptionError):
            opener(key, blob, binding)


@FUZZ
@given(
    key=st.binary(max_size=64).filter(lambda k: len(k) != envelope.KEY_BYTES),
    blob=_blob_like(),
    binding=bindings,
)
def test_a_key_of_the_wrong_length_opens_nothing_and_says_nothing_more(key, blob, binding):
    with pytest.raises(DecryptionError):
        envelope.unseal(key, blob, binding)


@FUZZ
@given(
    kek=keys,
    kek_id=key_ids,
    data_key=keys,
    binding=bindings,
    payload=st.binary(max_size=64).filter(lambda p: len(p) != envelope.KEY_BYTES),
)
def test_a_wrapped_key_opens_only_as_a_32_byte_key(kek, kek_id, data_key, binding, payload):
    assert envelope.unwrap_key(kek, envelope.wrap_key(kek, kek_id, data_key, binding), binding) == (
        data_key
    )
    # Sealed correctly, but not a key: refused like any other blob.
    with pytest.raises(DecryptionError):
        envelope.unwrap_key(kek, envelope.seal(kek, kek_id, payload, binding), binding)


@FUZZ
@given(first=bindings, second=bindings, first_id=key_ids, second_id=key_ids)
def test_no_two_bindings_share_associated_data(first, second, first_id, second_id):
    same = envelope.associated_data(first, first_id) == envelope.associated_data(second, second_id)
    assert same == (first == second and first_id == second_id)
