"""Walk the chain and the checkpoints; report the first thing that is wrong.

What each finding means for someone who changed the database directly (triggers dropped):

- ``edited``: an entry's fields no longer match its hash.
- ``reordered``: an entry is intact but sits at another sequence number than the one it was
  written at, or links to an entry that exists elsewhere in the chain.
- ``deleted``: a sequence number is missing, or an entry links to a predecessor that is gone.
- ``rewritten``: the chain is consistent but differs from a signed checkpoint at that entry
  (the tail was recomputed after an edit, or the database was rolled back and written again).
- ``truncated``: a signed checkpoint covers entries that no longer exist.
- ``malformed``: an entry hashes and links correctly but could not have been written by the
  library (unknown action, non-canonical details, raw control characters): someone with the
  database role inserted it and computed its hash.
- ``forged checkpoint``: a checkpoint's signature does not verify under the audit public key.
  Forged checkpoints are left out when the chain is checked and reported only if the chain
  itself is sound, so an unsigned row nobody can delete never hides the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.chain import GENESIS_HASH, Entry
from audit.checkpoint import Checkpoint, stored_checkpoints
from audit.store import Executor, count_entries, head, iter_entries, seq_of_hash
from audit.wellformed import DetailsCache, problem_with


class Problem(StrEnum):
    """What is wrong, in the words of the module docstring."""

    EDITED = "edited"
    REORDERED = "reordered"
    DELETED = "deleted"
    REWRITTEN = "rewritten"
    MALFORMED = "malformed"
    TRUNCATED = "truncated"
    FORGED_CHECKPOINT = "forged checkpoint"


@dataclass(frozen=True)
class Verification:
    """The verdict. ``seq`` is the first broken sequence number when ``problem`` is set."""

    entries: int
    head_seq: int
    head_hash: str
    checkpoints: int
    problem: Problem | None = None
    seq: int | None = None
    explanation: str = ""

    @property
    def intact(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        """One line for the command line and the DPO's start page."""
        if self.problem is None:
            return (
                f"audit log intact: {self.entries} entries, head {self.head_seq} "
                f"{self.head_hash[:16]}…, {self.checkpoints} checkpoint(s) verified"
            )
        return f"audit log BROKEN at entry {self.seq}: {self.problem.value} — {self.explanation}"


PROGRESS_EVERY = 10_000

#: Builds the verdict for a finding at a sequence number.
Reporter = Callable[[Problem, int, str], Verification]


def verify(
    executor: Executor,
    public_key: Ed25519PublicKey,
    *,
    external: Iterable[Checkpoint] = (),
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Check every hash, every link, and every checkpoint (stored and ``external`` ones).

    ``external`` are checkpoints kept off the server: only they can prove that entries were
    cut off the end, because whoever truncates the table can delete stored checkpoints too.
    ``progress`` is told the number of entries checked so far, every PROGRESS_EVERY entries.
    """
    checkpoints = [*stored_checkpoints(executor), *external]
    forged: list[Checkpoint] = []
    expected_at: dict[int, set[str]] = {}
    for checkpoint in checkpoints:  # each signature checked once
        if checkpoint.is_signed_by(public_key):
            expected_at.setdefault(checkpoint.seq, set()).add(checkpoint.head_hash)
        else:
            forged.append(checkpoint)
    forged.sort(key=lambda c: c.seq)
    details = DetailsCache()

    def broken(problem: Problem, seq: int, why: str) -> Verification:
        return Verification(count, last_seq, last_hash, len(checkpoints), problem, seq, why)

    count, last_seq, last_hash = 0, 0, GENESIS_HASH
    if 0 in expected_at and expected_at[0] != {GENESIS_HASH}:
        return broken(Problem.REWRITTEN, 0, "a checkpoint of the empty log has another hash")
    for entry in iter_entries(executor):
        expected = last_seq + 1
        if entry.seq < expected:
            return broken(
                Problem.REORDERED, entry.seq, "an entry sits before the first one ever written"
            )
        if entry.seq != expected:
            return broken(
                Problem.DELETED, expected, f"entries {expected}–{entry.seq - 1} are missing"
            )
        if entry.computed_hash() != entry.entry_hash:
            return _content_problem(executor, entry, broken)
        if entry.prev_hash != last_hash:
            return _link_problem(executor, entry, broken)
        malformed = problem_with(entry, details)
        if malformed is not None:
            return broken(Problem.MALFORMED, entry.seq, malformed)
        count, last_seq, last_hash = count + 1, entry.seq, entry.entry_hash
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
        signed = expected_at.get(entry.seq)
        if signed is not None and signed != {entry.entry_hash}:
            return broken(
                Problem.REWRITTEN, entry.seq, "the entry differs from a signed checkpoint"
            )
    beyond = [seq for seq in expected_at if seq > last_seq]
    if beyond:
        return broken(
            Problem.TRUNCATED,
            last_seq + 1,
            f"a signed checkpoint covers {max(beyond)} entries, the log ends at {last_seq}",
        )
    if forged:
        why = "the checkpoint's signature does not verify under the audit public key"
        return broken(Problem.FORGED_CHECKPOINT, forged[0].seq, why)
    return Verification(count, last_seq, last_hash, len(checkpoints))


def _content_problem(executor: Executor, entry: Entry, broken: Reporter) -> Verification:
    # An entry that hashes correctly at another position was moved there, not edited.
    predecessor = (
        None if entry.prev_hash == GENESIS_HASH else seq_of_hash(executor, entry.prev_hash)
    )
    written_at = _original_position(executor, entry, predecessor)
    if written_at is None:
        return broken(Problem.EDITED, entry.seq, "the entry's fields do not match its hash")
    if written_at > entry.seq and predecessor is None and entry.prev_hash != GENESIS_HASH:
        return broken(
            Problem.DELETED,
            entry.seq,
            f"entries were deleted and the rest renumbered (this one was entry {written_at})",
        )
    return broken(Problem.REORDERED, entry.seq, f"the entry was written as entry {written_at}")


def _original_position(executor: Executor, entry: Entry, predecessor: int | None) -> int | None:
    """The sequence number this entry's hash was computed at, if any (only on failure)."""
    guess = (
        1 if entry.prev_hash == GENESIS_HASH else None if predecessor is None else predecessor + 1
    )
    if guess is not None and entry.computed_hash(seq=guess) == entry.entry_hash:
        return guess
    # Neighbours swapped, or rows deleted and renumbered: the predecessor moved as well, so
    # try every position (one hash each, and only once something is already wrong). Bounded
    # by the rows that exist, not by the largest seq, which anyone who can insert may choose.
    last_seq, _ = head(executor)
    bound = min(last_seq, count_entries(executor)) + 1
    return next(
        (seq for seq in range(1, bound + 1) if entry.computed_hash(seq=seq) == entry.entry_hash),
        None,
    )


def _link_problem(executor: Executor, entry: Entry, broken: Reporter) -> Verification:
    predecessor = seq_of_hash(executor, entry.prev_hash)
    if predecessor is None:
        # The entry before is self-consistent but is not the one this entry was linked to:
        # it was replaced and its hash recomputed.
        return broken(
            Problem.EDITED,
            entry.seq - 1,
            f"the entry was replaced and its hash recomputed (entry {entry.seq} still links "
            "to the original)",
        )
    return broken(
        Problem.REORDERED, entry.seq, f"the entry follows entry {predecessor}, not {entry.seq - 1}"
    )
