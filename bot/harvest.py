"""Rebuilding acceptance data from GitHub alone (``review-arena harvest``): the bot's runs and comments found by
their markers, then every signal, through ``bot.acceptance_tracking.Tracker`` so a harvest and the App agree.

A use case over the :class:`HarvestStore` it declares and ``bot.activity.GitHubActivity``; no I/O of its own.
Resumable: the repository's cursor holds the pull requests listed but not yet harvested, and an interrupted
harvest (a transient GitHub failure, Ctrl-C) leaves them there for the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.acceptance_tracking import AcceptanceStore, Observed, PullKey, Tracker
from bot.activity import (
    CompareData,
    GitHubActivity,
    PullData,
    ReactionData,
    ReviewCommentData,
    ReviewData,
    ThreadData,
)
from bot.core.acceptance import Kind, Signal
from bot.core.config import AcceptanceConfig
from bot.errors import GitHubError, Transient
from bot.harvested import HarvestedComment, HarvestedRun, finding_comments, summary_runs

SOURCE = "harvest"
LISTING_OVERLAP = timedelta(minutes=5)  # the next listing starts a little early: clocks differ, harvests are idempotent


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far harvests got: everything updated before ``done_through`` is harvested, except ``pending``."""

    done_through: datetime | None = None
    pending: tuple[int, ...] = ()


class HarvestStore(AcceptanceStore, Protocol):
    def ensure_run(self, pull: PullKey, run: HarvestedRun) -> int | None:
        """The stored run's pk (created if missing); None when another run holds its pull, head and contender."""
        ...

    def ensure_comment(self, run_pk: int, *, contender: str, comment: HarvestedComment) -> None:
        """Store the comment unless the run already has its fingerprint (or its GitHub id is taken)."""
        ...

    def harvest_cursor(self, owner: str, repo: str) -> Cursor: ...

    def save_harvest_cursor(self, owner: str, repo: str, cursor: Cursor) -> None: ...

    def signal_count(self, pull: PullKey) -> int: ...

    def verdict_counts(self, pull: PullKey) -> dict[str, dict[str, int]]:
        """Verdicts of the pull request's tracked comments, by contender then verdict."""
        ...


@dataclass(frozen=True, slots=True)
class PullHarvest:
    number: int
    comments: Mapping[str, int]  # contender -> the bot's finding comments found
    signals_new: int
    verdicts: Mapping[str, Mapping[str, int]]  # contender -> verdict -> comments


@dataclass(frozen=True, slots=True)
class Stopped:
    number: int | None  # None while listing pull requests
    reason: str
    kind: str  # transient | github | interrupted


@dataclass(frozen=True, slots=True)
class HarvestReport:
    repository: str
    pulls: tuple[PullHarvest, ...]
    stopped: Stopped | None = None
    pending: tuple[int, ...] = ()

    @property
    def signals_new(self) -> int:
        return sum(p.signals_new for p in self.pulls)

    @property
    def comments(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for p in self.pulls:
            for contender, n in p.comments.items():
                totals[contender] = totals.get(contender, 0) + n
        return totals

    @property
    def verdicts(self) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        for p in self.pulls:
            for contender, counts in p.verdicts.items():
                mine = totals.setdefault(contender, {})
                for verdict, n in counts.items():
                    mine[verdict] = mine.get(verdict, 0) + n
        return totals


# ---- the use case ---------------------------------------------------------------------------------------------
@dataclass
class Harvester:
    """Harvests one repository's pull requests into the store."""

    store: HarvestStore
    github: GitHubActivity
    config: AcceptanceConfig
    now: Callable[[], datetime]
    progress: Callable[[str], None] | None = None
    _reads: _OnePullReads = field(init=False)
    _tracker: Tracker = field(init=False)

    def __post_init__(self) -> None:
        self._reads = _OnePullReads(self.github)
        self._tracker = Tracker(self.store, self._reads, self.config, self.now, source=SOURCE)

    def run(self, owner: str, repo: str, *, since: datetime | None = None, number: int | None = None) -> HarvestReport:
        """Harvest ``number`` alone (the cursor untouched), or finish the cursor's pending pull requests and
        then every pull request updated since ``since`` (default: where the last harvest got to)."""
        if number is not None:
            return self._numbers(owner, repo, [number], {}, cursor=None)
        cursor = self.store.harvest_cursor(owner, repo)
        first = self._numbers(owner, repo, list(cursor.pending), {}, cursor=cursor)
        if first.stopped is not None:
            return first
        listed_at = self.now() - LISTING_OVERLAP
        try:
            listed = {p.number: p for p in self.github.pulls(owner, repo, since=since or cursor.done_through)}
        except (Transient, GitHubError, KeyboardInterrupt) as exc:
            return HarvestReport(first.repository, first.pulls, _stopped(None, exc))
        cursor = Cursor(done_through=listed_at, pending=tuple(listed))
        self.store.save_harvest_cursor(owner, repo, cursor)  # written with the listing: see Cursor's invariant
        rest = self._numbers(owner, repo, list(listed), listed, cursor=cursor)
        return HarvestReport(rest.repository, first.pulls + rest.pulls, rest.stopped, rest.pending)

    def _numbers(
        self, owner: str, repo: str, numbers: list[int], known: Mapping[int, PullData], *, cursor: Cursor | None
    ) -> HarvestReport:
        done: list[PullHarvest] = []
        pending = list(numbers)
        for n in numbers:
            try:
                done.append(self.pull(PullKey(owner, repo, n), known.get(n)))
            except (Transient, GitHubError, KeyboardInterrupt) as exc:
                return HarvestReport(f"{owner}/{repo}", tuple(done), _stopped(n, exc), tuple(pending))
            pending.remove(n)
            if cursor is not None:
                self.store.save_harvest_cursor(owner, repo, Cursor(cursor.done_through, tuple(pending)))
        return HarvestReport(f"{owner}/{repo}", tuple(done))

    def pull(self, key: PullKey, pull: PullData | None = None) -> PullHarvest:
        """Harvest one pull request: runs and comments first, then its state, replies, reactions, threads and
        code signals; verdicts last."""
        self._reads.start()
        pull = pull or self.github.pull(key.owner, key.repo, key.number)
        logins = self._tracker.policy.bot_logins
        runs = summary_runs(self._reads.reviews(key.owner, key.repo, key.number), bot_logins=logins)
        if not runs:
            self._say(f"#{key.number}: no review by the bot")
            return PullHarvest(key.number, {}, 0, {})
        comments = self._reads.review_comments(key.owner, key.repo, key.number)
        found = finding_comments(comments, runs, bot_logins=logins)
        before = self.store.signal_count(key)
        self._store_runs(key, runs, found)
        self._signals(key, pull, runs, comments)
        new = self.store.signal_count(key) - before
        counts: dict[str, int] = {}
        for run, _ in found:
            counts[run.contender] = counts.get(run.contender, 0) + 1
        self._say(f"#{key.number}: {sum(counts.values())} bot comments, {new} new signals")
        return PullHarvest(key.number, counts, new, self.store.verdict_counts(key))

    def _store_runs(
        self, key: PullKey, runs: Mapping[str, HarvestedRun], found: Sequence[tuple[HarvestedRun, HarvestedComment]]
    ) -> None:
        pks = {run_id: self.store.ensure_run(key, run) for run_id, run in runs.items()}
        for run, comment in found:
            pk = pks[run.run_id]
            if pk is not None:
                self.store.ensure_comment(pk, contender=run.contender, comment=comment)

    def _signals(
        self, key: PullKey, pull: PullData, runs: Mapping[str, HarvestedRun], comments: Sequence[ReviewCommentData]
    ) -> None:
        state = "merged" if pull.merged else pull.state
        self.store.set_pull_state(key, state=state, closed_at=pull.closed_at, author=pull.author)
        self._push(key, {r.head_sha for r in runs.values()}, after=pull.head_sha)
        self._tracker.poll(key)  # replies, commands and reactions
        self._threads(key, comments)
        now = self.now()
        self.store.record(self._tracker.code_signals(key, after=pull.head_sha, at=now))
        self.store.recompute(key, policy=self._tracker.policy, now=now)

    def _push(self, key: PullKey, heads: set[str], *, after: str) -> None:
        """A head newer than a reviewed one means commits were pushed after the review: dated by the newest."""
        times = []
        for head in heads - {after}:
            try:
                compare = self._reads.compare(key.owner, key.repo, head, after)
            except GitHubError:
                continue  # a force-push can make the reviewed commit unreachable
            times += [c.at for c in compare.commits[-1:]]
        if times:
            self.store.record_push(key, at=max(times))

    def _threads(self, key: PullKey, comments: Sequence[ReviewCommentData]) -> None:
        """Resolved threads on the bot's comments become signals (kept as first recorded); unresolved ones
        retract theirs. GraphQL says who resolved a thread but not when: its last comment's time stands in."""
        linked = {c.github_id: c.pk for c in self.store.tracked_comments(key) if c.github_id is not None}
        times = {c.id: c.created_at for c in comments}
        now = self.now()
        for thread in self._reads.review_threads(key.owner, key.repo, key.number):
            pk = linked.get(thread.comment_ids[0]) if thread.comment_ids else None
            if pk is None:
                continue
            source_id = f"thread:{thread.id}"
            if thread.resolved:
                at = max((times[i] for i in thread.comment_ids if i in times), default=now)
                self.store.record([Observed(pk, self._resolution(key, thread, at), SOURCE, source_id)])
            keep = {source_id} if thread.resolved else set()
            self.store.retract_missing(pk, kinds=(Kind.RESOLVED,), keep=keep, at=now)

    def _resolution(self, key: PullKey, thread: ThreadData, at: datetime) -> Signal:
        by = thread.resolved_by or "ghost"
        is_bot = thread.resolved_by_is_bot or by.endswith("[bot]") or by in self._tracker.policy.bot_logins
        association = "NONE" if is_bot else self._tracker.association(key, by)
        return Signal(Kind.RESOLVED, by, association, at, actor_is_bot=is_bot)

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)


def _stopped(number: int | None, exc: BaseException) -> Stopped:
    if isinstance(exc, KeyboardInterrupt):
        return Stopped(number, "interrupted", "interrupted")
    return Stopped(number, str(exc), "transient" if isinstance(exc, Transient) else "github")


class _OnePullReads:
    """``GitHubActivity`` that reads the current pull request's review comments and comparisons once, since the
    harvest and the ``Tracker`` both need them, and each person's permission once per harvest."""

    def __init__(self, github: GitHubActivity) -> None:
        self._github = github
        self._comments: dict[tuple[str, str, int], list[ReviewCommentData]] = {}
        self._compares: dict[tuple[str, str, str, str], CompareData] = {}
        self._permissions: dict[tuple[str, str, str], str] = {}

    def start(self) -> None:
        self._comments.clear()
        self._compares.clear()

    def review_comments(self, owner: str, repo: str, number: int) -> list[ReviewCommentData]:
        key = (owner, repo, number)
        if key not in self._comments:
            self._comments[key] = self._github.review_comments(owner, repo, number)
        return self._comments[key]

    def compare(self, owner: str, repo: str, base: str, head: str) -> CompareData:
        key = (owner, repo, base, head)
        if key not in self._compares:
            self._compares[key] = self._github.compare(owner, repo, base, head)
        return self._compares[key]

    def permission(self, owner: str, repo: str, login: str) -> str:
        key = (owner, repo, login)
        if key not in self._permissions:
            self._permissions[key] = self._github.permission(owner, repo, login)
        return self._permissions[key]

    def reactions(self, owner: str, repo: str, comment_id: int) -> list[ReactionData]:
        return self._github.reactions(owner, repo, comment_id)

    def review_threads(self, owner: str, repo: str, number: int) -> list[ThreadData]:
        return self._github.review_threads(owner, repo, number)

    def reviews(self, owner: str, repo: str, number: int) -> list[ReviewData]:
        return self._github.reviews(owner, repo, number)

    def pull(self, owner: str, repo: str, number: int) -> PullData:
        return self._github.pull(owner, repo, number)

    def pulls(self, owner: str, repo: str, *, since: datetime | None) -> Iterator[PullData]:
        return self._github.pulls(owner, repo, since=since)
