"""A real Celery worker (threads pool) on Redis db 14 reviews a pull request on the fake GitHub with the fake models:
one labelled COMMENT review per contender, and nothing more when the same event is queued again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml

from bot.celery_queue import CeleryQueue
from bot.core.comments import parse_marker
from bot.core.config import settings_from
from bot.core.webhooks import ReviewPull
from tests.conftest import DIFFS, TEST_KEY, contenders_for
from tests.fakes.github_server import FakeGitHubServer
from tests.fakes.openai_server import FakeModelServer
from workers.celery_app import make_celery

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/14"
ROOT = Path(__file__).resolve().parents[1]
APP_ID = 4242
OWNER, REPO, NUMBER = "pallets", "flask", 5
HEAD = "e" * 40
DIFF = (DIFFS / "py-flask-medium-feature-limits-config-c7a53888.diff").read_text(encoding="utf-8")
WORKER_ARGS = (
    "-A", "workers.tasks", "worker", "--pool", "threads", "--concurrency", "8", "-Q", "review-arena",
    "--loglevel", "warning", "--without-heartbeat", "--without-gossip", "--without-mingle",
)  # fmt: skip
LABELS = {"deepseek": "DeepSeek V4 Pro", "openai": "OpenAI GPT-5.6 Sol"}


@pytest.fixture
def broker() -> Iterator[None]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()
    yield
    client.flushdb()
    client.close()


def _reviews_by_contender(github: FakeGitHubServer) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for review in github.state.reviews_of(OWNER, REPO, NUMBER):
        marker = parse_marker(review.body)
        assert marker is not None and review.state == "COMMENTED" and review.event == "COMMENT"
        found.setdefault(marker.contender, []).append(review.body)
    return found


def _wait_for(github: FakeGitHubServer, worker: subprocess.Popen[bytes], *, seconds: float) -> dict[str, list[str]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker exited"
        found = _reviews_by_contender(github)
        if set(found) == set(LABELS):
            return found
        time.sleep(0.25)
    return _reviews_by_contender(github)


def test_a_worker_posts_one_review_per_contender_once(
    broker: None, model_server: FakeModelServer, tmp_path: Path
) -> None:
    contenders = contenders_for(model_server.base_url)
    config = tmp_path / "review-arena.yml"
    config.write_text(yaml.safe_dump({"contenders": contenders}), encoding="utf-8")
    settings = settings_from({"contenders": contenders}, source="test")
    with FakeGitHubServer() as github:
        key = github.enable_app(APP_ID)
        installation = github.add_installation(OWNER)
        github.add_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=HEAD)
        env = {
            **os.environ,
            "REDIS_URL": REDIS_URL,
            "GITHUB_API_URL": github.api_url,
            "GITHUB_APP_ID": str(APP_ID),
            "GITHUB_PRIVATE_KEY": key,
            "REVIEW_ARENA_CONFIG": str(config),
            "DEEPSEEK_API_KEY": TEST_KEY,
            "OPENAI_API_KEY": TEST_KEY,
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", *WORKER_ARGS],
            cwd=ROOT,
            env=env,
        )
        app = make_celery({"REDIS_URL": REDIS_URL})
        try:
            queue = CeleryQueue(app, settings=settings)
            decision = ReviewPull(installation.id, OWNER, REPO, NUMBER, HEAD, "opened")
            queue.enqueue(decision)
            found = _wait_for(github, worker, seconds=60)
            assert {name: len(bodies) for name, bodies in found.items()} == {"deepseek": 1, "openai": 1}
            for name, bodies in found.items():
                assert bodies[0].startswith(f"### {LABELS[name]}")

            queue.enqueue(decision)
            client = redis.Redis.from_url(REDIS_URL)
            deadline = time.monotonic() + 30
            while client.llen("review-arena") and time.monotonic() < deadline:
                time.sleep(0.25)
            client.close()
            time.sleep(5)  # the tasks taken off the queue find the markers and post nothing
            assert {name: len(bodies) for name, bodies in _reviews_by_contender(github).items()} == {
                "deepseek": 1,
                "openai": 1,
            }
            assert github.schema_violations == []
        finally:
            app.close()
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
