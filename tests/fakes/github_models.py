"""Records of the fake GitHub: owns the plain data types (users, repositories, commits, pull requests, reviews,
review comments and threads, issue comments, reactions, installations) and the error type handlers raise.

No behaviour beyond small derived properties; `GitHubState` (github_state.py) stores and mutates them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .github_diff import FileDiff


def now_iso() -> str:
    """Current UTC time the way GitHub writes it (`2024-05-01T12:00:00Z`)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fake_sha(*parts: object) -> str:
    """A deterministic 40-hex SHA for synthetic commits and blobs."""
    return hashlib.sha1("\0".join(str(p) for p in parts).encode(), usedforsecurity=False).hexdigest()


def blob_sha(content: bytes) -> str:
    """Git's blob SHA-1 of some content (what the contents API reports as `sha`)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


class ApiError(Exception):
    """A non-2xx answer produced by the model or the rules (the server turns it into the HTTP response)."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body.get('message')}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found(documentation_url: str = "https://docs.github.com/rest") -> ApiError:
    return ApiError(404, {"message": "Not Found", "documentation_url": documentation_url, "status": "404"})


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # "User", "Bot" or "Organization"


@dataclass
class Repository:
    owner: User
    name: str
    id: int
    default_branch: str = "main"
    private: bool = False
    fork: bool = False
    description: str | None = None
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # ref -> path -> content
    created_at: str = field(default_factory=now_iso)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"


@dataclass
class Commit:
    sha: str
    message: str
    parents: list[str]
    files: list[FileDiff]
    author: User
    date: str = field(default_factory=now_iso)


@dataclass
class PullRequest:
    repo: Repository
    number: int
    id: int
    title: str
    body: str | None
    user: User
    head_sha: str
    head_ref: str
    head_repo: Repository
    base_sha: str
    base_ref: str
    files: list[FileDiff]
    diff_text: str
    draft: bool = False
    state: str = "open"
    merged: bool = False
    author_association: str = "CONTRIBUTOR"
    commits: list[str] = field(default_factory=list)  # SHAs, oldest first
    snapshots: dict[str, list[FileDiff]] = field(default_factory=dict)  # head SHA -> files at that head
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)

    def file(self, path: str, commit_id: str | None = None) -> FileDiff | None:
        files = self.snapshots.get(commit_id or self.head_sha, self.files)
        return next((f for f in files if f.filename == path), None)


@dataclass
class Review:
    id: int
    pr: PullRequest
    user: User
    body: str
    state: str  # COMMENTED, APPROVED, CHANGES_REQUESTED, PENDING, DISMISSED
    event: str | None  # as sent by the client (None when absent)
    commit_id: str
    author_association: str
    submitted_at: str | None


@dataclass
class ReviewComment:
    id: int
    pr: PullRequest
    review_id: int
    user: User
    body: str
    path: str
    line: int | None
    side: str | None
    start_line: int | None
    start_side: str | None
    position: int | None
    diff_hunk: str
    commit_id: str
    author_association: str
    thread_id: str
    in_reply_to_id: int | None = None
    subject_type: str = "line"
    original_line: int | None = None
    original_start_line: int | None = None
    original_position: int | None = None
    original_commit_id: str = ""
    pending: bool = False
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)


@dataclass
class ReviewThread:
    id: str
    pr: PullRequest
    path: str
    line: int | None
    start_line: int | None
    side: str | None
    start_side: str | None
    comment_ids: list[int] = field(default_factory=list)
    is_resolved: bool = False
    is_outdated: bool = False
    resolved_by: User | None = None


@dataclass
class IssueComment:
    id: int
    repo: Repository
    number: int
    user: User
    body: str
    author_association: str
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)


@dataclass
class Reaction:
    id: int
    subject: str  # "pull_comment" or "issue_comment"
    subject_id: int
    user: User
    content: str
    created_at: str = field(default_factory=now_iso)


@dataclass
class Installation:
    id: int
    account: User
    app_id: int
    app_slug: str
    repositories: list[str] | None  # full names; None = all repositories of the account
    permissions: dict[str, str]
    created_at: str = field(default_factory=now_iso)

    def covers(self, repo: Repository) -> bool:
        if repo.owner.login.lower() != self.account.login.lower():
            return False
        return self.repositories is None or repo.full_name.lower() in {r.lower() for r in self.repositories}
