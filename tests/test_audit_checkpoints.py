"""The audit library's signing keys and checkpoints: key files, public keys and key ids,
signing and storing the head, signatures, and the checkpoint file the DPO keeps.
"""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit import GENESIS_HASH, AuditError, Checkpoint, CheckpointError
from audit.checkpoint import FILE_FORMAT, signed_message, stored_checkpoints
from tests.support.audit_log import BERLIN_WINTER, NOW, logout


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# --- signing keys ------------------------------------------------------------------------


def write_pem(path: Path, pem: bytes, mode: int = 0o600) -> Path:
    path.write_bytes(pem)
    path.chmod(mode)
    return path


def private_pem(private_key: Any, encryption: Any = None) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        encryption or serialization.NoEncryption(),
    )


def raw_public(public_key: Any) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_generate_signing_key_writes_a_private_file_and_never_overwrites(tmp_path):
    path = tmp_path / "keys" / "audit-signing.pem"
    generated = audit.generate_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = audit.load_signing_key(path)
    assert raw_public(loaded.public_key()) == raw_public(generated.public_key())
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match="never overwritten"):
        audit.generate_signing_key(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o620, 0o610, 0o604, 0o602, 0o601, 0o644, 0o666])
def test_load_signing_key_refuses_a_file_others_may_use(tmp_path, key, mode):
    path = write_pem(tmp_path / "audit.pem", private_pem(key), mode)
    with pytest.raises(CheckpointError, match="readable by others"):
        audit.load_signing_key(path)


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_load_signing_key_accepts_an_owner_only_file(tmp_path, key, mode):
    path = write_pem(tmp_path / "audit.pem", private_pem(key), mode)
    assert raw_public(audit.load_signing_key(path).public_key()) == raw_public(key.public_key())


def test_load_signing_key_refuses_what_is_not_an_unencrypted_ed25519_pem(tmp_path, key, rsa_key):
    garbage = write_pem(tmp_path / "garbage.pem", b"not a key")
    encrypted = write_pem(
        tmp_path / "encrypted.pem",
        private_pem(key, serialization.BestAvailableEncryption(b"passphrase")),
    )
    public = write_pem(tmp_path / "public.pem", audit.public_key_pem(key.public_key()).encode())
    with pytest.raises(CheckpointError, match="not an unencrypted PEM private key"):
        audit.load_signing_key(garbage)
    with pytest.raises(CheckpointError, match="not an unencrypted PEM private key"):
        audit.load_signing_key(encrypted)
    with pytest.raises(CheckpointError, match="not an unencrypted PEM private key"):
        audit.load_signing_key(public)
    for other in (rsa_key, ec.generate_private_key(ec.SECP256R1())):
        path = write_pem(tmp_path / "other.pem", private_pem(other))
        with pytest.raises(CheckpointError, match="another type"):
            audit.load_signing_key(path)


def test_load_signing_key_refuses_a_path_it_cannot_read(tmp_path):
    with pytest.raises(CheckpointError, match="cannot read"):
        audit.load_signing_key(tmp_path / "missing.pem")
    with pytest.raises(CheckpointError, match="cannot read"):
        audit.load_signing_key(tmp_path)  # a directory


def test_public_keys_round_trip_through_pem_and_are_identified_by_key_id(key, rsa_key):
    pem = audit.public_key_pem(key.public_key())
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    loaded = audit.load_public_key(pem.encode())
    assert raw_public(loaded) == raw_public(key.public_key())
    identifier = audit.key_id(key.public_key())
    assert identifier == hashlib.sha256(raw_public(key.public_key())).hexdigest()[:32]
    assert audit.key_id(loaded) == identifier
    assert audit.key_id(Ed25519PrivateKey.generate().public_key()) != identifier
    for garbage in (b"", b"not a key", private_pem(key)):
        with pytest.raises(CheckpointError, match="not a PEM public key"):
            audit.load_public_key(garbage)
    for other in (rsa_key, ec.generate_private_key(ec.SECP256R1())):
        other_pem = other.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        with pytest.raises(CheckpointError, match="not an Ed25519 key"):
            audit.load_public_key(other_pem)


# --- checkpoints -------------------------------------------------------------------------


def test_a_checkpoint_of_the_empty_log_signs_seq_0_and_the_genesis_hash(engine, key):
    with engine.begin() as connection:
        assert audit.latest_checkpoint(connection) is None
        assert stored_checkpoints(connection) == []
        checkpoint = audit.create_checkpoint(connection, key, NOW)
    assert (checkpoint.seq, checkpoint.head_hash) == (0, GENESIS_HASH)
    assert checkpoint.is_signed_by(key.public_key())
    with engine.connect() as connection:
        assert audit.latest_checkpoint(connection) == checkpoint
        verdict = audit.verify(connection, key.public_key())
    assert (verdict.intact, verdict.entries, verdict.checkpoints) == (True, 0, 1)


def test_create_checkpoint_signs_and_stores_the_head(engine, key):
    with engine.begin() as connection:
        first = audit.create_checkpoint(connection, key, NOW)
        written = [logout(connection, actor_id=number) for number in range(3)]
        moment = datetime(2026, 3, 2, 10, 15, 0, 654321, tzinfo=BERLIN_WINTER)
        second = audit.create_checkpoint(connection, key, moment)
    assert (second.seq, second.head_hash) == (3, written[-1].entry_hash)
    assert second.key_id == audit.key_id(key.public_key())
    # The signed message, written out independently: context, seq, head, UTC time, key id.
    message = (
        b"servicestelle audit checkpoint v1\n3\n"
        + written[-1].entry_hash.encode()
        + b"\n2026-03-02T09:15:00.654321Z\n"
        + second.key_id.encode()
        + b"\n"
    )
    assert second.message() == message
    key.public_key().verify(second.signature, message)
    with engine.connect() as connection:
        stored = stored_checkpoints(connection)
        latest = audit.latest_checkpoint(connection)
        row = connection.execute(sa.select(audit.audit_checkpoint).order_by("id")).all()[-1]
    assert stored == [first, second]
    assert latest == second
    assert latest.signed_at.utcoffset() == timedelta(0)
    assert latest.is_signed_by(key.public_key())
    assert row.signature == base64.b64encode(second.signature).decode()
    assert (row.seq, row.head_hash, row.key_id) == (3, second.head_hash, second.key_id)


def test_a_checkpoint_refuses_a_naive_time(engine, key):
    with pytest.raises(AuditError, match="timezone-aware"), engine.begin() as connection:
        audit.create_checkpoint(connection, key, datetime(2026, 3, 2, 9))  # naive on purpose
    with engine.connect() as connection:
        assert stored_checkpoints(connection) == []


def make_checkpoint(signer: Ed25519PrivateKey, **fields: Any) -> Checkpoint:
    values = {"seq": 5, "head_hash": "ab" * 32, "signed_at": NOW}
    values.update(fields)
    identifier = values.pop("key_id", audit.key_id(signer.public_key()))
    message = signed_message(values["seq"], values["head_hash"], values["signed_at"], identifier)
    return Checkpoint(key_id=identifier, signature=signer.sign(message), **values)


def test_is_signed_by_needs_the_right_key_and_untouched_fields(key):
    other = Ed25519PrivateKey.generate()
    checkpoint = make_checkpoint(key)
    assert checkpoint.is_signed_by(key.public_key())
    assert not checkpoint.is_signed_by(other.public_key())
    for tampered in (
        replace(checkpoint, seq=6),
        replace(checkpoint, head_hash="cd" * 32),
        replace(checkpoint, signed_at=NOW + timedelta(microseconds=1)),
        replace(checkpoint, signature=bytes(64)),
        replace(checkpoint, signature=checkpoint.signature[:-1]),
    ):
        assert not tampered.is_signed_by(key.public_key()), tampered


def test_is_signed_by_refuses_a_checkpoint_naming_another_key(key):
    other = Ed25519PrivateKey.generate()
    # Signed by ``key`` but claiming to be ``other``'s: the signature itself is valid.
    claims_other = make_checkpoint(key, key_id=audit.key_id(other.public_key()))
    key.public_key().verify(claims_other.signature, claims_other.message())
    assert not claims_other.is_signed_by(key.public_key())
    assert not claims_other.is_signed_by(other.public_key())


def test_to_json_and_from_json_round_trip(key):
    checkpoint = make_checkpoint(
        key, signed_at=datetime(2026, 3, 2, 10, 0, 0, 5, tzinfo=BERLIN_WINTER)
    )
    text = audit.to_json(checkpoint, key.public_key())
    data = json.loads(text)
    assert data["format"] == FILE_FORMAT == "servicestelle-audit-checkpoint/1"
    assert data["signed_at"] == "2026-03-02T09:00:00.000005Z"
    assert audit.key_id(audit.load_public_key(data["public_key"].encode())) == checkpoint.key_id
    loaded = audit.from_json(text)
    assert loaded == checkpoint
    assert loaded.signed_at.utcoffset() == timedelta(0)
    assert loaded.is_signed_by(key.public_key())
    empty = make_checkpoint(key, seq=0, head_hash=GENESIS_HASH)
    assert audit.from_json(audit.to_json(empty, key.public_key())) == empty


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"format": "servicestelle-audit-checkpoint/2"}, "unknown checkpoint format", id="format"
        ),
        pytest.param({"seq": -1}, "seq is not", id="negative seq"),
        pytest.param({"seq": True}, "seq is not", id="bool seq"),
        pytest.param({"seq": 5.0}, "seq is not", id="float seq"),
        pytest.param({"seq": "5"}, "seq is not", id="string seq"),
        pytest.param({"seq": None}, "seq is not", id="null seq"),
        pytest.param({"head_hash": "ab" * 31}, "head_hash", id="short head hash"),
        pytest.param({"head_hash": "AB" * 32}, "head_hash", id="upper-case head hash"),
        pytest.param({"head_hash": "g" * 64}, "head_hash", id="non-hex head hash"),
        pytest.param({"head_hash": None}, "head_hash", id="null head hash"),
        pytest.param({"signed_at": "2026-03-02T09:00:00.000000"}, "no time zone", id="naive time"),
        pytest.param({"signed_at": "yesterday"}, "not a readable", id="unreadable time"),
        pytest.param(
            {"signed_at": "1999-12-31T23:59:59.999999Z"}, "outside 2000-01-01", id="before 2000"
        ),
        pytest.param({"signed_at": "2200-01-01T00:00:00Z"}, "outside 2000-01-01", id="2200"),
        pytest.param({"signed_at": "2000-01-01T00:30:00+01:00"}, "outside", id="1999 in UTC"),
        pytest.param({"signed_at": "9999-12-31T23:00:00Z"}, "outside", id="year 9999"),
        pytest.param(
            {"signed_at": "9999-12-31T23:00:00-05:00"}, "not a readable", id="overflow in UTC"
        ),
        pytest.param(
            {"signed_at": "0001-01-01T00:00:00+01:00"}, "not a readable", id="underflow in UTC"
        ),
        pytest.param({"signature": "not base64!"}, "not a readable", id="bad base64"),
        pytest.param({"signature": "abc"}, "not a readable", id="bad base64 padding"),
    ],
)
def test_from_json_refuses_a_damaged_file(key, changes, message):
    data = json.loads(audit.to_json(make_checkpoint(key), key.public_key()))
    data.update(changes)
    with pytest.raises(CheckpointError, match=message):
        audit.from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("signed_at", "utc"),
    [
        ("2000-01-01T00:00:00Z", datetime(2000, 1, 1, tzinfo=UTC)),
        ("2199-12-31T23:59:59.999999Z", datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2200-01-01T00:30:00+01:00", datetime(2199, 12, 31, 23, 30, tzinfo=UTC)),
        ("1999-12-31T23:30:00-01:00", datetime(2000, 1, 1, 0, 30, tzinfo=UTC)),
    ],
)
def test_from_json_accepts_times_from_2000_to_2199_in_utc(key, signed_at, utc):
    data = json.loads(audit.to_json(make_checkpoint(key), key.public_key()))
    data["signed_at"] = signed_at
    assert audit.from_json(json.dumps(data)).signed_at == utc


@pytest.mark.parametrize(
    "missing", ["format", "seq", "head_hash", "signed_at", "key_id", "signature"]
)
def test_from_json_refuses_a_file_with_a_missing_field(key, missing):
    data = json.loads(audit.to_json(make_checkpoint(key), key.public_key()))
    del data[missing]
    with pytest.raises(CheckpointError, match="not a readable checkpoint file"):
        audit.from_json(json.dumps(data))


@pytest.mark.parametrize("text", ["", "not json", "{", "[]", "null", "42", '"text"', "[1, 2]"])
def test_from_json_refuses_what_is_not_a_checkpoint_object(text):
    with pytest.raises(CheckpointError, match="not a readable checkpoint file"):
        audit.from_json(text)
