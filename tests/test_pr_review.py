"""The App's per-contender use case, in process, against the fake GitHub and the fake models on real sockets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from github import Auth, Github

from bot.core.comments import parse_marker
from bot.core.config import Settings, settings_from
from bot.core.diff_parse import parse_github_files
from bot.core.pr_ref import PullRef
from bot.github import fetch_pull_request
from bot.llm import OpenAIModel
from bot.pr_review import REPO_CONFIG_PATH, Result, review_pull_for_contender
from bot.prompt_library import load_template
from tests.conftest import DIFFS, TEST_KEY, contenders_for
from tests.fakes.github_server import FakeGitHubServer
from tests.fakes.openai_server import FakeModelServer

DIFF = (DIFFS / "py-flask-medium-feature-limits-config-c7a53888.diff").read_text(encoding="utf-8")
OWNER, REPO, NUMBER = "pallets", "flask", 5
HEAD = "c" * 40


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        fake.add_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=HEAD)
        yield fake
        assert fake.schema_violations == []


@pytest.fixture
def gh(github: FakeGitHubServer) -> Iterator[Github]:
    installation = github.add_installation(OWNER)
    token = github.installation_token(installation.id)
    client = Github(
        base_url=github.api_url, auth=Auth.Token(token), seconds_between_requests=0, seconds_between_writes=0
    )
    yield client
    client.close()


@pytest.fixture
def settings(model_server: FakeModelServer) -> Settings:
    return settings_from({"contenders": contenders_for(model_server.base_url)}, source="test")


def _run(gh: Github, settings: Settings, *, contender: str = "deepseek", head_sha: str = HEAD, run: int = 1) -> Result:
    config = next(c for c in settings.contenders if c.name == contender)

    async def go() -> Result:
        async with OpenAIModel(config, api_key=TEST_KEY) as model:
            return await review_pull_for_contender(
                gh=gh,
                owner=OWNER,
                repo=REPO,
                number=NUMBER,
                head_sha=head_sha,
                contender_name=contender,
                settings=settings,
                template=load_template("review-v1"),
                model=model,
                run_id=f"{run:032x}",
                clock=time.monotonic,
            )

    return asyncio.run(go())


def test_posts_one_labelled_review_on_diff_lines(github: FakeGitHubServer, gh: Github, settings: Settings) -> None:
    assert _run(gh, settings) == "posted"
    reviews = github.state.reviews_of(OWNER, REPO, NUMBER)
    assert len(reviews) == 1
    review = reviews[0]
    assert review.state == "COMMENTED" and review.commit_id == HEAD
    assert review.body.startswith("### DeepSeek V4 Pro")
    marker = parse_marker(review.body)
    assert marker is not None and (marker.kind, marker.contender, marker.head_sha) == ("summary", "deepseek", HEAD)
    comments = github.state.comments_of(OWNER, REPO, NUMBER)
    assert comments
    diff = parse_github_files(fetch_pull_request(gh, PullRef(OWNER, REPO, NUMBER)).files)
    for comment in comments:
        assert comment.body.startswith("**DeepSeek V4 Pro**")
        changed = diff.file(comment.path)
        assert changed is not None and comment.line in changed.commentable(comment.side)


def test_a_second_run_for_the_same_head_posts_nothing(
    github: FakeGitHubServer, gh: Github, settings: Settings, model_server: FakeModelServer
) -> None:
    assert _run(gh, settings, run=1) == "posted"
    calls = len(model_server.requests)
    assert _run(gh, settings, run=2) == "already-posted"
    assert len(github.state.reviews_of(OWNER, REPO, NUMBER)) == 1
    assert len(model_server.requests) == calls, "the model was asked again"


def test_each_contender_posts_its_own_review(github: FakeGitHubServer, gh: Github, settings: Settings) -> None:
    assert _run(gh, settings, contender="deepseek") == "posted"
    assert _run(gh, settings, contender="openai", run=2) == "posted"
    labels = sorted(r.body.splitlines()[0] for r in github.state.reviews_of(OWNER, REPO, NUMBER))
    assert [label.split(":")[0] for label in labels] == ["### DeepSeek V4 Pro", "### OpenAI GPT-5.6 Sol"]


def test_a_newer_head_supersedes_the_job(
    github: FakeGitHubServer, gh: Github, settings: Settings, model_server: FakeModelServer
) -> None:
    github.state.push_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha="d" * 40)
    assert _run(gh, settings, head_sha=HEAD) == "superseded"
    assert github.state.reviews_of(OWNER, REPO, NUMBER) == []
    assert model_server.requests == []


def test_a_bad_repo_config_gives_one_notice_naming_the_key(
    github: FakeGitHubServer, gh: Github, settings: Settings, model_server: FakeModelServer
) -> None:
    github.state.add_file(OWNER, REPO, REPO_CONFIG_PATH, "review:\n  max_findings: 500\n")
    assert _run(gh, settings) == "skipped-config"
    assert _run(gh, settings, contender="openai", run=2) == "skipped-config"
    notices = github.state.issue_comments_of(OWNER, REPO, NUMBER)
    assert len(notices) == 1
    assert "review.max_findings" in notices[0].body
    marker = parse_marker(notices[0].body)
    assert marker is not None and marker.kind == "notice"
    assert github.state.reviews_of(OWNER, REPO, NUMBER) == []
    assert model_server.requests == []


def test_the_repo_config_can_leave_a_contender_out(github: FakeGitHubServer, gh: Github, settings: Settings) -> None:
    github.state.add_file(OWNER, REPO, REPO_CONFIG_PATH, "enabled: [openai]\n")
    assert _run(gh, settings, contender="deepseek") == "skipped-config"
    assert _run(gh, settings, contender="openai") == "posted"
    assert len(github.state.reviews_of(OWNER, REPO, NUMBER)) == 1
    assert github.state.issue_comments_of(OWNER, REPO, NUMBER) == []
