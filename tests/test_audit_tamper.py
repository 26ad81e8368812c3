"""Tampering by someone with database access must be found by ``audit.verify``.

Each attack is made as such an attacker: every trigger on the audit tables (append-only
and insert guards) and every CHECK constraint is removed first (SQLite: ``DROP TRIGGER`` and
``PRAGMA ignore_check_constraints``; PostgreSQL: the table owner drops or disables the
triggers and drops the constraints), then rows are changed directly. Verification runs as the application does (PostgreSQL: the app role).

Tests marked ``BUG`` in their docstring fail on purpose: they show a defect in ``audit/``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit import AuditEvent, Checkpoint, Entry, Outcome, Problem, Purpose
from audit.checkpoint import signed_message
from audit.store import entry_from_row, iter_entries
from tests.support.audit_log import (
    NOW,
    check,
    insert_row,
    insert_unsigned_checkpoint,
    rehashed,
    row_of,
)

ENTRIES = 8


@pytest.fixture
def chain(engine) -> list[Entry]:
    """Eight entries of several kinds, one committed transaction each, as the app writes."""
    written = []
    for number in range(ENTRIES):
        with engine.begin() as connection:
            if number % 2:
                entry = audit.record(
                    connection,
                    AuditEvent.CASE_CONTENT_READ,
                    Outcome.SUCCESS,
                    now=NOW + timedelta(minutes=number),
                    actor_id=10 + number,
                    role="counsellor",
                    centre_id=1,
                    object_type="case",
                    object_id=100 + number,
                    purpose=Purpose.COUNSELLING,
                    request_id=f"req-{number}",
                    details={"fields": ["title", "status"]},
                )
            else:
                entry = audit.record(
                    connection,
                    AuditEvent.AUTH_LOGIN_SUCCESS,
                    Outcome.SUCCESS,
                    now=NOW + timedelta(minutes=number),
                    actor_id=10 + number,
                    role="admin",
                )
            written.append(entry)
    return written


def checkpoint_now(engine: sa.Engine, key: Ed25519PrivateKey) -> Checkpoint:
    with engine.begin() as connection:
        return audit.create_checkpoint(connection, key, NOW + timedelta(hours=1))


def exported(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> str:
    """The checkpoint file the DPO keeps off the server."""
    return audit.to_json(checkpoint, key.public_key())


@contextmanager
def attacker(backend) -> Iterator[sa.Connection]:
    """A connection of someone who owns the database and has removed every guard: all
    triggers on the audit tables (append-only and insert guards) and the CHECK constraints."""
    engine = sa.create_engine(backend.owner_url)
    try:
        with engine.begin() as connection:
            if backend.name == "sqlite":
                triggers = connection.execute(
                    sa.text(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                        "AND tbl_name IN ('audit_entry', 'audit_checkpoint')"
                    )
                ).scalars()
                for trigger in list(triggers):
                    connection.execute(sa.text(f"DROP TRIGGER {trigger}"))
                # SQLite cannot drop a CHECK constraint, but a connection may ignore them.
                connection.execute(sa.text("PRAGMA ignore_check_constraints = ON"))
            else:
                # Both ways an owner has: drop one table's triggers, disable the other's.
                triggers = connection.execute(
                    sa.text(
                        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                        "AND tgrelid = 'audit_entry'::regclass"
                    )
                ).scalars()
                for trigger in list(triggers):
                    connection.execute(sa.text(f"DROP TRIGGER {trigger} ON audit_entry"))
                connection.execute(sa.text("ALTER TABLE audit_checkpoint DISABLE TRIGGER USER"))
                checks = connection.execute(
                    sa.text(
                        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
                        "WHERE contype = 'c' AND conrelid IN "
                        "('audit_entry'::regclass, 'audit_checkpoint'::regclass)"
                    )
                ).all()
                for table, check in checks:
                    connection.execute(sa.text(f"ALTER TABLE {table} DROP CONSTRAINT {check}"))
            yield connection
    finally:
        engine.dispose()


def test_the_attacker_has_removed_every_guard(backend, engine, chain):
    with attacker(backend) as connection:
        if backend.name == "sqlite":
            left = connection.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
        else:
            left = connection.execute(
                sa.text(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                    "AND tgrelid IN ('audit_entry'::regclass, 'audit_checkpoint'::regclass) "
                    "UNION ALL SELECT conname FROM pg_constraint WHERE contype = 'c' "
                    "AND conrelid IN ('audit_entry'::regclass, 'audit_checkpoint'::regclass)"
                )
            ).all()
        assert left == []
        connection.execute(
            sa.update(audit.audit_entry).where(audit.audit_entry.c.seq == 1).values(seq=-5)
        )
        connection.execute(sa.delete(audit.audit_checkpoint))
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.min(audit.audit_entry.c.seq))).scalar() == -5


def set_seq(connection: sa.Connection, old: int, new: int) -> None:
    connection.execute(
        sa.update(audit.audit_entry).where(audit.audit_entry.c.seq == old).values(seq=new)
    )


def overwrite(connection: sa.Connection, entry: Entry) -> None:
    """Write every field of ``entry`` over the row with its seq."""
    connection.execute(
        sa.update(audit.audit_entry)
        .where(audit.audit_entry.c.seq == entry.seq)
        .values(row_of(entry))
    )


def stored(connection: sa.Connection, seq: int) -> Entry:
    row = connection.execute(
        sa.select(audit.audit_entry).where(audit.audit_entry.c.seq == seq)
    ).one()
    return entry_from_row(row)


def assert_broken(verdict: audit.Verification, problem: Problem, seq: int) -> None:
    assert (verdict.problem, verdict.seq) == (problem, seq), verdict.summary()
    assert not verdict.intact
    assert verdict.explanation


# --- the untouched log -------------------------------------------------------------------


def test_an_untouched_log_is_intact_and_says_so(engine, key, chain):
    checkpoint = checkpoint_now(engine, key)
    verdict = check(engine, key, exported(checkpoint, key))
    assert verdict.intact
    assert (verdict.problem, verdict.seq, verdict.explanation) == (None, None, "")
    assert (verdict.entries, verdict.head_seq, verdict.checkpoints) == (ENTRIES, ENTRIES, 2)
    assert verdict.head_hash == chain[-1].entry_hash
    summary = verdict.summary()
    assert summary.startswith(
        f"audit log intact: {ENTRIES} entries, head {ENTRIES} {chain[-1].entry_hash[:16]}…, "
        "2 checkpoint"
    )
    assert "BROKEN" not in summary


# --- edits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("outcome", "denied"),
        ("actor_id", 999),
        ("role", "dpo"),
        ("centre_id", 2),
        ("object_id", "999"),
        ("purpose", "dpo_audit"),
        ("request_id", "req-x"),
        ("details", '{"fields":["title"]}'),
        ("ts", NOW - timedelta(days=30)),
        ("action", "auth:logout"),
        ("prev_hash", "f" * 64),
    ],
)
def test_an_edited_field_is_reported_at_that_entry(backend, engine, key, chain, field, value):
    with attacker(backend) as connection:
        connection.execute(
            sa.update(audit.audit_entry).where(audit.audit_entry.c.seq == 5).values({field: value})
        )
    verdict = check(engine, key)
    assert_broken(verdict, Problem.EDITED, 5)
    assert (verdict.entries, verdict.head_seq) == (4, 4)
    assert verdict.summary().startswith("audit log BROKEN at entry 5: edited — ")


def test_an_edit_of_the_first_entry_is_reported(backend, engine, key, chain):
    with attacker(backend) as connection:
        connection.execute(
            sa.update(audit.audit_entry).where(audit.audit_entry.c.seq == 1).values(actor_id=1)
        )
    assert_broken(check(engine, key), Problem.EDITED, 1)


def test_an_edited_entry_with_a_recomputed_hash_is_found_by_its_successor(
    backend, engine, key, chain
):
    with attacker(backend) as connection:
        edited = replace(stored(connection, 4), outcome="failure", actor_id=1)
        overwrite(connection, rehashed(edited))
    verdict = check(engine, key)
    assert_broken(verdict, Problem.EDITED, 4)
    assert "entry 5 still links to the original" in verdict.explanation
    assert (verdict.entries, verdict.head_seq) == (4, 4)


def test_an_edit_with_the_whole_tail_recomputed_is_found_by_an_exported_checkpoint(
    backend, engine, key, chain
):
    file = exported(checkpoint_now(engine, key), key)
    with attacker(backend) as connection:
        previous = stored(connection, 2).entry_hash
        for entry in list(iter_entries(connection, after=2)):
            changed = replace(entry, prev_hash=previous)
            if entry.seq == 3:
                changed = replace(changed, actor_id=1, object_id="1")
            changed = rehashed(changed)
            overwrite(connection, changed)
            previous = changed.entry_hash
        connection.execute(sa.delete(audit.audit_checkpoint))
    # A self-consistent chain: only a checkpoint kept elsewhere can tell.
    assert check(engine, key).intact
    verdict = check(engine, key, file)
    assert_broken(verdict, Problem.REWRITTEN, ENTRIES)
    assert "signed checkpoint" in verdict.explanation


def test_a_recomputed_tail_is_found_by_a_stored_checkpoint_left_in_place(
    backend, engine, key, chain
):
    checkpoint_now(engine, key)
    with attacker(backend) as connection:
        last = rehashed(replace(stored(connection, ENTRIES), outcome="denied"))
        overwrite(connection, last)
    assert_broken(check(engine, key), Problem.REWRITTEN, ENTRIES)


def test_a_log_rolled_back_and_written_again_is_found_by_an_exported_checkpoint(
    backend, engine, key, chain
):
    file = exported(checkpoint_now(engine, key), key)
    with attacker(backend) as connection:
        connection.execute(sa.delete(audit.audit_entry).where(audit.audit_entry.c.seq > 5))
        connection.execute(sa.delete(audit.audit_checkpoint))
    with engine.begin() as connection:
        for number in range(ENTRIES - 5 + 1):
            audit.record(
                connection, AuditEvent.AUTH_LOGOUT, Outcome.SUCCESS, now=NOW, actor_id=number
            )
    assert check(engine, key).intact
    assert_broken(check(engine, key, file), Problem.REWRITTEN, ENTRIES)


# --- deletions and truncation ------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 4])
def test_a_deleted_row_is_reported_at_its_seq(backend, engine, key, chain, seq):
    with attacker(backend) as connection:
        connection.execute(sa.delete(audit.audit_entry).where(audit.audit_entry.c.seq == seq))
    verdict = check(engine, key)
    assert_broken(verdict, Problem.DELETED, seq)
    assert verdict.head_seq == seq - 1
    assert f"entries {seq}–{seq}" in verdict.explanation
    assert f"BROKEN at entry {seq}: deleted" in verdict.summary()


def test_a_deleted_row_with_the_rest_renumbered_is_reported_as_deleted(backend, engine, key, chain):
    with attacker(backend) as connection:
        connection.execute(sa.delete(audit.audit_entry).where(audit.audit_entry.c.seq == 4))
        for seq in range(5, ENTRIES + 1):
            set_seq(connection, seq, seq - 1)
    verdict = check(engine, key)
    assert_broken(verdict, Problem.DELETED, 4)
    assert "renumbered (this one was entry 5)" in verdict.explanation


def test_a_truncated_tail_is_found_only_against_an_exported_checkpoint(backend, engine, key, chain):
    file = exported(checkpoint_now(engine, key), key)
    with attacker(backend) as connection:
        connection.execute(sa.delete(audit.audit_entry).where(audit.audit_entry.c.seq > 5))
        connection.execute(sa.delete(audit.audit_checkpoint))
    # What is left is a perfectly good, shorter chain …
    alone = check(engine, key)
    assert alone.intact
    assert (alone.entries, alone.head_seq, alone.checkpoints) == (5, 5, 0)
    # … but the DPO's file says there were eight entries.
    verdict = check(engine, key, file)
    assert_broken(verdict, Problem.TRUNCATED, 6)
    assert (verdict.entries, verdict.head_seq, verdict.checkpoints) == (5, 5, 1)
    assert f"covers {ENTRIES} entries, the log ends at 5" in verdict.explanation
    assert "BROKEN at entry 6: truncated" in verdict.summary()


def test_a_stored_checkpoint_left_behind_reveals_the_truncation(backend, engine, key, chain):
    checkpoint_now(engine, key)
    with attacker(backend) as connection:
        connection.execute(sa.delete(audit.audit_entry).where(audit.audit_entry.c.seq > 6))
    assert_broken(check(engine, key), Problem.TRUNCATED, 7)


# --- moved entries -----------------------------------------------------------------------


@pytest.mark.parametrize(("low", "high"), [(2, 5), (1, 3), (3, 8)])
def test_swapped_rows_are_reported_as_reordered_at_the_lower_seq(
    backend, engine, key, chain, low, high
):
    with attacker(backend) as connection:
        set_seq(connection, low, -1)
        set_seq(connection, high, low)
        set_seq(connection, -1, high)
    verdict = check(engine, key)
    assert_broken(verdict, Problem.REORDERED, low)
    assert f"written as entry {high}" in verdict.explanation


def test_swapped_neighbours_are_reported_as_reordered(backend, engine, key, chain):
    """Regression (fixed; audit/verify.py, _content_problem): to tell a moved entry from an edited one, the
    verifier assumes the entry was written right after the *current* position of its
    predecessor (``seq_of_hash(prev_hash) + 1``). When two neighbours swap, that predecessor
    has moved too (to ``high``), so the guess is ``high + 1``, the hash does not match there,
    and a pure reordering is reported as ``edited``. The fix: do not derive the position from
    the predecessor's current seq; try ``before + 1`` first and otherwise find the seq the
    hash was computed for, e.g. ``next((s for s in range(1, head_seq + 2) if
    entry.computed_hash(seq=s) == entry.entry_hash), None)`` (one SHA-256 per position, on
    the failure path only). Swapping entries 1 and 2 shows the same.
    """
    low, high = 3, 4
    with attacker(backend) as connection:
        set_seq(connection, low, -1)
        set_seq(connection, high, low)
        set_seq(connection, -1, high)
    verdict = check(engine, key)
    assert_broken(verdict, Problem.REORDERED, low)


def test_an_entry_linking_to_an_entry_elsewhere_is_reported_as_reordered(
    backend, engine, key, chain
):
    with attacker(backend) as connection:
        # Entry 3 is rewritten (hash recomputed) to follow the head instead of entry 2.
        moved = rehashed(replace(stored(connection, 3), prev_hash=chain[-1].entry_hash))
        overwrite(connection, moved)
    verdict = check(engine, key)
    assert_broken(verdict, Problem.REORDERED, 3)
    assert f"follows entry {ENTRIES}, not 2" in verdict.explanation


def test_an_entry_inserted_before_the_first_is_refused_and_else_reported(
    backend, engine, key, chain
):
    """An invented entry below seq 1 (here an old case read by someone) would be shown by
    every report. The application's role may INSERT, so the continues-chain trigger (and the
    CHECK behind it) refuses it; an attacker who removes both is caught by verify, which
    reads every row.
    """
    invented = Entry(
        seq=0,
        ts=NOW - timedelta(days=90),
        actor_id=77,
        role="counsellor",
        centre_id=1,
        action=AuditEvent.CASE_CONTENT_READ.value,
        object_type="case",
        object_id="101",
        purpose=Purpose.COUNSELLING.value,
        outcome=Outcome.SUCCESS.value,
        request_id=None,
        details="{}",
        prev_hash="1" * 64,
        entry_hash="",
    )
    hashed = rehashed(invented)
    # The application's role: refused (it does not continue the chain, and seq >= 1).
    with (
        pytest.raises(sa.exc.IntegrityError, match="continue the chain"),
        engine.begin() as connection,
    ):
        insert_row(connection, hashed)
    assert check(engine, key).intact
    with attacker(backend) as connection:
        insert_row(connection, hashed)
    verdict = check(engine, key)
    assert_broken(verdict, Problem.REORDERED, 0)
    assert "before the first one ever written" in verdict.explanation


# --- checkpoints -------------------------------------------------------------------------


def test_a_stored_checkpoint_signed_by_another_key_is_forged(engine, key, chain):
    intruder = Ed25519PrivateKey.generate()
    checkpoint_now(engine, key)
    with engine.begin() as connection:  # INSERT is all it takes
        audit.create_checkpoint(connection, intruder, NOW)
    verdict = check(engine, key)
    assert_broken(verdict, Problem.FORGED_CHECKPOINT, ENTRIES)
    assert verdict.checkpoints == 2
    assert "BROKEN at entry 8: forged checkpoint" in verdict.summary()


def test_an_exported_checkpoint_with_a_changed_head_is_forged(engine, key, chain):
    checkpoint = checkpoint_now(engine, key)
    changed = replace(checkpoint, seq=3, head_hash=chain[2].entry_hash)
    verdict = check(engine, key, exported(changed, key))
    assert_broken(verdict, Problem.FORGED_CHECKPOINT, 3)


def test_a_stored_checkpoint_edited_in_the_database_is_forged(backend, engine, key, chain):
    checkpoint_now(engine, key)
    with attacker(backend) as connection:
        connection.execute(sa.update(audit.audit_checkpoint).values(head_hash="ab" * 32))
    assert_broken(check(engine, key), Problem.FORGED_CHECKPOINT, ENTRIES)


def test_the_first_forged_checkpoint_is_reported(engine, key, chain):
    intruder = Ed25519PrivateKey.generate()
    with engine.begin() as connection:
        later = audit.create_checkpoint(connection, intruder, NOW)
    earlier = replace(later, seq=2)
    verdict = check(engine, key, exported(earlier, intruder))
    assert_broken(verdict, Problem.FORGED_CHECKPOINT, 2)


def test_a_signed_checkpoint_of_the_empty_log_with_another_hash_is_rewritten(
    backend, engine, key, chain
):
    kid = audit.key_id(key.public_key())
    head_hash = chain[0].entry_hash
    signature = key.sign(signed_message(0, head_hash, NOW, kid))
    row = {
        "seq": 0,
        "head_hash": head_hash,
        "signed_at": NOW,
        "key_id": kid,
        "signature": base64.b64encode(signature).decode(),
    }
    # The application's role cannot store it: it names no entry of the log.
    with (
        pytest.raises(sa.exc.IntegrityError, match="must name an entry"),
        engine.begin() as connection,
    ):
        connection.execute(sa.insert(audit.audit_checkpoint).values(row))
    assert check(engine, key).intact
    with attacker(backend) as connection:
        connection.execute(sa.insert(audit.audit_checkpoint).values(row))
    verdict = check(engine, key)
    assert_broken(verdict, Problem.REWRITTEN, 0)
    assert (verdict.entries, verdict.head_seq) == (0, 0)
    # The same checkpoint kept off the server says the same.
    exported_row = Checkpoint(0, head_hash, NOW, kid, signature)
    with attacker(backend) as connection:
        connection.execute(sa.delete(audit.audit_checkpoint))
    assert_broken(check(engine, key, exported(exported_row, key)), Problem.REWRITTEN, 0)


def test_two_signed_checkpoints_that_disagree_are_reported(engine, key, chain):
    checkpoint = checkpoint_now(engine, key)
    kid = audit.key_id(key.public_key())
    other_head = "cd" * 32
    disagreeing = Checkpoint(
        checkpoint.seq,
        other_head,
        NOW,
        kid,
        key.sign(signed_message(checkpoint.seq, other_head, NOW, kid)),
    )
    assert_broken(check(engine, key, exported(disagreeing, key)), Problem.REWRITTEN, ENTRIES)


def test_a_stored_checkpoint_with_an_unreadable_signature_is_reported(engine, key, chain):
    """Regression (fixed; audit/checkpoint.py, _from_row): a stored signature that is not valid base64
    (here "x") makes ``base64.b64decode`` raise binascii.Error inside ``verify``, so
    verification crashes instead of reporting a forged checkpoint. The application's role
    may INSERT checkpoints, and rows cannot be deleted, so one such row breaks every later
    verification for good. The fix: in ``_from_row`` decode with ``validate=True`` inside
    ``try``/``except (ValueError, binascii.Error)`` and use ``b""`` as the signature, so
    ``is_signed_by`` is False and verify reports ``forged checkpoint`` at that seq.
    """
    with engine.begin() as connection:
        connection.execute(
            sa.insert(audit.audit_checkpoint).values(
                seq=3,
                head_hash=chain[2].entry_hash,
                signed_at=NOW,
                key_id=audit.key_id(key.public_key()),
                signature="x",
            )
        )
    assert_broken(check(engine, key), Problem.FORGED_CHECKPOINT, 3)


# --- unsigned checkpoint rows never hide the chain -----------------------------------------


def test_an_unsigned_stored_checkpoint_does_not_stop_the_chain_from_being_walked(
    backend, engine, key, chain
):
    """Nobody can delete a stored row; if an unsigned one were reported first, every later
    edit would hide behind it."""
    checkpoint_now(engine, key)
    insert_unsigned_checkpoint(engine, chain[2])
    with attacker(backend) as connection:
        connection.execute(
            sa.update(audit.audit_entry).where(audit.audit_entry.c.seq == 5).values(actor_id=1)
        )
    verdict = check(engine, key)
    assert_broken(verdict, Problem.EDITED, 5)
    assert verdict.checkpoints == 2


def test_an_unsigned_stored_checkpoint_on_an_intact_chain_is_reported_as_forged(engine, key, chain):
    checkpoint_now(engine, key)
    insert_unsigned_checkpoint(engine, chain[2])
    insert_unsigned_checkpoint(engine, chain[5], signature="not base64")
    verdict = check(engine, key)
    assert_broken(verdict, Problem.FORGED_CHECKPOINT, 3)  # the lowest seq first
    assert (verdict.entries, verdict.head_seq, verdict.checkpoints) == (ENTRIES, ENTRIES, 3)
    assert "does not verify under the audit public key" in verdict.explanation


def test_a_forged_checkpoint_is_left_out_of_the_chain_comparison(engine, key, chain):
    """A forged checkpoint claiming another head (or more entries) is not a rewrite or a
    truncation: it is reported as what it is, once the chain is found sound."""
    intruder = Ed25519PrivateKey.generate()
    kid = audit.key_id(key.public_key())
    claims = [
        Checkpoint(4, "cd" * 32, NOW, kid, intruder.sign(signed_message(4, "cd" * 32, NOW, kid))),
        Checkpoint(99, "ef" * 32, NOW, kid, bytes(64)),
    ]
    verdict = check(engine, key, *(exported(claim, key) for claim in claims))
    assert_broken(verdict, Problem.FORGED_CHECKPOINT, 4)
    assert (verdict.entries, verdict.head_seq) == (ENTRIES, ENTRIES)


def test_a_signed_checkpoint_still_counts_beside_a_forged_one_at_the_same_seq(
    backend, engine, key, chain
):
    file = exported(checkpoint_now(engine, key), key)
    forged = replace(audit.from_json(file), signature=bytes(64))
    with attacker(backend) as connection:
        last = rehashed(replace(stored(connection, ENTRIES), outcome="denied"))
        overwrite(connection, last)
        connection.execute(sa.delete(audit.audit_checkpoint))
    verdict = check(engine, key, file, exported(forged, key))
    assert_broken(verdict, Problem.REWRITTEN, ENTRIES)


# --- the search for a moved entry's position is bounded by the rows that exist -------------

FAR = 10**12  # an unbounded search would hash this many positions


def insert_far_above_the_head(connection: sa.Connection, template: Entry) -> Entry:
    far = rehashed(replace(template, seq=FAR, prev_hash="9" * 64))
    insert_row(connection, far)
    return far


def test_a_row_far_above_the_head_is_reported_as_a_gap(backend, engine, key, chain):
    with attacker(backend) as connection:
        insert_far_above_the_head(connection, chain[0])
    verdict = check(engine, key)
    assert_broken(verdict, Problem.DELETED, ENTRIES + 1)
    assert f"entries {ENTRIES + 1}–{FAR - 1} are missing" in verdict.explanation
    assert (verdict.entries, verdict.head_seq) == (ENTRIES, ENTRIES)


def test_an_edit_below_a_row_far_above_the_head_is_found_without_searching_to_it(
    backend, engine, key, chain
):
    with attacker(backend) as connection:
        insert_far_above_the_head(connection, chain[0])
        connection.execute(
            sa.update(audit.audit_entry).where(audit.audit_entry.c.seq == 3).values(actor_id=1)
        )
    assert_broken(check(engine, key), Problem.EDITED, 3)


def test_a_renumbered_deletion_below_a_row_far_above_the_head_is_found(backend, engine, key, chain):
    with attacker(backend) as connection:
        insert_far_above_the_head(connection, chain[0])
        connection.execute(sa.delete(audit.audit_entry).where(audit.audit_entry.c.seq == 4))
        for seq in range(5, ENTRIES + 1):
            set_seq(connection, seq, seq - 1)
    verdict = check(engine, key)
    assert_broken(verdict, Problem.DELETED, 4)
    assert "renumbered (this one was entry 5)" in verdict.explanation


def test_swapped_neighbours_below_a_row_far_above_the_head_are_found(backend, engine, key, chain):
    with attacker(backend) as connection:
        insert_far_above_the_head(connection, chain[0])
        set_seq(connection, 1, -1)
        set_seq(connection, 2, 1)
        set_seq(connection, -1, 2)
    verdict = check(engine, key)
    assert_broken(verdict, Problem.REORDERED, 1)
    assert "written as entry 2" in verdict.explanation
