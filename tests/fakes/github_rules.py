"""GitHub's write rules for the fake: owns validating and applying reviews, review comments, replies, issue
comments and reactions against `GitHubState`.

A review comment must name a file of the pull request (at the review's commit) and a commentable line of its
patch: RIGHT = added or context lines by new-file numbering, LEFT = removed or context lines by old-file
numbering (or the deprecated diff `position`). A range's `start_line` must come before `line` in the same hunk.
Bodies over 65,536 characters are refused. A review is all-or-nothing: any bad comment fails the whole call
with 422 and nothing is stored, as on GitHub. Error strings were taken from real GitHub answers where known
(`Path could not be resolved`, `Line could not be resolved`, the start-line/same-hunk text, the body-length
text, `Can not approve your own pull request`, `The commitOID is not part of the pull request`, one pending
review per user); the few marked "unverified" are plausible stand-ins.
"""

from __future__ import annotations

import base64
from typing import Any

from .github_diff import FileDiff
from .github_models import (
    ApiError,
    IssueComment,
    PullRequest,
    Reaction,
    Review,
    ReviewComment,
    ReviewThread,
    User,
    now_iso,
)
from .github_state import GitHubState

MAX_BODY = 65536
REVIEW_DOCS = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
COMMENT_DOCS = "https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request"
REPLY_DOCS = "https://docs.github.com/rest/pulls/comments#create-a-reply-for-a-review-comment"
ISSUE_COMMENT_DOCS = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
REACTION_DOCS = "https://docs.github.com/rest/reactions/reactions"
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
EVENTS = {"COMMENT": "COMMENTED", "APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "PENDING": "PENDING"}

PATH_ERROR = "Path could not be resolved"
LINE_ERROR = "Line could not be resolved"
START_HUNK_ERROR = "Pull request review thread start line must be part of the same hunk as the line."
START_ORDER_ERROR = "Pull request review thread start line must precede the end line."  # unverified wording
POSITION_ERROR = "Position could not be resolved"  # unverified wording
SIDE_ERROR = "Side must be one of LEFT or RIGHT"  # unverified wording
BODY_TOO_LONG = f"Body is too long (maximum is {MAX_BODY} characters)"
OWN_APPROVE = "Can not approve your own pull request"
OWN_REQUEST_CHANGES = "Can not request changes on your own pull request"
BODY_REQUIRED = "Body can't be blank"  # unverified wording
ONE_PENDING = "User can only have one pending review per pull request"


def unprocessable(errors: list[str], docs: str = REVIEW_DOCS) -> ApiError:
    """GitHub's 422 for the review endpoints: a message and a list of error strings."""
    return ApiError(
        422, {"message": "Unprocessable Entity", "errors": errors, "documentation_url": docs, "status": "422"}
    )


def validation_failed(resource: str, field: str, message: str, docs: str, code: str = "custom") -> ApiError:
    """GitHub's 422 "Validation Failed" with structured errors (issue comments, reactions)."""
    error = {"resource": resource, "code": code, "field": field, "message": message}
    return ApiError(
        422, {"message": "Validation Failed", "errors": [error], "documentation_url": docs, "status": "422"}
    )


def node_id(prefix: str, number: int) -> str:
    """A GitHub-style global node id (`PRRT_kwDO…` for threads, legacy base64 for the rest)."""
    if prefix == "PRRT":
        return "PRRT_kwDO" + base64.urlsafe_b64encode(number.to_bytes(6, "big")).decode().rstrip("=")
    return base64.b64encode(f"0{len(prefix)}:{prefix}{number}".encode()).decode()


class _Anchor:
    """A validated comment location."""

    def __init__(
        self, file: FileDiff, side: str, line: int, start_side: str | None, start_line: int | None, end_index: int
    ) -> None:
        self.file, self.side, self.line = file, side, line
        self.start_side, self.start_line, self.end_index = start_side, start_line, end_index

    @property
    def position(self) -> int:
        return self.file.lines[self.end_index].position


def _anchor(pr: PullRequest, commit_id: str, spec: dict[str, Any]) -> _Anchor | str:
    """Resolve one comment's path/line/side/start_line/position, or the error string GitHub gives."""
    path = spec.get("path")
    file = pr.file(path, commit_id) if isinstance(path, str) else None
    if file is None:
        return PATH_ERROR
    side = spec.get("side") or "RIGHT"
    if side not in ("LEFT", "RIGHT"):
        return SIDE_ERROR
    line, position = spec.get("line"), spec.get("position")
    if line is None and position is not None:
        target = file.at_position(position) if isinstance(position, int) and not file.binary else None
        if target is None or target.kind not in "+- ":
            return POSITION_ERROR
        side, line = ("LEFT", target.old) if target.kind == "-" else ("RIGHT", target.new)
    if not isinstance(line, int) or file.binary:
        return LINE_ERROR
    end_index = file.line_index(side, line)
    if end_index is None:
        return LINE_ERROR
    start_line = spec.get("start_line")
    start_side = spec.get("start_side") or (side if start_line is not None else None)
    if start_line is None:
        return _Anchor(file, side, line, None, None, end_index)
    if start_side not in ("LEFT", "RIGHT") or not isinstance(start_line, int):
        return START_HUNK_ERROR
    start_index = file.line_index(start_side, start_line)
    if start_index is None or file.lines[start_index].hunk != file.lines[end_index].hunk:
        return START_HUNK_ERROR
    if start_index >= end_index:
        return START_ORDER_ERROR
    return _Anchor(file, side, line, start_side, start_line, end_index)


def _check_body(body: object, errors: list[str]) -> None:
    if isinstance(body, str) and len(body) > MAX_BODY and BODY_TOO_LONG not in errors:
        errors.append(BODY_TOO_LONG)


def _new_comment(
    state: GitHubState, pr: PullRequest, review: Review, anchor: _Anchor, body: str, pending: bool
) -> ReviewComment:
    comment_id = state.next_id("review_comment")
    thread = ReviewThread(
        node_id("PRRT", comment_id),
        pr,
        anchor.file.filename,
        anchor.line,
        anchor.start_line,
        anchor.side,
        anchor.start_side,
        [comment_id],
    )
    state.threads.append(thread)
    comment = ReviewComment(
        id=comment_id,
        pr=pr,
        review_id=review.id,
        user=review.user,
        body=body,
        path=anchor.file.filename,
        line=anchor.line,
        side=anchor.side,
        start_line=anchor.start_line,
        start_side=anchor.start_side,
        position=anchor.position,
        diff_hunk=anchor.file.diff_hunk(anchor.end_index),
        commit_id=review.commit_id,
        author_association=review.author_association,
        thread_id=thread.id,
        original_line=anchor.line,
        original_start_line=anchor.start_line,
        original_position=anchor.position,
        original_commit_id=review.commit_id,
        pending=pending,
    )
    state.review_comments.append(comment)
    return comment


def _new_review(
    state: GitHubState, pr: PullRequest, user: User, body: str, event: str | None, commit_id: str
) -> Review:
    review_state = EVENTS[event or "PENDING"]
    review = Review(
        id=state.next_id("review"),
        pr=pr,
        user=user,
        body=body,
        state=review_state,
        event=event,
        commit_id=commit_id,
        author_association=state.association(pr.repo, user),
        submitted_at=None if review_state == "PENDING" else now_iso(),
    )
    state.reviews.append(review)
    return review


def _commit_for(pr: PullRequest, commit_id: object, *, single_comment: bool = False) -> str:
    """The commit a review/comment is made on: the head when absent, else one of the PR's commits."""
    if commit_id is None:
        return pr.head_sha
    if isinstance(commit_id, str) and commit_id in pr.commits:
        return commit_id
    if single_comment:
        message = "commit_id is not part of the pull request"
        raise validation_failed("PullRequestReviewComment", "commit_id", message, COMMENT_DOCS)
    raise unprocessable(["The commitOID is not part of the pull request"])


def create_review(state: GitHubState, pr: PullRequest, user: User, payload: dict[str, Any]) -> Review:
    """`POST /pulls/{n}/reviews`: validate everything first, then store the review and its comments."""
    with state.lock:
        event = payload.get("event")
        if event is not None and event not in EVENTS:
            raise unprocessable([f"Invalid event: {event!r}"])  # unverified wording
        body = payload.get("body") or ""
        comments = payload.get("comments") or []
        commit_id = _commit_for(pr, payload.get("commit_id"))
        errors: list[str] = []
        if (event or "PENDING") == "PENDING" and any(
            r.pr is pr and r.user is user and r.state == "PENDING" for r in state.reviews
        ):
            errors.append(ONE_PENDING)
        if user is pr.user and event == "APPROVE":
            errors.append(OWN_APPROVE)
        if user is pr.user and event == "REQUEST_CHANGES":
            errors.append(OWN_REQUEST_CHANGES)
        if (event == "REQUEST_CHANGES" and not body) or (event == "COMMENT" and not body and not comments):
            errors.append(BODY_REQUIRED)
        _check_body(body, errors)
        anchors: list[_Anchor] = []
        for spec in comments:
            _check_body(spec.get("body"), errors)
            anchor = _anchor(pr, commit_id, spec)
            if isinstance(anchor, str):
                if anchor not in errors:
                    errors.append(anchor)
            else:
                anchors.append(anchor)
        if errors:
            raise unprocessable(errors)
        review = _new_review(state, pr, user, body, event, commit_id)
        for spec, anchor in zip(comments, anchors, strict=True):
            _new_comment(state, pr, review, anchor, str(spec.get("body") or ""), review.state == "PENDING")
        return review


def create_review_comment(state: GitHubState, pr: PullRequest, user: User, payload: dict[str, Any]) -> ReviewComment:
    """`POST /pulls/{n}/comments`: one comment (or a reply via `in_reply_to`) in its own COMMENTED review."""
    with state.lock:
        if payload.get("in_reply_to") is not None:
            return reply(state, pr, user, int(payload["in_reply_to"]), payload.get("body"))
        errors: list[str] = []
        _check_body(payload.get("body"), errors)
        commit_id = _commit_for(pr, payload.get("commit_id"), single_comment=True)
        anchor = _anchor(pr, commit_id, payload)
        if isinstance(anchor, str):
            errors.append(anchor)
        if errors or isinstance(anchor, str):
            raise unprocessable(errors, COMMENT_DOCS)
        review = _new_review(state, pr, user, "", "COMMENT", commit_id)
        return _new_comment(state, pr, review, anchor, str(payload.get("body") or ""), False)


def reply(state: GitHubState, pr: PullRequest, user: User, comment_id: int, body: object) -> ReviewComment:
    """`POST /pulls/{n}/comments/{id}/replies`: answer in the comment's thread (a reply to a reply joins the root)."""
    with state.lock:
        target = next((c for c in state.review_comments if c.id == comment_id and c.pr is pr), None)
        if target is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": REPLY_DOCS, "status": "404"})
        if not isinstance(body, str) or not body:
            raise unprocessable([BODY_REQUIRED], REPLY_DOCS)
        errors: list[str] = []
        _check_body(body, errors)
        if errors:
            raise unprocessable(errors, REPLY_DOCS)
        root_id = target.in_reply_to_id or target.id
        review = _new_review(state, pr, user, "", "COMMENT", pr.head_sha)
        comment = ReviewComment(
            id=state.next_id("review_comment"),
            pr=pr,
            review_id=review.id,
            user=user,
            body=body,
            path=target.path,
            line=target.line,
            side=target.side,
            start_line=target.start_line,
            start_side=target.start_side,
            position=target.position,
            diff_hunk=target.diff_hunk,
            commit_id=target.commit_id,
            author_association=review.author_association,
            thread_id=target.thread_id,
            in_reply_to_id=root_id,
            original_line=target.original_line,
            original_start_line=target.original_start_line,
            original_position=target.original_position,
            original_commit_id=target.original_commit_id,
        )
        state.review_comments.append(comment)
        state.thread(target.thread_id).comment_ids.append(comment.id)
        return comment


def human_reply(
    state: GitHubState, owner: str, repo: str, number: int, comment_id: int, body: str, user: str = "octocat"
) -> ReviewComment:
    """Test helper: a person answers a review comment."""
    return reply(state, state.pull(owner, repo, number), state.user(user), comment_id, body)


def create_issue_comment(
    state: GitHubState, owner: str, repo: str, number: int, user: User, payload: dict[str, Any]
) -> IssueComment:
    """`POST /issues/{n}/comments` (a pull request is an issue too)."""
    with state.lock:
        repository = state.repo(owner, repo)
        if not any(pr.repo is repository and pr.number == number for pr in state.pulls.values()):
            raise ApiError(404, {"message": "Not Found", "documentation_url": ISSUE_COMMENT_DOCS, "status": "404"})
        body = payload.get("body")
        if not isinstance(body, str) or not body:
            raise validation_failed(
                "IssueComment", "body", "body wasn't supplied.", ISSUE_COMMENT_DOCS, "missing_field"
            )
        if len(body) > MAX_BODY:
            raise validation_failed("IssueComment", "data", BODY_TOO_LONG, ISSUE_COMMENT_DOCS, "unprocessable")
        comment = IssueComment(
            state.next_id("issue_comment"), repository, number, user, body, state.association(repository, user)
        )
        state.issue_comments.append(comment)
        return comment


def create_reaction(
    state: GitHubState, subject: str, subject_id: int, user: User, payload: dict[str, Any]
) -> tuple[Reaction, bool]:
    """`POST …/comments/{id}/reactions`: 201 when new, 200 with the existing one when repeated."""
    content = payload.get("content")
    if content not in REACTIONS:
        raise validation_failed(
            "Reaction", "content", f"content is not included in the list: {content}", REACTION_DOCS, "invalid"
        )
    return state.add_reaction(subject, subject_id, str(content), user.login)
