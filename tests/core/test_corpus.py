"""Sweeps over the whole shared corpus of real diffs: every file parses, and every number means what it says.

The parser's output is checked against an independent reading of the raw text (``read_sides`` below): a
deliberately simple walk over hunk headers and counted hunk bodies, with no unidiff in it.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.core.diff import Diff, FileDiff, FileStatus
from bot.core.diff_parse import GithubFile, parse_github_files

Parse = Callable[[Path], Diff]
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
MAIL = re.compile(r"(?m)^(?=From [0-9a-f]{40} )")


@dataclass
class Sides:
    left: dict[int, str] = field(default_factory=dict)
    right: dict[int, str] = field(default_factory=dict)


def git_path(raw: str) -> str:
    """A ``---``/``+++`` name without its ``a/``/``b/`` prefix, C quoting undone with the codec, not the parser."""
    raw = raw.rstrip("\t")
    if raw.startswith('"'):
        raw = codecs.escape_decode(raw[1:-1].encode("ascii"))[0].decode("utf-8")
    return raw[2:] if raw[:2] in ("a/", "b/") else raw


def read_mail(mail: str) -> dict[str, Sides]:
    files: dict[str, Sides] = {}
    lines = mail.split("\n")
    old = new = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("diff --git "):
            old = new = ""
        elif line.startswith("--- ") and not new:
            old = line[4:]
        elif line.startswith("+++ ") and not new:
            new = line[4:]
        elif m := HUNK.match(line):
            path = git_path(old if new == "/dev/null" else new)
            sides = files.setdefault(path, Sides())
            o, n = int(m[1]), int(m[3])
            o_end = o + (1 if m[2] is None else int(m[2]))
            n_end = n + (1 if m[4] is None else int(m[4]))
            while o < o_end or n < n_end:
                tag, text = lines[i][:1], lines[i][1:].removesuffix("\r")
                i += 1
                if tag in (" ", "-"):
                    sides.left[o] = text
                    o += 1
                if tag in (" ", "+"):
                    sides.right[n] = text
                    n += 1
    return files


def read_sides(text: str) -> tuple[dict[str, Sides], dict[str, int]]:
    """Per path, what each side says; in a mail series the last commit touching a path wins."""
    final: dict[str, Sides] = {}
    commits: dict[str, int] = {}
    for mail in MAIL.split(text):
        for path, sides in read_mail(mail).items():
            final[path] = sides
            commits[path] = commits.get(path, 0) + 1
    return final, commits


def right_text(f: FileDiff) -> dict[int, str]:
    return {n: line.text for n, line in f.lines_on("RIGHT")}


def left_text(f: FileDiff) -> dict[int, str]:
    return {n: line.text for n, line in f.lines_on("LEFT")}


def raw_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def manifest(corpus: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((corpus / "MANIFEST.json").read_text(encoding="utf-8"))
    return entries


def manifest_entry(path: Path) -> dict[str, Any]:
    stem = path.name.split(".")[0]
    return next(e for e in manifest(path.parent) if e["file"].split(".")[0] == stem)


# --- presence --------------------------------------------------------------------------------------------------


def test_the_corpus_is_all_there(corpus: Path) -> None:
    entries = manifest(corpus)
    assert len(entries) == 28
    for e in entries:
        assert (corpus / e["file"]).is_file()
        assert (corpus / e["patch_file"]).is_file()


# --- every file ------------------------------------------------------------------------------------------------


def test_corpus_file_parses(corpus_file: Path, parse: Parse) -> None:
    diff = parse(corpus_file)
    assert diff.files
    assert all(f.path for f in diff.files)


def test_right_lines_say_what_the_new_side_says(corpus_file: Path, parse: Parse) -> None:
    expected, _ = read_sides(raw_text(corpus_file))
    for f in parse(corpus_file).files:
        assert right_text(f) == expected.get(f.path, Sides()).right, f.path
        assert f.right_lines == set(expected.get(f.path, Sides()).right), f.path


def test_left_lines_say_what_the_old_side_says(corpus_file: Path, parse: Parse) -> None:
    expected, _ = read_sides(raw_text(corpus_file))
    for f in parse(corpus_file).files:
        assert left_text(f) == expected.get(f.path, Sides()).left, f.path


def test_every_file_with_lines_in_the_text_is_in_the_model(corpus_file: Path, parse: Parse) -> None:
    expected, _ = read_sides(raw_text(corpus_file))
    assert set(expected) <= {f.path for f in parse(corpus_file).files}


def test_hunk_numbers_run_contiguously_from_the_header(corpus_file: Path, parse: Parse) -> None:
    for f in parse(corpus_file).files:
        for h in f.hunks:
            news = [line.new_no for line in h.lines if line.new_no is not None]
            olds = [line.old_no for line in h.lines if line.old_no is not None]
            assert news == list(range(h.new_start, h.new_start + h.new_len)), (f.path, h.new_start)
            assert olds == list(range(h.old_start, h.old_start + h.old_len)), (f.path, h.old_start)


def test_no_line_text_keeps_a_line_ending(corpus_file: Path, parse: Parse) -> None:
    texts = [line.text for f in parse(corpus_file).files for h in f.hunks for line in h.lines]
    assert [t for t in texts if t.endswith(("\n", "\r"))] == []


def test_paths_are_unique_and_unprefixed(corpus_file: Path, parse: Parse) -> None:
    paths = [f.path for f in parse(corpus_file).files]
    assert len(paths) == len(set(paths))
    assert not [p for p in paths if p.startswith(("a/", "b/", '"', "/"))]


# --- against the manifest --------------------------------------------------------------------------------------


def test_diff_totals_match_the_manifest(corpus_diff: Path, parse: Parse) -> None:
    entry = manifest_entry(corpus_diff)
    diff = parse(corpus_diff)
    assert (diff.additions, diff.deletions) == (entry["additions"], entry["deletions"])


def test_binary_and_renamed_counts_match_the_manifest(corpus_diff: Path, parse: Parse) -> None:
    features = manifest_entry(corpus_diff)["features"]
    diff = parse(corpus_diff)
    assert sum(f.is_binary for f in diff.files) == features["binary_files"]
    assert sum(f.status is FileStatus.RENAMED for f in diff.files) == features["renames"]


def test_submodule_entries_match_the_manifest(corpus_diff: Path, parse: Parse) -> None:
    features = manifest_entry(corpus_diff)["features"]
    diff = parse(corpus_diff)
    # the manifest counts the two "Subproject commit" lines of one pointer update
    assert bool(features["submodule_entries"]) == any(f.is_submodule for f in diff.files)


# --- twins -----------------------------------------------------------------------------------------------------


def test_single_commit_patch_gives_the_same_commentable_lines(
    single_commit_twin: tuple[Path, Path], parse: Parse
) -> None:
    diff, patch = (parse(p) for p in single_commit_twin)
    assert {f.path: (right_text(f), left_text(f)) for f in diff.files} == {
        f.path: (right_text(f), left_text(f)) for f in patch.files
    }


def test_single_commit_patch_gives_the_same_model(single_commit_twin: tuple[Path, Path], parse: Parse) -> None:
    diff, patch = (parse(p) for p in single_commit_twin)
    assert diff == patch


def test_series_patch_matches_the_text_of_each_files_last_commit(series_patch: Path, parse: Parse) -> None:
    expected, commits = read_sides(raw_text(series_patch))
    diff = parse(series_patch)
    assert any(n > 1 for n in commits.values())
    for f in diff.files:
        assert right_text(f) == expected.get(f.path, Sides()).right, f.path
        assert f.left_commentable is (commits.get(f.path, 1) == 1), f.path


# --- GitHub's per-file patches ---------------------------------------------------------------------------------


def github_entries(text: str) -> list[GithubFile]:
    """Split a full diff into ``GET /pulls/{n}/files`` entries: per file, the text from its first ``@@``."""
    patches: dict[str, list[str]] = {}
    statuses: dict[str, str] = {}
    for section in re.split(r"(?m)^(?=diff --git )", text):
        if not section.startswith("diff --git "):
            continue
        header, _, body = section.partition("\n@@")
        names = dict(re.findall(r"(?m)^(---|\+\+\+) (.*)$", header))
        if names:
            path = git_path(names["---"] if names["+++"] == "/dev/null" else names["+++"])
        else:
            path = git_path(header.split("\n")[0].split(" ")[-1])
        status = "added" if "\nnew file mode" in header else "removed" if "\ndeleted file mode" in header else None
        statuses[path] = "modified" if path in statuses else status or "modified"
        patches.setdefault(path, [])
        if body:
            patches[path].append(("@@" + body).rstrip("\n"))
    return [GithubFile(p, statuses[p], "\n".join(parts) or None) for p, parts in patches.items()]


def test_github_patches_give_the_same_lines_as_the_full_diff(corpus_diff: Path, parse: Parse) -> None:
    full = parse(corpus_diff)
    from_github = parse_github_files(github_entries(raw_text(corpus_diff)))
    assert [f.path for f in from_github.files] == [f.path for f in full.files]
    for f in from_github.files:
        whole = full.file(f.path)
        assert whole is not None
        assert (right_text(f), left_text(f)) == (right_text(whole), left_text(whole)), f.path


def test_github_patches_never_lose_a_file(corpus_diff: Path) -> None:
    entries = github_entries(raw_text(corpus_diff))
    diff = parse_github_files(entries)
    assert len(diff.files) == len(entries)
    assert all(f.hunks or f.notes for f in diff.files)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        pytest.param("b/src/x.py", "src/x.py", id="plain"),
        pytest.param('"b/utf-8 \\355\\225\\234.txt"\t', "utf-8 한.txt", id="quoted"),
    ],
)
def test_the_independent_reader_decodes_names(raw: str, path: str) -> None:
    assert git_path(raw) == path
