"""Wake-ups between processes over a real Redis: a notify in one worker wakes the watchers in another, a
worker ignores its own echo, and Redis being away loses wake-ups but never raises."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from bot.redis_wakeups import ALONE_S, SUBSCRIBED_WAIT_S, RedisWakeups
from bot.wakeups import LocalWakeups

REDIS_URL = "redis://127.0.0.1:6379/13"
LONG = 30.0


@pytest.fixture
def pair() -> Iterator[tuple[RedisWakeups, RedisWakeups]]:
    """Two workers' wake-ups, each with its own Redis connections, as two processes would have."""
    first, second = (RedisWakeups(redis.Redis.from_url(REDIS_URL, socket_timeout=5)) for _ in range(2))
    yield first, second
    first.close()
    second.close()


async def _wait(wakeups: RedisWakeups, topic: str, timeout: float, then: threading.Timer | None = None) -> float:
    with wakeups.watching(topic) as watch:
        if then is not None:
            then.start()
        return await watch.wait(timeout)


def test_a_notify_in_one_worker_wakes_a_watcher_in_another(pair: tuple[RedisWakeups, RedisWakeups]) -> None:
    first, second = pair
    notify = threading.Timer(0.1, first.notify, args=("octo/hello#7@abc",))
    waited = asyncio.run(_wait(second, "octo/hello#7@abc", LONG, notify))
    assert waited < LONG / 10


def test_a_notify_wakes_this_workers_own_watchers_without_redis(pair: tuple[RedisWakeups, RedisWakeups]) -> None:
    first, _ = pair
    notify = threading.Timer(0.1, first.notify, args=("t",))
    assert asyncio.run(_wait(first, "t", LONG, notify)) < LONG / 10


def test_a_worker_ignores_its_own_echo() -> None:
    local = LocalWakeups()
    counted: list[str] = []
    original = local.notify

    def counting(topic: str) -> None:
        counted.append(topic)
        original(topic)

    local.notify = counting  # type: ignore[method-assign]
    wakeups = RedisWakeups(redis.Redis.from_url(REDIS_URL, socket_timeout=5), local=local)
    other = RedisWakeups(redis.Redis.from_url(REDIS_URL, socket_timeout=5))
    try:
        notify = threading.Timer(0.1, wakeups.notify, args=("t",))
        asyncio.run(_wait(wakeups, "t", 0.2, notify))
        asyncio.run(_wait(wakeups, "u", LONG, threading.Timer(0.1, other.notify, args=("u",))))
    finally:
        wakeups.close()
        other.close()
    assert counted == ["t", "u"], "its own publish came back once more" if counted.count("t") > 1 else counted


def test_other_topics_do_not_wake_a_watcher(pair: tuple[RedisWakeups, RedisWakeups]) -> None:
    first, second = pair
    notify = threading.Timer(0.05, first.notify, args=("theirs",))
    assert asyncio.run(_wait(second, "mine", 0.5, notify)) >= 0.5


def test_without_redis_a_notify_does_not_raise_and_watchers_fall_back_to_their_timeout() -> None:
    away = RedisWakeups(redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    try:
        away.notify("t")
        assert asyncio.run(_wait(away, "t", 0.3)) >= 0.3
        started = time.monotonic()
        asyncio.run(_wait(away, "t", 0.3))
        assert time.monotonic() - started < SUBSCRIBED_WAIT_S, "only the first watch waits for the subscription"
    finally:
        away.close()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CountingRedis(redis.Redis):
    """A real Redis client that counts this worker's publishes (other tests' workers may publish meanwhile)."""

    published = 0

    def publish(self, channel: Any, message: Any, **kwargs: Any) -> Any:
        self.published += 1
        return super().publish(channel, message, **kwargs)


def test_a_worker_alone_stops_publishing_and_asks_again_after_a_while() -> None:
    counting, clock = CountingRedis.from_url(REDIS_URL, socket_timeout=5), Clock()
    lone = RedisWakeups(counting, clock=clock)
    try:
        with lone.watching("t"):  # its own listener is on: it hears its own publishes
            for _ in range(5):
                lone.notify("t")
            assert counting.published == 1  # the first found no one else listening
            clock.now += ALONE_S
            lone.notify("t")
            assert counting.published == 2
    finally:
        lone.close()


def test_a_worker_keeps_publishing_while_another_listens() -> None:
    counting = CountingRedis.from_url(REDIS_URL, socket_timeout=5)
    first, second = RedisWakeups(counting), RedisWakeups(redis.Redis.from_url(REDIS_URL, socket_timeout=5))
    try:
        with first.watching("t"), second.watching("t"):
            for _ in range(3):
                first.notify("t")
            assert counting.published == 3
            notify = threading.Timer(0.1, first.notify, args=("u",))
            assert asyncio.run(_wait(second, "u", LONG, notify)) < LONG / 10
    finally:
        first.close()
        second.close()
