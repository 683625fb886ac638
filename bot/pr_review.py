"""The App's use case: one contender reviews one pull request at one head commit and posts its own review.

Driven by the Celery task, one task per contender. The tasks of one pull request coordinate only through the
run store: one of them (``fetcher_of``) fetches the head and shares it, each records its findings, waits
(bounded) for its peers so that comments flagging the same spot can say "also raised by", then waits (bounded)
for its turn in the seeded posting order, so position bias can be measured. Each store change that a peer may
wait for is announced on the head's wake-up topic (``bot.wakeups``), so the waiters look again at once rather
than at their next poll.

It is idempotent: the store and the summary markers on the PR are both checked before posting (the first poster
of a head lists the reviews for every contender, and records what it found), a newer push supersedes the job,
and a broken ``.github/review-arena.yml`` produces one notice naming the key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from github import Github

from bot.core.config import ContenderConfig, Settings
from bot.core.diff_parse import parse_github_files
from bot.core.outcome import ArenaReport, ContenderOutcome
from bot.core.posting import agreements
from bot.core.pr_ref import PullRef
from bot.core.prompts import PromptTemplate, PullRequestInfo
from bot.core.summary import review_payload
from bot.errors import ConfigError, TransientModelError
from bot.github_writes import no_wait
from bot.offload import Offload
from bot.pr_github import (
    Target,
    active_contender,
    fetch_snapshot,
    notify_once,
    posted_reviews,
    settings_with_repo_config,
)
from bot.publish import post_review
from bot.review import ModelClient, ReviewJob, run_arena
from bot.run_outcome import also_raised_for, posted_comments, spot_tuple, spots_of, summarise
from bot.runs import HeadSnapshot, PostedComment, PostingClaim, PullContext, RunKey, RunRecord, RunSummary, Spot
from bot.wakeups import PollOnly, Wakeups, topic_of

Result = Literal["posted", "already-posted", "superseded", "skipped-config", "skipped-draft"]
SETTLED = frozenset({"reviewed", "failed", "posting", "posted", "superseded"})
DONE = frozenset({"posted", "superseded"})
NO_CONTEXT = PullContext()
T = TypeVar("T")


class RunStore(Protocol):
    def open_run(
        self,
        key: RunKey,
        *,
        run_id: str,
        requested_model: str,
        prompt_version: str,
        contenders: Sequence[str],
        seed: int,
        installation_id: int | None,
        author: str = "",
        snapshot: str | None = None,
        peers: Mapping[str, str] | None = None,
    ) -> RunRecord: ...
    def claim_snapshot(self, key: RunKey, *, stale_after_s: float) -> bool: ...
    def save_snapshot(self, key: RunKey, data: str) -> None: ...
    def load_snapshot(self, key: RunKey) -> str | None: ...
    def runs_for(self, key: RunKey) -> list[RunRecord]: ...
    def save_review(self, run_id: str, summary: RunSummary, spots: Sequence[Spot]) -> None: ...
    def set_status(self, run_id: str, status: str) -> None: ...
    def claim_posting(self, run_id: str, *, stale_after_s: float) -> PostingClaim | None: ...
    def mark_posted(
        self,
        run_id: str,
        *,
        review_id: int | None,
        comments: Sequence[PostedComment],
        agreements: Sequence[tuple[str, str, str, str]] = (),
        listed: Mapping[str, int] | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Timing:
    """Bounds on waiting for peers; keep their sum plus the model deadline under the broker's visibility timeout."""

    peer_wait_s: float = 600.0
    turn_wait_s: float = 600.0
    poll_s: float = 1.0  # the longest pause between polls; they start at a twentieth of it and double
    claim_stale_s: float = 120.0
    snapshot_wait_s: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)


@dataclass(frozen=True, slots=True)
class PullTask:
    owner: str
    repo: str
    number: int
    head_sha: str
    contender: str
    run_id: str
    seed: int
    installation_id: int | None = None
    final_attempt: bool = True

    @property
    def key(self) -> RunKey:
        return RunKey(self.owner, self.repo, self.number, self.head_sha, self.contender)


async def review_pull_for_contender(
    task: PullTask,
    *,
    gh: Github,
    store: RunStore,
    settings: Settings,
    template: PromptTemplate,
    model: ModelClient,
    clock: Callable[[], float],
    timing: Timing = Timing(),
    context: PullContext = NO_CONTEXT,
    wakeups: Wakeups | None = None,
    before_write: Callable[[], object] = no_wait,
    offload: Offload = asyncio.to_thread,
) -> Result:
    """Review ``task``'s pull request at its head with one contender and post its labelled COMMENT review;
    ``before_write`` waits for the installation's GitHub write budget (``bot.github_writes``), ``offload`` runs
    the blocking store and GitHub calls."""
    target = Target(gh, PullRef(task.owner, task.repo, task.number), before_write)
    waits = _Waits(store, task.key, timing, wakeups or PollOnly(timing.sleep), offload)
    head = await _snapshot(task, target, waits, context, fetcher=task.contender == fetcher_of(settings))
    snapshot = head.snapshot
    if snapshot.head_sha != task.head_sha:
        await head.share(waits)
        return "superseded"
    try:
        merged = settings_with_repo_config(settings, snapshot.config_text)
    except ConfigError as exc:
        await head.share(waits)
        await waits.offload(notify_once, target, str(exc), task.head_sha)
        return "skipped-config"
    contender = active_contender(merged, task.contender)
    if (context.draft and not merged.drafts) or contender is None:
        await head.share(waits)
        return "skipped-draft" if context.draft and not merged.drafts else "skipped-config"
    names = [c.name for c in merged.active()]
    # the fetcher shares the head and opens every contender's run in one write
    opened_for = {c.name: c.model for c in merged.active()} if head.unshared is not None else None
    run = await waits.changed(
        store.open_run,
        task.key,
        run_id=task.run_id,
        requested_model=contender.model,
        prompt_version=template.version,
        contenders=names,
        seed=task.seed,
        installation_id=task.installation_id,
        author=context.author,
        snapshot=head.unshared,
        peers=opened_for,
    )
    if run.status in DONE:
        return "already-posted" if run.status == "posted" else "superseded"
    report = await _review(snapshot, target.ref, contender, merged, template, model, run_id=run.run_id, clock=clock)
    outcome = report.outcomes[0]
    if _should_retry(outcome, task):
        await waits.offload(store.set_status, run.run_id, "pending")
        raise TransientModelError(f"contender '{contender.name}' failed transiently: {outcome.error}")
    await waits.changed(
        store.save_review, run.run_id, summarise(outcome, files_reviewed=len(report.reviewed)), spots_of(outcome)
    )
    peers = await waits.until(lambda runs: _peers_settled(runs, names), bound=timing.peer_wait_s)
    pairs = [
        (a, fa, b, fb)
        for a, fa, b, fb in agreements({r.contender: [spot_tuple(s) for s in r.spots] for r in peers if r.spots})
    ]
    payload = review_payload(outcome, report, also_raised=also_raised_for(pairs, task.contender, merged))
    await waits.until(lambda runs: _my_turn(runs, run.position), bound=timing.turn_wait_s)
    claim = await waits.claim(run.run_id)
    if claim is None:
        return "already-posted"
    # the reviews on GitHub: a lost store or a crashed execution may have posted one; a first claim made after a
    # peer listed them (and recorded every contender's it found) needs no second look
    listed = None if claim == "listed" else await waits.offload(posted_reviews, target, task.head_sha)
    existing = (listed or {}).get(task.contender)
    if existing is not None:
        await waits.changed(
            store.mark_posted, run.run_id, review_id=existing, comments=(), agreements=pairs, listed=listed
        )
        return "already-posted"
    posted = await waits.offload(
        post_review,
        gh,
        owner=task.owner,
        repo=task.repo,
        number=task.number,
        payload=payload,
        before_write=target.before_write,
    )
    comments = posted_comments(outcome, task.head_sha)
    await waits.changed(
        store.mark_posted, run.run_id, review_id=posted.review_id, comments=comments, agreements=pairs, listed=listed
    )
    return "posted"


@dataclass(slots=True)
class _Head:
    """The head as this task got it; ``unshared`` is its JSON while the fetcher has not shared it yet."""

    snapshot: HeadSnapshot
    unshared: str | None = None

    async def share(self, waits: _Waits) -> None:
        if self.unshared is not None:
            await waits.changed(waits.store.save_snapshot, waits.key, self.unshared)
            self.unshared = None


async def _snapshot(task: PullTask, target: Target, waits: _Waits, context: PullContext, *, fetcher: bool) -> _Head:
    """The head as fetched once for every contender: the ``fetcher`` fetches it and shares it through the store
    (with its run, in one write), the others read it there. If it is not shared in time (the fetcher died, or
    its worker is behind), one of the others claims the fetch and fetches it."""
    store, timing = waits.store, waits.timing
    if fetcher:
        text = await waits.offload(store.load_snapshot, task.key)  # a retried fetcher finds it shared
        if text is not None:
            return _Head(HeadSnapshot.from_json(text))
        snapshot = await waits.offload(fetch_snapshot, target, context)
        return _Head(snapshot, unshared=snapshot.to_json())
    text = await waits.first(lambda: store.load_snapshot(task.key), bound=timing.snapshot_wait_s)
    if text is not None:
        return _Head(HeadSnapshot.from_json(text))
    if await waits.offload(store.claim_snapshot, task.key, stale_after_s=timing.claim_stale_s):
        head = _Head(await waits.offload(fetch_snapshot, target, context))
        head.unshared = head.snapshot.to_json()
        await head.share(waits)
        return head
    text = await waits.first(lambda: store.load_snapshot(task.key), bound=timing.snapshot_wait_s)
    if text is not None:
        return _Head(HeadSnapshot.from_json(text))
    return _Head(await waits.offload(fetch_snapshot, target, context))  # whoever claimed it died too


def fetcher_of(settings: Settings) -> str | None:
    """The contender whose task fetches a head for all: the first active one in the server's configuration
    (a repository's configuration, which the fetch reads, cannot change who it is)."""
    return next((c.name for c in settings.active()), None)


async def _review(
    snapshot: HeadSnapshot,
    ref: PullRef,
    contender: ContenderConfig,
    settings: Settings,
    template: PromptTemplate,
    model: ModelClient,
    *,
    run_id: str,
    clock: Callable[[], float],
) -> ArenaReport:
    job = ReviewJob(
        diff=parse_github_files(snapshot.files),
        pr=PullRequestInfo(snapshot.title, snapshot.body),
        head_sha=snapshot.head_sha,
        source=str(ref),
    )
    # the arena with one contender: the same planning, review and report as the CLI's
    return await run_arena(
        job, settings, template, {contender.name: model}, run_ids={contender.name: run_id}, clock=clock
    )


def _should_retry(outcome: ContenderOutcome, task: PullTask) -> bool:
    """A failure that may pass (rate limit, 5xx, deadline) is retried until the last attempt posts a note."""
    transient = {"transient", "deadline"}
    return outcome.status == "failed" and not task.final_attempt and all(f.kind in transient for f in outcome.failures)


@dataclass(frozen=True, slots=True)
class _Waits:
    """The bounded waits of one task on its peers: read the store, and if it is not there yet wait for a wake-up
    on the head's topic or the poll pause, whichever comes first; a crashed peer must not hold the others."""

    store: RunStore
    key: RunKey
    timing: Timing
    wakeups: Wakeups
    offload: Offload

    async def changed(self, write: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run a store write that peers may wait for, then wake them."""
        result = await self.offload(write, *args, **kwargs)
        self.wakeups.notify(topic_of(self.key))
        return result

    async def first(self, read: Callable[[], T | None], *, bound: float) -> T | None:
        """The first non-None ``read()``, or None once ``bound`` seconds have been waited."""
        waited, pause = 0.0, self.timing.poll_s / 20
        with self.wakeups.watching(topic_of(self.key)) as watch:
            while True:
                found = await self.offload(read)
                if found is not None or waited >= bound:
                    return found
                waited += await watch.wait(min(pause, bound - waited))
                pause = min(pause * 2, self.timing.poll_s)

    async def until(self, ready: Callable[[list[RunRecord]], bool], *, bound: float) -> list[RunRecord]:
        """The head's runs once ``ready`` holds for them, or as they are when ``bound`` has been waited."""

        def read() -> list[RunRecord] | None:
            runs = self.store.runs_for(self.key)
            return runs if ready(runs) else None

        found = await self.first(read, bound=bound)
        return found if found is not None else await self.offload(self.store.runs_for, self.key)

    async def claim(self, run_id: str) -> PostingClaim | None:
        """Wait for the right to post; None when another execution of this run posted meanwhile."""
        store, stale = self.store, self.timing.claim_stale_s
        with self.wakeups.watching(topic_of(self.key)) as watch:
            while (claim := await self.offload(store.claim_posting, run_id, stale_after_s=stale)) is None:
                runs = await self.offload(store.runs_for, self.key)
                if any(r.run_id == run_id and r.status == "posted" for r in runs):
                    return None
                await watch.wait(self.timing.poll_s)
        return claim


def _peers_settled(runs: list[RunRecord], names: Sequence[str]) -> bool:
    by_name = {r.contender: r for r in runs}
    return all(n in by_name and by_name[n].status in SETTLED for n in names)


def _my_turn(runs: list[RunRecord], position: int) -> bool:
    return all(r.status in DONE for r in runs if r.position < position)
