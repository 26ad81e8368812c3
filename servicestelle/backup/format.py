"""The backup file: a small signed header, then the payload in authenticated chunks.

Layout (all integers big-endian)::

    magic (8 bytes) ‖ format version (u16) ‖ header length (u32) ‖ header (canonical JSON)
    ‖ chunk 0 ‖ … ‖ chunk n-1 ‖ Ed25519 signature (64 bytes)

The header is readable without any key (what, when, which backend and schema, which centres,
how long) and holds the payload key wrapped under a key-encryption key of the keyring. The
payload is cut into chunks of ``chunk_bytes`` (the last may be shorter); each is sealed with
AES-256-GCM under a fresh random 256-bit key used for this one backup, with the nonce
``prefix (7) ‖ index (u32) ‖ final flag (u8)`` and the associated data
``SHA-256(magic ‖ version ‖ length ‖ header) ‖ index (u64) ‖ final flag``: a changed header,
a dropped, repeated or reordered chunk, a chunk spliced in from another backup and a file cut
off after any chunk all fail to open (the STREAM construction of Hoang et al.). The signature
covers the SHA-256 of every byte before it, so the audit public key alone checks origin and
integrity (``backup verify``); the chunk count follows from the header, so the file's length
is known before a byte is decrypted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import Binding, DecryptionError
from crypto.envelope import KEY_BYTES, Random, unwrap_key, wrap_key

MAGIC = b"\x89SSTBAK\n"  # non-ASCII first byte and a newline: a text-mode copy breaks it
FORMAT_VERSION = 1
CHUNK_BYTES = 1024 * 1024
TAG_BYTES = 16
NONCE_PREFIX_BYTES = 7
SIGNATURE_BYTES = 64
MAX_HEADER_BYTES = 64 * 1024
MAX_CHUNKS = 2**32 - 1
#: Domain separation: a backup signature never passes for a checkpoint's (or vice versa).
SIGNING_CONTEXT = b"servicestelle backup v1\n"
_PREFIX = struct.Struct(">8sHI")  # magic, format version, header length
_AAD_TAIL = struct.Struct(">QB")  # chunk index, final flag
_NONCE_TAIL = struct.Struct(">IB")
_BACKENDS = ("sqlite", "postgresql")
_TOKEN = re.compile(r"[A-Za-z0-9_.:+-]{1,64}")


class BackupError(Exception):
    """The file cannot be used as asked; the message is one line and names no content."""


def key_binding(backup_id: str) -> Binding:
    """The payload key is wrapped bound to its backup: it unwraps for no other file."""
    return Binding("backup", "payload_key", backup_id)


@dataclass(frozen=True)
class Header:
    """What a backup says about itself, in the clear (no personal data: codes and counts)."""

    backup_id: str
    created_at: str  # ISO 8601, UTC
    backend: str
    revision: str
    centres: tuple[str, ...]
    payload_bytes: int
    kek_id: int
    wrapped_key: str  # base64 of the envelope blob
    signing_key_id: str
    nonce_prefix: str  # base64, NONCE_PREFIX_BYTES
    chunk_bytes: int = CHUNK_BYTES

    def encode(self) -> bytes:
        document = asdict(self)
        document["centres"] = list(self.centres)
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("ascii")

    @property
    def chunks(self) -> int:
        return max(1, -(-self.payload_bytes // self.chunk_bytes))

    def chunk_length(self, index: int) -> int:
        """Plaintext bytes in chunk ``index``."""
        if index < self.chunks - 1:
            return self.chunk_bytes
        return self.payload_bytes - self.chunk_bytes * (self.chunks - 1)

    @property
    def ciphertext_bytes(self) -> int:
        return self.payload_bytes + self.chunks * TAG_BYTES


def _parse_header(raw: bytes) -> Header:
    try:
        document = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise BackupError("the backup header is damaged") from None
    expected = set(Header.__dataclass_fields__)
    if not isinstance(document, dict) or set(document) != expected:
        raise BackupError("the backup header is damaged")
    try:
        header = Header(**{**document, "centres": tuple(document["centres"])})
        _check_header(header)
    except (TypeError, ValueError, binascii.Error):
        raise BackupError("the backup header is damaged") from None
    if header.encode() != raw:
        raise BackupError("the backup header is damaged")  # not the canonical form we write
    return header


def _check_header(header: Header) -> None:
    integers = (header.payload_bytes, header.kek_id, header.chunk_bytes)
    if not all(type(value) is int for value in integers):
        raise ValueError
    strings = (header.backup_id, header.created_at, header.revision, header.signing_key_id)
    if not all(isinstance(value, str) and _TOKEN.fullmatch(value) for value in strings):
        raise ValueError
    if header.backend not in _BACKENDS:
        raise ValueError
    if not all(isinstance(code, str) and _TOKEN.fullmatch(code) for code in header.centres):
        raise ValueError
    if header.payload_bytes < 0 or not 1 <= header.chunk_bytes <= 64 * CHUNK_BYTES:
        raise ValueError
    if header.chunks > MAX_CHUNKS:
        raise ValueError
    if len(base64.b64decode(header.nonce_prefix, validate=True)) != NONCE_PREFIX_BYTES:
        raise ValueError
    base64.b64decode(header.wrapped_key, validate=True)


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + _NONCE_TAIL.pack(index, final)


def _aad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + _AAD_TAIL.pack(index, final)


def _prefix_and_header(header: Header) -> bytes:
    try:
        _check_header(header)  # never write a header this module would refuse to read
    except (TypeError, ValueError, binascii.Error):
        raise BackupError("the backup header is not valid") from None
    encoded = header.encode()
    if len(encoded) > MAX_HEADER_BYTES:
        raise BackupError("the backup header is too large")
    return _PREFIX.pack(MAGIC, FORMAT_VERSION, len(encoded)) + encoded


def signed_message(digest: bytes) -> bytes:
    return SIGNING_CONTEXT + digest


# --- writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """What was written: the file's size and SHA-256 (for the audit entry)."""

    size: int
    sha256: str


def new_payload_key(random: Random = os.urandom) -> bytes:
    key = random(KEY_BYTES)
    if len(key) != KEY_BYTES:
        raise ValueError("the randomness source returned a short key")
    return key


def wrap_payload_key(kek: bytes, kek_id: int, payload_key: bytes, backup_id: str) -> str:
    blob = wrap_key(kek, kek_id, payload_key, key_binding(backup_id))
    return base64.b64encode(blob).decode("ascii")


def unwrap_payload_key(kek: bytes, header: Header) -> bytes:
    """The payload key; BackupError when this key-encryption key does not open it."""
    try:
        blob = base64.b64decode(header.wrapped_key, validate=True)
        return unwrap_key(kek, blob, key_binding(header.backup_id))
    except (DecryptionError, binascii.Error, ValueError):
        raise BackupError(
            "the backup key does not open with this keyring (another instance's keyring, "
            "an older copy of it, or a wrong file)"
        ) from None


def write(
    out: BinaryIO,
    header: Header,
    payload_key: bytes,
    payload: BinaryIO,
    signing_key: Ed25519PrivateKey,
    progress: Callable[[int, int], None] | None = None,
) -> Written:
    """Write a whole backup: ``payload`` must yield exactly ``header.payload_bytes`` bytes.

    ``progress`` is told (bytes of this chunk, payload bytes) after each chunk.
    """
    digest = hashlib.sha256()
    size = 0

    def emit(data: bytes) -> None:
        nonlocal size
        out.write(data)
        digest.update(data)
        size += len(data)

    first = _prefix_and_header(header)
    emit(first)
    header_digest = hashlib.sha256(first).digest()
    aead = AESGCM(payload_key)
    prefix = base64.b64decode(header.nonce_prefix)
    for index in range(header.chunks):
        length = header.chunk_length(index)
        plain = payload.read(length)
        if len(plain) != length:
            raise BackupError("the payload ended early while it was written")
        final = index == header.chunks - 1
        emit(aead.encrypt(_nonce(prefix, index, final), plain, _aad(header_digest, index, final)))
        if progress is not None:
            progress(length, header.payload_bytes)
    if payload.read(1):
        raise BackupError("the payload grew while it was written")
    # hashlib's digest() does not finalise: the same hash goes on over the signature and
    # gives the file's SHA-256.
    signature = signing_key.sign(signed_message(digest.digest()))
    emit(signature)
    return Written(size, digest.hexdigest())


# --- reading ------------------------------------------------------------------------------

TRUNCATED = "the backup file is truncated"
CHANGED = "the backup file was changed or damaged"


class Reader:
    """Reads a backup front to back, once: header, then chunks, then the signature."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        raw = handle.read(_PREFIX.size)
        if len(raw) < _PREFIX.size or not raw.startswith(MAGIC):
            raise BackupError("not a Servicestelle backup file")
        _, version, length = _PREFIX.unpack(raw)
        if version != FORMAT_VERSION:
            raise BackupError(
                f"backup format version {version} is not supported (this version reads "
                f"{FORMAT_VERSION})"
            )
        if length > MAX_HEADER_BYTES:
            raise BackupError("the backup header is damaged")
        encoded = handle.read(length)
        if len(encoded) != length:
            raise BackupError(TRUNCATED)
        self.header = _parse_header(encoded)
        first = raw + encoded
        self._digest = hashlib.sha256(first)
        self._header_digest = hashlib.sha256(first).digest()
        self._signed: bytes | None = None
        self._signature = b""
        self.sha256 = ""  # of the whole file, once it was read to the end
        self.size = len(first) + self.header.ciphertext_bytes + SIGNATURE_BYTES
        actual = _size_of(handle)
        if actual is not None and actual < self.size:
            raise BackupError(TRUNCATED)
        if actual is not None and actual > self.size:
            raise BackupError(f"{CHANGED} (bytes after the signature)")

    def _read(self, length: int) -> bytes:
        data = self._handle.read(length)
        if len(data) != length:
            raise BackupError(TRUNCATED)
        self._digest.update(data)
        return data

    def _finish(self) -> None:
        self._signed = self._digest.digest()
        self._signature = self._handle.read(SIGNATURE_BYTES)
        if len(self._signature) != SIGNATURE_BYTES:
            raise BackupError(TRUNCATED)
        if self._handle.read(1):
            raise BackupError(f"{CHANGED} (bytes after the signature)")
        self._digest.update(self._signature)
        self.sha256 = self._digest.hexdigest()

    def plaintext(
        self, payload_key: bytes, progress: Callable[[int, int], None] | None = None
    ) -> Iterator[bytes]:
        """The payload chunk by chunk, each authenticated before it is handed out."""
        aead = AESGCM(payload_key)
        prefix = base64.b64decode(self.header.nonce_prefix)
        for index in range(self.header.chunks):
            sealed = self._read(self.header.chunk_length(index) + TAG_BYTES)
            final = index == self.header.chunks - 1
            try:
                plain = aead.decrypt(
                    _nonce(prefix, index, final), sealed, _aad(self._header_digest, index, final)
                )
            except InvalidTag:
                raise BackupError(f"{CHANGED} (chunk {index} does not authenticate)") from None
            if progress is not None:
                progress(len(plain), self.header.payload_bytes)
            yield plain
        self._finish()

    def skip_payload(self) -> None:
        """Read the ciphertext without a key (to check the signature only)."""
        left = self.header.ciphertext_bytes
        while left:
            left -= len(self._read(min(left, CHUNK_BYTES)))
        self._finish()

    def check_signature(self, public_key: Ed25519PublicKey, key_id: str) -> None:
        """After the payload was read: BackupError unless ``public_key`` signed this file."""
        if self._signed is None:
            raise RuntimeError("read the payload first")
        if key_id != self.header.signing_key_id:
            raise BackupError(
                "the backup was signed by another audit key than the one given "
                f"(it names key {self.header.signing_key_id})"
            )
        try:
            public_key.verify(self._signature, signed_message(self._signed))
        except InvalidSignature:
            raise BackupError(f"{CHANGED} (the signature does not verify)") from None


def _size_of(handle: BinaryIO) -> int | None:
    try:
        return os.fstat(handle.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return None  # a stream without a file (tests); truncation is caught while reading
