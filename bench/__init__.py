"""Benchmarks for Review Arena; run them all with ``python -m bench``."""
