"""Acceptance tracking: turn what happens on GitHub after a review into stored signals and fresh verdicts.

Use cases over two Protocols it declares or imports: an :class:`AcceptanceStore` and ``bot.activity``'s
``GitHubActivity``. The Celery tasks (App), ``review-arena harvest`` and the Action call these. Every signal is
keyed by GitHub's own id for the action (a reaction, a reply, a thread) or, for code facts, by its kind, so a
redelivered webhook, a repeated poll and a later harvest record it once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.activity import CompareData, GitHubActivity, ReviewCommentData
from bot.core.acceptance import Kind, Policy, Signal
from bot.core.config import AcceptanceConfig
from bot.core.signals import (
    applies_suggestions,
    association_from_permission,
    bot_marker,
    command_of,
    lines_touched,
    poll_delay,
    reaction_kind,
    reply_polarity,
    suggestion_applied,
)
from bot.errors import GitHubError

REACTION_KINDS = (Kind.THUMBS_UP, Kind.THUMBS_DOWN)


@dataclass(frozen=True, slots=True)
class PullKey:
    owner: str
    repo: str
    number: int


@dataclass(frozen=True, slots=True)
class TrackedComment:
    """A finding the bot posted on a line, as stored; ``github_id`` is None until the comment is seen."""

    pk: int
    github_id: int | None
    run_id: str
    fingerprint: str
    head_sha: str
    path: str
    side: str
    start_line: int | None
    line: int | None
    suggestion: str | None
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class Observed:
    """A signal seen on one stored comment, with where it was seen and GitHub's id for it."""

    comment_pk: int
    signal: Signal
    source: str  # webhook | poll | push | harvest
    source_id: str


class AcceptanceStore(Protocol):
    def tracked_comments(self, pull: PullKey) -> list[TrackedComment]: ...

    def link_comment(self, pull: PullKey, *, run_id: str, fingerprint: str, github_id: int) -> int | None:
        """Give the stored comment of ``run_id``/``fingerprint`` its GitHub id; its pk, or None if unknown."""
        ...

    def record(self, observed: Sequence[Observed]) -> int:
        """Insert new signals (known ones stay as they are); the number inserted."""
        ...

    def set_live(self, observed: Observed, *, live: bool, at: datetime) -> None:
        """A state-like signal (a resolved thread): upsert and clear its retraction, or retract it."""
        ...

    def retract_missing(self, comment_pk: int, *, kinds: Sequence[Kind], keep: set[str], at: datetime) -> None:
        """Retract the comment's live signals of ``kinds`` whose source id is not in ``keep``; revive those that are."""
        ...

    def set_pull_state(
        self, pull: PullKey, *, state: str, closed_at: datetime | None, author: str | None = None
    ) -> None: ...

    def record_push(self, pull: PullKey, *, at: datetime) -> None: ...

    def pull_times(self, pull: PullKey) -> tuple[datetime, datetime | None]:
        """When the pull request was first reviewed, and when it closed (None while open)."""
        ...

    def schedule_poll(self, pull: PullKey, *, polled_at: datetime, next_at: datetime | None) -> None: ...

    def recompute(self, pull: PullKey, *, policy: Policy, now: datetime) -> dict[str, int]:
        """Classify every tracked comment of the pull request again; counts by verdict."""
        ...


def policy_of(config: AcceptanceConfig) -> Policy:
    return Policy(
        trusted=frozenset(config.trusted_associations),
        count_pr_author=config.count_pr_author,
        ignore_after=timedelta(days=config.ignore_after_days),
        bot_logins=frozenset(config.bot_logins),
    )


@dataclass
class Tracker:
    """One pull request's tracking session: the store, GitHub, the settings and a permission cache."""

    store: AcceptanceStore
    github: GitHubActivity
    config: AcceptanceConfig
    now: Callable[[], datetime]
    source: str = "webhook"
    _permissions: dict[tuple[str, str, str], str] = field(default_factory=dict)

    @property
    def policy(self) -> Policy:
        return policy_of(self.config)

    def association(self, pull: PullKey, login: str) -> str:
        """Reactions and resolutions carry no author association: derive it from the collaborator permission."""
        key = (pull.owner, pull.repo, login)
        if key not in self._permissions:
            self._permissions[key] = self.github.permission(pull.owner, pull.repo, login)
        return association_from_permission(self._permissions[key], login=login, owner=pull.owner)

    def link(self, pull: PullKey, comments: Iterable[ReviewCommentData]) -> dict[int, int]:
        """Match the bot's comments (by verified marker) to stored ones: GitHub id → stored pk."""
        linked: dict[int, int] = {}
        for c in comments:
            marker = bot_marker(
                c.body, author=c.author, author_is_bot=c.author_is_bot, bot_logins=self.policy.bot_logins
            )
            if marker is None or c.in_reply_to is not None:
                continue
            pk = self.store.link_comment(pull, run_id=marker.run_id, fingerprint=marker.fingerprint, github_id=c.id)
            if pk is not None:
                linked[c.id] = pk
        return linked

    def reply_signals(self, linked: dict[int, int], replies: Iterable[ReviewCommentData]) -> list[Observed]:
        """Replies to the bot's comments: ``/arena accept|reject`` are commands, anything else a reply with a tone."""
        found = []
        for r in replies:
            if r.in_reply_to not in linked:
                continue
            kind = command_of(r.body) or Kind.REPLY
            value = reply_polarity(r.body) if kind == Kind.REPLY else ""
            signal = Signal(kind, r.author, r.association, r.created_at, actor_is_bot=r.author_is_bot, value=value)
            found.append(Observed(linked[r.in_reply_to], signal, self.source, f"comment:{r.id}"))
        return found

    def poll(self, pull: PullKey) -> dict[str, int]:
        """Read the pull request's review comments and the reactions on the bot's: record, retract, reclassify."""
        now = self.now()
        comments = self.github.review_comments(pull.owner, pull.repo, pull.number)
        linked = self.link(pull, comments)
        observed = self.reply_signals(linked, comments)
        for c in comments:
            if c.id in linked:
                observed += self._reactions(pull, c, linked[c.id], now)
        self.store.record(observed)
        self._schedule(pull, now)
        return self.store.recompute(pull, policy=self.policy, now=now)

    def _reactions(self, pull: PullKey, comment: ReviewCommentData, pk: int, now: datetime) -> list[Observed]:
        reactions = self.github.reactions(pull.owner, pull.repo, comment.id) if comment.thumbs else []
        found = []
        for r in reactions:
            kind = reaction_kind(r.content)
            if kind is None:
                continue
            association = "NONE" if r.user_is_bot else self.association(pull, r.user)
            signal = Signal(kind, r.user, association, r.created_at, actor_is_bot=r.user_is_bot)
            found.append(Observed(pk, signal, self.source, f"reaction:{r.id}"))
        self.store.retract_missing(pk, kinds=REACTION_KINDS, keep={o.source_id for o in found}, at=now)
        return found

    def _schedule(self, pull: PullKey, now: datetime) -> None:
        first, closed_at = self.store.pull_times(pull)
        delay = poll_delay(
            age=now - first,
            closed_for=None if closed_at is None else now - closed_at,
            stop_after=timedelta(days=self.config.poll_stop_after_days),
        )
        self.store.schedule_poll(pull, polled_at=now, next_at=None if delay is None else now + delay)

    def thread(self, pull: PullKey, *, thread_id: str, root: ReviewCommentData, resolved: bool, by: str) -> bool:
        """A thread on one of the bot's comments was resolved or unresolved by ``by``; False if not the bot's."""
        linked = self.link(pull, [root])
        if root.id not in linked:
            return False
        now = self.now()
        is_bot = by.endswith("[bot]") or by in self.policy.bot_logins
        association = "NONE" if is_bot else self.association(pull, by)
        signal = Signal(Kind.RESOLVED, by, association, now, actor_is_bot=is_bot)
        observed = Observed(linked[root.id], signal, self.source, f"thread:{thread_id}")
        self.store.set_live(observed, live=resolved, at=now)
        self.store.recompute(pull, policy=self.policy, now=now)
        return True

    def reply(self, pull: PullKey, reply: ReviewCommentData) -> bool:
        """A reply to a review comment: recorded when it answers one of the bot's comments."""
        by_id = {c.github_id: c.pk for c in self.store.tracked_comments(pull) if c.github_id is not None}
        if reply.in_reply_to not in by_id:
            comments = self.github.review_comments(pull.owner, pull.repo, pull.number)
            by_id.update(self.link(pull, comments))
        if reply.in_reply_to not in by_id:
            return False
        self.store.record(self.reply_signals({k: v for k, v in by_id.items() if k is not None}, [reply]))
        self.store.recompute(pull, policy=self.policy, now=self.now())
        return True

    def push(self, pull: PullKey, *, after: str) -> dict[str, int]:
        """New commits: find comments whose lines changed or whose suggestion was applied, then poll reactions."""
        now = self.now()
        self.store.record_push(pull, at=now)
        self.store.record(self.code_signals(pull, after=after, at=now))
        return self.poll(pull)

    def code_signals(self, pull: PullKey, *, after: str, at: datetime) -> list[Observed]:
        """Compare each commented commit with ``after`` and test every RIGHT-side comment's lines against it."""
        by_head: dict[str, list[TrackedComment]] = {}
        for c in self.store.tracked_comments(pull):
            if c.side == "RIGHT" and c.line is not None and c.head_sha not in ("", "-", after):
                by_head.setdefault(c.head_sha, []).append(c)
        found: list[Observed] = []
        for head, comments in by_head.items():
            try:
                compare = self.github.compare(pull.owner, pull.repo, head, after)
            except GitHubError:
                continue  # a force-push can make the commented commit unreachable: nothing to compare
            for c in comments:
                found += code_facts(c, compare, at=at, source=self.source)
        return found


def code_facts(comment: TrackedComment, compare: CompareData, *, at: datetime, source: str) -> list[Observed]:
    """The code signals one comparison shows for one comment: its lines changed, its suggestion applied."""
    assert comment.line is not None
    patch = _patch_for(comment.path, compare)
    if patch is None:
        return []
    start, end = comment.start_line or comment.line, comment.line
    when = compare.commits[-1].at if compare.commits else at
    found = []
    if lines_touched(patch, start=start, end=end):
        found.append(Observed(comment.pk, Signal(Kind.LINES_CHANGED, "", "", when), source, "lines"))
    if comment.suggestion is not None and suggestion_applied(
        patch, start=start, end=end, suggestion=comment.suggestion
    ):
        how = "apply-commit" if any(applies_suggestions(c.message) for c in compare.commits) else "content"
        applied = Signal(Kind.SUGGESTION_APPLIED, "", "", when, value=how)
        found.append(Observed(comment.pk, applied, source, "suggestion"))
    return found


def _patch_for(path: str, compare: CompareData) -> str | None:
    if path in compare.patches and compare.renamed_from.get(path, path) == path:
        return compare.patches[path]
    renamed = next((new for new, old in compare.renamed_from.items() if old == path), None)
    return None if renamed is None else compare.patches.get(renamed)
