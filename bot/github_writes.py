"""The App's budget for creating content on GitHub: every review, comment and reaction it posts first takes a
slot from its installation's budget (``bot.core.write_budget``), waiting when the budget is spent.

``LocalWriteLimiter`` keeps the reservations in the process (the Action, the CLI, ``review-arena up``'s
embedded broker). ``RedisWriteLimiter`` keeps them in one sorted set per installation on the broker's Redis, so
every worker process and host draws from the same budget; a Lua script reserves atomically against Redis's own
clock, so hosts need not agree on the time. If Redis cannot be reached, the limiter falls back to its
process's own reservations: the write still goes, limited as far as this process can see.

This replaces PyGithub's ``seconds_between_writes``, which only spaces the requests of one client object and
not the threads that share it, and which delays every write, not only those over the limit. GitHub's answer to
a request that trips a limit anyway (403 or 429 with ``retry-after``) is waited out by ``GithubRetry`` in the
thread that got it, and reported here with ``hold_off``: no other write of that installation, from any thread
or worker, goes before the pause ends, since GitHub warns that requests made while limited can get an
integration banned. A pause is kept even when both caps are off.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Protocol

import redis

from bot.core.write_budget import WriteLimits, next_slot, still_counted
from bot.errors import ConfigError

KEY_PREFIX = "review-arena:github-writes:"
HELD_SUFFIX = ":held"
PER_MINUTE_ENV = "REVIEW_ARENA_GITHUB_WRITES_PER_MINUTE"
PER_HOUR_ENV = "REVIEW_ARENA_GITHUB_WRITES_PER_HOUR"

GITHUB_LIMITS = WriteLimits()

log = logging.getLogger(__name__)


class WriteLimiter(Protocol):
    def acquire(self, scope: str) -> float:
        """Block until one more content-generating request in ``scope`` may go; the seconds waited."""
        ...

    def hold_off(self, scope: str, seconds: float) -> None:
        """GitHub asked ``scope`` to pause: no write of it goes in the next ``seconds`` (a longer pause stays)."""
        ...


def no_wait() -> float:
    """The permit of a writer with no budget to keep (a test, a one-off CLI post)."""
    return 0.0


def permit(limiter: WriteLimiter, scope: str) -> Callable[[], float]:
    """What to call before each content-generating request of ``scope``."""
    return functools.partial(limiter.acquire, scope)


def scope_for(installation_id: int | None, owner: str, repo: str) -> str:
    """Whose budget a write spends: the installation's, or the repository's when the installation is unknown."""
    return installation_scope(installation_id) if installation_id is not None else f"repository:{owner}/{repo}"


def installation_scope(installation_id: int) -> str:
    return f"installation:{installation_id}"


def limits_from(environ: Mapping[str, str]) -> WriteLimits:
    """``REVIEW_ARENA_GITHUB_WRITES_PER_MINUTE`` (default 80) and ``..._PER_HOUR`` (default 500); 0 is no cap."""
    values: dict[str, int] = {}
    for name, default in ((PER_MINUTE_ENV, 80), (PER_HOUR_ENV, 500)):
        raw = (environ.get(name) or "").strip()
        if raw and not raw.isdigit():
            raise ConfigError(f"{name} must be a whole number of requests (0 for no cap), not {raw!r}")
        values[name] = int(raw) if raw else default
    return WriteLimits(per_minute=values[PER_MINUTE_ENV], per_hour=values[PER_HOUR_ENV])


def _wait_for_slot(reserve: Callable[[str], float], sleep: Callable[[float], None], scope: str) -> float:
    wait = reserve(scope)
    if wait > 0:
        log.info("GitHub write budget of %s spent: waiting %.1f s", scope, wait)
        sleep(wait)
    return wait


class LocalWriteLimiter:
    """The budget as this process sees it."""

    def __init__(
        self,
        limits: WriteLimits = GITHUB_LIMITS,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._reserved: dict[str, list[float]] = {}
        self._held: dict[str, float] = {}  # scope → the end of the pause GitHub asked for

    def reserve(self, scope: str) -> float:
        """Take the next slot in ``scope`` without waiting; the seconds until it comes."""
        with self._lock:
            now = self._clock()
            held = self._held.get(scope, 0.0)
            if held <= now:
                self._held.pop(scope, None)
            if not self.limits.windows:
                return max(held - now, 0.0)
            kept = list(still_counted(self._reserved.get(scope, ()), now, self.limits))
            slot = next_slot(kept, now, self.limits, not_before=held)
            kept.append(slot)
            self._reserved[scope] = kept
            return slot - now

    def acquire(self, scope: str) -> float:
        return _wait_for_slot(self.reserve, self._sleep, scope)

    def hold_off(self, scope: str, seconds: float) -> None:
        with self._lock:
            self._held[scope] = max(self._held.get(scope, 0.0), self._clock() + seconds)


# KEYS[1]: the scope's sorted set, KEYS[2]: the end of its pause (µs). ARGV: per-minute cap, per-hour cap, a
# unique member. Returns the wait in µs. The same arithmetic as bot.core.write_budget.next_slot, on Redis's
# clock, in one atomic step; with both caps off only the pause counts, and nothing is reserved.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local held = tonumber(redis.call('GET', KEYS[2]) or '0')
local caps = {{tonumber(ARGV[1]), 60000000}, {tonumber(ARGV[2]), 3600000000}}
local horizon = 0
for _, c in ipairs(caps) do if c[1] > 0 and c[2] > horizon then horizon = c[2] end end
if horizon == 0 then return math.max(held - now, 0) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - horizon)
local slot = math.max(now, held)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then slot = math.max(slot, tonumber(last[2])) end
local n = redis.call('ZCARD', KEYS[1])
for _, c in ipairs(caps) do
  if c[1] > 0 and n >= c[1] then
    local kth = redis.call('ZRANGE', KEYS[1], -c[1], -c[1], 'WITHSCORES')
    slot = math.max(slot, tonumber(kth[2]) + c[2])
  end
end
redis.call('ZADD', KEYS[1], slot, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.floor((slot - now + horizon) / 1000) + 1000)
return slot - now
"""

# KEYS[1]: the end of the scope's pause (µs). ARGV: the pause in µs. A shorter pause leaves a longer one as it is.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ends = now + tonumber(ARGV[1])
local held = tonumber(redis.call('GET', KEYS[1]) or '0')
if ends > held then
  redis.call('SET', KEYS[1], string.format('%d', ends), 'PX', math.floor((ends - now) / 1000) + 1000)
end
"""


class RedisWriteLimiter:
    """The budget shared by every worker through Redis."""

    def __init__(
        self,
        client: redis.Redis,
        limits: WriteLimits = GITHUB_LIMITS,
        *,
        sleep: Callable[[float], None] = time.sleep,
        fallback: LocalWriteLimiter | None = None,
    ) -> None:
        self.limits = limits
        self._redis = client
        self._reserve = client.register_script(_RESERVE)
        self._hold = client.register_script(_HOLD)
        self._sleep = sleep
        self._fallback = fallback or LocalWriteLimiter(limits, sleep=sleep)

    def reserve(self, scope: str) -> float:
        """Take the next slot in ``scope`` without waiting; the seconds until it comes."""
        try:
            micros = self._reserve(
                keys=[KEY_PREFIX + scope, KEY_PREFIX + scope + HELD_SUFFIX],
                args=[self.limits.per_minute, self.limits.per_hour, uuid.uuid4().hex],
            )
        except redis.RedisError as exc:
            log.warning("GitHub write budget of %s not reachable in Redis (%s): this process's own budget", scope, exc)
            return self._fallback.reserve(scope)
        return int(micros) / 1_000_000

    def acquire(self, scope: str) -> float:
        return _wait_for_slot(self.reserve, self._sleep, scope)

    def hold_off(self, scope: str, seconds: float) -> None:
        self._fallback.hold_off(scope, seconds)  # kept here too, should Redis go away before the pause ends
        try:
            self._hold(keys=[KEY_PREFIX + scope + HELD_SUFFIX], args=[max(int(seconds * 1_000_000), 0)])
        except redis.RedisError as exc:
            log.warning("GitHub's pause for %s not shared through Redis (%s): kept in this process", scope, exc)
