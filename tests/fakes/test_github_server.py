"""Tests for the fake GitHub server, driven through PyGithub itself (the client the bot uses)."""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from github import Auth, Github, GithubException, GithubIntegration, GithubRetry
from github.GithubException import BadCredentialsException, RateLimitExceededException, UnknownObjectException
from github.PullRequest import PullRequest

from . import github_rules as rules
from . import openapi_check
from .github_auth import generate_app_key_pair
from .github_diff import parse_unified_diff
from .github_server import BAD_CREDENTIALS_BODY, FakeGitHubServer

DIFFS = openapi_check.spec_path().parents[1] / "diffs"
FLASK_MEDIUM = "py-flask-medium-feature-limits-config-c7a53888.diff"
FLASK_BINARY = "py-flask-binary-svg-logo-a7589158.diff"
REQUESTS_RENAMES = "py-requests-renames-src-layout-d63e94f5.diff"
THREADS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 2, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes { id isResolved isOutdated path line startLine resolvedBy { login }
                comments(first: 10) { nodes { databaseId author { login } body } } }
      }
    }
  }
}
"""


def diff(name: str) -> str:
    return (DIFFS / name).read_text(encoding="utf-8")


def raw_patch(diff_text: str, path: str) -> str:
    """The hunks of one file cut straight out of the diff text (independent of the fake's parser)."""
    for section in re.split(r"(?m)^diff --git ", diff_text):
        if section.split("\n", 1)[0].endswith(f" b/{path}"):
            return section[section.index("\n@@") + 1 :].rstrip("\n")
    raise AssertionError(path)


@pytest.fixture
def server() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        yield fake
        assert fake.schema_violations == []


@pytest.fixture
def client(server: FakeGitHubServer) -> Iterator[Callable[..., Github]]:
    made: list[Github] = []

    def make(token: str = "t", **kwargs: Any) -> Github:
        kwargs.setdefault("seconds_between_requests", 0)
        kwargs.setdefault("seconds_between_writes", 0)
        gh = Github(base_url=server.api_url, auth=Auth.Token(token), **kwargs)
        made.append(gh)
        return gh

    yield make
    for gh in made:
        gh.close()


@pytest.fixture
def flask_pr(server: FakeGitHubServer, client: Callable[..., Github]) -> PullRequest:
    server.add_pull_request("pallets", "flask", 5, diff(FLASK_MEDIUM), user="octocat")
    return client().get_repo("pallets/flask").get_pull(5)


def test_pull_request_files_match_the_diff_and_paginate(
    server: FakeGitHubServer, client: Callable[..., Github]
) -> None:
    text = diff(FLASK_MEDIUM)
    server.add_pull_request("pallets", "flask", 5, text)
    gh = client(per_page=3)
    files = list(gh.get_repo("pallets/flask").get_pull(5).get_files())
    expected = re.findall(r"(?m)^diff --git a/\S+ b/(\S+)$", text)
    assert [f.filename for f in files] == expected
    assert server.count_requests("GET", r"/pulls/5/files$") == 3
    assert {f.filename: f.status for f in files}["tests/test_request.py"] == "added"
    assert (sum(f.additions for f in files), sum(f.deletions for f in files)) == (231, 33)
    for f in files:
        assert f.patch == raw_patch(text, f.filename)
        assert f.changes == f.additions + f.deletions
        assert f.blob_url and f.raw_url and f.contents_url.startswith(server.api_url)
    headers, _ = gh.requester.requestJsonAndCheck(
        "GET", "/repos/pallets/flask/pulls/5/files", parameters={"per_page": 2}
    )
    link = {k.lower(): v for k, v in headers.items()}["link"]
    assert re.fullmatch(
        r'<http://127\.0\.0\.1:\d+/repositories/\d+/pulls/5/files\?per_page=2&page=2>; rel="next", '
        r'<http://127\.0\.0\.1:\d+/repositories/\d+/pulls/5/files\?per_page=2&page=4>; rel="last"',
        link,
    )


def test_renames_binaries_and_mode_changes(server: FakeGitHubServer, client: Callable[..., Github]) -> None:
    server.add_pull_request("psf", "requests", 1, diff(REQUESTS_RENAMES))
    server.add_pull_request("pallets", "flask", 2, diff(FLASK_BINARY))
    server.add_pull_request("expressjs", "express", 3, diff("js-express-mode-change-only-c24a6b23.diff"))
    gh = client()
    renamed = [f for f in gh.get_repo("psf/requests").get_pull(1).get_files() if f.status == "renamed"]
    assert len(renamed) == 18
    assert all(f.previous_filename and f.filename == "src/" + f.previous_filename for f in renamed)
    by_name = {f.filename: f for f in gh.get_repo("pallets/flask").get_pull(2).get_files()}
    assert by_name["docs/_static/flask-horizontal.png"].status == "removed"
    assert by_name["docs/_static/flask-horizontal.png"].patch is None
    assert by_name["docs/_static/flask-horizontal.svg"].patch.startswith("@@ -0,0 +1 @@")
    (mode_only,) = gh.get_repo("expressjs/express").get_pull(3).get_files()
    assert (mode_only.filename, mode_only.status, mode_only.patch) == ("bin/express", "changed", None)


def test_files_stop_at_3000(server: FakeGitHubServer, client: Callable[..., Github]) -> None:
    text = "".join(
        f"diff --git a/f{i}.txt b/f{i}.txt\n--- a/f{i}.txt\n+++ b/f{i}.txt\n@@ -1 +1 @@\n-a\n+b\n" for i in range(3005)
    )
    server.add_pull_request("o", "big", 1, text)
    pr = client().get_repo("o/big").get_pull(1)
    assert pr.changed_files == 3005
    assert pr.get_files().totalCount == 3000


def test_review_with_valid_lines_is_recorded(server: FakeGitHubServer, flask_pr: PullRequest) -> None:
    comments: list[Any] = [
        {"path": "CHANGES.rst", "line": 14, "body": "one line"},
        {"path": "CHANGES.rst", "start_line": 12, "line": 14, "body": "a range"},
        {"path": "tests/test_basic.py", "line": 1541, "side": "LEFT", "body": "removed line"},
    ]
    review = flask_pr.create_review(body="Summary", event="COMMENT", comments=comments)
    assert (review.state, review.user.login, review.commit_id) == ("COMMENTED", "reviewer", flask_pr.head.sha)
    (stored,) = server.state.reviews
    assert (stored.event, stored.body, stored.id) == ("COMMENT", "Summary", review.id)
    listed = list(flask_pr.get_review_comments())
    assert [(c.path, c.line, c.side, c.start_line) for c in listed] == [
        ("CHANGES.rst", 14, "RIGHT", None),
        ("CHANGES.rst", 14, "RIGHT", 12),
        ("tests/test_basic.py", 1541, "LEFT", None),
    ]
    assert all(c.pull_request_review_id == review.id for c in listed)
    hunk = raw_patch(diff(FLASK_MEDIUM), "CHANGES.rst").split("\n")
    assert listed[0].diff_hunk == "\n".join(hunk[:5])  # header + new lines 11..14
    assert len(server.state.threads) == 3
    assert flask_pr.get_review(review.id).body == "Summary"
    assert [c.id for c in flask_pr.get_single_review_comments(review.id)] == [c.id for c in listed]


@pytest.mark.parametrize(
    ("comment", "error"),
    [
        ({"path": "CHANGES.rst", "line": 3}, rules.LINE_ERROR),
        ({"path": "CHANGES.rst", "line": 18, "side": "LEFT"}, rules.LINE_ERROR),
        ({"path": "no/such/file.py", "line": 1}, rules.PATH_ERROR),
        ({"path": "CHANGES.rst", "start_line": 5, "line": 14}, rules.START_HUNK_ERROR),
        ({"path": "CHANGES.rst", "start_line": 14, "line": 12}, rules.START_ORDER_ERROR),
    ],
)
def test_review_on_a_line_outside_the_diff_is_422(
    server: FakeGitHubServer, flask_pr: PullRequest, comment: dict[str, Any], error: str
) -> None:
    specs: list[Any] = [{**comment, "body": "c"}]
    with pytest.raises(GithubException) as raised:
        flask_pr.create_review(body="x", event="COMMENT", comments=specs)
    assert raised.value.status == 422
    assert raised.value.data == {
        "message": "Unprocessable Entity",
        "errors": [error],
        "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
        "status": "422",
    }
    assert server.state.reviews == [] and server.state.review_comments == []


def test_binary_files_take_no_line_comments(server: FakeGitHubServer, client: Callable[..., Github]) -> None:
    server.add_pull_request("pallets", "flask", 2, diff(FLASK_BINARY))
    pr = client().get_repo("pallets/flask").get_pull(2)
    with pytest.raises(GithubException, match="Line could not be resolved"):
        pr.create_review(event="COMMENT", comments=[{"path": "docs/_static/shortcut-icon.png", "line": 1, "body": "x"}])


def test_bodies_over_65536_characters_are_422(server: FakeGitHubServer, flask_pr: PullRequest) -> None:
    flask_pr.create_review(body="x" * 65536, event="COMMENT")
    with pytest.raises(GithubException) as raised:
        flask_pr.create_review(body="x" * 65537, event="COMMENT")
    assert raised.value.status == 422 and raised.value.data["errors"] == [rules.BODY_TOO_LONG]
    with pytest.raises(GithubException, match="too long"):
        flask_pr.create_review(event="COMMENT", comments=[{"path": "CHANGES.rst", "line": 14, "body": "y" * 65537}])
    with pytest.raises(GithubException, match="too long"):
        flask_pr.create_issue_comment("z" * 65537)
    assert len(server.state.reviews) == 1


def test_approval_is_recorded_and_refused_on_own_pull_request(
    server: FakeGitHubServer, client: Callable[..., Github]
) -> None:
    server.add_token("author-token", "octocat")
    server.add_pull_request("pallets", "flask", 5, diff(FLASK_MEDIUM), user="octocat")
    with pytest.raises(GithubException, match="Can not approve your own pull request"):
        client("author-token").get_repo("pallets/flask").get_pull(5).create_review(event="APPROVE")
    client().get_repo("pallets/flask").get_pull(5).create_review(event="APPROVE")
    assert [(r.event, r.state) for r in server.state.reviews] == [("APPROVE", "APPROVED")]


def test_app_installation_flow(server: FakeGitHubServer, client: Callable[..., Github]) -> None:
    server.add_pull_request("pallets", "flask", 5, diff(FLASK_MEDIUM))
    server.state.add_repository("someone", "private-repo", private=True)
    private_key = server.enable_app(4242, slug="review-arena")
    server.add_installation("pallets")
    integration = GithubIntegration(auth=Auth.AppAuth("4242", private_key), base_url=server.api_url)
    try:
        assert integration.get_app().slug == "review-arena"
        installation = integration.get_repo_installation("pallets", "flask")
        token = integration.get_access_token(installation.id)
        assert token.token.startswith("ghs_") and token.expires_at is not None
    finally:
        integration.close()
    gh = client(token.token)
    review = gh.get_repo("pallets/flask").get_pull(5).create_review(body="from the app", event="COMMENT")
    assert (review.user.login, review.user.type) == ("review-arena[bot]", "Bot")
    with pytest.raises(UnknownObjectException):
        gh.get_repo("someone/private-repo")
    other_key, _ = generate_app_key_pair()
    forged = GithubIntegration(auth=Auth.AppAuth(4242, other_key), base_url=server.api_url)
    try:
        with pytest.raises(GithubException) as raised:
            forged.get_access_token(installation.id)
        assert raised.value.status == 401
    finally:
        forged.close()
    server.auth.expire_installation_tokens()
    with pytest.raises(BadCredentialsException):
        gh.get_repo("pallets/flask")


def test_unknown_token_is_bad_credentials(server: FakeGitHubServer, client: Callable[..., Github]) -> None:
    server.state.add_repository("o", "r")
    with pytest.raises(BadCredentialsException) as raised:
        client("nope").get_repo("o/r")
    assert raised.value.data["message"] == "Bad credentials"


def test_secondary_rate_limit_is_retried_then_succeeds(server: FakeGitHubServer, client: Callable[..., Github]) -> None:
    server.add_pull_request("pallets", "flask", 5, diff(FLASK_MEDIUM))
    server.inject_secondary_rate_limit("POST", r"/pulls/5/reviews$", retry_after=1)
    pr = client(retry=GithubRetry(total=3)).get_repo("pallets/flask").get_pull(5)
    pr.create_review(body="after a pause", event="COMMENT")
    assert server.count_requests("POST", r"/reviews$") == 2
    assert [r.status for r in server.requests_to("POST", r"/reviews$")] == [403, 200]


def test_a_held_request_is_answered_once_released(server: FakeGitHubServer, client: Callable[..., Github]) -> None:
    server.state.add_repository("o", "r")
    server.state.add_repository("o", "s")
    held = server.hold("GET", r"^/repos/o/r$")
    names: list[str] = []
    waiter = threading.Thread(target=lambda: names.append(client().get_repo("o/r").name))
    waiter.start()
    assert held.arrived.wait(10)
    assert client().get_repo("o/s").name == "s"  # other requests go on
    assert names == [] and server.count_requests("GET", r"^/repos/o/r$") == 0
    held.release()
    waiter.join(10)
    assert names == ["r"]


def test_injected_server_errors_and_rate_limit_exhaustion(
    server: FakeGitHubServer, client: Callable[..., Github]
) -> None:
    server.state.add_repository("o", "r")
    server.inject("GET", r"^/repos/o/r$", 502, times=2)
    assert client().get_repo("o/r").name == "r"
    assert [r.status for r in server.requests_to("GET", r"^/repos/o/r$")] == [502, 502, 200]
    server.inject("GET", r"^/repos/o/r$", 401, body=BAD_CREDENTIALS_BODY)
    with pytest.raises(BadCredentialsException):
        client(retry=None).get_repo("o/r")
    gh = client(retry=None)
    before = gh.get_rate_limit().resources.core.remaining
    gh.get_repo("o/r")
    assert gh.get_rate_limit().resources.core.remaining == before - 1
    server.auth.set_remaining(0)
    with pytest.raises(RateLimitExceededException):
        gh.get_repo("o/r")


def test_graphql_review_threads_page_and_resolve(
    server: FakeGitHubServer, flask_pr: PullRequest, client: Callable[..., Github]
) -> None:
    flask_pr.create_review(
        event="COMMENT", comments=[{"path": "CHANGES.rst", "line": n, "body": f"c{n}"} for n in (11, 12, 13)]
    )
    first_id = server.state.review_comments[0].id
    flask_pr.create_review_comment_reply(first_id, "a reply")
    server.state.resolve_thread(server.state.threads[0].id, by="maintainer")
    variables: dict[str, Any] = {"owner": "pallets", "name": "flask", "number": 5, "cursor": None}
    _, page1 = client().requester.graphql_query(THREADS_QUERY, variables)
    threads = page1["data"]["repository"]["pullRequest"]["reviewThreads"]
    assert threads["pageInfo"]["hasNextPage"] is True and len(threads["nodes"]) == 2
    first = threads["nodes"][0]
    assert (first["isResolved"], first["resolvedBy"], first["path"], first["line"]) == (
        True,
        {"login": "maintainer"},
        "CHANGES.rst",
        11,
    )
    assert [c["body"] for c in first["comments"]["nodes"]] == ["c11", "a reply"]
    _, page2 = client().requester.graphql_query(
        THREADS_QUERY, {**variables, "cursor": threads["pageInfo"]["endCursor"]}
    )
    rest = page2["data"]["repository"]["pullRequest"]["reviewThreads"]
    assert rest["pageInfo"]["hasNextPage"] is False and [n["line"] for n in rest["nodes"]] == [13]
    mutation = "mutation($id: ID!) { resolveReviewThread(input: {threadId: $id}) { thread { isResolved } } }"
    _, resolved = client().requester.graphql_query(mutation, {"id": rest["nodes"][0]["id"]})
    assert resolved == {"data": {"resolveReviewThread": {"thread": {"isResolved": True}}}}
    with pytest.raises(GithubException, match="doesn't exist on type"):
        client().requester.graphql_query("{ viewer { login noSuchField } }", {})


def test_graphql_and_rest_under_an_enterprise_prefix() -> None:
    with FakeGitHubServer(prefix="/api/v3") as server:
        server.add_pull_request("o", "r", 1, diff(FLASK_MEDIUM))
        gh = Github(base_url=server.api_url, auth=Auth.Token("t"), seconds_between_requests=0, seconds_between_writes=0)
        try:
            assert gh.get_repo("o/r").get_pull(1).get_files().totalCount == 7
            _, data = gh.requester.graphql_query("query { viewer { login } }", {})
        finally:
            gh.close()
        assert data == {"data": {"viewer": {"login": "reviewer"}}}
        assert server.count_requests("POST", r"^/api/graphql$") == 1
        assert server.schema_violations == []


def test_replies_reactions_and_issue_comments(
    server: FakeGitHubServer, flask_pr: PullRequest, client: Callable[..., Github]
) -> None:
    flask_pr.create_review(event="COMMENT", comments=[{"path": "CHANGES.rst", "line": 12, "body": "root"}])
    root = server.state.review_comments[0]
    human = rules.human_reply(server.state, "pallets", "flask", 5, root.id, "good catch", user="maintainer")
    server.state.add_reaction("pull_comment", root.id, "+1", user="maintainer")
    reply = flask_pr.create_review_comment_reply(human.id, "thanks")
    assert reply.in_reply_to_id == root.id
    comment = next(c for c in flask_pr.get_review_comments() if c.id == root.id)
    comment.create_reaction("eyes")
    comment.create_reaction("eyes")
    assert sorted(r.content for r in comment.get_reactions()) == ["+1", "eyes"]
    assert comment.raw_data["reactions"]["+1"] == 1
    issue_comment = flask_pr.create_issue_comment("## Review Arena summary")
    issue_comment.create_reaction("heart")
    server.state.add_issue_comment("pallets", "flask", 5, "LGTM", user="maintainer")
    assert [c.user.login for c in flask_pr.get_issue_comments()] == ["reviewer", "maintainer"]
    with pytest.raises(GithubException) as raised:
        comment.create_reaction("boom")
    assert raised.value.status == 422
    assert server.schema_violations and all("content" in v for v in server.schema_violations)
    server.schema_violations.clear()


def test_contents_commits_and_compare(
    server: FakeGitHubServer, flask_pr: PullRequest, client: Callable[..., Github]
) -> None:
    server.state.add_file("pallets", "flask", "src/flask/app.py", "print('hi')\n")
    repo = client().get_repo("pallets/flask")
    assert repo.get_contents("src/flask/app.py").decoded_content == b"print('hi')\n"  # type: ignore[union-attr]
    assert repo.get_contents("src/flask/app.py", ref=flask_pr.head.sha).decoded_content == b"print('hi')\n"  # type: ignore[union-attr]
    assert [c.path for c in repo.get_contents("src")] == ["src/flask"]  # type: ignore[union-attr]
    with pytest.raises(UnknownObjectException):
        repo.get_contents("missing.txt")
    commit = repo.get_commit(flask_pr.head.sha)
    assert len(list(commit.files)) == 7 and commit.parents[0].sha == flask_pr.base.sha
    comparison = repo.compare(flask_pr.base.sha, flask_pr.head.sha)
    assert comparison.total_commits == 1 and comparison.files[0].patch == raw_patch(diff(FLASK_MEDIUM), "CHANGES.rst")
    assert [c.sha for c in flask_pr.get_commits()] == [flask_pr.head.sha]


def test_push_makes_threads_outdated(server: FakeGitHubServer, flask_pr: PullRequest) -> None:
    flask_pr.create_review(event="COMMENT", comments=[{"path": "CHANGES.rst", "line": 12, "body": "x"}])
    server.state.push_pull_request("pallets", "flask", 5, diff("py-requests-oneline-fix-88fda942.diff"), "f" * 40)
    (thread,) = server.state.threads
    assert thread.is_outdated and server.state.review_comments[0].line is None
    (comment,) = flask_pr.get_review_comments()
    assert (comment.raw_data["line"], comment.original_line) == (None, 12)


def test_diff_parser_matches_git_numstat_for_every_sample() -> None:
    manifest = json.loads((DIFFS / "MANIFEST.json").read_text(encoding="utf-8"))
    for entry in manifest:
        text = (DIFFS / entry["file"]).read_bytes().decode("utf-8", "replace")
        files = parse_unified_diff(text)
        counts = (len(files), sum(f.additions for f in files), sum(f.deletions for f in files))
        assert counts == (entry["files_changed"], entry["additions"], entry["deletions"]), entry["file"]


def test_openapi_checker_reports_shape_errors() -> None:
    checker = openapi_check.default_checker()
    assert checker.check_response("GET", "/repos/o/r/pulls/1/files", 200, [{"filename": "a"}])
    assert checker.check_response("GET", "/rate_limit", 200, {"rate": {}, "resources": {}})
    assert checker.check_response("GET", "/repos/o/r/pulls/1", 404, {"message": "Not Found"}) == []
    assert checker.check_request_body("POST", "/repos/o/r/pulls/1/reviews", {"event": "LGTM"})
    assert checker.find_template("/repos/o/r/contents/a/b.py") == "/repos/{owner}/{repo}/contents/{path}"
    assert openapi_check.to_json_schema({"type": "string", "nullable": True, "example": "x"}) == {
        "type": ["string", "null"]
    }


def test_foreign_commit_and_second_pending_review_are_refused(server: FakeGitHubServer, flask_pr: PullRequest) -> None:
    server.state.add_commit("pallets", "flask", "a" * 40)
    with pytest.raises(GithubException, match="The commitOID is not part of the pull request"):
        flask_pr.create_review(commit=flask_pr.base.repo.get_commit("a" * 40), body="x", event="COMMENT")
    assert flask_pr.create_review(body="draft").state == "PENDING"
    with pytest.raises(GithubException, match="one pending review"):
        flask_pr.create_review(body="another draft")


def test_collaborator_permission_by_role_association_and_visibility(
    server: FakeGitHubServer, client: Callable[..., Github]
) -> None:
    server.add_pull_request("pallets", "flask", 5, diff(FLASK_MEDIUM), author_association="COLLABORATOR")
    server.state.set_role("pallets", "flask", "steward", "maintain")
    server.state.user("passer-by")
    repo = client().get_repo("pallets/flask")
    legacy = {
        login: repo.get_collaborator_permission(login) for login in ("pallets", "octocat", "steward", "passer-by")
    }
    assert legacy == {"pallets": "admin", "octocat": "write", "steward": "write", "passer-by": "read"}
    assert repo.get_collaborator_role_name("steward") == "maintain"
    _, body = repo.requester.requestJsonAndCheck("GET", f"{repo.url}/collaborators/steward/permission")
    assert body["user"]["login"] == "steward" and body["user"]["permissions"] == {
        "pull": True,
        "triage": True,
        "push": True,
        "maintain": True,
        "admin": False,
    }
    with pytest.raises(UnknownObjectException):
        repo.get_collaborator_permission("nobody-github-knows")
    server.state.add_repository("acme", "secret", private=True)
    assert client().get_repo("acme/secret").get_collaborator_permission("passer-by") == "none"


def test_pull_list_sorts_by_update_and_lists_the_simple_shape(
    server: FakeGitHubServer, client: Callable[..., Github]
) -> None:
    for number, day in ((1, 3), (2, 1), (3, 2)):
        server.add_pull_request("o", "r", number, diff(FLASK_MEDIUM), updated_at=f"2020-01-0{day}T00:00:00Z")
    repo = client().get_repo("o/r")
    assert [p.number for p in repo.get_pulls()] == [3, 2, 1]
    assert [p.number for p in repo.get_pulls(sort="updated")] == [2, 3, 1]
    assert [p.number for p in repo.get_pulls(sort="updated", direction="desc")] == [1, 3, 2]
    _, listed = repo.requester.requestJsonAndCheck("GET", f"{repo.url}/pulls")
    assert "merged" not in listed[0] and listed[0]["merged_at"] is None and listed[0]["updated_at"]


def test_compare_pages_commits_and_lists_files_on_the_first_page_only(
    server: FakeGitHubServer, client: Callable[..., Github]
) -> None:
    parent = "b" * 40
    server.state.add_commit("o", "r", parent)
    for n in range(260):
        server.state.add_commit("o", "r", f"{n:040x}", message=f"step {n}", parents=[parent])
        parent = f"{n:040x}"
    server.state.add_compare("o", "r", "b" * 40, parent, diff(FLASK_MEDIUM))
    url = f"{client().get_repo('o/r').url}/compare/{'b' * 40}...{parent}"
    requester = client().requester
    _, unpaged = requester.requestJsonAndCheck("GET", url)
    assert unpaged["total_commits"] == 260 and len(unpaged["commits"]) == 250 and len(unpaged["files"]) == 7
    assert unpaged["commits"][-1]["sha"] == parent
    headers, first = requester.requestJsonAndCheck("GET", url, parameters={"per_page": 100})
    assert [c["commit"]["message"] for c in first["commits"]][:2] == ["step 0", "step 1"] and "files" in first
    assert 'rel="next"' in headers["link"]
    _, third = requester.requestJsonAndCheck("GET", url, parameters={"per_page": 100, "page": 3})
    assert len(third["commits"]) == 60 and "files" not in third
    comparison = client().get_repo("o/r").compare("b" * 40, parent)
    assert len(list(comparison.commits)) == 260


def test_openapi_checker_grafts_operations_the_subset_lacks() -> None:
    checker = openapi_check.default_checker()
    path = "/repos/o/r/collaborators/someone/permission"
    assert checker.find_template(path) == "/repos/{owner}/{repo}/collaborators/{username}/permission"
    assert checker.check_response("GET", path, 200, {"permission": "write"})


def test_connections_are_kept_alive_between_requests_as_on_github(server: FakeGitHubServer) -> None:
    parts = urlsplit(server.api_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    try:
        for _ in range(2):
            connection.request("GET", f"{parts.path}/rate_limit", headers={"Authorization": "token t"})
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200 and answer.version == 11
        assert connection.sock is not None, "the server closed the connection after one request"
    finally:
        connection.close()
