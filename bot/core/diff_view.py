"""Renders files and hunks the way the models read them: numbered new-side lines. Pure.

The layout follows pr-agent's decoupled view: each hunk shows a ``__new hunk__`` with new-file line numbers
(what a comment targets) and, when lines were removed, an ``__old hunk__`` with the removed text, unnumbered.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.diff import FileDiff, FileStatus, Hunk, LineKind

_MARKS = {kind: kind.value for kind in LineKind}  # enum .value is a descriptor call: slow on 1 MB diffs
_STATUS_WORDS = {FileStatus.ADDED: "new file", FileStatus.RENAMED: "renamed", FileStatus.COPIED: "copied"}


def render_file(f: FileDiff, hunks: Iterable[Hunk]) -> str:
    """One file section: a header, then each hunk's new and old views."""
    header = f"## File: '{f.path}'"
    extra = _STATUS_WORDS.get(f.status)
    if extra and f.old_path:
        header += f"\n({extra} from '{f.old_path}')"
    elif extra:
        header += f"\n({extra})"
    return "\n\n".join([header, *(render_hunk(h) for h in hunks)]) + "\n"


def render_hunk(h: Hunk) -> str:
    head = f"@@ -{h.old_start},{h.old_len} +{h.new_start},{h.new_len} @@ {h.section}".rstrip()
    new_view = [f"{line.new_no} {_MARKS[line.kind]}{line.text}" for line in h.lines if line.new_no is not None]
    parts = [head, "__new hunk__", *new_view]
    if any(line.kind is LineKind.REMOVED for line in h.lines):
        old_view = [f"{_MARKS[line.kind]}{line.text}" for line in h.lines if line.old_no is not None]
        parts += ["__old hunk__", *old_view]
    return "\n".join(parts)
