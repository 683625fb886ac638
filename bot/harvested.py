"""What a harvest finds on GitHub: the bot's runs (from its review summaries) and its finding comments, each
verified as the bot's own, with the fields stored for them. Pure: GitHub's data in, values out.

A marker alone proves nothing, since anyone can paste one: a comment counts only when a bot account (one of
``acceptance.bot_logins`` when set) wrote it, and the same account posted its run's summary on the same pull
request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.activity import ReviewCommentData, ReviewData
from bot.core.comments import NO_HEAD, SEVERITY_BADGES, parse_marker
from bot.core.run_data import RunData, parse_run_data
from bot.core.signals import bot_marker, suggestion_of

_BADGES = {badge: severity for severity, badge in SEVERITY_BADGES.items()}
_LABEL_LINE = re.compile(
    r"^\*\*.+?\*\* · (?P<badge>" + "|".join(map(re.escape, _BADGES)) + r") · (?P<category>[^\n]*)$"
)


@dataclass(frozen=True, slots=True)
class HarvestedRun:
    """One contender's review found by its bot-authored summary marker."""

    run_id: str
    contender: str
    head_sha: str
    position: int  # 0 was posted first on this head
    review_id: int
    author: str  # the bot account that posted it
    submitted_at: datetime
    data: RunData | None  # the summary's run record, when it has one


@dataclass(frozen=True, slots=True)
class HarvestedComment:
    """One finding comment of a verified run, as GitHub shows it."""

    github_id: int
    fingerprint: str
    marker: str
    path: str
    line: int | None
    start_line: int | None
    side: str
    severity: str
    category: str
    suggestion: str | None
    created_at: datetime


def summary_runs(reviews: Iterable[ReviewData], *, bot_logins: frozenset[str]) -> dict[str, HarvestedRun]:
    """The runs whose summary a bot account posted (one of ``bot_logins`` when given), by run id. The first
    summary of a contender on a head wins; positions follow submission times on each head."""
    first: dict[tuple[str, str], tuple[ReviewData, str]] = {}
    submitted = [r for r in reviews if r.submitted_at is not None]
    for r in sorted(submitted, key=lambda r: (r.submitted_at, r.id)):
        marker = parse_marker(r.body)
        if not r.author_is_bot or (bot_logins and r.author not in bot_logins):
            continue
        if marker is None or marker.kind != "summary":
            continue
        head = r.commit_id if marker.head_sha == NO_HEAD else marker.head_sha
        first.setdefault((head, marker.contender), (r, marker.run_id))
    runs: dict[str, HarvestedRun] = {}
    positions: dict[str, int] = {}
    for (head, contender), (review, run_id) in first.items():
        position = positions[head] = positions.get(head, -1) + 1
        assert review.submitted_at is not None
        runs[run_id] = HarvestedRun(
            run_id,
            contender,
            head,
            position,
            review.id,
            review.author,
            review.submitted_at,
            parse_run_data(review.body),
        )
    return runs


def finding_comments(
    comments: Iterable[ReviewCommentData], runs: Mapping[str, HarvestedRun], *, bot_logins: frozenset[str]
) -> list[tuple[HarvestedRun, HarvestedComment]]:
    """The finding comments that verify: the bot's marker, on a run whose summary the same bot posted."""
    found = []
    for c in comments:
        marker = bot_marker(c.body, author=c.author, author_is_bot=c.author_is_bot, bot_logins=bot_logins)
        run = runs.get(marker.run_id) if marker is not None else None
        if marker is None or run is None or c.in_reply_to is not None:
            continue
        if run.contender != marker.contender or run.author != c.author:
            continue
        severity, category = label_fields(c.body)
        # the lines in the reviewed commit: ``line`` moves with later pushes and is None once outdated
        line = c.original_line if c.original_line is not None else c.line
        start = c.original_start_line if c.original_line is not None else c.start_line
        harvested = HarvestedComment(
            c.id, marker.fingerprint, marker.render(), c.path, line, start, c.side,
            severity, category, suggestion_of(c.body), c.created_at,
        )  # fmt: skip
        found.append((run, harvested))
    return found


def label_fields(body: str) -> tuple[str, str]:
    """Severity and category from a finding's first line, ``**<label>** · 🔴 critical · <category>``."""
    m = _LABEL_LINE.match(body.split("\n", 1)[0])
    if m is None:
        return "unknown", ""
    return _BADGES[m["badge"]], m["category"].strip()[:40]
