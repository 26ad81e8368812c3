"""Audit log verification: ``audit.verify`` over a long chain against hashing alone.

Verification reads every entry, re-encodes it, hashes it and compares the links; its floor is
SHA-256 over the same canonical bytes with nothing else (no database, no row objects, no
encoding). The ratio says how much of a verification run is hashing and how much is the rest.

The chain is not written with ``audit.record`` (one transaction per entry would take many
minutes for a million entries) but computed with ``audit.chain`` exactly as ``record`` would
compute it (the ``audit-append`` benchmark checks that) and inserted in large batches, so
memory holds one batch of entries and their canonical bytes at a time.
"""

from __future__ import annotations

import hashlib
import statistics
import tempfile
import time
from datetime import timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

import audit
from bench.audit_append import (
    BASE_TIME,
    as_row,
    create_audit_tables,
    entry_as_recorded,
    open_database,
)
from bench.core import Case, Measurement, Plan

#: Entries in the verified chain: a million for ``make bench``, fewer for ``--quick``.
ENTRIES_FULL, ENTRIES_QUICK = 1_000_000, 20_000
#: Entries inserted (and their canonical bytes kept) per executemany.
BATCH = 10_000
HASHING = "sha256 of canonical bytes"
VERIFY = "audit.verify()"


def build_chain(
    engine: Engine, count: int, signing_key: Ed25519PrivateKey, hashing_runs: int
) -> tuple[str, list[float]]:
    """Write a valid chain of ``count`` entries and a checkpoint of its head, in one transaction.

    While each batch's canonical bytes are at hand, the baseline is timed on them: only the
    loop ``sha256(0x00 ‖ bytes).hexdigest()``, ``hashing_runs`` times. Returns the head hash
    and the seconds each of those runs took over the whole chain.
    """
    insert = sa.insert(audit.audit_entry)
    hashing = [0.0] * hashing_runs
    head_hash = audit.GENESIS_HASH
    with engine.begin() as connection:
        for first in range(1, count + 1, BATCH):
            rows, encodings = [], []
            for n in range(first - 1, min(first - 1 + BATCH, count)):
                entry, encoded = entry_as_recorded(n, prev_hash=head_hash)
                rows.append(as_row(entry))
                encodings.append(encoded)
                head_hash = entry.entry_hash
            connection.execute(insert, rows)
            for run in range(hashing_runs):
                digest = ""
                started = time.perf_counter()
                for encoded in encodings:
                    digest = hashlib.sha256(b"\x00" + encoded).hexdigest()
                hashing[run] += time.perf_counter() - started
                if digest != head_hash:
                    raise RuntimeError("the baseline hashed other bytes than the chain holds")
        audit.create_checkpoint(connection, signing_key, BASE_TIME + timedelta(seconds=count + 1))
    return head_hash, hashing


@cache
def measured(plan: Plan) -> dict[str, Measurement]:
    """Seconds per pass over the chain: verifying it, and hashing its canonical bytes alone."""
    count = plan.runs(full=ENTRIES_FULL, quick=ENTRIES_QUICK)
    signing_key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory(prefix="servicestelle-bench-audit-") as scratch:
        path = Path(scratch) / "audit.db"
        # synchronous=OFF only while building: the data is thrown away afterwards, and an
        # fsync per batch would time the disk, not the library. Verification runs on a new
        # engine with the application's pragmas (WAL, synchronous=FULL); it only reads.
        builder = open_database(path, synchronous="OFF")
        try:
            create_audit_tables(builder)
            head_hash, hashing = build_chain(
                builder, count, signing_key, hashing_runs=plan.runs(full=5, quick=5)
            )
        finally:
            builder.dispose()
        engine = open_database(path)
        verifying = []
        try:
            # No warm-up run: the file was just written, so every run reads it from the
            # page cache, the first as much as the others.
            for _ in range(plan.runs(full=3, quick=3)):
                with engine.connect() as connection:
                    started = time.perf_counter()
                    result = audit.verify(connection, signing_key.public_key())
                    verifying.append(time.perf_counter() - started)
                # A correctness check on what was timed, not a timing assertion.
                if not (
                    result.intact
                    and result.entries == count
                    and result.head_hash == head_hash
                    and result.checkpoints == 1
                ):
                    raise RuntimeError(f"verification of the built chain failed: {result}")
        finally:
            engine.dispose()

    def measurement(runs: list[float], what: str) -> Measurement:
        return Measurement(runs, f"{count / statistics.median(runs):,.0f} entries/s; {what}")

    return {
        HASHING: measurement(hashing, f"{count:,} entries, timed batch by batch while building"),
        VERIFY: measurement(verifying, f"{count:,} entries and 1 signed checkpoint"),
    }


def cases() -> list[Case]:
    return [
        Case(HASHING, lambda plan: measured(plan)[HASHING]),
        Case(VERIFY, lambda plan: measured(plan)[VERIFY], baseline=HASHING),
    ]
