"""Benchmarks behind ``make bench``, printed as one table.

Each benchmark module builds a :class:`bench.core.Benchmark` (a name and its cases) and is
listed in :data:`bench.registry.BENCHMARKS`; ``python -m bench`` runs them all. Timings are
compared with a baseline case measured in the same run, never asserted in a test: absolute
times depend on the machine, ratios much less so.
"""
