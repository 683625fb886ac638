"""``/arena stats`` in a pull request: the worker answers with the repository's statistics as a Markdown table,
through the App's installation on the fake GitHub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.acceptance_store import SqlAcceptanceStore
from bot.core.acceptance import Policy
from bot.core.comments import parse_marker
from bot.database import make_engine
from bot.migrate import upgrade
from bot.storage import SqlStore
from tests.acceptance_seed import AUTHOR, HEAD, NUMBER, OWNER, PULL, REPO, T0, finding, post_run
from tests.conftest import DIFFS
from tests.fakes.github_server import FakeGitHubServer
from workers.tracking import run_stats_command

DIFF = (DIFFS / "py-flask-oneline-docs-typo-96b6345c.diff").read_text(encoding="utf-8")


@pytest.fixture
def server() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        yield fake


def environment(tmp_path: Path, server: FakeGitHubServer) -> dict[str, str]:
    private_key = server.enable_app(app_id=4242)
    server.add_installation(OWNER, installation_id=5)
    server.add_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=HEAD, user=AUTHOR)
    url = f"sqlite:///{tmp_path / 'arena.db'}"
    upgrade(url)
    return {"DATABASE_URL": url, "GITHUB_API_URL": server.api_url, "GITHUB_APP_ID": "4242",
            "GITHUB_PRIVATE_KEY": private_key}  # fmt: skip


def test_the_reply_is_the_repositorys_markdown_table_with_its_definitions(
    tmp_path: Path, server: FakeGitHubServer
) -> None:
    env = environment(tmp_path, server)
    engine = make_engine(env["DATABASE_URL"])
    post_run(SqlStore(engine), [finding("a" * 16, line=3), finding("b" * 16, line=5)])
    SqlAcceptanceStore(engine).recompute(PULL, policy=Policy(), now=T0)

    contenders = run_stats_command(env, 5, OWNER, REPO, NUMBER, comment_id=99)

    (reply,) = server.state.issue_comments_of(OWNER, REPO, NUMBER)
    assert contenders == 1
    assert reply.user.login == server.state.bot_user().login
    assert reply.body.startswith(f"### Review Arena statistics for {OWNER}/{REPO}")
    assert "| deepseek | 1 | 2 | 0 | 0 | 0 | 0 | 2 |" in reply.body
    assert "<summary>Definitions" in reply.body and "accepted ÷ decided" in reply.body
    marker = parse_marker(reply.body)
    assert marker is not None and marker.kind == "notice"


def test_a_repository_with_no_reviews_gets_a_clear_answer(tmp_path: Path, server: FakeGitHubServer) -> None:
    env = environment(tmp_path, server)

    assert run_stats_command(env, 5, OWNER, REPO, NUMBER, comment_id=99) == 0

    (reply,) = server.state.issue_comments_of(OWNER, REPO, NUMBER)
    assert "No reviews match: nothing to count yet." in reply.body
