"""What maintainers' actions mean for one posted comment: the published definition of "accepted". Pure.

:func:`classify` turns the signals recorded for one comment (reactions, ``/arena`` commands, replies, thread
resolution, a suggestion applied, the flagged lines changed) and the pull request's state into one
:class:`Verdict`. Time comes in as ``now``. The rules are numbered; the first rule that matches decides, and
:data:`RULES` is the table the README and the statistics cite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

VerdictClass = Literal["accepted", "addressed", "rejected", "ignored", "pending"]
VERDICTS: tuple[VerdictClass, ...] = ("accepted", "addressed", "rejected", "ignored", "pending")
DECIDED: frozenset[VerdictClass] = frozenset({"accepted", "addressed", "rejected", "ignored"})
DEFINITION_VERSION = "acceptance-v1"
DEFAULT_TRUSTED = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


class Kind(StrEnum):
    """What happened. Human kinds are weighed by who did them; code kinds are facts about the commits."""

    THUMBS_UP = "thumbs_up"
    THUMBS_DOWN = "thumbs_down"
    ACCEPT_COMMAND = "accept_command"
    REJECT_COMMAND = "reject_command"
    REPLY = "reply"
    RESOLVED = "resolved"
    SUGGESTION_APPLIED = "suggestion_applied"
    LINES_CHANGED = "lines_changed"


CODE_KINDS = frozenset({Kind.SUGGESTION_APPLIED, Kind.LINES_CHANGED})


class Role(StrEnum):
    MAINTAINER = "maintainer"  # author association in the trusted set (write access)
    AUTHOR = "author"  # the pull request's author: kept apart unless the policy counts them
    BOT = "bot"  # any bot account, this App included: never counts
    OTHER = "other"  # anyone else: stored, never counts
    CODE = "code"  # a commit, not a person


@dataclass(frozen=True, slots=True)
class Signal:
    """One observed action on one comment. ``value`` is the reply's polarity or the commit that showed it."""

    kind: Kind
    actor: str
    association: str
    at: datetime
    actor_is_bot: bool = False
    value: str = ""
    retracted: bool = False  # a reaction taken back, a thread unresolved


@dataclass(frozen=True, slots=True)
class PullFacts:
    author: str
    closed_at: datetime | None = None
    merged: bool = False
    pushed_at: tuple[datetime, ...] = ()  # when later commits arrived (synchronize events)


@dataclass(frozen=True, slots=True)
class Policy:
    trusted: frozenset[str] = DEFAULT_TRUSTED
    count_pr_author: bool = False
    ignore_after: timedelta = timedelta(days=7)
    bot_logins: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: VerdictClass
    rule: str  # the id of the rule in RULES that decided
    at: datetime | None  # when the deciding signal happened


RULES: tuple[tuple[str, str, str], ...] = (
    ("command", "accepted|rejected", "A maintainer replied `/arena accept` or `/arena reject`; the latest wins."),
    ("suggestion", "accepted", "A later commit put the comment's suggested code at the commented lines."),
    (
        "reaction",
        "accepted|rejected",
        "Maintainers reacted 👍 (accepted) or 👎 (rejected); if both, the latest reaction wins.",
    ),
    ("lines", "addressed", "A later commit changed the commented lines."),
    (
        "resolved-negative",
        "rejected",
        "A maintainer resolved the thread and replied negatively, and the commented lines did not change.",
    ),
    ("resolved-change", "addressed", "A maintainer resolved the thread and a commit was pushed after the comment."),
    ("closed", "ignored", "The pull request closed (merged or not) and the window passed with none of the above."),
    ("open", "pending", "None of the above yet."),
)


def role_of(signal: Signal, pull: PullFacts, policy: Policy) -> Role:
    """Who acted, in the sense of the trust rules. The bot comes first, then the author, then write access."""
    if signal.kind in CODE_KINDS:
        return Role.CODE
    if signal.actor_is_bot or signal.actor in policy.bot_logins or signal.actor.endswith("[bot]"):
        return Role.BOT
    if signal.actor == pull.author:
        return Role.AUTHOR
    if signal.association in policy.trusted:
        return Role.MAINTAINER
    return Role.OTHER


def counted(signals: Iterable[Signal], pull: PullFacts, policy: Policy) -> list[Signal]:
    """The live signals that may decide a verdict, oldest first."""
    roles = {Role.MAINTAINER, Role.CODE} | ({Role.AUTHOR} if policy.count_pr_author else set())
    live = [s for s in signals if not s.retracted and role_of(s, pull, policy) in roles]
    return sorted(live, key=lambda s: s.at)


def classify(
    signals: Sequence[Signal], *, posted_at: datetime, pull: PullFacts, policy: Policy, now: datetime
) -> Verdict:
    """The verdict for one comment posted at ``posted_at``; see :data:`RULES` for the order."""
    live = counted(signals, pull, policy)
    for decide in (_command, _suggestion, _reaction, _lines, _resolved_negative, _resolved_after_change):
        verdict = decide(live, posted_at, pull)
        if verdict is not None:
            return verdict
    if pull.closed_at is not None and now >= pull.closed_at + policy.ignore_after:
        return Verdict("ignored", "closed", pull.closed_at + policy.ignore_after)
    return Verdict("pending", "open", None)


def _latest(signals: list[Signal], kinds: set[Kind]) -> Signal | None:
    found = [s for s in signals if s.kind in kinds]
    return found[-1] if found else None


def _command(live: list[Signal], _posted: datetime, _pull: PullFacts) -> Verdict | None:
    last = _latest(live, {Kind.ACCEPT_COMMAND, Kind.REJECT_COMMAND})
    if last is None:
        return None
    return Verdict("accepted" if last.kind == Kind.ACCEPT_COMMAND else "rejected", "command", last.at)


def _suggestion(live: list[Signal], _posted: datetime, _pull: PullFacts) -> Verdict | None:
    first = next((s for s in live if s.kind == Kind.SUGGESTION_APPLIED), None)
    return None if first is None else Verdict("accepted", "suggestion", first.at)


def _reaction(live: list[Signal], _posted: datetime, _pull: PullFacts) -> Verdict | None:
    last = _latest(live, {Kind.THUMBS_UP, Kind.THUMBS_DOWN})
    if last is None:
        return None
    return Verdict("accepted" if last.kind == Kind.THUMBS_UP else "rejected", "reaction", last.at)


def _lines(live: list[Signal], _posted: datetime, _pull: PullFacts) -> Verdict | None:
    first = next((s for s in live if s.kind == Kind.LINES_CHANGED), None)
    return None if first is None else Verdict("addressed", "lines", first.at)


def _resolved_after_change(live: list[Signal], posted: datetime, pull: PullFacts) -> Verdict | None:
    resolved = _latest(live, {Kind.RESOLVED})
    if resolved is None or not any(t > posted for t in pull.pushed_at):
        return None
    return Verdict("addressed", "resolved-change", resolved.at)


def _resolved_negative(live: list[Signal], _posted: datetime, _pull: PullFacts) -> Verdict | None:
    resolved = _latest(live, {Kind.RESOLVED})
    negative = next((s for s in live if s.kind == Kind.REPLY and s.value == "negative"), None)
    if resolved is None or negative is None:
        return None
    return Verdict("rejected", "resolved-negative", max(resolved.at, negative.at))
