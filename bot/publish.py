"""Posts one contender's review payload as a single COMMENT review, repairing GitHub's 422s so nothing is lost.
Does I/O through the PyGithub client it is given.

``POST /pulls/{n}/reviews`` is all-or-nothing and its 422 does not say which comment is at fault
(https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request). So after a 422 the PR's files
are fetched (``GET /pulls/{n}/files``, no writes) and :func:`bot.core.posting.unplaceable` names the comments
GitHub cannot place; those move into the review body. If GitHub still refuses, halves of the remaining inline
comments move into the body one attempt at a time (a success ends the search, since every success posts), and
the last attempt carries every comment in the body. Attempts are capped at ``2·log2(n) + 3``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from github import Github, GithubException
from github.PullRequest import PullRequest

from bot.core.diff_parse import GithubFile, parse_github_files
from bot.core.posting import split_payload, unplaceable
from bot.errors import GitHubError
from bot.github import pull_files, translate
from bot.github_writes import no_wait

SET_ASIDE = "GitHub refused the review ({detail}); this comment was moved here while finding the cause"


@dataclass(frozen=True, slots=True)
class PostedReview:
    review_id: int
    posted_comment_count: int
    moved_to_body: list[tuple[int, str]]  # (index in the payload's comments, why it is in the body)


def max_attempts(comment_count: int) -> int:
    return 2 * math.ceil(math.log2(comment_count + 1)) + 3


def post_review(
    gh: Github,
    *,
    owner: str,
    repo: str,
    number: int,
    payload: Mapping[str, Any],
    before_write: Callable[[], object] = no_wait,
) -> PostedReview:
    """Post ``payload`` (a ``POST /pulls/{n}/reviews`` body with event COMMENT) on ``owner/repo#number``;
    ``before_write`` is called before each attempt (each is a content-generating request)."""
    if payload.get("event") != "COMMENT":
        raise ValueError("Review Arena posts COMMENT reviews only, never APPROVE or REQUEST_CHANGES")
    # objects built from a lazy client cost no request until used; a copy (``withLazy``) has its own connections,
    # so a client that is lazy already is used as it is, keeping its connection to GitHub alive
    lazy = gh if gh.requester.is_lazy else gh.withLazy(True)
    try:
        return _Poster(lazy, f"{owner}/{repo}", number, payload, before_write).post()
    except GithubException as exc:
        raise translate(exc, what=f"the review on {owner}/{repo}#{number}") from exc
    finally:
        if lazy is not gh:
            lazy.close()


class _Poster:
    """One posting job: the pull request, the original payload and the comments moved to the body so far."""

    def __init__(
        self, gh: Github, full_name: str, number: int, payload: Mapping[str, Any], before_write: Callable[[], object]
    ) -> None:
        repository = gh.get_repo(full_name)
        self.pull: PullRequest = repository.get_pull(number)
        sha = payload.get("commit_id")
        self.commit = repository.get_commit(sha) if sha else None
        self.payload = payload
        self.count = len(payload.get("comments") or ())
        self.moved: dict[int, str] = {}
        self.attempts_left = max_attempts(self.count)
        self.before_write = before_write

    def post(self) -> PostedReview:
        refusal = self._attempt()
        if isinstance(refusal, PostedReview):
            return refusal
        self.moved.update(unplaceable(self.payload, parse_github_files(self._files())))
        if self.moved:
            result = self._attempt()
            if isinstance(result, PostedReview):
                return result
            refusal = result
        suspects = [i for i in range(self.count) if i not in self.moved]
        while len(suspects) > 1 and self.attempts_left > 1:
            half, suspects = suspects[: (len(suspects) + 1) // 2], suspects[(len(suspects) + 1) // 2 :]
            self.moved.update({i: SET_ASIDE.format(detail=refusal) for i in half})
            if isinstance(result := self._attempt(), PostedReview):
                return result
        self.moved.update({i: SET_ASIDE.format(detail=refusal) for i in suspects})
        if isinstance(result := self._attempt(), PostedReview):
            return result
        raise GitHubError(f"GitHub refused the review even with every comment in the body: {result}")

    def _attempt(self) -> PostedReview | str:
        """The posted review, or GitHub's 422 message; other errors propagate."""
        self.attempts_left -= 1
        payload = split_payload(self.payload, set(self.moved), self.moved)
        body = payload.get("body") or ""
        kwargs: dict[str, Any] = {"body": body, "event": "COMMENT", "comments": payload["comments"]}
        if self.commit is not None:
            kwargs["commit"] = self.commit
        self.before_write()
        try:
            review = self.pull.create_review(**kwargs)
        except GithubException as exc:
            if exc.status != 422:
                raise
            return _detail(exc)
        moved = sorted(self.moved.items())
        return PostedReview(review_id=review.id, posted_comment_count=len(payload["comments"]), moved_to_body=moved)

    def _files(self) -> list[GithubFile]:
        return list(pull_files(self.pull))


def _detail(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = data.get("errors") or []
    parts = [e.get("message", str(e)) if isinstance(e, dict) else str(e) for e in errors]
    return f"422 {'; '.join(parts) or data.get('message') or 'Unprocessable Entity'}"
