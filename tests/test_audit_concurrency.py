"""Concurrent writers must still produce one linear chain: no fork, no gap, no lost entry.

Appends are serialised by the ``audit_append_lock`` row (store.py). Processes are started
with the "spawn" context, so each has its own interpreter and database connections (and
nothing is forked from a process that runs threads, which also keeps this working as root).
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Iterator
from itertools import pairwise

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit.store import iter_entries
from tests.support.audit_worker import START_TIMEOUT, app_engine, append, append_in_process

PROCESSES, APPENDS_PER_PROCESS = 8, 500
THREADS, APPENDS_PER_THREAD = 8, 100
#: Generous: the 8 × 500 run takes seconds; a hang must still end the test.
FINISH_TIMEOUT = 600


@pytest.fixture
def engine(backend) -> Iterator[sa.Engine]:
    engine = app_engine(backend.url)
    with engine.connect() as connection:  # SQLite: switch to WAL once, before any writer
        if backend.name == "sqlite":
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000
    yield engine
    engine.dispose()


def assert_one_linear_chain(engine: sa.Engine, writers: int, appends: int) -> None:
    total = writers * appends
    key = Ed25519PrivateKey.generate()
    with engine.begin() as connection:
        entries = list(iter_entries(connection))
        verdict = audit.verify(connection, key.public_key())
        appends_counted = connection.execute(sa.select(audit.audit_append_lock.c.appends)).scalar()
    assert [entry.seq for entry in entries] == list(range(1, total + 1))
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in pairwise(entries))
    assert verdict.intact, verdict.summary()
    assert (verdict.entries, verdict.head_seq) == (total, total)
    assert appends_counted == total
    numbers: dict[int, list[int]] = {}
    for entry in entries:
        number = entry.details_dict()["number"]
        assert entry.actor_id is not None and isinstance(number, int)
        numbers.setdefault(entry.actor_id, []).append(number)
    # Every writer's entries are all there, in the order that writer committed them.
    assert numbers == {writer: list(range(appends)) for writer in range(writers)}


@pytest.mark.slow
def test_processes_appending_at_once_build_one_linear_chain(backend, engine):
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=append_in_process,
            args=(backend.url, writer, APPENDS_PER_PROCESS, start, results),
        )
        for writer in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        start.wait(START_TIMEOUT)
        began = time.perf_counter()
        reports = [results.get(timeout=FINISH_TIMEOUT) for _ in processes]
        elapsed = time.perf_counter() - began
    finally:
        for process in processes:
            process.join(timeout=FINISH_TIMEOUT)
            if process.is_alive():  # pragma: no cover - only when a writer hangs
                process.kill()
    errors = [error for _, error, _ in reports if error]
    assert not errors, errors[0]
    assert sorted(writer for writer, _, _ in reports) == list(range(PROCESSES))
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    print(f"{backend.name}: {PROCESSES} processes x {APPENDS_PER_PROCESS} appends: {elapsed:.1f} s")
    assert_one_linear_chain(engine, PROCESSES, APPENDS_PER_PROCESS)


def test_threads_appending_at_once_build_one_linear_chain(backend, engine):
    start = threading.Barrier(THREADS)
    errors: queue.Queue[BaseException] = queue.Queue()

    def write(writer: int) -> None:
        try:
            start.wait(START_TIMEOUT)
            append(engine, writer, APPENDS_PER_THREAD)
        except BaseException as exc:  # reported to the test below
            errors.put(exc)

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=FINISH_TIMEOUT)
    assert errors.empty(), errors.get()
    assert not any(thread.is_alive() for thread in threads)
    assert_one_linear_chain(engine, THREADS, APPENDS_PER_THREAD)
