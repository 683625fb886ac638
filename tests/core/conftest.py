"""Fixtures for the core tests: the shared diff corpus, read in place, and parametrised by file.

Tests ask for one of these arguments and get one test per corpus file (ids are the file names):

- ``corpus_file``: every ``.diff`` and ``.patch`` (with the ``.quotepath-false.diff`` variant);
- ``corpus_diff``: every ``.diff``;
- ``single_commit_twin``: ``(diff, patch)`` pairs of the single-commit entries of ``MANIFEST.json``;
- ``series_patch``: the multi-commit ``.patch`` mail series of the pull-request entries.

``parse`` parses a corpus file once per session, so the sweeps over the corpus stay fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.core.diff import Diff
from bot.core.diff_parse import parse_unified_diff

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "diffs"


def manifest() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((CORPUS / "MANIFEST.json").read_text(encoding="utf-8"))
    return entries


def _corpus_params() -> dict[str, list[Any]]:
    if not CORPUS.is_dir():
        return {"corpus_file": [], "corpus_diff": [], "single_commit_twin": [], "series_patch": []}
    entries = manifest()
    files = sorted(p for p in CORPUS.iterdir() if p.suffix in (".diff", ".patch"))
    singles = [e for e in entries if e["kind"] == "single_commit"]
    series = [e for e in entries if e["kind"] != "single_commit"]
    return {
        "corpus_file": [pytest.param(p, id=p.name) for p in files],
        "corpus_diff": [pytest.param(p, id=p.name) for p in files if p.suffix == ".diff"],
        "single_commit_twin": [
            pytest.param((CORPUS / e["file"], CORPUS / e["patch_file"]), id=e["file"].removesuffix(".diff"))
            for e in singles
        ],
        "series_patch": [pytest.param(CORPUS / e["patch_file"], id=e["patch_file"]) for e in series],
    }


_PARAMS = _corpus_params()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for name, params in _PARAMS.items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, params)


@pytest.fixture(scope="session")
def parse() -> Callable[[Path], Diff]:
    """Parse a corpus file (cached for the session)."""
    cache: dict[Path, Diff] = {}

    def parse(path: Path) -> Diff:
        if path not in cache:
            cache[path] = parse_unified_diff(path.read_bytes())
        return cache[path]

    return parse


@pytest.fixture(scope="session")
def corpus() -> Path:
    return CORPUS
