"""The arena in one process, for the GitHub Action: fetch the pull request, let every contender review it in
parallel, and post one labelled COMMENT review per contender in a seeded order. A use case: GitHub comes in as
a PyGithub client and the models as ``ModelClient`` values; no Redis, no Celery, no database.

The same pure core and posting code as the App: the per-file patches and ``.github/review-arena.yml`` from the
default branch (``bot.pr_github``), ``bot.review.run_arena``, agreements and "also raised by", and
``bot.publish.post_review`` with its 422 repair. A contender whose review is already on the pull request (its
summary marker at this head, e.g. a re-run job) is not posted again.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from github import Github

from bot.core.action_event import Posting
from bot.core.config import Settings
from bot.core.diff_parse import parse_github_files
from bot.core.outcome import ArenaReport, ContenderOutcome
from bot.core.posting import agreements, cap_inline, posting_order
from bot.core.pr_ref import PullRef
from bot.core.prompts import PromptTemplate, PullRequestInfo
from bot.core.summary import review_payload
from bot.pr_github import Target, fetch_snapshot, posted_review_id, settings_with_repo_config
from bot.pr_review import NO_CONTEXT
from bot.publish import post_review
from bot.review import ModelClient, Progress, ReviewJob, run_arena
from bot.run_outcome import also_raised_for, spot_tuples
from bot.runs import PullContext


@dataclass(frozen=True, slots=True)
class ActionRun:
    report: ArenaReport
    settings: Settings
    seed: int
    order: tuple[str, ...]
    postings: tuple[Posting, ...] = field(default_factory=tuple)


async def review_and_post(
    gh: Github,
    ref: PullRef,
    settings: Settings,
    template_for: Callable[[str], PromptTemplate],
    models: Mapping[str, ModelClient],
    *,
    seed: int,
    clock: Callable[[], float],
    max_comments: int | None = None,
    context: PullContext = NO_CONTEXT,
    progress: Progress | None = None,
) -> ActionRun:
    """Review ``ref`` with every model given and post the reviews; the repository's config narrows ``settings``."""
    target = Target(gh, ref)
    snapshot = await asyncio.to_thread(fetch_snapshot, target, context)
    merged = settings_with_repo_config(settings, snapshot.config_text)
    job = ReviewJob(
        diff=parse_github_files(snapshot.files),
        pr=PullRequestInfo(snapshot.title, snapshot.body),
        head_sha=snapshot.head_sha,
        source=str(ref),
    )
    chosen = {name: model for name, model in models.items() if name in {c.name for c in merged.active()}}
    run_ids = {name: uuid.uuid4().hex for name in chosen}
    report = await run_arena(
        job, merged, template_for(merged.review.prompt_version), chosen, run_ids=run_ids, clock=clock, progress=progress
    )
    capped = tuple(cap_inline(o, max_comments) for o in report.outcomes)
    report = ArenaReport(
        report.head_sha, report.source, report.prompt_version, report.reviewed, report.skipped, report.notes, capped
    )
    order = posting_order([o.contender.name for o in capped], seed=seed)
    postings = await asyncio.to_thread(_post_all, target, report, merged, order)
    return ActionRun(report=report, settings=merged, seed=seed, order=order, postings=postings)


def _post_all(target: Target, report: ArenaReport, settings: Settings, order: tuple[str, ...]) -> tuple[Posting, ...]:
    by_name = {o.contender.name: o for o in report.outcomes}
    pairs = agreements({name: spot_tuples(o) for name, o in by_name.items()})
    return tuple(_post(target, report, by_name[name], pairs, settings) for name in order)


def _post(
    target: Target,
    report: ArenaReport,
    outcome: ContenderOutcome,
    pairs: list[tuple[str, str, str, str]],
    settings: Settings,
) -> Posting:
    name = outcome.contender.name
    if report.head_sha and posted_review_id(target, name, report.head_sha) is not None:
        return Posting(name, None, 0, 0, already_posted=True)
    payload = review_payload(outcome, report, also_raised=also_raised_for(pairs, name, settings))
    ref = target.ref
    posted = post_review(target.gh, owner=ref.owner, repo=ref.repo, number=ref.number, payload=payload)
    return Posting(name, posted.review_id, posted.posted_comment_count, len(posted.moved_to_body))
