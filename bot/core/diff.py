"""The diff model: files, hunks and the lines a review comment may target. Pure.

GitHub anchors a review comment to ``line`` on a ``side``: RIGHT counts lines of the new file and accepts added
and context lines; LEFT counts lines of the old file and accepts removed and context lines. A multi-line comment
(``start_line`` .. ``line``) must stay inside one hunk. See
https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

Side = Literal["LEFT", "RIGHT"]


class LineKind(enum.Enum):
    ADDED = "+"
    REMOVED = "-"
    CONTEXT = " "


class FileStatus(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    RENAMED = "renamed"
    COPIED = "copied"
    CHANGED = "changed"  # only the mode or the file type changed


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: LineKind
    old_no: int | None
    new_no: int | None
    text: str

    def number_on(self, side: Side) -> int | None:
        return self.new_no if side == "RIGHT" else self.old_no


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str
    lines: tuple[DiffLine, ...]

    def numbers(self, side: Side) -> frozenset[int]:
        """The line numbers on ``side`` a comment may target in this hunk."""
        return frozenset(n for line in self.lines if (n := line.number_on(side)) is not None)

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.kind is LineKind.ADDED)

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.kind is LineKind.REMOVED)


@dataclass(frozen=True)
class FileDiff:
    """One file of a diff. ``path`` is the new path (the old one for a deleted file)."""

    path: str
    old_path: str | None
    status: FileStatus
    hunks: tuple[Hunk, ...]
    is_binary: bool = False
    is_symlink: bool = False
    is_submodule: bool = False
    left_commentable: bool = True  # False when old-side numbers do not refer to the PR's base
    notes: tuple[str, ...] = ()

    @property
    def additions(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def deletions(self) -> int:
        return sum(h.removed for h in self.hunks)

    @cached_property
    def right_lines(self) -> frozenset[int]:
        return frozenset().union(*(h.numbers("RIGHT") for h in self.hunks))

    @cached_property
    def left_lines(self) -> frozenset[int]:
        if not self.left_commentable:
            return frozenset()
        return frozenset().union(*(h.numbers("LEFT") for h in self.hunks))

    def commentable(self, side: Side) -> frozenset[int]:
        return self.right_lines if side == "RIGHT" else self.left_lines

    def hunk_index(self, side: Side, line: int) -> int | None:
        """The index of the hunk in which ``line`` is commentable on ``side``, or None."""
        if line not in self.commentable(side):
            return None
        return next(i for i, h in enumerate(self.hunks) if line in h.numbers(side))

    def lines_on(self, side: Side) -> Iterator[tuple[int, DiffLine]]:
        for hunk in self.hunks:
            for line in hunk.lines:
                number = line.number_on(side)
                if number is not None:
                    yield number, line


@dataclass(frozen=True)
class Diff:
    files: tuple[FileDiff, ...]
    notes: tuple[str, ...] = field(default=())

    def file(self, path: str) -> FileDiff | None:
        return self._by_path.get(path)

    @cached_property
    def _by_path(self) -> dict[str, FileDiff]:
        return {f.path: f for f in self.files}

    @property
    def additions(self) -> int:
        return sum(f.additions for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions for f in self.files)
