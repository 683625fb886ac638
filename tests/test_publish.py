"""Specification of ``bot.publish``: one COMMENT review per payload against the fake GitHub on a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from github import Auth, Github

from bot.core.posting import MOVED_TITLE
from bot.errors import GitHubError, TransientGitHubError
from bot.publish import max_attempts, post_review
from tests.conftest import DIFFS
from tests.fakes.github_server import FakeGitHubServer

FLASK_MEDIUM = "py-flask-medium-feature-limits-config-c7a53888.diff"
HEAD = "c7a53888" + "0" * 32
REVIEWS = r"^/repos/pallets/flask/pulls/5/reviews$"
SUMMARY_MARKER = "<!-- review-arena:v1 kind=summary contender=deepseek run=1234abcd head=- fp=- -->"
VALID: list[dict[str, Any]] = [
    {"path": "CHANGES.rst", "line": 14, "side": "RIGHT", "body": "one line"},
    {"path": "CHANGES.rst", "start_line": 12, "start_side": "RIGHT", "line": 14, "side": "RIGHT", "body": "a range"},
    {"path": "tests/test_basic.py", "line": 1541, "side": "LEFT", "body": "removed line"},
]
OUTSIDE_LINE: dict[str, Any] = {
    "path": "CHANGES.rst",
    "line": 3,
    "side": "RIGHT",
    "body": "on a line the diff does not show",
}
OUTSIDE_FILE: dict[str, Any] = {
    "path": "no/such/file.py",
    "line": 1,
    "side": "RIGHT",
    "body": "on a file the PR does not touch",
}


@pytest.fixture
def server() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        fake.add_pull_request("pallets", "flask", 5, (DIFFS / FLASK_MEDIUM).read_text(encoding="utf-8"), head_sha=HEAD)
        yield fake
        assert fake.schema_violations == []


@pytest.fixture
def gh(server: FakeGitHubServer) -> Iterator[Github]:
    client = Github(
        base_url=server.api_url,
        auth=Auth.Token("t"),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    yield client
    client.close()


def payload(*comments: dict[str, Any]) -> dict[str, Any]:
    return {"event": "COMMENT", "commit_id": HEAD, "body": f"Summary\n{SUMMARY_MARKER}", "comments": list(comments)}


def post(gh: Github, body: dict[str, Any]) -> Any:
    return post_review(gh, owner="pallets", repo="flask", number=5, payload=body)


def test_a_valid_payload_posts_one_comment_review_with_every_comment(server: FakeGitHubServer, gh: Github) -> None:
    posted = post(gh, payload(*VALID))
    (review,) = server.state.reviews
    assert (review.id, review.event, review.commit_id) == (posted.review_id, "COMMENT", HEAD)
    assert review.body == f"Summary\n{SUMMARY_MARKER}"
    assert [c.body for c in server.state.review_comments] == [c["body"] for c in VALID]
    assert (posted.posted_comment_count, posted.moved_to_body) == (3, [])
    assert server.count_requests("POST", REVIEWS) == 1


def test_comments_outside_the_diff_move_into_the_body_and_the_rest_stay_inline(
    server: FakeGitHubServer, gh: Github
) -> None:
    posted = post(gh, payload(VALID[0], OUTSIDE_LINE, VALID[1], OUTSIDE_FILE, VALID[2]))
    (review,) = server.state.reviews
    assert sorted(c.body for c in server.state.review_comments) == sorted(c["body"] for c in VALID)
    assert [i for i, _ in posted.moved_to_body] == [1, 3] and posted.posted_comment_count == 3
    assert MOVED_TITLE in review.body and review.body.endswith(SUMMARY_MARKER)
    assert "`CHANGES.rst` line 3 (RIGHT): line 3 is not in the diff on the RIGHT side" in review.body
    assert "`no/such/file.py` line 1 (RIGHT): the file is not part of this pull request's diff" in review.body
    assert OUTSIDE_LINE["body"] in review.body and OUTSIDE_FILE["body"] in review.body
    assert [r.status for r in server.requests_to("POST", REVIEWS)] == [422, 200]


def test_an_unexplained_422_moves_halves_into_the_body_until_github_accepts(
    server: FakeGitHubServer, gh: Github
) -> None:
    server.inject("POST", REVIEWS, 422, times=2, body={"message": "Unprocessable Entity", "errors": ["mystery"]})
    posted = post(gh, payload(*VALID, {**VALID[0], "body": "fourth"}))
    assert [i for i, _ in posted.moved_to_body] == [0, 1, 2] and posted.posted_comment_count == 1
    assert all("422 mystery" in reason for _, reason in posted.moved_to_body)
    assert [c.body for c in server.state.review_comments] == ["fourth"]
    assert all(c["body"] in server.state.reviews[0].body for c in VALID)


def test_a_lazy_client_posts_on_its_own_kept_alive_connection(server: FakeGitHubServer, gh: Github) -> None:
    lazy = gh.withLazy(True)  # as the App's installation clients are
    try:
        lazy.get_rate_limit()  # a first request opens the client's connection
        post(lazy, payload(*VALID))
    finally:
        lazy.close()
    ports = {r.client_port for r in server.requests}
    assert len(ports) == 1, "the review was posted on a new connection"


def test_every_attempt_first_takes_a_slot_from_the_write_budget(server: FakeGitHubServer, gh: Github) -> None:
    server.inject("POST", REVIEWS, 422, times=2, body={"message": "Unprocessable Entity", "errors": ["mystery"]})
    sent_before_each_permit: list[int] = []

    def before_write() -> float:
        sent_before_each_permit.append(server.count_requests("POST", REVIEWS))
        return 0.0

    post_review(gh, owner="pallets", repo="flask", number=5, payload=payload(*VALID), before_write=before_write)
    assert sent_before_each_permit == [0, 1, 2]
    assert server.count_requests("POST", REVIEWS) == 3


def test_a_review_github_always_refuses_fails_after_a_bounded_number_of_attempts(
    server: FakeGitHubServer, gh: Github
) -> None:
    server.inject("POST", REVIEWS, 422, times=100, body={"message": "Unprocessable Entity", "errors": ["no"]})
    comments = [{**VALID[0], "body": f"c{i}"} for i in range(8)]
    with pytest.raises(GitHubError, match="every comment in the body"):
        post(gh, payload(*comments))
    assert server.count_requests("POST", REVIEWS) <= max_attempts(8)
    assert server.state.reviews == []


@pytest.mark.parametrize("status", [502, 503], ids=["502", "503"])
def test_a_server_error_is_transient(server: FakeGitHubServer, gh: Github, status: int) -> None:
    server.inject("POST", REVIEWS, status)
    with pytest.raises(TransientGitHubError):
        post(gh, payload(*VALID))
    assert server.state.reviews == []


def test_a_secondary_rate_limit_is_transient(server: FakeGitHubServer, gh: Github) -> None:
    server.inject_secondary_rate_limit("POST", REVIEWS)
    with pytest.raises(TransientGitHubError):
        post(gh, payload(*VALID))


@pytest.mark.parametrize("event", ["APPROVE", "REQUEST_CHANGES"])
def test_only_comment_reviews_are_posted(server: FakeGitHubServer, gh: Github, event: str) -> None:
    with pytest.raises(ValueError, match="COMMENT"):
        post(gh, {**payload(*VALID), "event": event})
    assert server.count_requests("POST") == 0
