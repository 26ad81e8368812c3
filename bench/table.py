"""Plain-text table: readable in a terminal and pasteable into Markdown as a code block."""

from __future__ import annotations

from collections.abc import Sequence

from bench.core import Row

COLUMNS = ("benchmark", "case", "runs", "median", "p95", "ratio", "vs baseline", "note")
#: Columns of numbers, right-aligned so that the decimal points line up.
NUMERIC = {"runs", "median", "p95", "ratio"}


def duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def cells(row: Row) -> tuple[str, ...]:
    if row.baseline is None:
        ratio, versus = "1.00", "(baseline)"
    elif row.ratio is None:
        ratio, versus = "—", f"{row.baseline} (not run)"
    else:
        ratio, versus = f"{row.ratio:.2f}", row.baseline
    return (
        row.benchmark,
        row.case,
        str(row.runs),
        duration(row.median),
        duration(row.p95),
        ratio,
        versus,
        row.note,
    )


def render(rows: Sequence[Row]) -> str:
    body = [cells(row) for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in body)) for i, c in enumerate(COLUMNS)]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(width) if name in NUMERIC else value.ljust(width)
            for name, value, width in zip(COLUMNS, values, widths, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(COLUMNS), rule, *(line(values) for values in body)])
