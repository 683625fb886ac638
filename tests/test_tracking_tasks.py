"""Specification of ``workers.tracking``'s task bodies, called with an environment: the beat sweep sends one poll
per due pull request to real Redis (db 5), and a signal event for a pull request never reviewed here costs nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.acceptance_store import SqlAcceptanceStore
from bot.acceptance_tracking import PullKey
from bot.core.signal_events import PullStateChanged, PushTracked, ReplyPosted, SignalEvent, ThreadChanged
from bot.database import make_engine
from bot.migrate import upgrade
from bot.storage import SqlStore
from tests.acceptance_seed import AUTHOR, HEAD, NUMBER, OWNER, PULL, REPO, finding, post_run, pull_row
from tests.conftest import DIFFS
from tests.fakes.github_server import FakeGitHubServer
from workers.tracking import POLL_TASK, QUEUE, event_message, run_sweep, run_track_event

REDIS_URL = "redis://127.0.0.1:6379/5"
INSTALLATION = 5
DIFF = (DIFFS / "py-flask-oneline-docs-typo-96b6345c.diff").read_text(encoding="utf-8")


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def server() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        yield fake


@pytest.fixture
def env(tmp_path: Path, server: FakeGitHubServer) -> dict[str, str]:
    """A worker's environment: SQLite, Redis db 5, and the App's credentials on the fake GitHub."""
    private_key = server.enable_app(app_id=4242)
    server.add_installation(OWNER, installation_id=INSTALLATION)
    server.add_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=HEAD, user=AUTHOR)
    url = f"sqlite:///{tmp_path / 'arena.db'}"
    upgrade(url)
    return {
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "GITHUB_API_URL": server.api_url,
        "GITHUB_APP_ID": "4242",
        "GITHUB_PRIVATE_KEY": private_key,
    }


def seed(env: dict[str, str], pulls: dict[int, datetime | None]) -> None:
    """Reviewed pull requests, each with its next poll at the given time (None: polling stopped)."""
    engine = make_engine(env["DATABASE_URL"])
    for number, next_at in pulls.items():
        run_id = f"{number:032x}"
        post_run(SqlStore(engine), [finding("a" * 16, run_id=run_id)], pull=PullKey(OWNER, REPO, number), run_id=run_id)
        SqlAcceptanceStore(engine).schedule_poll(
            PullKey(OWNER, REPO, number), polled_at=datetime.now(UTC), next_at=next_at
        )
    engine.dispose()


def stored_pull(env: dict[str, str], number: int = NUMBER) -> dict[str, Any]:
    engine = make_engine(env["DATABASE_URL"])
    try:
        return pull_row(engine, number)
    finally:
        engine.dispose()


def queued(broker: redis.Redis) -> list[tuple[str, list[Any]]]:
    """(task name, args) of every message waiting in the queue, oldest first (kombu pushes on the left)."""
    found = []
    raws: list[bytes] = broker.lrange(QUEUE, 0, -1)  # type: ignore[assignment]  # the sync client returns a list
    for raw in reversed(raws):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], args))
    return found


# ---- the sweep --------------------------------------------------------------------------------------------------
def test_the_sweep_sends_one_poll_per_due_pull_request_oldest_first(env: dict[str, str], broker: redis.Redis) -> None:
    now = datetime.now(UTC)
    seed(env, {1: now - timedelta(minutes=1), 2: now - timedelta(hours=1), 3: now + timedelta(hours=1), 4: None})

    assert run_sweep(env) == 2

    assert queued(broker) == [
        (POLL_TASK, [INSTALLATION, OWNER, REPO, 2]),
        (POLL_TASK, [INSTALLATION, OWNER, REPO, 1]),
    ]


def test_a_second_sweep_right_after_sends_nothing(env: dict[str, str], broker: redis.Redis) -> None:
    seed(env, {1: datetime.now(UTC) - timedelta(minutes=1)})
    run_sweep(env)

    assert run_sweep(env) == 0

    assert len(queued(broker)) == 1


def test_a_swept_pull_request_is_leased_for_half_an_hour(env: dict[str, str], broker: redis.Redis) -> None:
    seed(env, {NUMBER: datetime.now(UTC) - timedelta(minutes=1)})
    before = datetime.now(UTC)

    run_sweep(env)

    leased = stored_pull(env)["next_poll_at"]
    assert leased is not None and leased >= before + timedelta(minutes=30)


# ---- signal events ----------------------------------------------------------------------------------------------
EVENTS: list[SignalEvent] = [
    ThreadChanged(INSTALLATION, OWNER, REPO, NUMBER, AUTHOR, thread_id="PRRT_x", resolved=True, by="maint"),
    ReplyPosted(INSTALLATION, OWNER, REPO, NUMBER, AUTHOR, comment={"id": 9, "in_reply_to_id": 8}),
    PullStateChanged(INSTALLATION, OWNER, REPO, NUMBER, AUTHOR, state="merged", closed_at="2026-03-02T09:00:00Z"),
    PushTracked(INSTALLATION, OWNER, REPO, NUMBER, AUTHOR, before=HEAD, after="f" * 40),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_an_event_on_a_pull_request_never_reviewed_here_asks_github_nothing(
    env: dict[str, str], server: FakeGitHubServer, event: SignalEvent
) -> None:
    kind, fields = event_message(event)

    assert run_track_event(env, kind, fields) == "untracked"

    assert server.count_requests() == 0


def test_a_close_of_a_reviewed_pull_request_is_stored_and_polled(env: dict[str, str], server: FakeGitHubServer) -> None:
    seed(env, {NUMBER: None})
    kind, fields = event_message(EVENTS[2])

    assert run_track_event(env, kind, fields) == "merged"

    row = stored_pull(env)
    assert (row["state"], row["closed_at"]) == ("merged", datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert server.count_requests("GET", rf"/pulls/{PULL.number}/comments$") == 1
