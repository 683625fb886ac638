"""Turns unified diffs, ``git format-patch`` mail series and GitHub's per-file ``patch`` strings into the diff
model. Pure: text in, :class:`~bot.core.diff.Diff` out.

Built on unidiff, with the git details it leaves to callers: C-quoted non-ASCII names, symlink (120000) and
submodule (160000) modes, type changes that git prints as a delete plus an add, and mail series in which one
file appears in several commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UnidiffHunk
from unidiff.patch import PatchedFile, PatchSet

from bot.core.diff import Diff, DiffLine, FileDiff, FileStatus, Hunk, LineKind
from bot.errors import DiffError

_MAIL_START = re.compile(r"^From [0-9a-f]{40} ", re.MULTILINE)
_OCTAL = re.compile(rb"\\([0-7]{3})|\\(.)")
_C_ESCAPES = {
    b"n": b"\n",
    b"t": b"\t",
    b'"': b'"',
    b"\\": b"\\",
    b"a": b"\a",
    b"b": b"\b",
    b"f": b"\f",
    b"r": b"\r",
    b"v": b"\v",
}
_KINDS = {"+": LineKind.ADDED, "-": LineKind.REMOVED, " ": LineKind.CONTEXT}


@dataclass(frozen=True, slots=True)
class GithubFile:
    """One entry of ``GET /repos/{o}/{r}/pulls/{n}/files``."""

    filename: str
    status: str
    patch: str | None
    previous_filename: str | None = None
    additions: int = 0
    deletions: int = 0
    head_sha: str | None = None  # the commit GitHub computed the entry at (the ``ref`` of its ``contents_url``)


def decode_diff_bytes(data: bytes) -> str:
    """Decode diff bytes; invalid UTF-8 (say a latin-1 file) becomes U+FFFD without moving any line."""
    return data.decode("utf-8", errors="replace")


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only: ``str.splitlines`` would also split on ``\\r``, form feeds and U+2028."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1] + "\n")
    return lines


def unquote_git_path(raw: str) -> str:
    """Undo git's C quoting (``"a/utf-8 \\355\\225\\234.txt"``) and drop the ``a/`` or ``b/`` prefix."""
    path = raw.strip()
    if len(path) >= 2 and path[0] == path[-1] == '"':
        body = path[1:-1].encode("utf-8", errors="surrogateescape")
        path = _OCTAL.sub(_unescape, body).decode("utf-8", errors="replace")
    if path[:2] in ("a/", "b/"):
        path = path[2:]
    return path


def _unescape(match: re.Match[bytes]) -> bytes:
    if match.group(1) is not None:
        return bytes([int(match.group(1), 8)])
    return _C_ESCAPES.get(match.group(2), match.group(2))


def parse_unified_diff(data: str | bytes) -> Diff:
    """Parse ``git diff`` output or a ``git format-patch`` mail series."""
    text = decode_diff_bytes(data) if isinstance(data, bytes) else data
    mails = _split_mails(text)
    series: list[list[FileDiff]] = [_files_of(_parse_patchset(mail)) for mail in mails]
    if text.strip() and not any(series):
        raise DiffError("the input is not a unified diff: it has no file headers ('diff --git' or '---'/'+++')")
    if len(series) == 1:
        return Diff(files=tuple(series[0]))
    return _combine_series(series)


def parse_github_files(entries: Iterable[GithubFile]) -> Diff:
    """Build the model from GitHub's per-file patches; a file whose patch will not parse is kept, hunkless."""
    return Diff(files=tuple(_github_file(entry) for entry in entries))


def _split_mails(text: str) -> list[str]:
    starts = [m.start() for m in _MAIL_START.finditer(text)]
    if len(starts) <= 1:
        return [text]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def _parse_patchset(text: str) -> PatchSet:
    try:
        return PatchSet(split_lines(text))
    except UnidiffParseError as exc:
        raise DiffError(f"the diff is malformed: {exc}") from exc


def _files_of(patchset: PatchSet) -> list[FileDiff]:
    files: list[FileDiff] = []
    for patched in patchset:
        current = _file_of(patched)
        previous = files[-1] if files else None
        if previous is not None and previous.path == current.path:
            files[-1] = _merge_type_change(previous, current)
        else:
            files.append(current)
    return files


def _file_of(patched: PatchedFile) -> FileDiff:
    header = "".join(str(line) for line in patched.patch_info or ())
    old_path = unquote_git_path(patched.source_file)
    new_path = unquote_git_path(patched.target_file)
    status = _status(patched, header)
    hunks = tuple(_hunk_of(h) for h in patched)
    path = old_path if status is FileStatus.REMOVED else new_path
    return FileDiff(
        path=path,
        old_path=old_path if status in (FileStatus.RENAMED, FileStatus.COPIED) else None,
        status=status,
        hunks=hunks,
        is_binary=bool(patched.is_binary_file),
        is_symlink=_mode_says(header, "120000", status),
        is_submodule=_mode_says(header, "160000", status) or _has_subproject_line(hunks),
    )


def _status(patched: PatchedFile, header: str) -> FileStatus:
    if patched.is_added_file:
        return FileStatus.ADDED
    if patched.is_removed_file:
        return FileStatus.REMOVED
    if "\ncopy from " in "\n" + header:  # before renames: unidiff calls any change of path a rename
        return FileStatus.COPIED
    if patched.is_rename:
        return FileStatus.RENAMED
    if len(patched) == 0 and not patched.is_binary_file:
        return FileStatus.CHANGED
    return FileStatus.MODIFIED


def _mode_says(header: str, mode: str, status: FileStatus) -> bool:
    """Whether the file's resulting mode (or, for a deletion, its old mode) is ``mode``."""
    for line in header.splitlines():
        words = line.split()
        if line.startswith(("new file mode", "new mode")) and words[-1] == mode:
            return True
        if line.startswith(("deleted file mode", "old mode")) and words[-1] == mode:
            return status is FileStatus.REMOVED
        if line.startswith("index ") and len(words) == 3 and words[2] == mode:
            return True
    return False


def _has_subproject_line(hunks: Sequence[Hunk]) -> bool:
    return any(line.text.startswith("Subproject commit ") for h in hunks for line in h.lines)


def _hunk_of(h: UnidiffHunk) -> Hunk:
    lines = tuple(
        DiffLine(
            kind=_KINDS[line.line_type],
            old_no=line.source_line_no,
            new_no=line.target_line_no,
            text=_strip_eol(line.value),
        )
        for line in h
        if line.line_type in _KINDS
    )
    return Hunk(
        old_start=h.source_start,
        old_len=h.source_length,
        new_start=h.target_start,
        new_len=h.target_length,
        section=h.section_header or "",
        lines=lines,
    )


def _strip_eol(value: str) -> str:
    value = value[:-1] if value.endswith("\n") else value
    return value[:-1] if value.endswith("\r") else value


def _merge_type_change(removed: FileDiff, added: FileDiff) -> FileDiff:
    """git prints a symlink that became a file (or back) as a delete plus an add of the same path."""
    return replace(
        added, status=FileStatus.MODIFIED, hunks=removed.hunks + added.hunks, notes=(*added.notes, "file type changed")
    )


def _combine_series(series: list[list[FileDiff]]) -> Diff:
    """A mail series has no combined diff: keep each file's last version, and say which were superseded.

    The last version's new-side numbers are the final file's, so RIGHT comments stay valid; its old-side
    numbers refer to an intermediate commit, so LEFT comments are switched off for superseded files.
    """
    last: dict[str, FileDiff] = {}
    seen: dict[str, int] = {}
    for files in series:
        for f in files:
            seen[f.path] = seen.get(f.path, 0) + 1
            last.pop(f.path, None)
            last[f.path] = f
    notes: list[str] = []
    files_out: list[FileDiff] = []
    for path, f in last.items():
        if seen[path] > 1:
            note = f"{path}: changed by {seen[path]} commits of the series; the last commit's hunks are used"
            notes.append(note)
            f = replace(f, left_commentable=False, notes=(*f.notes, note))
        files_out.append(f)
    return Diff(files=tuple(files_out), notes=tuple(notes))


def _github_file(entry: GithubFile) -> FileDiff:
    status = _github_status(entry.status)
    base = FileDiff(path=entry.filename, old_path=entry.previous_filename, status=status, hunks=())
    if entry.patch is None:
        return replace(base, notes=("GitHub sent no patch (binary or too large)",))
    text = f"--- a/file\n+++ b/file\n{entry.patch}"
    try:
        parsed = PatchSet(split_lines(text))
    except UnidiffParseError as exc:
        return replace(base, notes=(f"unparseable patch: {exc}",))
    hunks = tuple(_hunk_of(h) for f in parsed for h in f)
    return replace(base, hunks=hunks, is_submodule=_has_subproject_line(hunks))


def _github_status(status: str) -> FileStatus:
    try:
        return FileStatus(status)
    except ValueError:
        return FileStatus.MODIFIED
