"""Splits the selected files into token-budgeted chunks, one model call each. Pure.

Tokens are estimated, not counted: ``ceil(characters / 3)``. Tokenizers for the contenders differ and some
are not published; three characters per token over-estimates code and diff text (typically 3.5 to 4), so a
chunk stays under its budget on every contender. Chunks past ``max_chunks`` are not sent; their files are
returned as skipped, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

from bot.core.diff import FileDiff, Hunk
from bot.core.diff_view import render_file
from bot.core.selection import Skipped

CHARS_PER_TOKEN = 3


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True)
class FilePart:
    file: FileDiff
    hunks: tuple[Hunk, ...]

    @cached_property
    def text(self) -> str:
        return render_file(self.file, self.hunks)


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    parts: tuple[FilePart, ...]
    text: str
    tokens: int

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.file.path for p in self.parts))


@dataclass(frozen=True, slots=True)
class ChunkPlan:
    chunks: tuple[Chunk, ...]
    skipped: tuple[Skipped, ...]


def plan_chunks(files: tuple[FileDiff, ...], *, max_tokens: int, max_chunks: int) -> ChunkPlan:
    """Pack file parts into chunks of at most ``max_tokens`` estimated tokens, in diff order."""
    parts = [p for f in files for p in _parts_of(f, max_tokens)]
    groups: list[list[FilePart]] = []
    size = 0  # characters of the current group's text, the "\n" between parts included
    for part in parts:
        length = len(part.text)
        if groups and math.ceil((size + 1 + length) / CHARS_PER_TOKEN) <= max_tokens:
            groups[-1].append(part)
            size += 1 + length
        else:
            groups.append([part])
            size = length
    kept, over = groups[:max_chunks], groups[max_chunks:]
    chunks = tuple(_chunk(i, g) for i, g in enumerate(kept))
    skipped = tuple(_over_budget(p, max_chunks) for g in over for p in g)
    return ChunkPlan(chunks=chunks, skipped=skipped)


def _chunk(index: int, parts: list[FilePart]) -> Chunk:
    text = "\n".join(p.text for p in parts)
    return Chunk(index=index, parts=tuple(parts), text=text, tokens=estimate_tokens(text))


def _over_budget(part: FilePart, max_chunks: int) -> Skipped:
    lines = [n for h in part.hunks for n in h.numbers("RIGHT")]
    span = f"lines {min(lines)}-{max(lines)}" if lines else "removed lines"
    return Skipped(part.file.path, f"over the review budget ({span}; review.max_chunks={max_chunks})")


def _parts_of(f: FileDiff, max_tokens: int) -> list[FilePart]:
    """The whole file if it fits; else runs of whole hunks; a hunk too big alone is cut into line windows."""
    whole = FilePart(f, f.hunks)
    if estimate_tokens(whole.text) <= max_tokens:
        return [whole]
    parts: list[FilePart] = []
    run: list[Hunk] = []
    for hunk in (piece for h in f.hunks for piece in _split_hunk(f, h, max_tokens)):
        if run and estimate_tokens(FilePart(f, (*run, hunk)).text) > max_tokens:
            parts.append(FilePart(f, tuple(run)))
            run = []
        run.append(hunk)
    if run:
        parts.append(FilePart(f, tuple(run)))
    return parts


def _split_hunk(f: FileDiff, h: Hunk, max_tokens: int) -> list[Hunk]:
    """Cut a hunk too big alone into consecutive windows, each as long as fits (measured, not guessed)."""
    if estimate_tokens(FilePart(f, (h,)).text) <= max_tokens:
        return [h]
    windows: list[Hunk] = []
    start = 0
    while start < len(h.lines):
        stop = _widest_window(f, h, start, max_tokens)
        windows.append(_window(h, start, stop))
        start = stop
    return windows


def _widest_window(f: FileDiff, h: Hunk, start: int, max_tokens: int) -> int:
    """The largest ``stop`` whose window ``start:stop`` fits; at least one line, which may overflow alone.

    A window's size only grows with ``stop``, so search: double the step while it fits, then bisect.
    """

    def fits(stop: int) -> bool:
        return estimate_tokens(FilePart(f, (_window(h, start, stop),)).text) <= max_tokens

    good, step, end = start + 1, 1, len(h.lines)
    bad = end + 1
    while good < end:
        probe = min(good + step, end)
        if not fits(probe):
            bad = probe
            break
        good, step = probe, step * 2
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if fits(mid) else (good, mid)
    return good


def _window(h: Hunk, start: int, stop: int) -> Hunk:
    lines = h.lines[start:stop]
    olds = [ln.old_no for ln in lines if ln.old_no is not None]
    news = [ln.new_no for ln in lines if ln.new_no is not None]
    return replace(
        h,
        old_start=olds[0] if olds else h.old_start,
        old_len=len(olds),
        new_start=news[0] if news else h.new_start,
        new_len=len(news),
        lines=lines,
    )
