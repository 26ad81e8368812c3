"""Ed25519-signed checkpoints: "the log had N entries and its head hash was H at time T".

A checkpoint file kept off the server (the DPO's mailbox, a second host) is what turns the
hash chain into evidence: whoever can write the database can rebuild a consistent chain, but
cannot sign a new checkpoint without the signing key, nor make an older, signed head vanish.

The signing key is its own file, separate from every data key, so rotating or escrowing the
keyring never touches it and a leak of one does not forge the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.chain import format_time
from audit.consistency import extension
from audit.errors import CheckpointError
from audit.store import EARLIEST, LATEST, Executor, audit_checkpoint, head

FILE_FORMAT = "servicestelle-audit-checkpoint/1"
#: Domain separation: a signature over a checkpoint can never be mistaken for another message.
SIGNING_CONTEXT = b"servicestelle audit checkpoint v1\n"


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement about the head of the chain."""

    seq: int
    head_hash: str
    signed_at: datetime
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        return signed_message(self.seq, self.head_hash, self.signed_at, self.key_id)

    def is_signed_by(self, public_key: Ed25519PublicKey) -> bool:
        """True when the signature is valid under ``public_key`` and names that key."""
        if self.key_id != key_id(public_key):
            return False
        try:
            public_key.verify(self.signature, self.message())
        except InvalidSignature:
            return False
        return True


def signed_message(seq: int, head_hash: str, signed_at: datetime, signer: str) -> bytes:
    return SIGNING_CONTEXT + f"{seq}\n{head_hash}\n{format_time(signed_at)}\n{signer}\n".encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 bytes of SHA-256 over the raw public key, hex: short, stable, printable."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


# --- keys --------------------------------------------------------------------------------


def generate_signing_key(path: Path) -> Ed25519PrivateKey:
    """Create a new signing key file (mode 0600); refuses to overwrite an existing one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CheckpointError(
            f"{path} exists already; a signing key is never overwritten"
        ) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """Read the signing key; refuses a file that others may read."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"cannot read the audit signing key {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CheckpointError(f"the audit signing key {path} is readable by others; chmod 600 it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise CheckpointError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} holds a key of another type; an Ed25519 key is needed")
    return key


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """A public key from PEM (what ``servicestelle audit public-key`` prints)."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise CheckpointError("not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError("the public key is not an Ed25519 key")
    return key


# --- writing and reading checkpoints -------------------------------------------------------


def create_checkpoint(
    executor: Executor,
    signing_key: Ed25519PrivateKey,
    now: datetime,
    *,
    last_signed: tuple[int, str] | None = None,
) -> Checkpoint:
    """Sign the current head and store the checkpoint in the caller's transaction.

    ``last_signed`` is the (seq, head hash) signed before (see signer_state.py): if the log
    no longer extends it, nothing is signed and CheckpointError is raised.
    """
    if last_signed is None:
        seq, head_hash = head(executor)
    else:
        # Sign exactly the head the walk reached: entries appended meanwhile were not walked.
        reached = extension(executor, *last_signed)
        if reached is None:
            raise CheckpointError(
                f"the log no longer extends the checkpoint signed at entry {last_signed[0]}; "
                "not signing (run `servicestelle audit verify`)"
            )
        seq, head_hash = reached
    signer = key_id(signing_key.public_key())
    signature = signing_key.sign(signed_message(seq, head_hash, now, signer))
    checkpoint = Checkpoint(seq, head_hash, now, signer, signature)
    executor.execute(
        sa.insert(audit_checkpoint).values(
            seq=seq,
            head_hash=head_hash,
            signed_at=now,
            key_id=signer,
            signature=base64.b64encode(signature).decode("ascii"),
        )
    )
    return checkpoint


def _from_row(row: sa.Row[tuple[int, str, datetime, str, str]]) -> Checkpoint:
    try:
        signature = base64.b64decode(row.signature, validate=True)
    except (ValueError, binascii.Error):
        # A row anyone with INSERT could add; it must read as a forgery, not stop verify.
        signature = b""
    return Checkpoint(
        seq=int(row.seq),
        head_hash=row.head_hash,
        signed_at=row.signed_at,
        key_id=row.key_id,
        signature=signature,
    )


_COLUMNS = (
    audit_checkpoint.c.seq,
    audit_checkpoint.c.head_hash,
    audit_checkpoint.c.signed_at,
    audit_checkpoint.c.key_id,
    audit_checkpoint.c.signature,
)


def stored_checkpoints(executor: Executor) -> list[Checkpoint]:
    """Every checkpoint in the database, oldest first."""
    rows = executor.execute(sa.select(*_COLUMNS).order_by(audit_checkpoint.c.id)).all()
    return [_from_row(row) for row in rows]


def latest_checkpoint(
    executor: Executor, public_key: Ed25519PublicKey | None = None, *, scan: int = 50
) -> Checkpoint | None:
    """The newest stored checkpoint, or None before the first.

    With ``public_key``: the newest that verifies under it, among the last ``scan`` rows, so
    that an unsigned row inserted by the database role is never shown or relied on.
    """
    rows = executor.execute(
        sa.select(*_COLUMNS).order_by(audit_checkpoint.c.id.desc()).limit(scan)
    ).all()
    for row in rows:
        checkpoint = _from_row(row)
        if public_key is None or checkpoint.is_signed_by(public_key):
            return checkpoint
    return None


def to_json(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> str:
    """The exported file: the checkpoint plus the public key that verifies it."""
    return json.dumps(
        {
            "format": FILE_FORMAT,
            "seq": checkpoint.seq,
            "head_hash": checkpoint.head_hash,
            "signed_at": format_time(checkpoint.signed_at),
            "key_id": checkpoint.key_id,
            "signature": base64.b64encode(checkpoint.signature).decode("ascii"),
            "public_key": public_key_pem(public_key),
        },
        indent=2,
    )


def from_json(text: str) -> Checkpoint:
    """Parse an exported checkpoint; the signature is checked by the verifier, not here."""
    try:
        data = json.loads(text)
        if data["format"] != FILE_FORMAT:
            raise CheckpointError(f"unknown checkpoint format (expected {FILE_FORMAT})")
        seq = data["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise CheckpointError("the checkpoint's seq is not a non-negative integer")
        head_hash = str(data["head_hash"])
        if len(head_hash) != 64 or any(c not in "0123456789abcdef" for c in head_hash):
            raise CheckpointError("the checkpoint's head_hash is not 64 lower-case hex digits")
        signed_at = datetime.fromisoformat(str(data["signed_at"]))
        if signed_at.tzinfo is None:
            raise CheckpointError("the checkpoint's time has no time zone")
        if not EARLIEST <= signed_at.astimezone(UTC).date().isoformat() < LATEST:
            raise CheckpointError(f"the checkpoint's time is outside {EARLIEST} … {LATEST}")
        signature = base64.b64decode(str(data["signature"]), validate=True)
        return Checkpoint(seq, head_hash, signed_at, str(data["key_id"]), signature)
    except CheckpointError:
        raise
    except (ValueError, KeyError, TypeError, OverflowError, binascii.Error):
        raise CheckpointError("not a readable checkpoint file") from None
