"""The Celery task bodies called directly with an environment: /arena review and installation records."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import redis
from sqlalchemy import select

from bot.database import make_engine
from bot.pr_review import PullTask
from bot.storage_schema import Installation, Repository
from tests.conftest import DIFFS
from tests.stack import ArenaStack
from workers.tasks import (
    built_once,
    close_thread,
    run_record_installation,
    run_review_command,
    run_review_contender,
)

DIFF = (DIFFS / "py-requests-oneline-fix-88fda942.diff").read_text(encoding="utf-8")


def test_the_review_command_reacts_and_queues_one_task_per_contender_for_the_current_head(tmp_path: Path) -> None:
    with ArenaStack(tmp_path, redis_db=10) as stack:
        installation = stack.github.add_installation("octo")
        stack.github.add_pull_request("octo", "hello", 3, DIFF, head_sha="b" * 40)
        comment = stack.github.state.add_issue_comment("octo", "hello", 3, "/arena review", user="maintainer")
        head = run_review_command(stack.env, installation.id, "octo", "hello", 3, comment.id)
        assert head == "b" * 40
        reactions = [r for r in stack.github.requests if r.method == "POST" and r.path.endswith("/reactions")]
        assert len(reactions) == 1 and reactions[0].body == {"content": "eyes"}
        client = redis.Redis.from_url(stack.redis_url)
        assert client.llen("review-arena") == 2
        client.close()


def test_installation_changes_are_recorded(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'arena.db'}"}
    run_record_installation(env, 7, "octo", "created", ["octo/a", "octo/b"], [])
    run_record_installation(env, 7, "octo", "removed", [], ["octo/b"])
    assert run_record_installation(env, 7, "octo", "suspend", [], []) == "suspended"
    engine = make_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.scalar(select(Installation.status).where(Installation.id == 7)) == "suspended"
        active = {name: on for name, on in conn.execute(select(Repository.name, Repository.active))}
    engine.dispose()
    assert active == {"a": True, "b": False}


def test_a_worker_thread_reuses_its_model_connection_across_reviews(tmp_path: Path) -> None:
    with ArenaStack(tmp_path, redis_db=10) as stack:
        installation = stack.github.add_installation("octo")
        for number in (1, 2):
            stack.github.add_pull_request("octo", "hello", number, DIFF, head_sha=f"{number}" * 40)
        for number in (1, 2):
            task = PullTask("octo", "hello", number, f"{number}" * 40, "deepseek", f"{number:032x}", seed=1)
            solo = {**stack.env, "REVIEW_ARENA_PEER_WAIT_S": "0.2"}  # no peer runs here
            result = run_review_contender(solo, replace(task, installation_id=installation.id))
            assert result == "posted"
        calls = [r for r in stack.models.requests if r.path.endswith("/chat/completions")]
        assert len(calls) == 2
        assert calls[0].client_port == calls[1].client_port, "the second review opened a new connection"


def test_posts_draw_on_the_installations_write_budget_kept_in_redis(tmp_path: Path) -> None:
    with ArenaStack(tmp_path, redis_db=10) as stack:
        installation = stack.github.add_installation("octo")
        stack.github.add_pull_request("octo", "hello", 4, DIFF, head_sha="4" * 40)
        comment = stack.github.state.add_issue_comment("octo", "hello", 4, "/arena review", user="maintainer")
        solo = {**stack.env, "REVIEW_ARENA_PEER_WAIT_S": "0.2"}
        task = PullTask("octo", "hello", 4, "4" * 40, "deepseek", "4" * 32, seed=1, installation_id=installation.id)
        assert run_review_contender(solo, task) == "posted"
        run_review_command(stack.env, installation.id, "octo", "hello", 4, comment.id)
        client = redis.Redis.from_url(stack.redis_url)
        budget = f"review-arena:github-writes:installation:{installation.id}"
        assert client.zcard(budget) == 2  # the review and the 👀 reaction
        assert 0 < client.pttl(budget) <= 3_601_000
        client.close()


def test_shared_adapters_are_built_once_for_a_burst_of_threads() -> None:
    builds: list[str] = []

    @built_once
    def adapter(name: str) -> object:
        builds.append(name)
        time.sleep(0.05)  # long enough for every thread to ask before the first build ends
        return object()

    start = threading.Barrier(8)

    def ask(name: str) -> object:
        start.wait()
        return adapter(name)

    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(ask, ["redis://a"] * 6 + ["redis://b"] * 2))
    assert builds.count("redis://a") == 1 and builds.count("redis://b") == 1
    assert made[0] is made[5] and made[6] is made[7] and made[0] is not made[6]


def test_a_retry_after_from_github_pauses_every_write_of_that_installation(tmp_path: Path) -> None:
    with ArenaStack(tmp_path, redis_db=10) as stack:
        installation = stack.github.add_installation("octo")
        stack.github.add_pull_request("octo", "hello", 4, DIFF, head_sha="4" * 40)
        comment = stack.github.state.add_issue_comment("octo", "hello", 4, "/arena review", user="maintainer")
        stack.github.inject_secondary_rate_limit("POST", r"/pulls/4/reviews$", retry_after=3)
        solo = {**stack.env, "REVIEW_ARENA_PEER_WAIT_S": "0.2"}
        task = PullTask("octo", "hello", 4, "4" * 40, "deepseek", "4" * 32, seed=1, installation_id=installation.id)
        thread = ThreadPoolExecutor(1)  # the review runs in a thread of its own, as in a worker
        reviewing = thread.submit(run_review_contender, solo, task)
        deadline = time.monotonic() + 30
        while not stack.github.requests_to("POST", r"/pulls/4/reviews$"):
            assert time.monotonic() < deadline, "the review was never posted"
            time.sleep(0.01)
        run_review_command(stack.env, installation.id, "octo", "hello", 4, comment.id)  # reacts 👀: a write
        assert reviewing.result(timeout=30) == "posted"
        thread.submit(close_thread).result()
        thread.shutdown()
        limited, posted = stack.github.requests_to("POST", r"/pulls/4/reviews$")
        (reaction,) = stack.github.requests_to("POST", r"/reactions$")
        assert (limited.status, posted.status) == (403, 200)
        assert reaction.received_at >= limited.received_at + 2.9  # not at once, as before GitHub's pause ended
