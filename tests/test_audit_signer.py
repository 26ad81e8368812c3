"""The signer's side: it never signs a log inconsistent with what it signed before.

- ``extends``: does the log still extend a head signed earlier?
- ``create_checkpoint(..., last_signed=...)``: refuses to sign when it does not;
- ``signer_state``: the last signed head, in a file beside the key (outside the database);
- ``latest_checkpoint(..., public_key)``: only checkpoints that key signed count.
"""

from __future__ import annotations

import json
import stat
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit import GENESIS_HASH, AuditEvent, CheckpointError, Entry, Outcome, signer_state
from audit.checkpoint import stored_checkpoints
from audit.consistency import extends
from audit.store import entry_at
from tests.support.audit_log import (
    NOW,
    insert_unsigned_checkpoint,
    owner_without_triggers,
    rehashed,
    rewrite_from,
)

ENTRIES = 6


@pytest.fixture
def chain(engine) -> list[Entry]:
    with engine.begin() as connection:
        return [
            audit.record(
                connection,
                AuditEvent.AUTH_LOGOUT,
                Outcome.SUCCESS,
                now=NOW + timedelta(minutes=number),
                actor_id=number,
            )
            for number in range(ENTRIES)
        ]


def consistent(engine: sa.Engine, seq: int, head_hash: str) -> bool:
    with engine.connect() as connection:
        return extends(connection, seq, head_hash)


# --- extends --------------------------------------------------------------------------------


def test_the_empty_log_extends_the_genesis_head_and_nothing_else(engine):
    assert consistent(engine, 0, GENESIS_HASH)
    assert not consistent(engine, 0, "ab" * 32)
    assert not consistent(engine, 1, GENESIS_HASH)


def test_an_untouched_log_extends_every_head_it_had(engine, chain):
    assert consistent(engine, 0, GENESIS_HASH)
    for entry in chain:
        assert consistent(engine, entry.seq, entry.entry_hash), entry.seq


def test_a_log_does_not_extend_a_head_it_never_had(engine, chain):
    assert not consistent(engine, 0, chain[0].entry_hash)  # genesis with another hash
    assert not consistent(engine, 3, chain[3].entry_hash)  # an entry's hash at another seq
    assert not consistent(engine, 3, "ab" * 32)
    assert not consistent(engine, ENTRIES + 1, chain[-1].entry_hash)  # beyond the head


def test_a_truncated_log_no_longer_extends_the_old_head(backend, engine, chain):
    with owner_without_triggers(backend) as connection:
        connection.execute(sa.delete(audit.audit_entry).where(audit.audit_entry.c.seq > 4))
    assert not consistent(engine, ENTRIES, chain[-1].entry_hash)  # the anchor is gone
    assert consistent(engine, 4, chain[3].entry_hash)


def test_a_rewritten_log_no_longer_extends_the_old_head(backend, engine, chain):
    with owner_without_triggers(backend) as connection:
        rewrite_from(connection, 2, actor_id=99)
    # The tail is consistent in itself, so the genesis head is still extended …
    assert consistent(engine, 0, GENESIS_HASH)
    assert consistent(engine, 1, chain[0].entry_hash)
    # … but every head signed from entry 2 on has another hash now.
    for entry in chain[1:]:
        assert not consistent(engine, entry.seq, entry.entry_hash), entry.seq


def test_a_broken_link_after_the_anchor_is_not_an_extension(backend, engine, chain):
    with owner_without_triggers(backend) as connection:
        # Entry 4 rehashed with another predecessor: its own hash is right, its link is not.
        entry = rehashed(replace(entry_at(connection, 4), prev_hash="f" * 64))
        connection.execute(
            sa.update(audit.audit_entry)
            .where(audit.audit_entry.c.seq == 4)
            .values(prev_hash=entry.prev_hash, entry_hash=entry.entry_hash)
        )
    assert not consistent(engine, 2, chain[1].entry_hash)
    assert not consistent(engine, 3, chain[2].entry_hash)
    assert not consistent(engine, 0, GENESIS_HASH)
    assert not consistent(engine, 4, entry.entry_hash)  # entry 5 links to the old entry 4
    assert consistent(engine, 5, chain[4].entry_hash)


def test_an_edited_entry_after_the_anchor_is_not_an_extension(backend, engine, chain):
    with owner_without_triggers(backend) as connection:
        connection.execute(
            sa.update(audit.audit_entry).where(audit.audit_entry.c.seq == 5).values(actor_id=1)
        )
    assert not consistent(engine, 2, chain[1].entry_hash)
    assert not consistent(engine, 4, chain[3].entry_hash)
    # Only what comes after the anchor is walked (that is what keeps the check cheap).
    assert consistent(engine, 5, chain[4].entry_hash)


def test_a_gap_after_the_anchor_is_not_an_extension(backend, engine, chain):
    with owner_without_triggers(backend) as connection:
        connection.execute(sa.delete(audit.audit_entry).where(audit.audit_entry.c.seq == 4))
    assert not consistent(engine, 2, chain[1].entry_hash)
    assert not consistent(engine, 3, chain[2].entry_hash)
    assert consistent(engine, 5, chain[4].entry_hash)


# --- create_checkpoint refuses to contradict itself -----------------------------------------


def test_create_checkpoint_signs_when_the_log_extends_the_last_signed_head(engine, key, chain):
    with engine.begin() as connection:
        first = audit.create_checkpoint(connection, key, NOW, last_signed=(0, GENESIS_HASH))
        audit.record(connection, AuditEvent.AUTH_LOGOUT, Outcome.SUCCESS, now=NOW)
        second = audit.create_checkpoint(
            connection, key, NOW, last_signed=(first.seq, first.head_hash)
        )
        # Signing the same head again is consistent too.
        third = audit.create_checkpoint(
            connection, key, NOW, last_signed=(second.seq, second.head_hash)
        )
    assert (first.seq, second.seq, third.seq) == (ENTRIES, ENTRIES + 1, ENTRIES + 1)
    assert first.head_hash == chain[-1].entry_hash
    with engine.connect() as connection:
        assert stored_checkpoints(connection) == [first, second, third]
        assert audit.verify(connection, key.public_key()).intact


def test_create_checkpoint_refuses_after_the_tail_was_recomputed(backend, engine, key, chain):
    with engine.begin() as connection:
        signed = audit.create_checkpoint(connection, key, NOW)
    with owner_without_triggers(backend) as connection:
        rewrite_from(connection, 3, outcome="failure")
        connection.execute(sa.delete(audit.audit_checkpoint))
    with engine.connect() as connection:
        assert audit.verify(connection, key.public_key()).intact  # nothing left to tell
    with (
        pytest.raises(CheckpointError, match=f"no longer extends .* at entry {ENTRIES}"),
        engine.begin() as connection,
    ):
        audit.create_checkpoint(connection, key, NOW, last_signed=(signed.seq, signed.head_hash))
    with engine.connect() as connection:
        assert stored_checkpoints(connection) == []  # nothing was signed or stored


def test_create_checkpoint_refuses_after_the_log_was_truncated(backend, engine, key, chain):
    with engine.begin() as connection:
        signed = audit.create_checkpoint(connection, key, NOW)
    with owner_without_triggers(backend) as connection:
        connection.execute(sa.delete(audit.audit_entry).where(audit.audit_entry.c.seq > 2))
        connection.execute(sa.delete(audit.audit_checkpoint))
    with pytest.raises(CheckpointError, match="not signing"), engine.begin() as connection:
        audit.create_checkpoint(connection, key, NOW, last_signed=(signed.seq, signed.head_hash))
    with engine.connect() as connection:
        assert stored_checkpoints(connection) == []


def test_create_checkpoint_without_a_last_signed_head_signs_whatever_is_there(
    backend, engine, key, chain
):
    with owner_without_triggers(backend) as connection:
        rewrite_from(connection, 1, actor_id=42)
    with engine.begin() as connection:
        checkpoint = audit.create_checkpoint(connection, key, NOW)
        assert checkpoint.head_hash == audit.head(connection)[1] != chain[-1].entry_hash


# --- signer_state: the last signed head, beside the key ---------------------------------------


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return signer_state.state_path(tmp_path / "keys" / "audit-signing.pem")


def test_the_state_lives_beside_the_key(tmp_path):
    key_path = tmp_path / "keys" / "audit-signing.pem"
    assert signer_state.state_path(key_path) == tmp_path / "keys" / "audit-signing.pem.state"


def test_no_state_file_means_nothing_was_signed_yet(state):
    state.parent.mkdir()
    assert signer_state.read_state(state) is None
    assert not state.exists()


def test_a_written_state_reads_back_and_is_private(state):
    state.parent.mkdir()
    signer_state.write_state(state, 3, "ab" * 32)
    assert signer_state.read_state(state) == (3, "ab" * 32)
    assert json.loads(state.read_text()) == {"seq": 3, "head_hash": "ab" * 32}
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    lock = state.with_name(state.name + ".lock")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    # Written atomically: the temporary file was renamed, not left behind.
    assert sorted(path.name for path in state.parent.iterdir()) == [
        "audit-signing.pem.state",
        "audit-signing.pem.state.lock",
    ]


def test_the_state_never_goes_backwards(state):
    state.parent.mkdir()
    signer_state.write_state(state, 0, GENESIS_HASH)
    signer_state.write_state(state, 5, "ab" * 32)
    assert signer_state.read_state(state) == (5, "ab" * 32)
    signer_state.write_state(state, 4, "cd" * 32)  # older: a slower signer finishing late
    assert signer_state.read_state(state) == (5, "ab" * 32)
    signer_state.write_state(state, 5, "ef" * 32)  # the same seq is not newer either
    assert signer_state.read_state(state) == (5, "ab" * 32)
    signer_state.write_state(state, 6, "ef" * 32)
    assert signer_state.read_state(state) == (6, "ef" * 32)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not json", id="not json"),
        pytest.param(b'{"seq": 3, "head_hash": "ab"', id="cut short"),
        pytest.param(b'{"seq": 3, "head_hash": "\xc3\xa4"}', id="not ascii"),
        pytest.param(b"null", id="null"),
        pytest.param(b"[3, 4]", id="a list"),
        pytest.param(b'"text"', id="a string"),
        pytest.param(b"42", id="a number"),
        pytest.param(b'{"seq": 3}', id="no head hash"),
        pytest.param(b'{"head_hash": "ab"}', id="no seq"),
        pytest.param(b'{"seq": "3", "head_hash": "ab"}', id="seq as text"),
        pytest.param(b'{"seq": 3.5, "head_hash": "ab"}', id="seq as float"),
        pytest.param(b'{"seq": null, "head_hash": "ab"}', id="seq null"),
        pytest.param(b'{"seq": 3, "head_hash": 5}', id="hash as number"),
        pytest.param(b'{"seq": 3, "head_hash": null}', id="hash null"),
    ],
)
def test_an_unreadable_state_refuses_signing(state, content):
    state.parent.mkdir()
    state.write_bytes(content)
    with pytest.raises(CheckpointError, match="unreadable; not signing"):
        signer_state.read_state(state)
    with pytest.raises(CheckpointError, match="unreadable; not signing"):
        signer_state.write_state(state, 9, "ab" * 32)
    assert state.read_bytes() == content  # never overwritten by a guess


def test_a_state_path_that_cannot_be_read_refuses_signing(state):
    state.mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(CheckpointError, match="unreadable"):
        signer_state.read_state(state)


def test_concurrent_writers_leave_the_newest_head(state):
    state.parent.mkdir()
    seqs = list(range(1, 65))
    start = threading.Barrier(len(seqs))
    errors: list[BaseException] = []

    def write(seq: int) -> None:
        try:
            start.wait(30)
            signer_state.write_state(state, seq, f"{seq:064x}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(seq,)) for seq in reversed(seqs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors[0]
    assert signer_state.read_state(state) == (64, f"{64:064x}")


def test_the_state_and_create_checkpoint_together(engine, key, state, chain):
    """What the application does: sign with the remembered head, remember the new one."""
    state.parent.mkdir()
    for _ in range(2):
        with engine.begin() as connection:
            signed = audit.create_checkpoint(
                connection, key, NOW, last_signed=signer_state.read_state(state)
            )
        signer_state.write_state(state, signed.seq, signed.head_hash)
    assert signer_state.read_state(state) == (ENTRIES, chain[-1].entry_hash)


# --- latest_checkpoint with the public key ---------------------------------------------------


def test_latest_checkpoint_with_a_key_skips_rows_that_key_did_not_sign(engine, key, chain):
    with engine.begin() as connection:
        signed = audit.create_checkpoint(connection, key, NOW)
    insert_unsigned_checkpoint(engine, chain[2])
    insert_unsigned_checkpoint(
        engine, chain[3], key_id=audit.key_id(key.public_key()), signature="x"
    )
    intruder = Ed25519PrivateKey.generate()
    with engine.begin() as connection:
        foreign = audit.create_checkpoint(connection, intruder, NOW + timedelta(days=1))
    with engine.connect() as connection:
        newest = audit.latest_checkpoint(connection)
        assert newest == foreign
        assert audit.latest_checkpoint(connection, key.public_key()) == signed
        assert audit.latest_checkpoint(connection, intruder.public_key()) == foreign
        # Only the last ``scan`` rows are looked at.
        assert audit.latest_checkpoint(connection, key.public_key(), scan=4) == signed
        assert audit.latest_checkpoint(connection, key.public_key(), scan=3) is None


def test_latest_checkpoint_with_a_key_is_none_when_none_verifies(engine, key, chain):
    with engine.connect() as connection:
        assert audit.latest_checkpoint(connection, key.public_key()) is None  # no rows at all
    insert_unsigned_checkpoint(engine, chain[0])
    insert_unsigned_checkpoint(engine, chain[-1], key_id=audit.key_id(key.public_key()))
    with engine.connect() as connection:
        assert audit.latest_checkpoint(connection, key.public_key()) is None
        unsigned = audit.latest_checkpoint(connection)
    assert unsigned is not None
    assert (unsigned.seq, unsigned.signature) == (ENTRIES, b"\x00")
    assert not unsigned.is_signed_by(key.public_key())
