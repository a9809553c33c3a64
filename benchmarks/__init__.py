"""Benchmarks: scripts that measure against a real daphne on PostgreSQL + Redis and write RESULTS.md.

Run them with ``make bench`` (``python -m benchmarks.run``). No benchmark
asserts a time: every figure is printed next to a baseline measured in the
same run, on the same machine.
"""
