"""Properties of the parser on generated diffs: the model holds exactly the information ``patch`` would apply.

Old files are generated from short lines with awkward characters (carriage returns, form feeds, U+2028, NEL,
and text that looks like diff syntax), edited at random, and diffed with ``difflib.unified_diff``. A trailing
carriage return is part of the line ending (CRLF), so the model drops it from ``text``; comparisons ignore it.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core.diff import Diff, LineKind
from bot.core.diff_parse import parse_unified_diff

LINE = st.text(alphabet="ab -+@\\\t\r\x0c\u2028\x85é{}", max_size=6)
FAST = settings(max_examples=150, deadline=None, database=None)


@st.composite
def edits(draw: st.DrawFn) -> tuple[list[str], list[str], int]:
    """``(old, new, context)``: an old file, the file after random edits, and a ``-U`` context size."""
    old = draw(st.lists(LINE, max_size=30))
    new: list[str] = []
    for line in old:
        if draw(st.integers(0, 4)) == 0:
            new.extend(draw(st.lists(LINE, min_size=1, max_size=3)))
        action = draw(st.sampled_from(("keep", "keep", "keep", "drop", "change")))
        if action == "keep":
            new.append(line)
        elif action == "change":
            new.append(draw(LINE))
    new.extend(draw(st.lists(LINE, max_size=3)))
    assume(old != new)
    return old, new, draw(st.integers(0, 3))


def unified(old: list[str], new: list[str], context: int) -> str:
    body = difflib.unified_diff(old, new, "a/f", "b/f", n=context, lineterm="")
    return "\n".join(["diff --git a/f b/f", *body]) + "\n"


def plain(line: str) -> str:
    return line.removesuffix("\r")


def apply(old: list[str], diff: Diff) -> list[str]:
    """Apply the parsed hunks to ``old`` as ``patch`` applies the text, checking each old line on the way.

    Lines come out without their CRLF carriage return, as the model keeps them.
    """
    [f] = diff.files
    out: list[str] = []
    pos = 0
    for h in f.hunks:
        start = h.old_start if h.old_len == 0 else h.old_start - 1  # an empty side names the line before
        assert start >= pos
        out += [plain(x) for x in old[pos:start]]
        pos = start
        for line in h.lines:
            if line.kind is LineKind.ADDED:
                out.append(line.text)
                continue
            assert plain(old[pos]) == line.text
            if line.kind is LineKind.CONTEXT:
                out.append(line.text)
            pos += 1
    return out + [plain(x) for x in old[pos:]]


@FAST
@given(edits())
def test_applying_the_parsed_hunks_gives_the_new_file(case: tuple[list[str], list[str], int]) -> None:
    old, new, context = case
    diff = parse_unified_diff(unified(old, new, context))
    assert apply(old, diff) == [plain(x) for x in new]


@FAST
@given(edits())
def test_every_right_number_is_a_line_of_the_new_file(case: tuple[list[str], list[str], int]) -> None:
    old, new, context = case
    [f] = parse_unified_diff(unified(old, new, context)).files
    assert all(1 <= n <= len(new) and line.text == plain(new[n - 1]) for n, line in f.lines_on("RIGHT"))


@FAST
@given(edits())
def test_every_left_number_is_a_line_of_the_old_file(case: tuple[list[str], list[str], int]) -> None:
    old, new, context = case
    [f] = parse_unified_diff(unified(old, new, context)).files
    assert all(1 <= n <= len(old) and line.text == plain(old[n - 1]) for n, line in f.lines_on("LEFT"))


@FAST
@given(edits())
def test_changed_lines_are_all_commentable(case: tuple[list[str], list[str], int]) -> None:
    old, new, context = case
    [f] = parse_unified_diff(unified(old, new, context)).files
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    changed_new = {j + 1 for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal" for j in range(j1, j2)}
    changed_old = {i + 1 for tag, i1, i2, _, _ in matcher.get_opcodes() if tag != "equal" for i in range(i1, i2)}
    assert changed_new <= f.right_lines
    assert changed_old <= f.left_lines
    assert f.additions == len(changed_new)
    assert f.deletions == len(changed_old)


@pytest.mark.skipif(shutil.which("patch") is None, reason="no patch binary on this machine")
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits())
def test_real_patch_agrees_with_the_parsed_hunks(tmp_path: Path, case: tuple[list[str], list[str], int]) -> None:
    old, new, context = case
    text = unified(old, new, context)
    (tmp_path / "old").write_bytes("".join(f"{line}\n" for line in old).encode("utf-8"))
    (tmp_path / "f.diff").write_bytes(text.encode("utf-8"))
    options = ["--binary", "--force", "--quiet", "--fuzz=0", "--no-backup-if-mismatch", "--reject-file=-"]
    result = subprocess.run(
        ["patch", *options, "--output", str(tmp_path / "new"), str(tmp_path / "old"), str(tmp_path / "f.diff")],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    patched = (tmp_path / "new").read_bytes().decode("utf-8").split("\n")
    assert patched.pop() == ""
    ours = apply(old, parse_unified_diff(text))
    assert [plain(x) for x in patched] == ours == [plain(x) for x in new]


def test_hunk_with_an_empty_old_side_inserts_after_the_named_line() -> None:
    diff = parse_unified_diff(unified(["a", "b"], ["a", "x", "b"], 0))
    [h] = diff.files[0].hunks
    assert (h.old_start, h.old_len, h.new_start, h.new_len) == (1, 0, 2, 1)
    assert apply(["a", "b"], diff) == ["a", "x", "b"]
