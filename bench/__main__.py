"""``python -m bench [--only NAME] [--quick]``: run the benchmarks, print one table."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from bench import core, machine, table
from bench.registry import BENCHMARKS


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    names = [benchmark.name for benchmark in BENCHMARKS]
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run the benchmarks and print one table."
    )
    parser.add_argument(
        "--only", action="append", choices=names, metavar="NAME", help=f"one of {names}"
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (< 30 s)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    plan = core.Plan(quick=args.quick)
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    load_at_start = machine.load_average()
    started = time.perf_counter()
    rows = [row for benchmark in chosen for row in core.run(benchmark, plan)]
    elapsed = time.perf_counter() - started
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    mode = "quick" if args.quick else "full"
    print(f"Servicestelle benchmarks, {when}, {mode} run in {elapsed:.0f} s")
    print("\n".join(machine.header_lines(load_at_start)))
    print()
    print(table.render(rows))
    print()
    print("median/p95: seconds per run; ratio: median / median of the baseline in this run")
    return 0


# Guarded: the spawned worker processes import this module as __mp_main__.
if __name__ == "__main__":
    sys.exit(main())
