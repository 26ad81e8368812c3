"""Every benchmark ``python -m bench`` knows; a new one is a module plus one line here."""

from __future__ import annotations

from bench import (
    audit_append,
    audit_verify,
    case_pages,
    crypto_seal,
    password_load,
    passwords,
    report_render,
    stats_centre,
    stats_rebuild,
    stats_release,
)
from bench.core import Benchmark

BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("passwords", lambda: [*passwords.cases(), *password_load.cases()]),
    Benchmark("audit-append", audit_append.cases),
    Benchmark("audit-verify", audit_verify.cases),
    Benchmark("crypto-seal", crypto_seal.cases),
    Benchmark("case-pages", case_pages.cases),
    Benchmark("stats-release", stats_release.cases),
    Benchmark("stats-rebuild", stats_rebuild.cases),
    Benchmark("stats-centre", stats_centre.cases),
    Benchmark("report-render", report_render.cases),
)
