"""What a backup carries inside its encryption: a manifest, the audit signing key, the database.

The payload is three members in this order, each ``name length (u16) ‖ name ‖ size (u64) ‖
bytes``: ``manifest.json`` (counts and hashes to compare after a restore — no personal data),
``audit-signing-key.pem`` (so the restored instance signs on with the same key and every old
checkpoint still verifies) and ``database`` (an SQLite file or a ``pg_dump -Fc`` archive).
Never the keyring (it is escrowed apart, with its passphrase) nor the secret key (a new
instance makes its own; sessions simply end).

Members are streamed from and to files: the database is never held in memory.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import BinaryIO

from servicestelle.backup.format import BackupError
from servicestelle.backup.snapshot import Facts

MANIFEST = "manifest.json"
SIGNING_KEY = "audit-signing-key.pem"
DATABASE = "database"
_NAME = struct.Struct(">H")
_SIZE = struct.Struct(">Q")
#: The manifest and the key are small; a larger member of that name is refused unread.
SMALL_MEMBER_BYTES = 1024 * 1024
COPY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Manifest:
    """Counts and hashes of the database as it was copied (compared after a restore)."""

    backend: str
    revision: str
    cases: int
    case_keys: int
    stats_records: int
    audit_entries: int
    audit_head_seq: int
    audit_head_hash: str
    signing_key_id: str

    @classmethod
    def of(cls, facts: Facts, *, backend: str, signing_key_id: str) -> Manifest:
        return cls(
            backend=backend,
            revision=facts.revision,
            cases=facts.cases,
            case_keys=facts.case_keys,
            stats_records=facts.stats_records,
            audit_entries=facts.audit_entries,
            audit_head_seq=facts.audit_head_seq,
            audit_head_hash=facts.audit_head_hash,
            signing_key_id=signing_key_id,
        )

    def encode(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("ascii")

    @classmethod
    def decode(cls, raw: bytes) -> Manifest:
        try:
            return cls(**json.loads(raw))
        except (ValueError, TypeError):
            raise BackupError("the backup's manifest is damaged") from None


def _member_head(name: str, size: int) -> bytes:
    encoded = name.encode("ascii")
    return _NAME.pack(len(encoded)) + encoded + _SIZE.pack(size)


class _Concatenation:
    """A read-only stream over bytes and open files, one after the other."""

    def __init__(self, parts: list[bytes | BinaryIO]) -> None:
        self._parts = parts

    def read(self, size: int) -> bytes:
        out = bytearray()
        while len(out) < size and self._parts:
            part = self._parts[0]
            if isinstance(part, bytes):
                want = size - len(out)
                out += part[:want]
                if len(part) > want:
                    self._parts[0] = part[want:]
                else:
                    self._parts.pop(0)
            else:
                data = part.read(size - len(out))
                if not data:
                    self._parts.pop(0)
                out += data
        return bytes(out)


def pack(
    manifest: Manifest, signing_key_pem: bytes, database: BinaryIO, database_size: int
) -> tuple[int, BinaryIO]:
    """The payload's length and a stream of it (the database read from its open file)."""
    encoded = manifest.encode()
    parts: list[bytes | BinaryIO] = [
        _member_head(MANIFEST, len(encoded)) + encoded,
        _member_head(SIGNING_KEY, len(signing_key_pem)) + signing_key_pem,
        _member_head(DATABASE, database_size),
        database,
    ]
    length = sum(len(part) for part in parts if isinstance(part, bytes)) + database_size
    return length, _Concatenation(parts)  # type: ignore[return-value]


class _Chunks:
    """Exact reads over an iterator of plaintext chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                raise BackupError("the backup's payload is damaged (it ends early)") from None
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def copy_to(self, out: BinaryIO, size: int) -> None:
        while size:
            piece = self.read(min(size, COPY_BYTES))
            out.write(piece)
            size -= len(piece)

    def finish(self) -> None:
        """Read to the end (the reader checks the signature's presence there)."""
        rest = self._buffer + b"".join(self._chunks)
        if rest:
            raise BackupError("the backup's payload is damaged (bytes after the database)")


def _expect(stream: _Chunks, name: str) -> int:
    (length,) = _NAME.unpack(stream.read(_NAME.size))
    if stream.read(length) != name.encode("ascii"):
        raise BackupError(f"the backup's payload is damaged (expected {name})")
    (size,) = _SIZE.unpack(stream.read(_SIZE.size))
    return int(size)


@dataclass(frozen=True)
class Unpacked:
    manifest: Manifest
    signing_key_pem: bytes


def unpack(chunks: Iterator[bytes], database: BinaryIO) -> Unpacked:
    """Read the payload; the database goes to ``database`` piece by piece."""
    stream = _Chunks(chunks)
    small = []
    for name in (MANIFEST, SIGNING_KEY):
        size = _expect(stream, name)
        if size > SMALL_MEMBER_BYTES:
            raise BackupError(f"the backup's payload is damaged ({name} is too large)")
        small.append(stream.read(size))
    stream.copy_to(database, _expect(stream, DATABASE))
    stream.finish()
    return Unpacked(Manifest.decode(small[0]), small[1])
