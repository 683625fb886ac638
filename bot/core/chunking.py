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
    size = 0
    for part in parts:
        cost = estimate_tokens(part.text)
        if not groups or size + cost > max_tokens:
            groups.append([])
            size = 0
        groups[-1].append(part)
        size += cost
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
    if estimate_tokens(FilePart(f, (h,)).text) <= max_tokens:
        return [h]
    per_line = max(1, estimate_tokens(FilePart(f, (h,)).text) // max(1, len(h.lines)))
    window = max(1, (max_tokens // per_line) * 3 // 4)
    return [_window(h, i, i + window) for i in range(0, len(h.lines), window)]


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
