"""Checks each finding against the diff and decides where it can be posted. Pure.

A finding on a commentable line is posted inline. One that misses by a few lines, inside the same hunk, snaps
to the nearest commentable line and records the move. Anything else (unknown path, far from any hunk, a side
that cannot be targeted) becomes a file-level note in the review body with the reason: never dropped. A
``suggestion`` survives only where GitHub can commit it: an unmoved RIGHT-side range inside one hunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.diff import Diff, FileDiff, Side
from bot.core.findings import Finding

PlacementKind = Literal["inline", "moved", "body"]
_NOT_ANCHORED = "not committable: the finding is not anchored to a line"


@dataclass(frozen=True, slots=True)
class Placement:
    kind: PlacementKind
    path: str
    line: int | None
    side: Side
    start_line: int | None = None
    moved_from: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AnchoredFinding:
    finding: Finding
    placement: Placement
    suggestion: str | None
    suggestion_note: str | None

    @property
    def inline(self) -> bool:
        return self.placement.kind != "body"


def anchor_all(findings: tuple[Finding, ...], diff: Diff, *, snap_distance: int) -> tuple[AnchoredFinding, ...]:
    return tuple(anchor(f, diff, snap_distance=snap_distance) for f in findings)


def anchor(finding: Finding, diff: Diff, *, snap_distance: int) -> AnchoredFinding:
    f = resolve_file(diff, finding.path)
    if f is None:
        return _to_body(finding, finding.path, f"{finding.path or '(no path)'} is not part of this diff")
    placement = _place(finding, f, snap_distance)
    suggestion, note = _suggestion(finding, f, placement)
    return AnchoredFinding(finding=finding, placement=placement, suggestion=suggestion, suggestion_note=note)


def resolve_file(diff: Diff, path: str) -> FileDiff | None:
    """The file a model meant: the exact path, or the path without a leaked ``a/`` or ``b/`` prefix."""
    found = diff.file(path)
    if found is None and path[:2] in ("a/", "b/"):
        found = diff.file(path[2:])
    return found


def _place(finding: Finding, f: FileDiff, snap_distance: int) -> Placement:
    side = finding.side
    lines = f.commentable(side)
    if finding.line in lines:
        return Placement("inline", f.path, finding.line, side, _start(finding, f, finding.line))
    target = _nearest(f, side, finding.line, snap_distance)
    if target is None:
        reason = _miss_reason(f, side, finding.line)
        return Placement("body", f.path, None, side, reason=reason)
    return Placement(
        "moved",
        f.path,
        target,
        side,
        moved_from=finding.line,
        reason=f"moved from line {finding.line}, which is outside the diff",
    )


def _start(finding: Finding, f: FileDiff, line: int) -> int | None:
    start = finding.start_line
    if start is None:
        return None
    hunk = f.hunk_index(finding.side, line)
    return start if hunk is not None and f.hunk_index(finding.side, start) == hunk else None


def _nearest(f: FileDiff, side: Side, line: int, distance: int) -> int | None:
    """The closest commentable line within ``distance`` that lies in a hunk spanning near ``line``."""
    best: int | None = None
    for hunk in f.hunks:
        numbers = hunk.numbers(side) & f.commentable(side)  # none on the old side of a superseded file
        if not numbers or not (min(numbers) - distance <= line <= max(numbers) + distance):
            continue
        for n in numbers:
            if abs(n - line) <= distance and (best is None or (abs(n - line), n) < (abs(best - line), best)):
                best = n
    return best


def _miss_reason(f: FileDiff, side: Side, line: int) -> str:
    if not f.hunks:
        return f"{f.path} has no commentable lines in this diff"
    if side == "LEFT" and not f.left_commentable:
        return f"old-side line {line} of {f.path} cannot be targeted in this diff"
    return f"line {line} ({side}) of {f.path} is outside the diff"


def _to_body(finding: Finding, path: str, reason: str) -> AnchoredFinding:
    placement = Placement("body", path, None, finding.side, reason=reason)
    note = _NOT_ANCHORED if finding.suggestion else None
    return AnchoredFinding(finding=finding, placement=placement, suggestion=None, suggestion_note=note)


def _suggestion(finding: Finding, f: FileDiff, placement: Placement) -> tuple[str | None, str | None]:
    if finding.suggestion is None:
        return None, None
    if placement.kind == "body":
        return None, _NOT_ANCHORED
    if placement.kind != "inline":
        return None, "not committable: the comment was moved from the line it was written for"
    if placement.side != "RIGHT":
        return None, "not committable: suggestions replace new-side lines only"
    if finding.start_line is not None and placement.start_line is None:
        return None, "not committable: its range crosses hunks or leaves the diff"
    return finding.suggestion, None
