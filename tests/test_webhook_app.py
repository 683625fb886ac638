"""Specification of the webhook receiver: the real app under uvicorn on a real socket, the real Redis log."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from redis.backoff import NoBackoff
from redis.retry import Retry
from starlette.applications import Starlette

from bot.core.webhooks import Decision, ReviewPull
from bot.deliveries import MemoryDeliveryLog, RedisDeliveryLog
from bot.errors import Transient
from bot.webhook import create_app

EXAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "webhooks" / "payload-examples"
SECRET = "test-webhook-secret"
REDIS_URL = "redis://127.0.0.1:6379/15"
OPENED = (EXAMPLES / "pull_request" / "opened.payload.json").read_bytes()


class ListQueue:
    """The receiver's Queue over a list; ``failures`` makes the next enqueues raise Transient."""

    def __init__(self) -> None:
        self.items: list[Decision] = []
        self.failures = 0
        self.crashes = 0
        self._lock = threading.Lock()

    def enqueue(self, decision: Decision) -> None:
        with self._lock:
            if self.crashes:
                self.crashes -= 1
                raise RuntimeError("a bug in the queue adapter")
            if self.failures:
                self.failures -= 1
                raise Transient("broker down")
            self.items.append(decision)


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def headers(event: str, body: bytes, delivery_id: str = "delivery-1") -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": sign(body),
        "Content-Type": "application/json",
    }


class Served:
    """A Starlette app served by uvicorn in a background thread on a free port."""

    def __init__(self, app: Starlette) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def queue() -> ListQueue:
    return ListQueue()


@pytest.fixture
def serve(queue: ListQueue, redis_client: redis.Redis) -> Iterator[Callable[..., httpx.Client]]:
    """Start the app with the given options; every server started is shut down after the test."""
    started: list[Served] = []

    def start(**options: Any) -> httpx.Client:
        options.setdefault("deliveries", RedisDeliveryLog(redis_client))
        served = Served(create_app(secret=SECRET, queue=queue, **options))
        started.append(served)
        return served.__enter__()

    yield start
    for served in started:
        served.__exit__()


@pytest.fixture
def client(serve: Callable[..., httpx.Client]) -> httpx.Client:
    return serve()


def post(client: httpx.Client, body: bytes, hdrs: dict[str, str]) -> httpx.Response:
    return client.post("/api/github/webhooks", content=body, headers=hdrs)


def test_signed_pull_request_opened_is_queued(client: httpx.Client, queue: ListQueue) -> None:
    response = post(client, OPENED, headers("pull_request", OPENED))
    assert (response.status_code, response.json()) == (202, {"status": "queued"})
    [decision] = queue.items
    assert isinstance(decision, ReviewPull)
    assert (decision.owner, decision.repo, decision.number, decision.head_sha) == (
        "Codertocat",
        "Hello-World",
        2,
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    )


def test_concurrent_redeliveries_are_queued_once(client: httpx.Client, queue: ListQueue) -> None:
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: post(client, OPENED, headers("pull_request", OPENED)), range(10)))
    assert sorted(r.status_code for r in responses) == [200] * 9 + [202]
    assert sum(r.json() == {"status": "duplicate"} for r in responses) == 9
    assert len(queue.items) == 1


@pytest.mark.parametrize(
    ("body", "hdrs", "status"),
    [
        pytest.param(OPENED, {**headers("pull_request", OPENED), "X-Hub-Signature-256": sign(b"x")}, 401, id="bad-sig"),
        pytest.param(
            OPENED,
            {k: v for k, v in headers("pull_request", OPENED).items() if k != "X-GitHub-Event"},
            400,
            id="no-event",
        ),
        pytest.param(b"garbage{", headers("pull_request", b"garbage{"), 400, id="garbage-body"),
        pytest.param(b"[]", headers("pull_request", b"[]"), 400, id="json-array"),
    ],
)
def test_refused_delivery_answers_json_error_and_queues_nothing(
    client: httpx.Client, queue: ListQueue, body: bytes, hdrs: dict[str, str], status: int
) -> None:
    response = post(client, body, hdrs)
    assert response.status_code == status
    assert response.json()["error"]
    assert queue.items == []


def test_body_over_max_bytes_is_413(serve: Callable[..., httpx.Client], queue: ListQueue) -> None:
    client = serve(max_bytes=1024)
    response = post(client, OPENED, headers("pull_request", OPENED))
    assert response.status_code == 413 and "over the limit" in response.json()["error"]
    assert queue.items == []


def test_streamed_body_over_max_bytes_is_413_without_content_length(
    serve: Callable[..., httpx.Client], queue: ListQueue
) -> None:
    client = serve(max_bytes=1024)
    chunks = iter([OPENED[:800], OPENED[800:1600], OPENED[1600:]])  # an iterator is sent chunked
    response = client.post("/api/github/webhooks", content=chunks, headers=headers("pull_request", OPENED))
    assert response.status_code == 413
    assert queue.items == []


def test_transient_queue_failure_is_503_and_redelivery_is_accepted(client: httpx.Client, queue: ListQueue) -> None:
    queue.failures = 1
    first = post(client, OPENED, headers("pull_request", OPENED))
    assert first.status_code == 503 and "redeliver" in first.json()["error"]
    assert queue.items == []
    again = post(client, OPENED, headers("pull_request", OPENED))
    assert again.status_code == 202
    assert len(queue.items) == 1


def test_an_unexpected_queue_error_is_500_and_redelivery_is_accepted(client: httpx.Client, queue: ListQueue) -> None:
    queue.crashes = 1
    assert post(client, OPENED, headers("pull_request", OPENED)).status_code == 500
    again = post(client, OPENED, headers("pull_request", OPENED))
    assert again.status_code == 202
    assert len(queue.items) == 1


def test_unknown_event_is_ignored(client: httpx.Client, queue: ListQueue) -> None:
    body = (EXAMPLES / "check_run" / "created.payload.json").read_bytes()
    response = post(client, body, headers("check_run", body))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored" and "check_run" in response.json()["reason"]
    assert queue.items == []


def test_ping_answers_pong(client: httpx.Client, queue: ListQueue) -> None:
    body = (EXAMPLES / "ping" / "payload.json").read_bytes()
    response = post(client, body, headers("ping", body))
    assert (response.status_code, response.json()) == (200, {"status": "pong", "hook_id": 109948940})
    assert queue.items == []


def test_healthz(client: httpx.Client) -> None:
    assert client.get("/healthz").status_code == 200


def test_readyz_names_the_failing_check(serve: Callable[..., httpx.Client]) -> None:
    def broker() -> bool:
        return True

    def database() -> bool:
        raise ConnectionError("down")

    assert serve(ready_checks=[broker]).get("/readyz").status_code == 200
    response = serve(ready_checks=[broker, database]).get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["database"]


def test_redis_log_claims_once_with_ttl_and_forgets(redis_client: redis.Redis) -> None:
    log = RedisDeliveryLog(redis_client, ttl_s=60)
    assert log.first_seen("abc") and not log.first_seen("abc")
    ttl = redis_client.ttl("review-arena:delivery:abc")
    assert isinstance(ttl, int) and 0 < ttl <= 60
    log.forget("abc")
    assert log.first_seen("abc")


def test_redis_log_down_is_transient() -> None:
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    with pytest.raises(Transient):
        RedisDeliveryLog(client).first_seen("abc")
    client.close()


def test_memory_log_has_the_same_contract() -> None:
    log = MemoryDeliveryLog()
    assert log.first_seen("abc") and not log.first_seen("abc")
    log.forget("abc")
    assert log.first_seen("abc")


def test_payload_sent_with_memory_log_is_queued(serve: Callable[..., httpx.Client], queue: ListQueue) -> None:
    client = serve(deliveries=MemoryDeliveryLog())
    body = json.dumps(json.loads(OPENED)).encode()
    assert post(client, body, headers("pull_request", body, "other")).status_code == 202
    assert len(queue.items) == 1


def test_the_reviewed_actions_are_configurable(serve: Callable[..., httpx.Client], queue: ListQueue) -> None:
    client = serve(review_actions=frozenset({"opened"}))
    body = (EXAMPLES / "pull_request" / "ready_for_review.payload.json").read_bytes()
    response = post(client, body, headers("pull_request", body))
    assert response.json()["status"] == "ignored"
    assert queue.items == []
