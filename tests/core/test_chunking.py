"""Token-budgeted chunks: every selected line goes to exactly one model call, and no call is over budget.

The one documented exception to the budget is a single diff line too long to fit on its own: it travels alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.chunking import Chunk, ChunkPlan, estimate_tokens, plan_chunks
from bot.core.diff import Diff, DiffLine, FileDiff, FileStatus, Hunk, LineKind
from bot.core.selection import SelectionRules, select_files

Parse = Callable[[Path], Diff]
LineKey = tuple[str, LineKind, int | None, int | None, str]


def line_keys(path: str, hunks: tuple[Hunk, ...]) -> list[LineKey]:
    return [(path, line.kind, line.old_no, line.new_no, line.text) for h in hunks for line in h.lines]


def chunked_lines(plan: ChunkPlan) -> Counter[LineKey]:
    return Counter(key for c in plan.chunks for p in c.parts for key in line_keys(p.file.path, p.hunks))


def selected_lines(files: tuple[FileDiff, ...]) -> Counter[LineKey]:
    return Counter(key for f in files for key in line_keys(f.path, f.hunks))


def is_single_line(chunk: Chunk) -> bool:
    return len(chunk.parts) == 1 and sum(len(h.lines) for h in chunk.parts[0].hunks) == 1


def new_file(path: str, lines: list[str]) -> FileDiff:
    hunk = Hunk(0, 0, 1, len(lines), "", tuple(DiffLine(LineKind.ADDED, None, i + 1, t) for i, t in enumerate(lines)))
    return FileDiff(path, None, FileStatus.ADDED, (hunk,))


def rewrite(path: str, old: list[str], new: list[str], *, start: int = 1) -> FileDiff:
    """One hunk alternating removed and added lines, the way a reformat looks."""
    lines: list[DiffLine] = []
    for i in range(max(len(old), len(new))):
        if i < len(old):
            lines.append(DiffLine(LineKind.REMOVED, start + i, None, old[i]))
        if i < len(new):
            lines.append(DiffLine(LineKind.ADDED, None, start + i, new[i]))
    return FileDiff(path, None, FileStatus.MODIFIED, (Hunk(start, len(old), start, len(new), "", tuple(lines)),))


def selected(parse: Parse, path: Path) -> tuple[FileDiff, ...]:
    return select_files(parse(path), SelectionRules()).files


# --- estimates -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "tokens"), [("", 0), ("a", 1), ("abc", 1), ("abcd", 2), ("x" * 300, 100)])
def test_tokens_are_estimated_at_three_characters_each(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


# --- the corpus ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_tokens", [600, 6000])
def test_every_selected_line_is_in_exactly_one_chunk(corpus_diff: Path, parse: Parse, max_tokens: int) -> None:
    files = selected(parse, corpus_diff)
    plan = plan_chunks(files, max_tokens=max_tokens, max_chunks=100_000)
    assert plan.skipped == ()
    assert chunked_lines(plan) == selected_lines(files)


@pytest.mark.parametrize("max_tokens", [600, 6000])
def test_no_chunk_is_over_budget_but_a_lone_long_line(corpus_diff: Path, parse: Parse, max_tokens: int) -> None:
    plan = plan_chunks(selected(parse, corpus_diff), max_tokens=max_tokens, max_chunks=100_000)
    over = [c.index for c in plan.chunks if c.tokens > max_tokens and not is_single_line(c)]
    assert over == []


def test_chunks_are_numbered_and_measured(corpus: Path, parse: Parse) -> None:
    plan = plan_chunks(
        selected(parse, corpus / "py-flask-huge-black-reformat-025589ee.diff"), max_tokens=3000, max_chunks=999
    )
    assert [c.index for c in plan.chunks] == list(range(len(plan.chunks)))
    assert all(c.tokens == estimate_tokens(c.text) for c in plan.chunks)
    assert all(c.text == "\n".join(p.text for p in c.parts) for c in plan.chunks)


def test_chunks_follow_diff_order(corpus: Path, parse: Parse) -> None:
    files = selected(parse, corpus / "py-pygithub-huge-black-reformat-6ceb9e9a.diff")
    order = {f.path: i for i, f in enumerate(files)}
    plan = plan_chunks(files, max_tokens=2000, max_chunks=100_000)
    seen = [order[p.file.path] for c in plan.chunks for p in c.parts]
    assert seen == sorted(seen)


def test_window_numbers_stay_true_in_the_corpus(corpus: Path, parse: Parse) -> None:
    plan = plan_chunks(
        selected(parse, corpus / "py-requests-huge-vendor-idna-new-files-3c680cc1.diff"),
        max_tokens=800,
        max_chunks=100_000,
    )
    for c in plan.chunks:
        for p in c.parts:
            for h in p.hunks:
                news = [line.new_no for line in h.lines if line.new_no is not None]
                assert news == list(range(h.new_start, h.new_start + h.new_len))


# --- packing ---------------------------------------------------------------------------------------------------


def test_small_files_share_one_chunk() -> None:
    files = tuple(new_file(f"f{i}.py", ["x = 1"]) for i in range(5))
    plan = plan_chunks(files, max_tokens=10_000, max_chunks=8)
    assert len(plan.chunks) == 1
    assert plan.chunks[0].paths == tuple(f.path for f in files)


@pytest.mark.parametrize("max_tokens", range(40, 112, 3))
def test_packed_chunks_stay_within_budget_with_their_separators(max_tokens: int) -> None:
    files = tuple(new_file(f"m{i}.py", ["y" * (i * 4 % 7)]) for i in range(12))
    plan = plan_chunks(files, max_tokens=max_tokens, max_chunks=100)
    assert [c.tokens for c in plan.chunks if c.tokens > max_tokens and not is_single_line(c)] == []
    assert chunked_lines(plan) == selected_lines(files)


def test_file_that_fits_is_never_split() -> None:
    f = new_file("a.py", [f"line {i}" for i in range(50)])
    plan = plan_chunks((new_file("before.py", ["b"]), f), max_tokens=estimate_tokens(f"{'x' * 900}"), max_chunks=8)
    parts = [p for c in plan.chunks for p in c.parts if p.file is f]
    assert len(parts) == 1
    assert parts[0].hunks == f.hunks


def test_big_file_splits_at_hunk_boundaries_first() -> None:
    hunks = tuple(
        Hunk(
            100 * k + 1,
            0,
            100 * k + 1,
            20,
            "",
            tuple(DiffLine(LineKind.ADDED, None, 100 * k + 1 + i, f"h{k} line {i}") for i in range(20)),
        )
        for k in range(6)
    )
    f = FileDiff("big.py", None, FileStatus.MODIFIED, hunks)
    plan = plan_chunks((f,), max_tokens=300, max_chunks=100)
    parts = [p for c in plan.chunks for p in c.parts]
    assert len(parts) > 1
    assert [h for p in parts for h in p.hunks] == list(hunks)


def test_giant_hunk_is_cut_into_windows_with_true_numbers() -> None:
    f = rewrite(
        "fmt.py",
        [f"old {i} " + "o" * (i % 50) for i in range(700)],
        [f"new {i}" + "n" * (i % 9) for i in range(900)],
        start=41,
    )
    plan = plan_chunks((f,), max_tokens=1500, max_chunks=100)
    windows = [h for c in plan.chunks for p in c.parts for h in p.hunks]
    assert len(windows) > 5
    assert [line for w in windows for line in w.lines] == list(f.hunks[0].lines)
    for w in windows:
        news = [line.new_no for line in w.lines if line.new_no is not None]
        olds = [line.old_no for line in w.lines if line.old_no is not None]
        if news:
            assert news == list(range(w.new_start, w.new_start + w.new_len))
        if olds:
            assert olds == list(range(w.old_start, w.old_start + w.old_len))
    assert all(c.tokens <= 1500 for c in plan.chunks)


def test_windows_fit_when_line_lengths_vary_wildly() -> None:
    lines = ["short"] * 200 + ["L" * 2500] * 3 + ["short"] * 200
    plan = plan_chunks((new_file("data.json", lines),), max_tokens=1000, max_chunks=100)
    assert [c.tokens for c in plan.chunks if c.tokens > 1000 and not is_single_line(c)] == []
    assert chunked_lines(plan) == selected_lines((new_file("data.json", lines),))


def test_a_single_line_over_budget_travels_alone() -> None:
    f = new_file("min.js", ["a", "Z" * 9000, "b"])
    plan = plan_chunks((f,), max_tokens=500, max_chunks=100)
    [lone] = [c for c in plan.chunks if c.tokens > 500]
    assert is_single_line(lone)
    assert chunked_lines(plan) == selected_lines((f,))


# --- the chunk budget ------------------------------------------------------------------------------------------


def test_chunks_past_max_chunks_are_skipped_with_a_reason() -> None:
    files = tuple(new_file(f"f{i}.py", [f"v{i} = {i}" * 40]) for i in range(6))
    plan = plan_chunks(files, max_tokens=200, max_chunks=2)
    assert len(plan.chunks) == 2
    kept = {p for c in plan.chunks for p in c.paths}
    assert {s.path for s in plan.skipped} == {f.path for f in files} - kept
    assert all("over the review budget" in s.reason and "review.max_chunks=2" in s.reason for s in plan.skipped)


def test_over_budget_reason_names_the_lines_left_out() -> None:
    f = new_file("late.py", ["x"] * 30)
    plan = plan_chunks((new_file("first.py", ["a" * 500]), f), max_tokens=200, max_chunks=1)
    assert [(s.path, s.reason) for s in plan.skipped] == [
        ("late.py", "over the review budget (lines 1-30; review.max_chunks=1)")
    ]


def test_over_budget_reason_for_removed_lines_only() -> None:
    gone = FileDiff(
        "gone.py", None, FileStatus.MODIFIED, (Hunk(3, 1, 2, 0, "", (DiffLine(LineKind.REMOVED, 3, None, "x"),)),)
    )
    plan = plan_chunks((new_file("first.py", ["a" * 500]), gone), max_tokens=200, max_chunks=1)
    assert [s.reason for s in plan.skipped] == ["over the review budget (removed lines; review.max_chunks=1)"]


def test_nothing_is_lost_between_chunks_and_skipped(corpus: Path, parse: Parse) -> None:
    files = selected(parse, corpus / "py-flask-huge-black-reformat-025589ee.diff")
    plan = plan_chunks(files, max_tokens=4000, max_chunks=3)
    assert len(plan.chunks) == 3
    chunked = {p for c in plan.chunks for p in c.paths}
    assert chunked | {s.path for s in plan.skipped} == {f.path for f in files}


def test_no_files_no_chunks() -> None:
    assert plan_chunks((), max_tokens=1000, max_chunks=8) == ChunkPlan(chunks=(), skipped=())
