"""Reading acceptance signals out of GitHub's data: commands, reply tone, reactions, changed lines, applied
suggestions, the polling schedule and whose comment is the bot's. Pure: text and numbers in, values out.

The webhook handlers, the reaction poller and ``review-arena harvest`` all read GitHub through these
functions, so the App and a harvest agree on every signal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from bot.core.acceptance import Kind
from bot.core.comments import Marker, parse_marker

_COMMAND = re.compile(r"^\s*/arena\s+(accept|reject)\b", re.IGNORECASE)
_NEGATIVE = re.compile(
    r"^\s*(?:👎|no\b|nope\b|nah\b|disagree|incorrect|wrong\b|not (?:a|an) (?:bug|issue|problem)|false positive"
    r"|won['’]?t fix|wontfix|not applicable|irrelevant|this is (?:fine|intended|expected|correct|deliberate)"
    r"|(?:that['’]s|this is) not (?:right|true|correct)|by design|intended\b|invalid\b)",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"^\s*(?:👍|good catch|nice catch|thanks|thank you|fixed|done\b|agreed|good point|will fix|yes\b|\+1)",
    re.IGNORECASE,
)
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_SUGGESTION = re.compile(r"^(?P<fence>`{3,})suggestion[^\n]*\n(?P<text>.*?)^(?P=fence)\s*$", re.MULTILINE | re.DOTALL)
_APPLY_MESSAGE = re.compile(r"^Apply suggestions? from", re.MULTILINE)
_CO_AUTHOR = re.compile(r"^Co-authored-by:\s*(?P<who>[^<\n]+?)\s*<", re.MULTILINE | re.IGNORECASE)
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})


def command_of(body: str) -> Kind | None:
    """``/arena accept`` or ``/arena reject`` at the start of a reply, or None."""
    m = _COMMAND.match(body or "")
    if m is None:
        return None
    return Kind.ACCEPT_COMMAND if m[1].lower() == "accept" else Kind.REJECT_COMMAND


def reply_polarity(body: str) -> str:
    """``negative``, ``positive`` or ``neutral``, judged on how the reply opens (quoted lines skipped)."""
    text = "\n".join(line for line in (body or "").splitlines() if not line.lstrip().startswith(">")).strip()
    if _NEGATIVE.match(text):
        return "negative"
    if _POSITIVE.match(text):
        return "positive"
    return "neutral"


def reaction_kind(content: str) -> Kind | None:
    """GitHub's reaction ``content``: ``+1`` and ``-1`` are signals, the other emoji are not."""
    return {"+1": Kind.THUMBS_UP, "-1": Kind.THUMBS_DOWN}.get(content)


def association_from_permission(permission: str, *, login: str, owner: str) -> str:
    """An author association for someone known only by repository permission (reactions and resolutions
    carry no association): the owner is OWNER, write access is COLLABORATOR, anyone else NONE."""
    if login.lower() == owner.lower():
        return "OWNER"
    return "COLLABORATOR" if permission in WRITE_PERMISSIONS else "NONE"


@dataclass(frozen=True, slots=True)
class _Line:
    op: str  # " ", "-" or "+"
    old: int  # old-side line number; for "+" the old line it is inserted before
    text: str


def _walk(patch: str) -> Iterator[_Line]:
    old = 0
    for raw in (patch or "").splitlines():
        m = _HUNK.match(raw)
        if m is not None:
            old = int(m[1]) if (m[2] or "1") != "0" else int(m[1]) + 1
            continue
        if not raw or raw[0] not in " -+":
            continue  # "\ No newline at end of file" and the like
        yield _Line(raw[0], old, raw[1:])
        if raw[0] != "+":
            old += 1


def lines_touched(patch: str, *, start: int, end: int) -> bool:
    """Whether a patch (old side = the commented commit) removes or replaces any line in ``start..end``, or
    inserts between two of them."""
    for line in _walk(patch):
        if line.op == "-" and start <= line.old <= end:
            return True
        if line.op == "+" and start < line.old <= end:
            return True
    return False


def suggestion_of(body: str) -> str | None:
    """The text of the first ```suggestion block in a comment body."""
    m = _SUGGESTION.search(body or "")
    return None if m is None else m["text"]


def suggestion_applied(patch: str, *, start: int, end: int, suggestion: str) -> bool:
    """Whether, after the patch, lines ``start..end`` read as the suggested lines (trailing spaces aside).

    Lines of the range the patch keeps are read from its context, so a suggestion that leaves some lines as they
    were is recognised. Lines inserted right before or after the range may surround the suggested text: a diff
    cannot tell them from part of the replacement.
    """
    wanted = [s.rstrip() for s in suggestion.rstrip("\n").split("\n")] if suggestion.strip() else []
    walked = list(_walk(patch))
    before = [x for x in walked if x.op != "+" and start <= x.old <= end]
    if [x.old for x in before] != list(range(start, end + 1)) or wanted == [x.text.rstrip() for x in before]:
        return False  # the patch does not show the whole range, or the suggestion would change nothing
    after = [
        x for x in walked if (x.op == " " and start <= x.old <= end) or (x.op == "+" and start <= x.old <= end + 1)
    ]
    texts = [x.text.rstrip() for x in after]
    # The suggested text must cover every line of ``after`` but the insertions at the edges of the range.
    first = next((i for i, x in enumerate(after) if (x.op, x.old) != ("+", start)), len(after))
    last = len(after) - next((i for i, x in enumerate(reversed(after)) if (x.op, x.old) != ("+", end + 1)), len(after))
    return any(texts[i : i + len(wanted)] == wanted for i in range(first + 1) if i + len(wanted) >= last)


def applies_suggestions(message: str) -> bool:
    """GitHub's own "Apply suggestion(s) from code review" commit, or one that credits a co-author."""
    return bool(_APPLY_MESSAGE.search(message or "") or _CO_AUTHOR.search(message or ""))


def poll_delay(*, age: timedelta, closed_for: timedelta | None, stop_after: timedelta) -> timedelta | None:
    """How long until a pull request's reactions are polled again; None once polling should stop.

    Young pull requests are polled every 15 minutes; the gap doubles with each day of age up to 12 hours. A
    closed pull request is polled until ``stop_after`` has passed since it closed.
    """
    if closed_for is not None and closed_for >= stop_after:
        return None
    days = max(0, int(age / timedelta(days=1)))
    gap: timedelta = timedelta(minutes=15 * 2 ** min(days, 6))
    return min(gap, timedelta(hours=12))


def bot_marker(body: str, *, author: str, author_is_bot: bool, bot_logins: frozenset[str]) -> Marker | None:
    """The finding marker of a comment the bot itself wrote, or None.

    A marker counts only when the author is a bot account and, if the bot's logins are known, one of them: a
    person pasting a marker into their own comment attributes nothing to any contender.
    """
    if not author_is_bot or (bot_logins and author not in bot_logins):
        return None
    marker = parse_marker(body)
    if marker is None or marker.kind != "finding":
        return None
    return marker
