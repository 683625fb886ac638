"""Unified-diff parsing for the fake GitHub: owns splitting a `git diff` text into per-file entries.

This is an independent implementation (it must not import the bot's parser, so that it can cross-check it).
Each `FileDiff` carries what GitHub's `GET /pulls/{n}/files` reports for a file (name, previous name, status,
addition/deletion counts, `patch` = the hunks from the first `@@`), plus the commentable-line maps that the
review-comment validation needs: RIGHT lines (added + context, new numbering), LEFT lines (removed + context,
old numbering), the hunk each belongs to, and the legacy `position` mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_BINARY_RE = re.compile(r"^Binary files (.+) and (.+) differ$")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "r": "\r", "v": "\v"}


@dataclass(frozen=True)
class DiffLine:
    """One line of a patch after the first `@@` (hunk headers included, with kind "@")."""

    kind: str  # "@" header, "+" added, "-" removed, " " context, "\\" no-newline marker
    text: str
    old: int | None
    new: int | None
    hunk: int
    position: int  # 1-based count of lines below the first "@@" (the first header itself is position 0)


@dataclass
class FileDiff:
    """One file of a diff, as GitHub's pull-request files API reports it."""

    filename: str
    previous_filename: str | None = None
    status: str = "modified"
    additions: int = 0
    deletions: int = 0
    binary: bool = False
    old_blob: str | None = None
    new_blob: str | None = None
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.additions + self.deletions

    @property
    def patch(self) -> str | None:
        """The hunks text starting at the first `@@`; None for binary files and hunk-less changes."""
        if self.binary or not self.lines:
            return None
        return "\n".join(line.text for line in self.lines)

    def line_index(self, side: str, number: int) -> int | None:
        """Index in `lines` of the commentable line `number` on `side` (RIGHT/LEFT), or None."""
        for index, line in enumerate(self.lines):
            if side == "RIGHT" and line.kind in "+ " and line.new == number:
                return index
            if side == "LEFT" and line.kind in "- " and line.old == number:
                return index
        return None

    def commentable(self, side: str) -> dict[int, int]:
        """Line number -> hunk index of every line a review comment may target on `side`."""
        kinds = "+ " if side == "RIGHT" else "- "
        result: dict[int, int] = {}
        for line in self.lines:
            if line.kind in kinds:
                number = line.new if side == "RIGHT" else line.old
                if number is not None:
                    result[number] = line.hunk
        return result

    def at_position(self, position: int) -> DiffLine | None:
        """The patch line at a legacy diff `position` (1 = the line below the first `@@`)."""
        for line in self.lines:
            if line.position == position:
                return line
        return None

    def diff_hunk(self, end_index: int) -> str:
        """GitHub's `diff_hunk` of a comment: its hunk's header through the commented line."""
        hunk = self.lines[end_index].hunk
        start = next(i for i, line in enumerate(self.lines) if line.hunk == hunk)
        return "\n".join(line.text for line in self.lines[start : end_index + 1])


def _count(group: str | None) -> int:
    """Line count of a hunk header range ("@@ -5 +5,0 @@": an absent count means 1)."""
    return 1 if group is None else int(group)


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of a path ("a/\\303\\251.txt" -> "a/é.txt")."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.extend(_ESCAPES.get(nxt, nxt).encode())
            i += 2
            continue
        out.extend(char.encode())
        i += 1
    return out.decode("utf-8", errors="replace")


def _strip_prefix(path: str) -> str | None:
    """Path of a ---/+++/Binary line without its a/ or b/ prefix; None for /dev/null."""
    quoted = re.match(r'^"(?:[^"\\]|\\.)*"', path)
    path = _unquote(quoted.group(0) if quoted else path.split("\t", 1)[0])
    if path == "/dev/null":
        return None
    if path.startswith(("a/", "b/")):
        return path[2:]
    return path


def _names_from_git_line(rest: str) -> tuple[str | None, str | None]:
    """Old and new names from the text after `diff --git ` (best effort when unquoted names contain spaces)."""
    if rest.startswith('"'):
        match = re.match(r'^("(?:[^"\\]|\\.)*")\s+(.+)$', rest)
        if match:
            return _strip_prefix(match.group(1)), _strip_prefix(match.group(2))
    if rest.startswith("a/"):
        half = (len(rest) - 1) // 2
        if rest[half : half + 3] == " b/" and rest[2:half] == rest[half + 3 :]:
            return rest[2:half], rest[half + 3 :]
        quoted = re.match(r'^(.+?) ("b/.*")$', rest)
        if quoted:
            return _strip_prefix(quoted.group(1)), _strip_prefix(quoted.group(2))
        parts = rest.split(" b/", 1)
        if len(parts) == 2:
            return parts[0][2:], parts[1]
    return None, None


def _split_sections(lines: list[str]) -> list[list[str]]:
    """Split diff lines into one list per file section (`diff --git` headers, else `---`/`+++` pairs)."""
    sections: list[list[str]] = []
    if any(line.startswith("diff --git ") for line in lines):
        for line in lines:
            if line.startswith("diff --git "):
                sections.append([line])
            elif sections:
                sections[-1].append(line)
        return sections
    remaining = 0  # lines still owed by the current hunk, so that "--- x" inside a hunk is not a header
    for index, line in enumerate(lines):
        next_is_new = index + 1 < len(lines) and lines[index + 1].startswith("+++ ")
        if remaining <= 0 and line.startswith("--- ") and next_is_new:
            sections.append([line])
            continue
        if not sections:
            continue
        sections[-1].append(line)
        match = _HUNK_RE.match(line)
        if match:
            remaining = _count(match.group(2)) + _count(match.group(4))
        elif remaining > 0 and not line.startswith("\\"):
            remaining -= 1 if line.startswith(("+", "-")) else 2
    return sections


def _parse_section(section: list[str]) -> FileDiff:
    old_name, new_name = (None, None)
    if section[0].startswith("diff --git "):
        old_name, new_name = _names_from_git_line(section[0][len("diff --git ") :])
    status = "modified"
    renamed_from = renamed_to = None
    mode_change = binary = False
    old_blob = new_blob = None
    index = 1 if section[0].startswith("diff --git ") else 0
    while index < len(section) and not section[index].startswith("@@"):
        line = section[index]
        if line.startswith("new file mode"):
            status = "added"
        elif line.startswith("deleted file mode"):
            status = "removed"
        elif line.startswith(("rename from ", "copy from ")):
            renamed_from = _unquote(line.split(" from ", 1)[1])
            status = "renamed" if line.startswith("rename") else "copied"
        elif line.startswith(("rename to ", "copy to ")):
            renamed_to = _unquote(line.split(" to ", 1)[1])
        elif line.startswith(("old mode", "new mode")):
            mode_change = True
        elif line.startswith("index "):
            blobs = line.split()[1].split("..")
            if len(blobs) == 2:
                old_blob, new_blob = blobs
        elif line.startswith("--- "):
            old_name = _strip_prefix(line[4:])
        elif line.startswith("+++ "):
            new_name = _strip_prefix(line[4:])
        elif line.startswith("GIT binary patch") or _BINARY_RE.match(line):
            binary = True
            match = _BINARY_RE.match(line)
            if match:
                old_name, new_name = _strip_prefix(match.group(1)), _strip_prefix(match.group(2))
        index += 1
    if renamed_from is not None:
        old_name = renamed_from
    if renamed_to is not None:
        new_name = renamed_to
    filename = new_name if new_name is not None else old_name
    if filename is None:
        raise ValueError(f"cannot find the file name of diff section starting {section[0]!r}")
    entry = FileDiff(filename=filename, status=status, binary=binary, old_blob=old_blob, new_blob=new_blob)
    if status in ("renamed", "copied"):
        entry.previous_filename = old_name
    _parse_hunks(entry, section[index:])
    if status == "modified" and mode_change and not entry.lines and not binary:
        entry.status = "changed"
    return entry


def _parse_hunks(entry: FileDiff, lines: list[str]) -> None:
    hunk = -1
    old = new = remaining_old = remaining_new = 0
    position = -1
    for text in lines:
        match = _HUNK_RE.match(text)
        if match:
            hunk += 1
            old, new = int(match.group(1)), int(match.group(3))
            remaining_old, remaining_new = _count(match.group(2)), _count(match.group(4))
            position += 1
            entry.lines.append(DiffLine("@", text, None, None, hunk, position))
            continue
        if hunk < 0:
            continue
        if text.startswith("\\"):
            position += 1
            entry.lines.append(DiffLine("\\", text, None, None, hunk, position))
            continue
        if remaining_old <= 0 and remaining_new <= 0:
            continue  # trailing text after the last hunk (e.g. a mail signature)
        kind = text[:1] if text[:1] in "+- " and text else " "
        position += 1
        if kind == "+":
            entry.lines.append(DiffLine("+", text, None, new, hunk, position))
            entry.additions += 1
            new += 1
            remaining_new -= 1
        elif kind == "-":
            entry.lines.append(DiffLine("-", text, old, None, hunk, position))
            entry.deletions += 1
            old += 1
            remaining_old -= 1
        else:
            entry.lines.append(DiffLine(" ", text, old, new, hunk, position))
            old += 1
            new += 1
            remaining_old -= 1
            remaining_new -= 1


def _merge_type_changes(entries: list[FileDiff]) -> list[FileDiff]:
    """Fold git's delete+add pair for one path (a symlink/file type change) into one "changed" entry."""
    merged: list[FileDiff] = []
    by_name: dict[str, FileDiff] = {}
    for entry in entries:
        first = by_name.get(entry.filename)
        if first is not None and first.status == "removed" and entry.status == "added":
            first.status = "changed"
            first.binary = first.binary and entry.binary
            first.new_blob = entry.new_blob
            first.additions += entry.additions
            first.deletions += entry.deletions
            hunk_base = (first.lines[-1].hunk + 1) if first.lines else 0
            pos_base = (first.lines[-1].position + 1) if first.lines else 0
            first.lines.extend(
                DiffLine(x.kind, x.text, x.old, x.new, x.hunk + hunk_base, x.position + pos_base) for x in entry.lines
            )
            continue
        by_name[entry.filename] = entry
        merged.append(entry)
    return merged


def parse_unified_diff(text: str) -> list[FileDiff]:
    """Parse a `git diff` (or plain unified diff) text into GitHub-style file entries, in diff order."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return _merge_type_changes([_parse_section(section) for section in _split_sections(lines)])
