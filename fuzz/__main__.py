"""Run the fuzz targets one after another, each time-boxed, and print one table.

    python -m fuzz [TARGET ...]      # all targets by default; FUZZ_SECONDS=60 each

Each target keeps its corpus in build/fuzz/<target>/corpus (seeded from valid inputs on
every run, grown by libFuzzer, kept between runs) and writes a crashing input and the whole
log beside it. The exit status is 1 if any target crashed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TARGETS = ("envelope", "keyring", "package", "profile_csv")
#: libFuzzer dictionaries: tokens mutation rarely assembles byte by byte (fuzz/*.dict).
DICTIONARIES = {"keyring": "json.dict", "package": "json.dict"}
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "fuzz"


@dataclass
class Result:
    target: str
    runs: int
    per_second: int
    corpus: int
    crash: str | None


def _stat(log: str, name: str) -> int:
    found = re.findall(rf"stat::{name}:\s*(\d+)", log)
    return int(found[-1]) if found else 0


def run(target: str, seconds: int) -> Result:
    folder = OUT / target
    corpus = folder / "corpus"
    module = f"fuzz.{target}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module, "--write-seeds", str(corpus)], check=True, env=env
    )
    command = [
        sys.executable,
        "-m",
        module,
        str(corpus),
        f"-max_total_time={seconds}",
        "-print_final_stats=1",
        f"-artifact_prefix={folder}/",
        "-timeout=20",
        "-rss_limit_mb=3072",
    ]
    if target in DICTIONARIES:
        command.append(f"-dict={ROOT / 'fuzz' / DICTIONARIES[target]}")
    print(f"--- {target}: {seconds} s", flush=True)
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)  # noqa: S603
    log = done.stdout + done.stderr
    (folder / "fuzz.log").write_text(log)
    artifact = re.findall(r"Test unit written to (\S+)", log)
    crash = None
    if done.returncode != 0:
        crash = (
            artifact[-1] if artifact else f"exit status {done.returncode}, see {folder}/fuzz.log"
        )
    return Result(
        target=target,
        runs=_stat(log, "number_of_executed_units"),
        per_second=_stat(log, "average_exec_per_sec"),
        corpus=len(list(corpus.iterdir())),
        crash=crash,
    )


def main(argv: list[str]) -> int:
    targets = argv or list(TARGETS)
    unknown = [name for name in targets if name not in TARGETS]
    if unknown:
        print(f"unknown target(s): {', '.join(unknown)}; known: {', '.join(TARGETS)}")
        return 2
    seconds = int(os.environ.get("FUZZ_SECONDS", "60"))
    results = [run(target, seconds) for target in targets]
    print()
    print(f"{'target':<12} {'runs':>10} {'exec/s':>8} {'corpus':>7}  result")
    for result in results:
        outcome = f"CRASH: {result.crash}" if result.crash else "no crash"
        print(
            f"{result.target:<12} {result.runs:>10} {result.per_second:>8} "
            f"{result.corpus:>7}  {outcome}"
        )
    return 1 if any(result.crash for result in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
