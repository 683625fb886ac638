"""Reads pull requests from GitHub through PyGithub. An adapter: it fetches and translates, nothing more.

Per-file patches come from ``GET /repos/{o}/{r}/pulls/{n}/files`` (paginated, at most 3,000 files), never the
``.diff`` media type, which answers 406 above 300 files or 20,000 lines. ``patch`` is absent for binary and
very large files; the diff model keeps such files and says why they were not reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass

from github import Auth, Github, GithubException, GithubRetry
from github.PullRequest import PullRequest

from bot.core.diff_parse import GithubFile
from bot.core.pr_ref import PullRef, ref_of_contents_url
from bot.errors import GitHubError, TransientGitHubError

DEFAULT_API_URL = "https://api.github.com"
MAX_FILES = 3000


@dataclass(frozen=True, slots=True)
class PullRequestData:
    ref: PullRef
    title: str
    body: str
    head_sha: str
    base_sha: str
    draft: bool
    default_branch: str
    files: tuple[GithubFile, ...]


def token_client(token: str, *, api_url: str = DEFAULT_API_URL) -> Github:
    """A client for a personal or Actions token; ``GithubRetry`` retries 5xx and honours rate-limit waits.

    Lazy: ``get_repo`` and ``get_pull`` cost no request until an attribute is read, which halves the requests
    per review.
    """
    return Github(
        auth=Auth.Token(token), base_url=api_url.rstrip("/"), retry=GithubRetry(), per_page=100, timeout=30, lazy=True
    )


def fetch_pull_request(gh: Github, ref: PullRef) -> PullRequestData:
    try:
        pull = gh.get_repo(ref.full_name).get_pull(ref.number)
        files = pull_files(pull)
        return PullRequestData(
            ref=ref,
            title=pull.title or "",
            body=pull.body or "",
            head_sha=pull.head.sha,
            base_sha=pull.base.sha,
            draft=bool(pull.draft),
            default_branch=pull.base.repo.default_branch,
            files=files,
        )
    except GithubException as exc:
        raise translate(exc, what=f"pull request {ref}") from exc


def pull_files(pull: PullRequest) -> tuple[GithubFile, ...]:
    """The PR's files with their patches, through ``GET /pulls/{n}/files`` (paginated, capped at 3,000)."""
    return tuple(
        GithubFile(
            filename=f.filename,
            status=f.status,
            patch=f.patch,
            previous_filename=f.previous_filename,
            additions=f.additions,
            deletions=f.deletions,
            head_sha=ref_of_contents_url(f.contents_url),
        )
        for f, _ in zip(pull.get_files(), range(MAX_FILES), strict=False)
    )


def translate(exc: GithubException, *, what: str) -> Exception:
    message = exc.data.get("message") if isinstance(exc.data, dict) else None
    detail = f"{exc.status} {message or exc.data}"
    if exc.status >= 500 or exc.status == 429 or (exc.status == 403 and "rate limit" in str(message).lower()):
        return TransientGitHubError(f"GitHub answered {detail} for {what}; try again later")
    if exc.status == 401:
        return GitHubError(f"GitHub refused the token ({detail}); check GITHUB_TOKEN or the App's key")
    if exc.status == 404:
        return GitHubError(f"{what} was not found, or the token cannot read it ({detail})")
    return GitHubError(f"GitHub answered {detail} for {what}")
