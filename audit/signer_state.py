"""The signer's memory of the newest head it signed, kept in a file beside the signing key.

Outside the database on purpose: someone who rewrites the log can delete stored checkpoints,
not this file. Written only after the checkpoint's transaction committed, never backwards,
under an exclusive lock (several processes may sign), atomically (write and rename).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audit.errors import CheckpointError


def state_path(signing_key_path: Path) -> Path:
    return signing_key_path.with_name(signing_key_path.name + ".state")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _read(path: Path) -> tuple[int, str] | None:
    try:
        data = json.loads(path.read_text(encoding="ascii"))
        seq, head_hash = data["seq"], data["head_hash"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        raise CheckpointError(f"the signer state {path} is unreadable; not signing") from None
    valid_seq = isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0
    if not valid_seq or not isinstance(head_hash, str):
        raise CheckpointError(f"the signer state {path} is unreadable; not signing")
    return seq, head_hash


def read_state(path: Path) -> tuple[int, str] | None:
    """(seq, head hash) of the newest head signed, or None before the first checkpoint."""
    with _locked(path):
        return _read(path)


def write_state(path: Path, seq: int, head_hash: str) -> None:
    """Remember a signed head, unless a newer one is remembered already."""
    with _locked(path):
        current = _read(path)
        if current is not None and current[0] >= seq:
            return
        temporary = path.with_name(path.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            json.dump({"seq": seq, "head_hash": head_hash}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
