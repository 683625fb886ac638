"""Specification of ``bot.github_activity``: what acceptance tracking reads, against the fake GitHub on a socket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from github import Auth, Github

from bot.activity import CommitData
from bot.errors import GitHubError, TransientGitHubError
from bot.github_activity import GithubActivity
from tests.conftest import DIFFS
from tests.fakes import github_rules as rules
from tests.fakes.github_server import FakeGitHubServer

OWNER, REPO, NUMBER = "pallets", "flask", 5
FLASK_MEDIUM = (DIFFS / "py-flask-medium-feature-limits-config-c7a53888.diff").read_text(encoding="utf-8")
FLASK_BINARY = (DIFFS / "py-flask-binary-svg-logo-a7589158.diff").read_text(encoding="utf-8")
REQUESTS_RENAMES = (DIFFS / "py-requests-renames-src-layout-d63e94f5.diff").read_text(encoding="utf-8")
ONE_LINE_FIX = (DIFFS / "py-flask-oneline-docs-typo-96b6345c.diff").read_text(encoding="utf-8")
HEAD = "c7a53888" + "0" * 32
BASE = "b" * 40
BOT = "review-arena[bot]"


@pytest.fixture
def server() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        fake.add_pull_request(OWNER, REPO, NUMBER, FLASK_MEDIUM, head_sha=HEAD, base_sha=BASE, user="contributor")
        fake.state.set_author_association(OWNER, REPO, "maintainer", "MEMBER")
        yield fake
        assert fake.schema_violations == []


@pytest.fixture
def activity(server: FakeGitHubServer) -> Iterator[GithubActivity]:
    gh = Github(
        base_url=server.api_url,
        auth=Auth.Token("t"),
        retry=None,
        per_page=100,
        lazy=True,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    yield GithubActivity(gh)
    gh.close()


def bot_review(server: FakeGitHubServer, lines: list[int], body: str = "Summary") -> list[int]:
    """The bot posts one COMMENT review with a comment per line of CHANGES.rst; returns the comment ids."""
    state = server.state
    comments = [{"path": "CHANGES.rst", "line": line, "side": "RIGHT", "body": f"finding {line}"} for line in lines]
    review = rules.create_review(
        state,
        state.pull(OWNER, REPO, NUMBER),
        state.bot_user(),
        {"event": "COMMENT", "body": body, "comments": comments},
    )
    return [c.id for c in state.review_comments if c.review_id == review.id]


# ---- review comments ------------------------------------------------------------------------------------------
def test_review_comments_say_who_wrote_them_where_and_in_reply_to_what(
    server: FakeGitHubServer, activity: GithubActivity
) -> None:
    (finding,) = bot_review(server, [12])
    reply = rules.human_reply(server.state, OWNER, REPO, NUMBER, finding, "good catch", user="maintainer")
    for user, content in (("maintainer", "+1"), ("contributor", "-1"), ("maintainer", "eyes")):
        server.state.add_reaction("pull_comment", finding, content, user=user)

    root, answer = activity.review_comments(OWNER, REPO, NUMBER)

    assert (root.id, root.author, root.author_is_bot, root.body) == (finding, BOT, True, "finding 12")
    assert (root.path, root.line, root.start_line, root.side, root.original_commit_id) == (
        "CHANGES.rst",
        12,
        None,
        "RIGHT",
        HEAD,
    )
    assert (root.in_reply_to, root.thumbs) == (None, 2)
    assert (answer.id, answer.author, answer.author_is_bot, answer.association) == (
        reply.id,
        "maintainer",
        False,
        "MEMBER",
    )
    assert (answer.in_reply_to, answer.thumbs) == (finding, 0)
    assert root.created_at.tzinfo is UTC


def test_an_outdated_comment_keeps_its_lines_in_the_reviewed_commit(
    server: FakeGitHubServer, activity: GithubActivity
) -> None:
    bot_review(server, [12])
    other = (DIFFS / "py-requests-oneline-fix-88fda942.diff").read_text(encoding="utf-8")
    server.state.push_pull_request(OWNER, REPO, NUMBER, other, "f" * 40)

    (comment,) = activity.review_comments(OWNER, REPO, NUMBER)

    assert (comment.line, comment.original_line, comment.original_start_line) == (None, 12, None)


def test_review_comments_are_read_past_the_first_page_without_a_request_per_comment(
    server: FakeGitHubServer, activity: GithubActivity
) -> None:
    ids = bot_review(server, [12] * 150)

    comments = activity.review_comments(OWNER, REPO, NUMBER)

    assert [c.id for c in comments] == ids
    assert server.count_requests("GET", r"/pulls/5/comments$") == 2
    assert server.count_requests("GET", r"/pulls/comments/\d+$") == 0


# ---- reactions ------------------------------------------------------------------------------------------------
def test_reactions_list_every_user_across_pages(server: FakeGitHubServer, activity: GithubActivity) -> None:
    (finding,) = bot_review(server, [12])
    for n in range(120):
        server.state.add_reaction("pull_comment", finding, "+1", user=f"user{n}")
    server.state.add_reaction("pull_comment", finding, "-1", user=BOT)

    reactions = activity.reactions(OWNER, REPO, finding)

    assert len(reactions) == 121 and server.count_requests("GET", rf"/pulls/comments/{finding}/reactions$") == 2
    assert (reactions[0].content, reactions[0].user, reactions[0].user_is_bot) == ("+1", "user0", False)
    assert (reactions[-1].content, reactions[-1].user, reactions[-1].user_is_bot) == ("-1", BOT, True)
    assert reactions[0].created_at.tzinfo is UTC


# ---- permissions ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("login", "role", "expected"),
    [
        ("pallets", None, "admin"),
        ("maintainer", None, "write"),
        ("steward", "maintain", "maintain"),
        ("helper", "triage", "triage"),
        ("auditor", "security-auditor", "read"),
        ("passer-by", None, "read"),
        ("nobody-github-knows", None, "none"),
    ],
    ids=["owner", "member", "maintain-role", "triage-role", "custom-role", "public-repo-reader", "unknown-login"],
)
def test_permission_is_the_finest_built_in_role(
    server: FakeGitHubServer, activity: GithubActivity, login: str, role: str | None, expected: str
) -> None:
    if role is not None:
        server.state.set_role(OWNER, REPO, login, role)
    if login == "passer-by":
        server.state.user(login)

    assert activity.permission(OWNER, REPO, login) == expected


def test_someone_without_a_role_on_a_private_repository_has_none(
    server: FakeGitHubServer, activity: GithubActivity
) -> None:
    server.state.add_repository("acme", "secret", private=True)
    server.state.user("passer-by")

    assert activity.permission("acme", "secret", "passer-by") == "none"


def test_a_bot_login_is_quoted_in_the_path(server: FakeGitHubServer, activity: GithubActivity) -> None:
    server.state.bot_user()

    assert activity.permission(OWNER, REPO, BOT) == "read"


# ---- compare --------------------------------------------------------------------------------------------------
def test_compare_lists_commits_oldest_first_and_each_files_patch(
    server: FakeGitHubServer, activity: GithubActivity
) -> None:
    later = "d" * 40
    server.state.push_pull_request(OWNER, REPO, NUMBER, ONE_LINE_FIX, later)

    comparison = activity.compare(OWNER, REPO, BASE, later)

    assert [c.sha for c in comparison.commits] == [HEAD, later]
    assert all(isinstance(c, CommitData) and c.message and c.at.tzinfo is UTC for c in comparison.commits)
    (path,) = comparison.patches
    assert comparison.patches[path].startswith("@@ ") and comparison.renamed_from == {}


def test_compare_reports_renames_and_gives_binary_files_an_empty_patch(
    server: FakeGitHubServer, activity: GithubActivity
) -> None:
    server.state.add_commit(OWNER, REPO, "e" * 40, parents=[BASE])
    server.state.add_compare(OWNER, REPO, BASE, "e" * 40, REQUESTS_RENAMES + FLASK_BINARY)

    comparison = activity.compare(OWNER, REPO, BASE, "e" * 40)

    assert len(comparison.renamed_from) == 18
    assert all(new == "src/" + old for new, old in comparison.renamed_from.items())
    assert comparison.patches["docs/_static/flask-horizontal.png"] == ""
    assert comparison.patches["docs/_static/flask-horizontal.svg"].startswith("@@ -0,0 +1 @@")


def test_compare_reads_every_page_of_commits(server: FakeGitHubServer, activity: GithubActivity) -> None:
    parent = BASE
    for n in range(130):
        sha = f"{n:040x}"
        server.state.add_commit(OWNER, REPO, sha, message=f"step {n}", parents=[parent])
        parent = sha
    server.state.add_compare(OWNER, REPO, BASE, parent, ONE_LINE_FIX)

    comparison = activity.compare(OWNER, REPO, BASE, parent)

    assert [c.message for c in comparison.commits] == [f"step {n}" for n in range(130)]
    assert len(comparison.patches) == 1
    assert server.count_requests("GET", r"/compare/") == 2


# ---- review threads -------------------------------------------------------------------------------------------
def test_review_threads_say_who_resolved_them_and_hold_their_comment_ids(
    server: FakeGitHubServer, activity: GithubActivity
) -> None:
    first, second, third = bot_review(server, [11, 12, 13])
    reply = rules.human_reply(server.state, OWNER, REPO, NUMBER, first, "fixed", user="maintainer")
    thread_ids = [t.id for t in server.state.threads]
    server.state.resolve_thread(thread_ids[0], by="maintainer")
    server.state.resolve_thread(thread_ids[1], by=BOT)
    server.state.mark_outdated(thread_ids[2])

    threads = activity.review_threads(OWNER, REPO, NUMBER)

    assert [t.id for t in threads] == thread_ids
    assert [(t.resolved, t.resolved_by, t.resolved_by_is_bot) for t in threads] == [
        (True, "maintainer", False),
        (True, BOT, True),
        (False, None, False),
    ]
    assert [t.outdated for t in threads] == [False, False, True]
    assert [t.comment_ids for t in threads] == [(first, reply.id), (second,), (third,)]


def test_review_threads_page_by_cursor(server: FakeGitHubServer, activity: GithubActivity) -> None:
    ids = bot_review(server, [12] * 130)

    threads = activity.review_threads(OWNER, REPO, NUMBER)

    assert [t.comment_ids for t in threads] == [(i,) for i in ids]
    graphql = server.requests_to("POST", r"/graphql$")
    assert [r.body["variables"]["cursor"] is None for r in graphql] == [True, False]


# ---- reviews and pull requests --------------------------------------------------------------------------------
def test_reviews_carry_their_body_commit_and_submission_time(
    server: FakeGitHubServer, activity: GithubActivity
) -> None:
    bot_review(server, [12], body="Summary <!-- review-arena:v1 kind=summary -->")
    state = server.state
    rules.create_review(state, state.pull(OWNER, REPO, NUMBER), state.user("maintainer"), {"event": "APPROVE"})

    bot, human = activity.reviews(OWNER, REPO, NUMBER)

    assert (bot.author, bot.author_is_bot, bot.body, bot.commit_id) == (
        BOT,
        True,
        "Summary <!-- review-arena:v1 kind=summary -->",
        HEAD,
    )
    assert (human.author, human.author_is_bot, human.body) == ("maintainer", False, "")
    assert bot.submitted_at is not None and bot.submitted_at.tzinfo is UTC


def test_pull_tells_merged_and_closed(server: FakeGitHubServer, activity: GithubActivity) -> None:
    server.add_pull_request(
        OWNER, REPO, 6, ONE_LINE_FIX, state="closed", merged=True, updated_at="2024-05-01T12:00:00Z", head_sha="f" * 40
    )

    open_pull, merged = activity.pull(OWNER, REPO, NUMBER), activity.pull(OWNER, REPO, 6)

    assert (open_pull.number, open_pull.author, open_pull.state, open_pull.merged, open_pull.closed_at) == (
        NUMBER,
        "contributor",
        "open",
        False,
        None,
    )
    assert open_pull.head_sha == HEAD
    assert (merged.state, merged.merged, merged.head_sha) == ("closed", True, "f" * 40)
    assert merged.closed_at == merged.updated_at == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_pulls_come_most_recently_updated_first_and_stop_before_since(
    server: FakeGitHubServer, activity: GithubActivity
) -> None:
    for number, day, state in ((6, 3, "closed"), (7, 1, "open"), (8, 2, "open")):
        server.add_pull_request(OWNER, REPO, number, ONE_LINE_FIX, state=state, updated_at=f"2020-01-0{day}T00:00:00Z")

    since = datetime(2020, 1, 2, tzinfo=UTC)
    pulls = list(activity.pulls(OWNER, REPO, since=since))

    assert [(p.number, p.state) for p in pulls] == [(NUMBER, "open"), (6, "closed"), (8, "open")]
    assert [p.number for p in activity.pulls(OWNER, REPO, since=None)] == [NUMBER, 6, 8, 7]
    assert server.count_requests("GET", r"/pulls/\d+$") == 0


def test_pulls_reads_no_page_past_since(server: FakeGitHubServer, activity: GithubActivity) -> None:
    for number in range(6, 206):
        server.add_pull_request(OWNER, REPO, number, ONE_LINE_FIX, updated_at="2020-01-01T00:00:00Z")

    pulls = list(activity.pulls(OWNER, REPO, since=datetime(2021, 1, 1, tzinfo=UTC)))

    assert [p.number for p in pulls] == [NUMBER]
    assert server.count_requests("GET", r"/pulls$") == 1


# ---- failures -------------------------------------------------------------------------------------------------
RATE_LIMITED = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 5001."}]}


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "read"),
    [
        ("GET", r"/pulls/5/comments$", 502, None, lambda a: a.review_comments(OWNER, REPO, NUMBER)),
        ("GET", r"/reactions$", 503, None, lambda a: a.reactions(OWNER, REPO, 1)),
        ("GET", r"/permission$", 500, None, lambda a: a.permission(OWNER, REPO, "maintainer")),
        ("GET", r"/compare/", 502, None, lambda a: a.compare(OWNER, REPO, BASE, HEAD)),
        ("POST", r"/graphql$", 502, None, lambda a: a.review_threads(OWNER, REPO, NUMBER)),
        ("POST", r"/graphql$", 200, RATE_LIMITED, lambda a: a.review_threads(OWNER, REPO, NUMBER)),
        ("GET", r"/pulls/5/reviews$", 429, None, lambda a: a.reviews(OWNER, REPO, NUMBER)),
        ("GET", r"/pulls/5$", 502, None, lambda a: a.pull(OWNER, REPO, NUMBER)),
        ("GET", r"/pulls$", 502, None, lambda a: list(a.pulls(OWNER, REPO, since=None))),
    ],
    ids=[
        "comments",
        "reactions",
        "permission",
        "compare",
        "graphql",
        "graphql-rate-limited",
        "reviews",
        "pull",
        "pulls",
    ],
)
def test_server_errors_and_rate_limits_are_transient(
    server: FakeGitHubServer,
    activity: GithubActivity,
    method: str,
    path: str,
    status: int,
    body: dict[str, Any] | None,
    read: Any,
) -> None:
    server.inject(method, path, status, body=body)

    with pytest.raises(TransientGitHubError):
        read(activity)


def test_a_spent_rate_limit_is_transient(server: FakeGitHubServer, activity: GithubActivity) -> None:
    activity.pull(OWNER, REPO, NUMBER)
    server.auth.set_remaining(0)

    with pytest.raises(TransientGitHubError):
        activity.review_comments(OWNER, REPO, NUMBER)


def test_a_missing_pull_request_is_a_lasting_error(server: FakeGitHubServer, activity: GithubActivity) -> None:
    with pytest.raises(GitHubError) as raised:
        activity.review_threads(OWNER, REPO, 404)
    assert not isinstance(raised.value, TransientGitHubError)
    with pytest.raises(GitHubError) as raised:
        activity.pull(OWNER, REPO, 404)
    assert not isinstance(raised.value, TransientGitHubError)
