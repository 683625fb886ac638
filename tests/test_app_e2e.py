"""The GitHub App end to end: signed deliveries built from GitHub's own example payloads go to a real uvicorn
receiver, real Celery workers on real Redis review with the fake models and post to the fake GitHub."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.diff_parse import parse_unified_diff
from tests.conftest import DIFFS, WEBHOOKS
from tests.fakes.openai_server import Behaviour
from tests.stack import ArenaStack, wait_until

pytestmark = pytest.mark.slow

OPENED = json.loads((WEBHOOKS / "pull_request" / "opened.payload.json").read_text(encoding="utf-8"))
OWNER, REPO = OPENED["repository"]["owner"]["login"], OPENED["repository"]["name"]
NUMBER, HEAD = OPENED["number"], OPENED["pull_request"]["head"]["sha"]
DIFF = (DIFFS / "py-flask-medium-feature-limits-config-c7a53888.diff").read_text(encoding="utf-8")
CONTENDERS = {"deepseek", "openai"}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ArenaStack]:
    with ArenaStack(tmp_path, redis_db=13) as arena:
        arena.github.add_installation(OWNER, installation_id=OPENED["installation"]["id"])
        arena.github.add_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=HEAD, title=OPENED["pull_request"]["title"])
        yield arena
        assert arena.github.schema_violations == []


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


def _one_review_each(stack: ArenaStack) -> bool:
    found = stack.reviews_by_contender(OWNER, REPO, NUMBER)
    return set(found) == CONTENDERS


def test_an_opened_pull_request_gets_one_labelled_review_per_contender_on_valid_lines(
    stack: ArenaStack, client: httpx.Client
) -> None:
    stack.start_worker()
    stack.start_receiver()
    assert stack.deliver(client, "pull_request", OPENED).status_code == 202
    wait_until(lambda: _one_review_each(stack), seconds=120, what="both reviews")
    time.sleep(2)
    found = stack.reviews_by_contender(OWNER, REPO, NUMBER)
    assert {name: len(bodies) for name, bodies in found.items()} == {"deepseek": 1, "openai": 1}
    assert all(r.event == "COMMENT" for r in stack.github.state.reviews_of(OWNER, REPO, NUMBER))
    # the webhook's title and branch reach the workers: files, config, one listing of the reviews, two posts
    assert stack.github.count_requests("GET", rf"/pulls/{NUMBER}$") == 0
    assert stack.github.count_requests(path_regex=r"^/repos/") == 5
    diff = parse_unified_diff(DIFF)
    comments = stack.github.state.comments_of(OWNER, REPO, NUMBER)
    assert comments
    for comment in comments:
        assert comment.body.startswith(("**DeepSeek V4 Pro**", "**OpenAI GPT-5.6 Sol**"))
        changed = diff.file(comment.path)
        assert changed is not None and comment.line in changed.commentable(comment.side)


def test_the_same_delivery_sent_ten_times_at_once_still_gives_one_review_each(
    stack: ArenaStack, client: httpx.Client
) -> None:
    stack.start_receiver()
    statuses: list[int] = []

    def send() -> None:
        with httpx.Client(timeout=10) as own:
            statuses.append(stack.deliver(own, "pull_request", OPENED, delivery="same-delivery-id").status_code)

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 9 + [202]
    stack.start_worker()
    wait_until(lambda: _one_review_each(stack), seconds=120, what="both reviews")
    time.sleep(3)
    assert {k: len(v) for k, v in stack.reviews_by_contender(OWNER, REPO, NUMBER).items()} == {
        "deepseek": 1,
        "openai": 1,
    }


def test_a_worker_killed_mid_review_then_restarted_gives_one_review_each(tmp_path: Path, client: httpx.Client) -> None:
    with ArenaStack(tmp_path, redis_db=12) as stack:
        stack.env["REVIEW_ARENA_VISIBILITY_TIMEOUT_S"] = "4"
        stack.github.add_installation(OWNER, installation_id=OPENED["installation"]["id"])
        stack.github.add_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=HEAD)
        stack.models.default_behaviour = Behaviour(latency_s=3.0)
        stack.start_receiver()
        worker = stack.start_worker()
        assert stack.deliver(client, "pull_request", OPENED).status_code == 202
        wait_until(lambda: len(stack.models.requests) >= 2, seconds=30, what="the model calls to start")
        stack.kill_worker(worker)
        assert stack.github.state.reviews_of(OWNER, REPO, NUMBER) == []
        time.sleep(5)  # past the visibility timeout: Redis hands the unacknowledged tasks out again
        stack.start_worker()
        wait_until(lambda: _one_review_each(stack), seconds=90, what="both reviews after the restart")
        time.sleep(3)
        counts = {k: len(v) for k, v in stack.reviews_by_contender(OWNER, REPO, NUMBER).items()}
        assert counts == {"deepseek": 1, "openai": 1}


def test_one_contender_failing_still_gives_the_others_review_and_a_visible_note(
    stack: ArenaStack, client: httpx.Client
) -> None:
    stack.models.set_behaviour("gpt-5.6-sol", Behaviour(fault="not_found"))
    stack.start_worker()
    stack.start_receiver()
    assert stack.deliver(client, "pull_request", OPENED).status_code == 202
    wait_until(lambda: _one_review_each(stack), seconds=120, what="the review and the failure note")
    found = stack.reviews_by_contender(OWNER, REPO, NUMBER)
    assert "could not review this change" in found["openai"][0]
    assert found["deepseek"][0].startswith("### DeepSeek V4 Pro:")


def test_a_contender_without_its_api_key_posts_a_note_and_holds_nobody_back(
    stack: ArenaStack, client: httpx.Client
) -> None:
    del stack.env["OPENAI_API_KEY"]
    stack.start_worker()
    stack.start_receiver()
    started = time.monotonic()
    assert stack.deliver(client, "pull_request", OPENED).status_code == 202
    wait_until(lambda: _one_review_each(stack), seconds=120, what="the review and the failure note")
    # the peer wait is 60 s: the other review did not wait for a review that could not come
    assert time.monotonic() - started < 30
    found = stack.reviews_by_contender(OWNER, REPO, NUMBER)
    assert "could not review this change" in found["openai"][0] and "OPENAI_API_KEY" in found["openai"][0]
    assert found["deepseek"][0].startswith("### DeepSeek V4 Pro:")
    assert not any(r.model == "gpt-5.6-sol" for r in stack.models.requests)


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        pytest.param(lambda h, b: {**h, "X-Hub-Signature-256": "sha256=" + "0" * 64}, 401, id="bad-signature"),
        pytest.param(lambda h, b: {k: v for k, v in h.items() if k != "X-GitHub-Event"}, 400, id="missing-event"),
        pytest.param("garbage", 400, id="garbage-body"),
    ],
)
def test_bad_deliveries_are_rejected_and_nothing_is_queued(
    stack: ArenaStack, client: httpx.Client, mutate: Any, status: int
) -> None:
    from tests.stack import signature

    stack.start_receiver()
    body = json.dumps(OPENED).encode()
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": "d-1",
        "X-Hub-Signature-256": signature(body),
        "Content-Type": "application/json",
    }
    if mutate == "garbage":
        body = b"\x00not json{"
        headers["X-Hub-Signature-256"] = signature(body)
    else:
        headers = mutate(headers, body)
    response = client.post(f"{stack.receiver_url}/api/github/webhooks", content=body, headers=headers)
    assert response.status_code == status
    assert "error" in response.json()
    assert stack.queued() == 0


def test_a_synchronize_supersedes_the_older_head(stack: ArenaStack, client: httpx.Client) -> None:
    stack.start_receiver()
    stack.deliver(client, "pull_request", OPENED)
    newer = copy.deepcopy(OPENED)
    newer["action"] = "synchronize"
    newer["pull_request"]["head"]["sha"] = "f" * 40
    stack.github.state.push_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha="f" * 40)
    stack.deliver(client, "pull_request", newer)
    stack.start_worker()
    wait_until(lambda: _one_review_each(stack), seconds=120, what="the reviews of the newer head")
    time.sleep(3)
    heads = {r.commit_id for r in stack.github.state.reviews_of(OWNER, REPO, NUMBER)}
    assert heads == {"f" * 40}
    assert len(stack.github.state.reviews_of(OWNER, REPO, NUMBER)) == 2
