"""Does the log still extend a head that was signed before? (checked before signing again)

A signer must never sign a checkpoint inconsistent with one it signed earlier (C2SP
tlog-checkpoint). Whoever can write the database can rewrite history and delete the stored
checkpoints; the signer therefore remembers its last signed head outside the database and
walks only the entries after it, so the check costs what was appended since.
"""

from __future__ import annotations

from audit.chain import GENESIS_HASH
from audit.store import Executor, entry_at, iter_entries


def extension(executor: Executor, seq: int, head_hash: str) -> tuple[int, str] | None:
    """The head reached by walking on from (``seq``, ``head_hash``), or None if the log does
    not extend it (the anchor changed or vanished, or a later entry does not link)."""
    if seq == 0:
        if head_hash != GENESIS_HASH:
            return None
    else:
        anchor = entry_at(executor, seq)
        if anchor is None or anchor.entry_hash != head_hash:
            return None
    last_seq, last_hash = seq, head_hash
    for entry in iter_entries(executor, after=seq):
        intact = entry.computed_hash() == entry.entry_hash
        if entry.seq != last_seq + 1 or entry.prev_hash != last_hash or not intact:
            return None
        last_seq, last_hash = entry.seq, entry.entry_hash
    return last_seq, last_hash


def extends(executor: Executor, seq: int, head_hash: str) -> bool:
    """True when entry ``seq`` still has ``head_hash`` and every later entry links from it."""
    return extension(executor, seq, head_hash) is not None
