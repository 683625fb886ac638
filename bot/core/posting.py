"""Decisions about posting reviews: the order contenders post in, which comments GitHub cannot place on a line,
moving those into the review body, and which findings of different contenders agree. Pure: no I/O, clock or
randomness; a seed comes in as an argument.

GitHub's ``POST /pulls/{n}/reviews`` is all-or-nothing: one comment on a line outside the diff fails the whole
review with a 422 that does not say which comment. :func:`unplaceable` finds such comments from the diff, and
:func:`split_payload` moves them into the body so that nothing is lost.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.core.comments import escape_model_text, fence_for
from bot.core.diff import Diff, FileDiff
from bot.core.findings import SEVERITIES
from bot.core.outcome import ContenderOutcome

GITHUB_BODY_LIMIT = 65_536
MOVED_TITLE = "Comments GitHub would not place on a line"
PATH_REASON = "the file is not part of this pull request's diff"
LINE_REASON = "line {line} is not in the diff on the {side} side"
START_REASON = "the range {start}–{line} does not lie inside one hunk on the {side} side"
ORDER_REASON = "start line {start} does not come before line {line}"
BODY_REASON = "the comment is longer than GitHub's {limit:,} character limit"
_CUT_NOTE = "\n\n… {cut:,} characters cut to fit GitHub's body limit"
_WORD = re.compile(r"\w+")

Finding = tuple[str, str, int, int, str]  # (fingerprint, path, start line, end line, text)
Agreement = tuple[str, str, str, str]  # (contender_a, fingerprint_a, contender_b, fingerprint_b)


def posting_order(contender_names: Sequence[str], *, seed: int) -> tuple[str, ...]:
    """The contenders in a seeded, deterministic order, so no model always posts first.

    A Fisher–Yates shuffle whose draws are SHA-256 digests of (seed, names, step): the same seed and names give
    the same order whatever order the names come in, and every permutation is reachable (the 256-bit draw
    makes the modulo bias negligible).
    """
    names = sorted(contender_names)
    key = "\x00".join([str(seed), *names])
    for i in range(len(names) - 1, 0, -1):
        digest = hashlib.sha256(f"{key}\x01{i}".encode("utf-8", errors="surrogatepass")).digest()
        j = int.from_bytes(digest, "big") % (i + 1)
        names[i], names[j] = names[j], names[i]
    return tuple(names)


def unplaceable(payload: Mapping[str, Any], diff: Diff) -> dict[int, str]:
    """Index → reason for each comment of ``payload`` that GitHub would refuse to place, judged from ``diff``."""
    reasons: dict[int, str] = {}
    for index, comment in enumerate(payload.get("comments") or ()):
        reason = _placement_problem(comment, diff)
        if reason is not None:
            reasons[index] = reason
    return reasons


def _placement_problem(comment: Mapping[str, Any], diff: Diff) -> str | None:
    if len(str(comment.get("body") or "")) > GITHUB_BODY_LIMIT:
        return BODY_REASON.format(limit=GITHUB_BODY_LIMIT)
    found = diff.file(str(comment.get("path", "")))
    if found is None or found.is_binary:
        return PATH_REASON
    side = comment.get("side") or "RIGHT"
    line = comment.get("line")
    if side not in ("LEFT", "RIGHT") or not isinstance(line, int) or _hunk(found, side, line) is None:
        return LINE_REASON.format(line=line, side=side)
    start = comment.get("start_line")
    if start is None:
        return None
    start_side = comment.get("start_side") or side
    if not isinstance(start, int) or start_side != side or _hunk(found, side, start) != _hunk(found, side, line):
        return START_REASON.format(start=start, line=line, side=side)
    if start >= line:
        return ORDER_REASON.format(start=start, line=line)
    return None


def _hunk(file: FileDiff, side: str, line: int) -> int | None:
    return file.hunk_index("LEFT" if side == "LEFT" else "RIGHT", line)


def split_payload(payload: Mapping[str, Any], bad_indexes: set[int], reasons: Mapping[int, str]) -> dict[str, Any]:
    """A copy of ``payload`` with the comments at ``bad_indexes`` moved out of ``comments`` into a section of
    ``body`` giving each one's path, line, reason and full text.

    Indexes refer to ``payload["comments"]``. The body stays within GitHub's 65,536 characters: when the moved
    texts do not fit, the longest are shortened (each says how much was cut) and the rest keep every character.
    A trailing ``review-arena`` marker stays last, so the bot still finds its summary by marker.
    """
    comments = list(payload.get("comments") or ())
    moved = [(i, c) for i, c in enumerate(comments) if i in bad_indexes]
    result = dict(payload)
    result["comments"] = [c for i, c in enumerate(comments) if i not in bad_indexes]
    if not moved:
        return result
    body = str(payload.get("body") or "")
    head, marker = _split_marker(body)
    headers = [_entry_header(c, reasons.get(i, "GitHub refused it")) for i, c in moved]
    texts = [str(c.get("body") or "") for _, c in moved]
    opening = f"\n\n<details open><summary>{MOVED_TITLE} ({len(moved)})</summary>\n\n"
    closing = "\n</details>"
    fixed = len(head) + len(opening) + len(closing) + len(marker) + sum(len(h) + 16 for h in headers)
    fitted = _fit_texts(texts, GITHUB_BODY_LIMIT - fixed)
    entries = [_entry(h, t) for h, t in zip(headers, fitted, strict=True)]
    result["body"] = (head + opening + "\n".join(entries) + closing + marker)[:GITHUB_BODY_LIMIT]
    return result


def _split_marker(body: str) -> tuple[str, str]:
    """(body without a trailing marker line, that line with its newline) — or (body, "")."""
    head, _, last = body.rstrip("\n").rpartition("\n")
    if last.startswith("<!-- review-arena:") and last.endswith("-->"):
        return head, "\n" + last
    return body.rstrip("\n"), ""


def _entry_header(comment: Mapping[str, Any], reason: str) -> str:
    start, line = comment.get("start_line"), comment.get("line")
    where = f"lines {start}–{line}" if start is not None else f"line {line}"
    path = escape_model_text(str(comment.get("path", ""))).replace("`", "'")
    return f"- `{path}` {where} ({comment.get('side') or 'RIGHT'}): {escape_model_text(reason)}"


def _entry(header: str, text: str) -> str:
    """A list item whose text is indented so its Markdown (fences, suggestions) renders inside the item."""
    indented = "\n".join(f"  {line}" if line else "" for line in text.split("\n"))
    return f"{header}\n\n{indented}\n"


def _fit_texts(texts: list[str], budget: int) -> list[str]:
    """``texts`` unchanged if, with indentation, they fit in ``budget``; else the longest are cut to a fair share."""
    costs = [len(t) + 3 * (t.count("\n") + 1) for t in texts]
    if sum(costs) <= budget:
        return texts
    share = max(budget, 0) // max(len(texts), 1)
    small = [c for c in costs if c <= share]
    while small and len(small) < len(costs):  # water-filling: what short texts leave over goes to long ones
        share = (max(budget, 0) - sum(small)) // (len(costs) - len(small))
        grown = [c for c in costs if c <= share]
        if len(grown) == len(small):
            break
        small = grown
    return [t if c <= share else _cut(t, share) for t, c in zip(texts, costs, strict=True)]


def _cut(text: str, room: int) -> str:
    keep = max(room // 2 - len(_CUT_NOTE) - 20, 0)  # indentation can double a text made of empty lines
    kept = text[:keep]
    fence = fence_for(kept)
    closer = f"\n{fence}" if kept.count("```") % 2 else ""  # do not leave a code fence open
    return kept + closer + _CUT_NOTE.format(cut=len(text) - keep)


def word_similarity(a: str, b: str) -> float:
    """Jaccard similarity of the lowercase word sets (``\\w+``) of two texts; 0.0 when either has no words."""
    words_a, words_b = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    if not words_a or not words_b:
        return 0.0
    return len(words_a & words_b) / len(words_a | words_b)


def agreements(
    findings_by_contender: Mapping[str, Sequence[Finding]], *, line_window: int = 3, min_similarity: float = 0.5
) -> list[Agreement]:
    """Pairs of findings from two different contenders that say the same thing about the same place.

    Two findings agree when they are on the same path, their line ranges overlap once widened by ``line_window``
    lines each way, and :func:`word_similarity` of their texts is at least ``min_similarity``. Contender names
    are compared in sorted order, so each pair appears once as ``(a, fingerprint_a, b, fingerprint_b)``, a < b.
    """
    names = sorted(findings_by_contender)
    found: list[Agreement] = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            for fp_a, path_a, start_a, end_a, text_a in findings_by_contender[a]:
                for fp_b, path_b, start_b, end_b, text_b in findings_by_contender[b]:
                    near = start_a <= end_b + line_window and start_b <= end_a + line_window
                    if path_a == path_b and near and word_similarity(text_a, text_b) >= min_similarity:
                        found.append((a, fp_a, b, fp_b))
    return found


def cap_inline(outcome: ContenderOutcome, limit: int | None) -> ContenderOutcome:
    """Keep at most ``limit`` findings inline, the most severe first; the others move into the review body with
    the reason, so a comment cap never drops a finding."""
    inline = [i for i, item in enumerate(outcome.findings) if item.inline]
    if limit is None or len(inline) <= limit:
        return outcome
    ranked = sorted(inline, key=lambda i: (SEVERITIES.index(outcome.findings[i].finding.severity), i))
    moved = set(ranked[limit:])
    reason = f"over the cap of {limit} inline comment{'s' if limit != 1 else ''} per contender"
    findings = tuple(
        replace(item, placement=replace(item.placement, kind="body", reason=reason), suggestion=None)
        if i in moved
        else item
        for i, item in enumerate(outcome.findings)
    )
    return replace(outcome, findings=findings)
