"""The App's use case: one contender reviews one pull request at one head commit and posts its own review.

Driven by the Celery task (one task per contender). It is idempotent: a review already carrying this contender's
summary marker for this head is never posted again, a newer push supersedes the job, and a broken
``.github/review-arena.yml`` produces one notice comment naming the key instead of a review. GitHub calls are
blocking PyGithub calls and run in a thread so the model calls of the same event loop keep going.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from github import Github, GithubException
from github.PullRequest import PullRequest
from github.Repository import Repository

from bot.core.comments import Marker, parse_marker
from bot.core.config import ContenderConfig, Settings, merge_repo, parse_yaml, repo_config_from
from bot.core.diff_parse import parse_github_files
from bot.core.outcome import ArenaReport
from bot.core.pr_ref import PullRef
from bot.core.prompts import PromptTemplate, PullRequestInfo
from bot.core.summary import review_payload
from bot.errors import ConfigError
from bot.github import PullRequestData, fetch_pull_request, translate
from bot.publish import post_review
from bot.review import ModelClient, ReviewJob, plan, review_by

REPO_CONFIG_PATH = ".github/review-arena.yml"
NOTICE_CONTENDER = "config"  # notices are about the repository, not one contender; both tasks share one marker
Result = Literal["posted", "already-posted", "superseded", "skipped-config"]


@dataclass(frozen=True, slots=True)
class _Target:
    gh: Github
    ref: PullRef

    def repository(self) -> Repository:
        return self.gh.get_repo(self.ref.full_name)

    def pull(self) -> PullRequest:
        return self.repository().get_pull(self.ref.number)


async def review_pull_for_contender(
    *,
    gh: Github,
    owner: str,
    repo: str,
    number: int,
    head_sha: str,
    contender_name: str,
    settings: Settings,
    template: PromptTemplate,
    model: ModelClient,
    run_id: str,
    clock: Callable[[], float],
) -> Result:
    """Review ``owner/repo#number`` at ``head_sha`` with one contender and post its labelled COMMENT review."""
    target = _Target(gh, PullRef(owner, repo, number))
    pull = await asyncio.to_thread(fetch_pull_request, gh, target.ref)
    if pull.head_sha != head_sha:
        return "superseded"
    try:
        merged = await asyncio.to_thread(_repo_settings, target, settings)
    except ConfigError as exc:
        await asyncio.to_thread(_notify_once, target, str(exc), head_sha)
        return "skipped-config"
    contender = _active_contender(merged, contender_name)
    if contender is None:
        return "skipped-config"
    if await asyncio.to_thread(_already_posted, target, contender_name, head_sha):
        return "already-posted"
    report = await _review(pull, contender, merged, template, model, run_id=run_id, clock=clock)
    # A push during the model calls: GitHub still accepts the review on the old commit, and the newer head gets
    # its own task, so posting here keeps the record of what was reviewed.
    if await asyncio.to_thread(_already_posted, target, contender_name, head_sha):
        return "already-posted"
    payload = review_payload(report.outcomes[0], report)
    await asyncio.to_thread(post_review, gh, owner=owner, repo=repo, number=number, payload=payload)
    return "posted"


async def _review(
    pull: PullRequestData,
    contender: ContenderConfig,
    settings: Settings,
    template: PromptTemplate,
    model: ModelClient,
    *,
    run_id: str,
    clock: Callable[[], float],
) -> ArenaReport:
    job = ReviewJob(
        diff=parse_github_files(pull.files),
        pr=PullRequestInfo(pull.title, pull.body),
        head_sha=pull.head_sha,
        source=str(pull.ref),
    )
    chunk_plan, reviewed, skipped = plan(job, settings.review)
    outcome = await review_by(
        contender,
        model,
        chunk_plan,
        job,
        template,
        settings.review,
        run_id=run_id,
        clock=clock,
        progress=_quiet,
    )
    return ArenaReport(
        head_sha=job.head_sha,
        source=job.source,
        prompt_version=template.version,
        reviewed=reviewed,
        skipped=skipped,
        notes=job.diff.notes,
        outcomes=(outcome,),
    )


def _active_contender(settings: Settings, name: str) -> ContenderConfig | None:
    return next((c for c in settings.active() if c.name == name), None)


def _repo_settings(target: _Target, settings: Settings) -> Settings:
    """The server settings with the repository's ``.github/review-arena.yml`` (default branch) applied."""
    text = _repo_config_text(target)
    if text is None:
        return settings
    data = parse_yaml(text, source=REPO_CONFIG_PATH)
    repo_config = repo_config_from(data, source=REPO_CONFIG_PATH, text=text)
    return merge_repo(settings, repo_config, source=REPO_CONFIG_PATH)


def _repo_config_text(target: _Target) -> str | None:
    what = f"{REPO_CONFIG_PATH} in {target.ref.full_name}"
    try:
        repository = target.repository()
        content = repository.get_contents(REPO_CONFIG_PATH, ref=repository.default_branch)
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise translate(exc, what=what) from exc
    if isinstance(content, list):
        raise ConfigError(f"{REPO_CONFIG_PATH}: is a directory, not a YAML file")
    try:
        return content.decoded_content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{REPO_CONFIG_PATH}: not UTF-8 text ({exc.reason})") from None


def _already_posted(target: _Target, contender: str, head_sha: str) -> bool:
    try:
        for review in target.pull().get_reviews():
            marker = parse_marker(review.body)
            if marker and marker.kind == "summary" and marker.contender == contender and marker.head_sha == head_sha:
                return True
    except GithubException as exc:
        raise translate(exc, what=f"the reviews of {target.ref}") from exc
    return False


def notice_marker(message: str, head_sha: str) -> Marker:
    """The marker of a configuration notice; the same problem gives the same marker, whatever the head."""
    digest = hashlib.sha256(message.encode("utf-8")).hexdigest()[:16]
    return Marker("notice", NOTICE_CONTENDER, digest, head_sha, "-")


def _notify_once(target: _Target, message: str, head_sha: str) -> None:
    marker = notice_marker(message, head_sha)
    try:
        pull = target.pull()
        for comment in pull.get_issue_comments():
            seen = parse_marker(comment.body)
            if seen and seen.kind == "notice" and seen.run_id == marker.run_id:
                return
        body = (
            f"**Review Arena** did not review this pull request: `{REPO_CONFIG_PATH}` on the default branch is "
            f"invalid.\n\n```\n{message.replace('```', '`‵`')}\n```\n\nFix the file and push again.\n" + marker.render()
        )
        pull.create_issue_comment(body)
    except GithubException as exc:
        raise translate(exc, what=f"the configuration notice on {target.ref}") from exc


def _quiet(_contender: str, _event: str) -> None:
    return None
