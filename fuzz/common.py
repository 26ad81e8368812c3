"""What every fuzz target shares: the crash rule, seed corpora and the libFuzzer entry.

The rule: a parser given any input either returns a result that keeps its invariants or
raises one of the errors it declares. Anything else — IndexError, KeyError, struct.error,
a RecursionError, an assertion of an invariant — escapes ``TestOneInput`` and libFuzzer
reports it as a crash, saving the input under build/fuzz/<target>/crash-*.

This module imports nothing of the code under test: each target imports that inside
``atheris.instrument_imports()`` so that coverage guides the mutations.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import atheris

Seeds = Callable[[], Mapping[str, bytes]]


def write_seeds(folder: Path, seeds: Seeds) -> int:
    """Write the seed inputs (valid inputs and a few near misses) into a corpus folder."""
    folder.mkdir(parents=True, exist_ok=True)
    made = seeds()
    for name, data in made.items():
        (folder / f"seed-{name}").write_bytes(data)
    return len(made)


def main(test_one_input: Callable[[bytes], None], seeds: Seeds) -> None:
    """``--write-seeds DIR`` writes the seed corpus; anything else is libFuzzer's command line
    (corpus folders, -max_total_time=…, -runs=…)."""
    if len(sys.argv) == 3 and sys.argv[1] == "--write-seeds":
        print(write_seeds(Path(sys.argv[2]), seeds), "seeds")
        return
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
