"""The review use case: every contender reviews the same chunks of one diff, concurrently.

It orchestrates over the small :class:`ModelClient` protocol it defines, so the CLI, the Celery task and the
Action drive it the same way with their own adapters. Contenders run in parallel and so do a contender's
chunks; a contender that fails (bad key, unknown model, garbage, deadline) is reported as failed and never
stops another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.core.anchoring import AnchoredFinding, anchor_all
from bot.core.chunking import Chunk, ChunkPlan, plan_chunks
from bot.core.comments import fingerprint
from bot.core.config import ContenderConfig, ReviewConfig, Settings
from bot.core.dialects import ModelRequest, build_request
from bot.core.diff import Diff
from bot.core.findings import Finding, ReplyError, parse_reply
from bot.core.outcome import ArenaReport, ChunkFailure, ContenderOutcome, Status
from bot.core.prompts import PromptTemplate, PullRequestInfo, build_prompt
from bot.core.selection import SelectionRules, Skipped, select_files
from bot.core.usage import Usage, cost_usd, total_usage
from bot.errors import ModelError, Transient

if TYPE_CHECKING:  # the OpenAI client costs 0.2 s to import; commands that run no model skip it
    from bot.llm import Completion

Progress = Callable[[str, str], None]


class ModelClient(Protocol):
    async def complete(self, request: ModelRequest) -> Completion: ...


@dataclass(frozen=True, slots=True)
class ReviewJob:
    diff: Diff
    pr: PullRequestInfo
    head_sha: str | None
    source: str


@dataclass(frozen=True, slots=True)
class _ChunkResult:
    findings: tuple[Finding, ...] = ()
    usage: Usage = field(default_factory=Usage)
    served_model: str | None = None
    problems: tuple[str, ...] = ()
    failure: ChunkFailure | None = None


def plan(job: ReviewJob, review: ReviewConfig) -> tuple[ChunkPlan, tuple[str, ...], tuple[Skipped, ...]]:
    rules = SelectionRules(
        include=review.include,
        exclude=review.exclude,
        skip_lockfiles=review.skip_lockfiles,
        skip_generated=review.skip_generated,
        skip_vendored=review.skip_vendored,
        skip_deletions_only=review.skip_deletions_only,
    )
    selection = select_files(job.diff, rules)
    chunks = plan_chunks(selection.files, max_tokens=review.max_chunk_tokens, max_chunks=review.max_chunks)
    reviewed = tuple(dict.fromkeys(p for c in chunks.chunks for p in c.paths))
    return chunks, reviewed, (*selection.skipped, *chunks.skipped)


async def run_arena(
    job: ReviewJob,
    settings: Settings,
    template: PromptTemplate,
    models: Mapping[str, ModelClient],
    *,
    run_ids: Mapping[str, str],
    clock: Callable[[], float],
    progress: Progress | None = None,
) -> ArenaReport:
    chunk_plan, reviewed, skipped = plan(job, settings.review)
    contenders = [c for c in settings.active() if c.name in models]
    outcomes = await asyncio.gather(
        *(
            review_by(
                c,
                models[c.name],
                chunk_plan,
                job,
                template,
                settings.review,
                run_id=run_ids[c.name],
                clock=clock,
                progress=progress or _quiet,
            )
            for c in contenders
        )
    )
    return ArenaReport(
        head_sha=job.head_sha,
        source=job.source,
        prompt_version=template.version,
        reviewed=reviewed,
        skipped=skipped,
        notes=job.diff.notes,
        outcomes=tuple(outcomes),
    )


async def review_by(
    contender: ContenderConfig,
    model: ModelClient,
    chunk_plan: ChunkPlan,
    job: ReviewJob,
    template: PromptTemplate,
    review: ReviewConfig,
    *,
    run_id: str,
    clock: Callable[[], float],
    progress: Progress,
) -> ContenderOutcome:
    """One contender's review of every chunk, bounded by its deadline; finished chunks are kept."""
    started = clock()
    progress(contender.name, f"reviewing {len(chunk_plan.chunks)} part(s)")
    gate = asyncio.Semaphore(review.parallel_chunks)
    total = len(chunk_plan.chunks)
    tasks = [
        asyncio.create_task(_review_chunk(contender, model, c, total, job, template, review, gate, progress))
        for c in chunk_plan.chunks
    ]
    results: list[_ChunkResult] = []
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=contender.deadline_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        results = [_result_of(t, chunk, contender) for t, chunk in zip(tasks, chunk_plan.chunks, strict=True)]
    outcome = _outcome(contender, run_id, results, job.diff, review, latency=clock() - started)
    progress(contender.name, f"{outcome.status}: {len(outcome.findings)} finding(s)")
    return outcome


def _result_of(task: asyncio.Task[_ChunkResult], chunk: Chunk, contender: ContenderConfig) -> _ChunkResult:
    if task.cancelled():
        message = f"deadline of {contender.deadline_s:g} s passed before this part was answered"
        return _ChunkResult(failure=ChunkFailure(chunk.index, "deadline", message))
    return task.result()


async def _review_chunk(
    contender: ContenderConfig,
    model: ModelClient,
    chunk: Chunk,
    total: int,
    job: ReviewJob,
    template: PromptTemplate,
    review: ReviewConfig,
    gate: asyncio.Semaphore,
    progress: Progress,
) -> _ChunkResult:
    prompt = build_prompt(
        template, chunk, total_chunks=total, pr=job.pr, max_findings=review.max_findings, nits=review.nits
    )
    async with gate:
        try:
            completion = await model.complete(build_request(contender, prompt))
        except ModelError as exc:
            return _ChunkResult(failure=ChunkFailure(chunk.index, exc.kind, str(exc)))
        except Transient as exc:
            return _ChunkResult(failure=ChunkFailure(chunk.index, "transient", str(exc)))
    progress(contender.name, f"part {chunk.index + 1}/{total} answered")
    usage, served = completion.usage, completion.served_model
    try:
        parsed = parse_reply(completion.answer.content)
    except ReplyError as exc:
        failure = ChunkFailure(chunk.index, "garbage", f"unusable reply: {exc}")
        return _ChunkResult(usage=usage, served_model=served, failure=failure)
    findings, extra = _cap(parsed.findings, review.max_findings)
    return _ChunkResult(findings=findings, usage=usage, served_model=served, problems=(*parsed.problems, *extra))


def _cap(findings: tuple[Finding, ...], limit: int) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    if len(findings) <= limit:
        return findings, ()
    over = findings[limit:]
    titles = "; ".join(f"{f.path}:{f.line} {f.title or f.body[:60]}" for f in over)
    return findings[:limit], (f"{len(over)} finding(s) over the cap of {limit} were not posted: {titles}",)


def _outcome(
    contender: ContenderConfig,
    run_id: str,
    results: list[_ChunkResult],
    diff: Diff,
    review: ReviewConfig,
    *,
    latency: float,
) -> ContenderOutcome:
    unique: dict[str, Finding] = {}
    for r in results:
        for f in r.findings:
            unique.setdefault(fingerprint(f), f)
    anchored: tuple[AnchoredFinding, ...] = anchor_all(tuple(unique.values()), diff, snap_distance=review.snap_distance)
    failures = tuple(r.failure for r in results if r.failure is not None)
    usage = total_usage(r.usage for r in results)
    served = next((r.served_model for r in results if r.served_model), None)
    return ContenderOutcome(
        contender=contender,
        run_id=run_id,
        status=_status(len(results), len(failures)),
        served_model=served,
        usage=usage,
        cost_usd=cost_usd(usage, contender.pricing),
        latency_s=latency,
        chunks=len(results),
        findings=anchored,
        failures=failures,
        problems=tuple(p for r in results for p in r.problems),
    )


def _status(chunks: int, failed: int) -> Status:
    if failed == 0:
        return "ok"
    return "failed" if failed == chunks else "partial"


def _quiet(_contender: str, _event: str) -> None:
    return None
