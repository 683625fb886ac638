"""The App's GitHub write budget: in one process, and shared by every worker through real Redis."""

from __future__ import annotations

import threading
import uuid

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.core.write_budget import WriteLimits
from bot.errors import ConfigError
from bot.github_writes import LocalWriteLimiter, RedisWriteLimiter, limits_from, scope_for

REDIS_URL = "redis://127.0.0.1:6379/3"
LIMITS = WriteLimits(per_minute=2, per_hour=4)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


def test_writes_within_the_budget_do_not_wait() -> None:
    clock = Clock()
    limiter = LocalWriteLimiter(WriteLimits(per_minute=80), clock=clock, sleep=clock.sleep)
    assert [limiter.acquire("installation:1") for _ in range(80)] == [0.0] * 80
    assert clock.slept == []


def test_the_write_past_the_minute_cap_sleeps_until_the_window_frees() -> None:
    clock = Clock()
    limiter = LocalWriteLimiter(LIMITS, clock=clock, sleep=clock.sleep)
    limiter.acquire("installation:1")
    clock.now += 10
    limiter.acquire("installation:1")
    assert limiter.acquire("installation:1") == pytest.approx(50.0)
    assert clock.slept == [pytest.approx(50.0)]


def test_each_installation_has_its_own_budget() -> None:
    clock = Clock()
    limiter = LocalWriteLimiter(LIMITS, clock=clock, sleep=clock.sleep)
    for _ in range(2):
        limiter.acquire("installation:1")
    assert limiter.acquire("installation:2") == 0.0


def test_threads_of_one_process_share_the_budget_without_overbooking() -> None:
    limiter = LocalWriteLimiter(WriteLimits(per_minute=5, per_hour=0))
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        wait = limiter.reserve("installation:7")
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for w in waits if w <= 1.0) == 5
    assert sorted(round(w / 60) for w in waits) == sorted([0] * 5 + [1] * 5 + [2] * 5 + [3] * 5)


def test_a_budget_with_no_caps_never_waits() -> None:
    clock = Clock()
    limiter = LocalWriteLimiter(WriteLimits(per_minute=0, per_hour=0), clock=clock, sleep=clock.sleep)
    assert all(limiter.acquire("installation:1") == 0.0 for _ in range(1000))


def test_workers_share_one_budget_through_redis(client: redis.Redis) -> None:
    scope = f"installation:{uuid.uuid4().hex}"
    worker_a, worker_b = RedisWriteLimiter(client, LIMITS), RedisWriteLimiter(client, LIMITS)
    waits = [worker_a.reserve(scope), worker_b.reserve(scope), worker_a.reserve(scope), worker_b.reserve(scope)]
    waits.append(worker_a.reserve(scope))
    # the same steps as bot.core.write_budget: two now, two a minute later, then the hour cap of 4
    assert waits[:2] == [pytest.approx(0.0, abs=0.05)] * 2
    assert waits[2:4] == [pytest.approx(60.0, abs=0.05)] * 2
    assert waits[4] == pytest.approx(3600.0, abs=0.05)
    assert worker_b.reserve(f"installation:{uuid.uuid4().hex}") == pytest.approx(0.0, abs=0.05)


def test_the_redis_budget_expires_with_its_longest_window(client: redis.Redis) -> None:
    scope = f"installation:{uuid.uuid4().hex}"
    RedisWriteLimiter(client, WriteLimits(per_minute=2, per_hour=0)).reserve(scope)
    ttl = client.pttl(f"review-arena:github-writes:{scope}")
    assert 60_000 <= ttl <= 61_100


def test_with_redis_away_the_write_still_goes_on_this_process_budget() -> None:
    away = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    clock = Clock()
    limiter = RedisWriteLimiter(away, LIMITS, fallback=LocalWriteLimiter(LIMITS, clock=clock, sleep=clock.sleep))
    assert [limiter.reserve("installation:1") for _ in range(3)] == [0.0, 0.0, pytest.approx(60.0)]


def test_the_budget_belongs_to_the_installation_or_else_the_repository() -> None:
    assert scope_for(42, "octo", "cat") == "installation:42"
    assert scope_for(None, "octo", "cat") == "repository:octo/cat"


def test_limits_come_from_the_environment() -> None:
    assert limits_from({}) == WriteLimits(per_minute=80, per_hour=500)
    assert limits_from(
        {"REVIEW_ARENA_GITHUB_WRITES_PER_MINUTE": "20", "REVIEW_ARENA_GITHUB_WRITES_PER_HOUR": "0"}
    ) == WriteLimits(per_minute=20, per_hour=0)
    with pytest.raises(ConfigError, match="REVIEW_ARENA_GITHUB_WRITES_PER_MINUTE must be a whole number"):
        limits_from({"REVIEW_ARENA_GITHUB_WRITES_PER_MINUTE": "lots"})


def test_after_githubs_retry_after_no_write_of_the_installation_goes_before_the_pause_ends() -> None:
    clock = Clock()
    limiter = LocalWriteLimiter(LIMITS, clock=clock, sleep=clock.sleep)
    limiter.hold_off("installation:1", 30.0)
    assert limiter.acquire("installation:1") == pytest.approx(30.0)
    assert limiter.acquire("installation:2") == 0.0  # another installation is not paused
    assert limiter.acquire("installation:1") == 0.0  # the pause is over: the budget goes on as before


def test_a_shorter_pause_does_not_cut_a_longer_one() -> None:
    clock = Clock()
    limiter = LocalWriteLimiter(LIMITS, clock=clock, sleep=clock.sleep)
    limiter.hold_off("installation:1", 30.0)
    limiter.hold_off("installation:1", 5.0)
    assert limiter.reserve("installation:1") == pytest.approx(30.0)


def test_a_pause_holds_even_with_both_caps_off() -> None:
    clock = Clock()
    limiter = LocalWriteLimiter(WriteLimits(per_minute=0, per_hour=0), clock=clock, sleep=clock.sleep)
    limiter.hold_off("installation:1", 12.0)
    assert [limiter.acquire("installation:1") for _ in range(2)] == [pytest.approx(12.0), 0.0]


def test_every_worker_keeps_a_pause_one_of_them_was_asked_for(client: redis.Redis) -> None:
    scope = f"installation:{uuid.uuid4().hex}"
    told, other = RedisWriteLimiter(client, LIMITS), RedisWriteLimiter(client, LIMITS)
    told.hold_off(scope, 30.0)
    told.hold_off(scope, 5.0)
    assert other.reserve(scope) == pytest.approx(30.0, abs=0.05)
    assert other.reserve(scope) == pytest.approx(30.0, abs=0.05)  # the minute cap of 2 still lets a second go
    assert other.reserve(f"installation:{uuid.uuid4().hex}") == pytest.approx(0.0, abs=0.05)
    assert 30_000 <= client.pttl(f"review-arena:github-writes:{scope}:held") <= 31_100
    uncapped = RedisWriteLimiter(client, WriteLimits(per_minute=0, per_hour=0))
    assert uncapped.reserve(scope) == pytest.approx(30.0, abs=0.05)


def test_with_redis_away_a_pause_is_kept_in_the_process() -> None:
    away = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    clock = Clock()
    limiter = RedisWriteLimiter(away, LIMITS, fallback=LocalWriteLimiter(LIMITS, clock=clock, sleep=clock.sleep))
    limiter.hold_off("installation:1", 20.0)
    assert limiter.reserve("installation:1") == pytest.approx(20.0)
