"""Reads a repository's pull request activity from GitHub: the PyGithub adapter for
``bot.activity.GitHubActivity``. Does network I/O through the client's requester (its auth, ``GithubRetry`` waits
and throttling); the JSON-to-value conversions below it are pure.

Lists are read as raw JSON pages (``per_page=100``, following ``Link: rel="next"``) rather than through
``PaginatedList``: PyGithub objects built from a list page are incomplete, so reading ``raw_data`` or any field
the list omits (``in_reply_to_id`` on a thread's first comment, ``submitted_at`` on a pending review, ``merged``
on ``GET /pulls``) silently costs one more ``GET`` per item. Review threads come from GraphQL, which PyGithub
has no API for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from github import Github, GithubException

from bot.activity import CommitData, CompareData, PullData, ReactionData, ReviewCommentData, ReviewData, ThreadData
from bot.errors import TransientGitHubError
from bot.github import translate

PER_PAGE = 100
ROLES = frozenset({"admin", "maintain", "write", "triage", "read", "none"})
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
THREADS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id isResolved isOutdated
          resolvedBy { login __typename }
          comments(first: 100) { nodes { databaseId } }
        }
      }
    }
  }
}
"""


class GithubActivity:
    """``GitHubActivity`` over a PyGithub client (``bot.github.token_client`` or an installation client)."""

    def __init__(self, gh: Github) -> None:
        self._requester = gh.requester

    def review_comments(self, owner: str, repo: str, number: int) -> list[ReviewCommentData]:
        path = f"{_repo_path(owner, repo)}/pulls/{number}/comments"
        return [review_comment_of(c) for c in self._items(path, what=f"review comments of {owner}/{repo}#{number}")]

    def reactions(self, owner: str, repo: str, comment_id: int) -> list[ReactionData]:
        path = f"{_repo_path(owner, repo)}/pulls/comments/{comment_id}/reactions"
        return [reaction_of(r) for r in self._items(path, what=f"reactions to review comment {comment_id}")]

    def permission(self, owner: str, repo: str, login: str) -> str:
        """The finest role GitHub names (``role_name``, so ``maintain`` and ``triage`` survive); the legacy
        ``permission`` for a custom role; ``none`` when GitHub answers 404 (an unknown login)."""
        path = f"{_repo_path(owner, repo)}/collaborators/{quote(login, safe='')}/permission"
        try:
            _, data = self._requester.requestJsonAndCheck("GET", path)
        except GithubException as exc:
            if exc.status == 404:
                return "none"
            raise translate(exc, what=f"{login}'s permission on {owner}/{repo}") from exc
        except requests.RequestException as exc:  # GithubRetry gave up, or GitHub is unreachable
            raise unreachable(exc) from exc
        return permission_of(data)

    def compare(self, owner: str, repo: str, base: str, head: str) -> CompareData:
        """Every commit in ``base...head`` (GitHub pages them; files come with the first page only) and the
        patches of at most 300 files: GitHub lists no more, so a path missing here may still have changed.
        Three dots: the files are the diff from the merge base of ``base`` and ``head``, not from ``base``."""
        path = f"{_repo_path(owner, repo)}/compare/{quote(base)}...{quote(head)}"  # "/" stays, as PyGithub leaves it
        pages = list(self._pages(path, {}, what=f"comparison {base}...{head} in {owner}/{repo}"))
        return compare_of(pages)

    def review_threads(self, owner: str, repo: str, number: int) -> list[ThreadData]:
        """Every thread, 100 per GraphQL page; a thread's first 100 comment ids only."""
        variables: dict[str, Any] = {"owner": owner, "name": repo, "number": number, "cursor": None}
        threads: list[ThreadData] = []
        while True:
            data = self._graphql(variables, what=f"review threads of {owner}/{repo}#{number}")
            connection = data["repository"]["pullRequest"]["reviewThreads"]
            threads += [thread_of(node) for node in connection["nodes"]]
            if not connection["pageInfo"]["hasNextPage"]:
                return threads
            variables["cursor"] = connection["pageInfo"]["endCursor"]

    def reviews(self, owner: str, repo: str, number: int) -> list[ReviewData]:
        path = f"{_repo_path(owner, repo)}/pulls/{number}/reviews"
        return [review_of(r) for r in self._items(path, what=f"reviews of {owner}/{repo}#{number}")]

    def pull(self, owner: str, repo: str, number: int) -> PullData:
        try:
            _, data = self._requester.requestJsonAndCheck("GET", f"{_repo_path(owner, repo)}/pulls/{number}")
        except GithubException as exc:
            raise translate(exc, what=f"pull request {owner}/{repo}#{number}") from exc
        except requests.RequestException as exc:  # GithubRetry gave up, or GitHub is unreachable
            raise unreachable(exc) from exc
        return pull_of(data)

    def pulls(self, owner: str, repo: str, *, since: datetime | None) -> Iterator[PullData]:
        """Most recently updated first, read page by page only as far as ``since``."""
        params = {"state": "all", "sort": "updated", "direction": "desc"}
        for item in self._items(f"{_repo_path(owner, repo)}/pulls", params, what=f"pull requests of {owner}/{repo}"):
            found = pull_of(item)
            if since is not None and found.updated_at < since:
                return
            yield found

    # ---- transport ----------------------------------------------------------------------------------------------
    def _pages(self, path: str, params: Mapping[str, str], *, what: str) -> Iterator[Any]:
        """Each page's JSON body, following ``Link: rel="next"`` (whose URL carries the query onwards)."""
        url: str | None = path
        parameters: dict[str, Any] | None = {**params, "per_page": PER_PAGE}
        while url is not None:
            try:
                headers, data = self._requester.requestJsonAndCheck("GET", url, parameters=parameters)
            except GithubException as exc:
                raise translate(exc, what=what) from exc
            except requests.RequestException as exc:  # GithubRetry gave up, or GitHub is unreachable
                raise unreachable(exc) from exc
            yield data
            url, parameters = next_link(headers.get("link")), None

    def _items(self, path: str, params: Mapping[str, str] | None = None, *, what: str) -> Iterator[Any]:
        for page in self._pages(path, params or {}, what=what):
            yield from page

    def _graphql(self, variables: dict[str, Any], *, what: str) -> Any:
        try:
            _, body = self._requester.graphql_query(THREADS_QUERY, variables)
        except GithubException as exc:
            raise graphql_error(exc, what=what) from exc
        except requests.RequestException as exc:  # GithubRetry gave up, or GitHub is unreachable
            raise unreachable(exc) from exc
        return body["data"]


def unreachable(exc: requests.RequestException) -> TransientGitHubError:
    return TransientGitHubError(f"GitHub could not be reached or kept failing ({exc}); try again later")


# ---- pure conversions -----------------------------------------------------------------------------------------
def _repo_path(owner: str, repo: str) -> str:
    return f"/repos/{quote(owner, safe='')}/{quote(repo, safe='')}"


def next_link(link: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, if any."""
    found = _NEXT.search(link or "")
    return found[1] if found else None


def parse_time(value: str) -> datetime:
    """GitHub's ISO 8601 timestamp (``2024-05-01T12:00:00Z``) as an aware UTC datetime."""
    return datetime.fromisoformat(value).astimezone(UTC)


def _login(user: Mapping[str, Any] | None) -> str:
    return str(user["login"]) if user else "ghost"  # GitHub's stand-in for a deleted account


def _is_bot(user: Mapping[str, Any] | None) -> bool:
    return user is not None and user.get("type") == "Bot"


def review_comment_of(item: Mapping[str, Any]) -> ReviewCommentData:
    rollup = item.get("reactions") or {}
    return ReviewCommentData(
        id=item["id"],
        author=_login(item.get("user")),
        author_is_bot=_is_bot(item.get("user")),
        association=item.get("author_association") or "NONE",
        body=item.get("body") or "",
        created_at=parse_time(item["created_at"]),
        path=item["path"],
        line=item.get("line"),
        start_line=item.get("start_line"),
        side=item.get("side") or "RIGHT",
        original_commit_id=item.get("original_commit_id") or "",
        in_reply_to=item.get("in_reply_to_id"),
        thumbs=int(rollup.get("+1", 0)) + int(rollup.get("-1", 0)),
        original_line=item.get("original_line"),
        original_start_line=item.get("original_start_line"),
    )


def reaction_of(item: Mapping[str, Any]) -> ReactionData:
    return ReactionData(
        id=item["id"],
        content=item["content"],
        user=_login(item.get("user")),
        user_is_bot=_is_bot(item.get("user")),
        created_at=parse_time(item["created_at"]),
    )


def permission_of(item: Mapping[str, Any]) -> str:
    """``role_name`` when it is a built-in role; ``permission`` (admin, write, read or none) otherwise."""
    role = item.get("role_name")
    return str(role) if role in ROLES else str(item.get("permission") or "none")


def commit_of(item: Mapping[str, Any]) -> CommitData:
    git = item["commit"]
    person = git.get("author") or git.get("committer") or {}
    return CommitData(sha=item["sha"], message=git.get("message") or "", at=parse_time(person["date"]))


def compare_of(pages: list[Mapping[str, Any]]) -> CompareData:
    """One comparison from its pages: commits from all of them, files from the first."""
    files = (pages[0].get("files") or []) if pages else []
    return CompareData(
        commits=tuple(commit_of(c) for page in pages for c in page.get("commits") or []),
        patches={f["filename"]: f.get("patch") or "" for f in files},
        renamed_from={f["filename"]: f["previous_filename"] for f in files if f.get("previous_filename")},
    )


def thread_of(node: Mapping[str, Any]) -> ThreadData:
    resolver = node.get("resolvedBy")
    return ThreadData(
        id=node["id"],
        resolved=bool(node["isResolved"]),
        outdated=bool(node["isOutdated"]),
        resolved_by=resolver["login"] if resolver else None,
        resolved_by_is_bot=resolver is not None and resolver.get("__typename") == "Bot",
        comment_ids=tuple(c["databaseId"] for c in node["comments"]["nodes"]),
    )


def review_of(item: Mapping[str, Any]) -> ReviewData:
    submitted = item.get("submitted_at")
    return ReviewData(
        id=item["id"],
        author=_login(item.get("user")),
        author_is_bot=_is_bot(item.get("user")),
        body=item.get("body") or "",
        submitted_at=parse_time(submitted) if submitted else None,
        commit_id=item.get("commit_id") or "",
    )


def pull_of(item: Mapping[str, Any]) -> PullData:
    """A pull request from ``GET /pulls/{n}`` or ``GET /pulls``; the list has no ``merged``, only ``merged_at``."""
    closed = item.get("closed_at")
    return PullData(
        number=item["number"],
        author=_login(item.get("user")),
        state=item["state"],
        merged=bool(item.get("merged")) or item.get("merged_at") is not None,
        closed_at=parse_time(closed) if closed else None,
        updated_at=parse_time(item["updated_at"]),
        head_sha=item["head"]["sha"],
    )


def graphql_error(exc: GithubException, *, what: str) -> Exception:
    """``translate``, plus GraphQL's rate limit, which arrives as an error of type ``RATE_LIMITED``."""
    errors = exc.data.get("errors") if isinstance(exc.data, dict) else None
    if any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors or []):
        return TransientGitHubError(f"GitHub's GraphQL rate limit is spent reading {what}; try again later")
    return translate(exc, what=what)
