"""What the App's PR review reads from and writes to GitHub besides the review itself: the repository's
``.github/review-arena.yml`` on the default branch, existing review markers, and configuration notices.
An adapter over PyGithub; decisions stay in :mod:`bot.pr_review`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from github import Github, GithubException
from github.PullRequest import PullRequest
from github.Repository import Repository

from bot.core.comments import Marker, parse_marker
from bot.core.config import ContenderConfig, Settings, merge_repo, parse_yaml, repo_config_from
from bot.core.pr_ref import PullRef
from bot.errors import ConfigError
from bot.github import pull_files, translate
from bot.github_writes import no_wait
from bot.runs import HeadSnapshot, PullContext

REPO_CONFIG_PATH = ".github/review-arena.yml"
NOTICE_CONTENDER = "config"  # notices are about the repository, not one contender; both tasks share one marker


@dataclass(frozen=True, slots=True)
class Target:
    """A pull request reached through the App's lazy client: building objects costs no request.
    ``before_write`` is called before each request that creates content (see ``bot.github_writes``)."""

    gh: Github
    ref: PullRef
    before_write: Callable[[], object] = no_wait

    def repository(self) -> Repository:
        return self.gh.get_repo(self.ref.full_name)

    def pull(self) -> PullRequest:
        return self.repository().get_pull(self.ref.number)


def active_contender(settings: Settings, name: str) -> ContenderConfig | None:
    return next((c for c in settings.active() if c.name == name), None)


def fetch_snapshot(target: Target, context: PullContext) -> HeadSnapshot:
    """The head's files and the repository config: two requests when the webhook gave the title and branch.

    The file listing names the commit it was computed at (the ``ref`` of each ``contents_url``), which tells a
    task whether its head is still current without fetching the pull request itself.
    """
    pull = target.pull()
    try:
        files = pull_files(pull)
        head = next((f.head_sha for f in files if f.head_sha), None)
        title, body, branch = context.title, context.body, context.default_branch
        if head is None or not branch:
            head, title, body = pull.head.sha, pull.title or "", pull.body or ""
            branch = pull.base.repo.default_branch
    except GithubException as exc:
        raise translate(exc, what=f"pull request {target.ref}") from exc
    config = _repo_config_text(target, branch)
    return HeadSnapshot(head_sha=head, title=title, body=body, default_branch=branch, config_text=config, files=files)


def settings_with_repo_config(settings: Settings, text: str | None) -> Settings:
    """The server settings with the repository's ``.github/review-arena.yml`` (default branch) applied."""
    if text is None:
        return settings
    data = parse_yaml(text, source=REPO_CONFIG_PATH)
    repo_config = repo_config_from(data, source=REPO_CONFIG_PATH, text=text)
    return merge_repo(settings, repo_config, source=REPO_CONFIG_PATH)


def _repo_config_text(target: Target, default_branch: str) -> str | None:
    """The file on the default branch only: a pull request cannot change the rules it is reviewed by."""
    what = f"{REPO_CONFIG_PATH} in {target.ref.full_name}"
    try:
        content = target.repository().get_contents(REPO_CONFIG_PATH, ref=default_branch)
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


def posted_reviews(target: Target, head_sha: str) -> dict[str, int]:
    """Each contender's review of ``head_sha`` already on the PR (found by its summary marker): contender → id."""
    found: dict[str, int] = {}
    try:
        for review in target.pull().get_reviews():
            marker = parse_marker(review.body)
            if marker and marker.kind == "summary" and marker.head_sha == head_sha:
                found.setdefault(marker.contender, int(review.id))
    except GithubException as exc:
        raise translate(exc, what=f"the reviews of {target.ref}") from exc
    return found


def posted_review_id(target: Target, contender: str, head_sha: str) -> int | None:
    """The id of this contender's review of ``head_sha`` already on the PR (found by its summary marker)."""
    return posted_reviews(target, head_sha).get(contender)


def notice_marker(message: str, head_sha: str) -> Marker:
    """The marker of a configuration notice; the same problem gives the same marker, whatever the head."""
    digest = hashlib.sha256(message.encode("utf-8")).hexdigest()[:16]
    return Marker("notice", NOTICE_CONTENDER, digest, head_sha, "-")


def notify_once(target: Target, message: str, head_sha: str) -> None:
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
        target.before_write()
        pull.create_issue_comment(body)
    except GithubException as exc:
        raise translate(exc, what=f"the configuration notice on {target.ref}") from exc
