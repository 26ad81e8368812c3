"""The backup container without an app: chunked AEAD, wrapped key, signature, payload members."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from crypto import Keyring, KeyringError
from servicestelle.backup import format, payload
from servicestelle.backup.format import BackupError, Header

CHUNK = 64


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


@pytest.fixture
def signer() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def make_header(
    keyring: Keyring, signer: Ed25519PrivateKey, size: int, payload_key: bytes, **changes: object
) -> Header:
    backup_id = "0123456789abcdef0123456789abcdef"
    header = Header(
        backup_id=backup_id,
        created_at="2026-12-06T18:00:00.000000Z",
        backend="sqlite",
        revision="0014",
        centres=("DO-NORD",),
        payload_bytes=size,
        kek_id=keyring.primary,
        wrapped_key=format.wrap_payload_key(
            keyring.key(keyring.primary), keyring.primary, payload_key, backup_id
        ),
        signing_key_id=audit.key_id(signer.public_key()),
        nonce_prefix=base64.b64encode(b"\x00" * format.NONCE_PREFIX_BYTES).decode(),
        chunk_bytes=CHUNK,
    )
    return dataclasses.replace(header, **changes) if changes else header


def make_backup(
    keyring: Keyring,
    signer: Ed25519PrivateKey,
    plain: bytes,
    payload_key: bytes | None = None,
    **changes: object,
) -> tuple[bytes, format.Written]:
    key = payload_key or format.new_payload_key()
    header = make_header(keyring, signer, len(plain), key, **changes)
    out = io.BytesIO()
    written = format.write(out, header, key, io.BytesIO(plain), signer)
    return out.getvalue(), written


def open_all(data: bytes, keyring: Keyring, signer: Ed25519PrivateKey) -> bytes:
    """Everything restore checks: header, wrapped key, every chunk, the signature."""
    reader = format.Reader(io.BytesIO(data))
    try:
        kek = keyring.key(reader.header.kek_id)
    except KeyringError:  # restore says "the keyring has no key N"
        raise BackupError("no such key") from None
    key = format.unwrap_payload_key(kek, reader.header)
    plain = b"".join(reader.plaintext(key))
    reader.check_signature(signer.public_key(), audit.key_id(signer.public_key()))
    return plain


def test_a_backup_opens_with_the_keyring_and_verifies_with_the_public_key(keyring, signer):
    plain = os.urandom(CHUNK * 5 + 17)
    data, written = make_backup(keyring, signer, plain)
    assert open_all(data, keyring, signer) == plain
    assert written.size == len(data)
    assert written.sha256 == hashlib.sha256(data).hexdigest()
    assert plain not in data and plain[:CHUNK] not in data
    reader = format.Reader(io.BytesIO(data))
    assert reader.header.chunks == 6
    reader.skip_payload()  # no keyring: the signature alone
    reader.check_signature(signer.public_key(), audit.key_id(signer.public_key()))
    assert reader.sha256 == written.sha256


@pytest.mark.parametrize("size", [0, 1, CHUNK, CHUNK * 2])
def test_chunk_edges(keyring, signer, size):
    plain = os.urandom(size)
    data, _ = make_backup(keyring, signer, plain)
    assert open_all(data, keyring, signer) == plain


def test_every_changed_byte_is_refused(keyring, signer):
    data, _ = make_backup(keyring, signer, os.urandom(CHUNK * 2 + 5))
    for position in range(len(data)):
        changed = bytearray(data)
        changed[position] ^= 0x01
        with pytest.raises(BackupError):
            open_all(bytes(changed), keyring, signer)


def test_truncation_is_refused_at_every_length(keyring, signer, tmp_path):
    data, _ = make_backup(keyring, signer, os.urandom(CHUNK * 3))
    for length in range(len(data)):
        with pytest.raises(BackupError):
            open_all(data[:length], keyring, signer)
    # A file on disk: its length is checked before a byte is decrypted.
    path = tmp_path / "cut.bak"
    path.write_bytes(data[:-1])
    with path.open("rb") as handle, pytest.raises(BackupError, match="truncated"):
        format.Reader(handle)
    path.write_bytes(data + b"\x00")
    with path.open("rb") as handle, pytest.raises(BackupError, match="after the signature"):
        format.Reader(handle)


def _chunk_offsets(data: bytes) -> tuple[int, int]:
    reader = format.Reader(io.BytesIO(data))
    start = len(data) - reader.header.ciphertext_bytes - format.SIGNATURE_BYTES
    return start, CHUNK + format.TAG_BYTES


def test_reordered_and_spliced_chunks_do_not_authenticate(keyring, signer):
    key = format.new_payload_key()
    plain = os.urandom(CHUNK * 3)
    data, _ = make_backup(keyring, signer, plain, key)
    start, size = _chunk_offsets(data)
    first, second = data[start : start + size], data[start + size : start + 2 * size]
    swapped = data[:start] + second + first + data[start + 2 * size :]
    reader = format.Reader(io.BytesIO(swapped))
    with pytest.raises(BackupError, match="chunk 0 does not authenticate"):
        b"".join(reader.plaintext(key))
    # Another backup under the same key and nonces but another header: its chunk does not fit.
    other, _ = make_backup(keyring, signer, plain, key, created_at="2026-12-07T18:00:00.000000Z")
    spliced = data[:start] + other[start : start + size] + data[start + size :]
    reader = format.Reader(io.BytesIO(spliced))
    with pytest.raises(BackupError, match="chunk 0 does not authenticate"):
        b"".join(reader.plaintext(key))
    # The same chunks, the first two only, under a header claiming two: the last-chunk flag.
    short = make_header(keyring, signer, CHUNK * 2, key)
    prefix = format._prefix_and_header(short)
    header_len = len(format._prefix_and_header(make_header(keyring, signer, CHUNK * 3, key)))
    assert header_len == start
    cut = prefix + data[start : start + 2 * size] + b"\x00" * format.SIGNATURE_BYTES
    reader = format.Reader(io.BytesIO(cut))
    with pytest.raises(BackupError, match="does not authenticate"):
        b"".join(reader.plaintext(key))


def test_other_files_are_refused_with_a_reason(keyring, signer):
    data, _ = make_backup(keyring, signer, b"x" * 10)
    with pytest.raises(BackupError, match="not a Servicestelle backup file"):
        format.Reader(io.BytesIO(b'{"format": "servicestelle-audit-checkpoint/1"}'))
    with pytest.raises(BackupError, match="not a Servicestelle backup file"):
        format.Reader(io.BytesIO(b""))
    newer = data[:8] + (2).to_bytes(2, "big") + data[10:]
    with pytest.raises(BackupError, match="format version 2 is not supported"):
        format.Reader(io.BytesIO(newer))
    start = len(format.MAGIC) + 6
    length = int.from_bytes(data[10:14], "big")
    raw = data[start : start + length]
    spaced = raw.replace(b'","', b'", "', 1)  # same content, not the canonical form
    assert spaced != raw
    changed = data[:10] + len(spaced).to_bytes(4, "big") + spaced + data[start + length :]
    with pytest.raises(BackupError, match="header is damaged"):
        format.Reader(io.BytesIO(changed))


def test_the_payload_key_opens_only_with_the_keyring_and_for_its_backup(keyring, signer):
    data, _ = make_backup(keyring, signer, b"inhalt")
    header = format.Reader(io.BytesIO(data)).header
    other = Keyring.generate()
    with pytest.raises(BackupError, match="does not open with this keyring"):
        format.unwrap_payload_key(other.key(other.primary), header)
    moved = dataclasses.replace(header, backup_id="ffffffffffffffffffffffffffffffff")
    with pytest.raises(BackupError, match="does not open with this keyring"):
        format.unwrap_payload_key(keyring.key(keyring.primary), moved)


def test_the_signature_names_and_proves_its_key(keyring, signer):
    data, _ = make_backup(keyring, signer, b"inhalt")
    stranger = Ed25519PrivateKey.generate().public_key()
    reader = format.Reader(io.BytesIO(data))
    reader.skip_payload()
    with pytest.raises(BackupError, match="another audit key"):
        reader.check_signature(stranger, audit.key_id(stranger))
    # The right key id but a signature that is not the key's.
    forged = data[: -format.SIGNATURE_BYTES] + bytes(format.SIGNATURE_BYTES)
    reader = format.Reader(io.BytesIO(forged))
    reader.skip_payload()
    with pytest.raises(BackupError, match="signature does not verify"):
        reader.check_signature(signer.public_key(), audit.key_id(signer.public_key()))


def test_payload_members_roundtrip_and_refuse_trailing_bytes(tmp_path: Path):
    manifest = payload.Manifest("sqlite", "0014", 3, 3, 2, 10, 10, "a" * 64, "k" * 32)
    database = os.urandom(CHUNK * 7 + 3)
    length, stream = payload.pack(manifest, b"PEM", io.BytesIO(database), len(database))
    packed = stream.read(length + 10)
    assert len(packed) == length
    chunks = [packed[i : i + CHUNK] for i in range(0, len(packed), CHUNK)]
    out = io.BytesIO()
    unpacked = payload.unpack(iter(chunks), out)
    assert (unpacked.manifest, unpacked.signing_key_pem) == (manifest, b"PEM")
    assert out.getvalue() == database
    with pytest.raises(BackupError, match="bytes after the database"):
        payload.unpack(iter([*chunks, b"x"]), io.BytesIO())
    with pytest.raises(BackupError, match="ends early"):
        payload.unpack(iter(chunks[:-1]), io.BytesIO())


def test_tool_errors_keep_the_reason_and_drop_quoted_rows(tmp_path):
    from servicestelle.backup import pgtools

    stderr = (
        'pg_restore: error: COPY failed for table "users": ERROR:  extra data\n'
        'CONTEXT:  COPY users, line 1: "anna\tAnna Beispiel"\n'
    )
    reason = pgtools._reason(stderr)
    assert 'COPY failed for table "users"' in reason
    assert "Anna" not in reason
    with pytest.raises(BackupError, match=r"pg_dump not found in .*--pg-bin-dir"):
        pgtools.find_tool("pg_dump", tmp_path, None)
