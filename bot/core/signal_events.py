"""Webhook deliveries that carry acceptance signals: review threads resolved or unresolved, replies to review
comments, pull requests closed, reopened or pushed to. Pure: a payload in, a decision out.

``bot.core.webhooks.route`` hands these events here. Each decision names the pull request and carries only
what the tracking task needs; the comment objects keep GitHub's REST shape (the webhook's ``comment`` is the
same object ``GET /pulls/{n}/comments`` returns).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.payload import installation_of, payload_field, repository_of

COMMENT_FIELDS = (
    "id",
    "body",
    "user",
    "author_association",
    "created_at",
    "path",
    "line",
    "start_line",
    "side",
    "original_commit_id",
    "in_reply_to_id",
)


@dataclass(frozen=True)
class PullEvent:
    installation_id: int | None
    owner: str
    repo: str
    number: int
    author: str


@dataclass(frozen=True)
class ThreadChanged(PullEvent):
    """A review thread was resolved or unresolved; ``root`` is the comment that opened it."""

    thread_id: str = ""
    resolved: bool = False
    by: str = ""
    root: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyPosted(PullEvent):
    """Someone replied in a review thread (``comment.in_reply_to_id`` is set)."""

    comment: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PullStateChanged(PullEvent):
    state: str = "open"  # open | closed | merged
    closed_at: str | None = None


@dataclass(frozen=True)
class PushTracked(PullEvent):
    """New commits on the pull request: compare them with the commented ones."""

    before: str = ""
    after: str = ""


SignalEvent = ThreadChanged | ReplyPosted | PullStateChanged | PushTracked


def pull_event_fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    owner, repo = repository_of(payload)
    return {
        "installation_id": installation_of(payload),
        "owner": owner,
        "repo": repo,
        "number": payload_field(payload, "pull_request", "number", kind=int),
        "author": payload_field(payload, "pull_request", "user", "login", kind=str, default=""),
    }


def comment_subset(comment: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a review comment that tracking reads; the user keeps only login and type."""
    kept = {k: comment.get(k) for k in COMMENT_FIELDS}
    raw = comment.get("user")
    user: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    kept["user"] = {"login": str(user.get("login", "")), "type": str(user.get("type", "User"))}
    return kept


def route_thread(payload: Mapping[str, Any], action: str | None) -> ThreadChanged | None:
    """``pull_request_review_thread``: resolved or unresolved. None for other actions."""
    if action not in ("resolved", "unresolved"):
        return None
    comments = payload_field(payload, "thread", "comments", kind=list)
    if not comments or not isinstance(comments[0], Mapping):
        return None
    return ThreadChanged(
        **pull_event_fields(payload),
        thread_id=payload_field(payload, "thread", "node_id", kind=str),
        resolved=action == "resolved",
        by=payload_field(payload, "sender", "login", kind=str),
        root=comment_subset(comments[0]),
    )


def route_review_comment(payload: Mapping[str, Any], action: str | None) -> ReplyPosted | None:
    """``pull_request_review_comment`` created as a reply. None for top-level comments and other actions."""
    if action != "created":
        return None
    comment = payload_field(payload, "comment", kind=dict)
    if not isinstance(comment.get("in_reply_to_id"), int):
        return None
    payload_field(payload, "comment", "id", kind=int)
    return ReplyPosted(**pull_event_fields(payload), comment=comment_subset(comment))


def route_pull_state(payload: Mapping[str, Any], action: str | None) -> PullStateChanged | None:
    if action == "closed":
        merged = payload_field(payload, "pull_request", "merged", kind=bool, default=False)
        closed_at = payload_field(payload, "pull_request", "closed_at", kind=str, default="")
        state = "merged" if merged else "closed"
        return PullStateChanged(**pull_event_fields(payload), state=state, closed_at=closed_at or None)
    if action == "reopened":
        return PullStateChanged(**pull_event_fields(payload), state="open")
    return None


def route_push(payload: Mapping[str, Any], action: str | None) -> PushTracked | None:
    if action != "synchronize":
        return None
    return PushTracked(
        **pull_event_fields(payload),
        before=payload_field(payload, "before", kind=str, default=""),
        after=payload_field(payload, "after", kind=str, default="")
        or payload_field(payload, "pull_request", "head", "sha", kind=str),
    )
