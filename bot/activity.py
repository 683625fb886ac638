"""What acceptance tracking reads from GitHub about a pull request: value types and the reader Protocol.

The use cases (``bot.acceptance_tracking``, ``bot.harvest``) ask a :class:`GitHubActivity` for review comments,
reactions, review threads, commits and permissions; ``bot.github_activity`` implements it over PyGithub and
GraphQL. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ReviewCommentData:
    """One pull request review comment (``GET /pulls/{n}/comments``), a finding or a reply."""

    id: int
    author: str
    author_is_bot: bool
    association: str
    body: str
    created_at: datetime
    path: str
    line: int | None
    start_line: int | None
    side: str
    original_commit_id: str
    in_reply_to: int | None = None
    thumbs: int = 0
    # the lines in the commented commit: ``line`` follows later pushes, and is None once the comment is outdated
    original_line: int | None = None
    original_start_line: int | None = None  # 👍 plus 👎 in the comment's reaction rollup: 0 means no reaction to list


@dataclass(frozen=True, slots=True)
class ReactionData:
    id: int
    content: str  # "+1", "-1", "laugh", ...
    user: str
    user_is_bot: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ThreadData:
    """A review thread from GraphQL ``reviewThreads``; ``comment_ids`` are REST ids, the first opens it."""

    id: str
    resolved: bool
    outdated: bool
    resolved_by: str | None
    resolved_by_is_bot: bool
    comment_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CommitData:
    sha: str
    message: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CompareData:
    """``GET /compare/{base}...{head}``: the commits in between and each changed file's patch."""

    commits: tuple[CommitData, ...]
    patches: dict[str, str] = field(default_factory=dict)  # path in head -> unified patch ("" for binary)
    renamed_from: dict[str, str] = field(default_factory=dict)  # path in head -> path in base


@dataclass(frozen=True, slots=True)
class PullData:
    number: int
    author: str
    state: str  # open | closed
    merged: bool
    closed_at: datetime | None
    updated_at: datetime
    head_sha: str


@dataclass(frozen=True, slots=True)
class ReviewData:
    """A submitted review: the bot's summary (its marker and run data) lives in ``body``."""

    id: int
    author: str
    author_is_bot: bool
    body: str
    submitted_at: datetime | None
    commit_id: str


class GitHubActivity(Protocol):
    """Reads a repository's pull request activity. Raises ``bot.errors`` types (``Transient`` for 5xx and rate
    limits, ``GitHubError`` otherwise)."""

    def review_comments(self, owner: str, repo: str, number: int) -> list[ReviewCommentData]: ...

    def reactions(self, owner: str, repo: str, comment_id: int) -> list[ReactionData]: ...

    def permission(self, owner: str, repo: str, login: str) -> str:
        """``admin``, ``maintain``, ``write``, ``triage``, ``read`` or ``none``."""
        ...

    def compare(self, owner: str, repo: str, base: str, head: str) -> CompareData: ...

    def review_threads(self, owner: str, repo: str, number: int) -> list[ThreadData]: ...

    def reviews(self, owner: str, repo: str, number: int) -> list[ReviewData]: ...

    def pull(self, owner: str, repo: str, number: int) -> PullData: ...

    def pulls(self, owner: str, repo: str, *, since: datetime | None) -> Iterator[PullData]:
        """Every pull request, most recently updated first, stopping before those not updated since ``since``."""
        ...
