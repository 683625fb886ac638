"""The pure core of Review Arena: diffs, prompts, findings, comments, pricing and (later) acceptance and stats.

This package is constructed to perform no I/O of its own: no network, disk, environment, clock, randomness or
logging. Time, seeds and file contents come in as arguments, and results go out as values. It imports only the
standard library and pure parsing libraries (unidiff, pyyaml, pydantic); ``tests/core/test_imports.py`` keeps
it that way.
"""
