"""Which webhook deliveries were already accepted, so a redelivery (same ``X-GitHub-Delivery``) is a no-op.

Two adapters of the receiver's ``DeliveryLog`` protocol: ``RedisDeliveryLog`` (shared by every receiver process;
does network I/O) and ``MemoryDeliveryLog`` (one process: the embedded ``up`` mode and tests).
"""

from __future__ import annotations

import threading

import redis

from bot.errors import Transient

KEY_PREFIX = "review-arena:delivery:"
WEEK_S = 7 * 24 * 3600  # GitHub keeps deliveries for redelivery for a few days; a week covers it.


class RedisDeliveryLog:
    """Claims a delivery id with ``SET key 1 NX EX ttl``: atomic, so concurrent redeliveries have one winner."""

    def __init__(self, redis_client: redis.Redis, ttl_s: int = WEEK_S) -> None:
        self._redis = redis_client
        self._ttl_s = ttl_s

    def first_seen(self, delivery_id: str) -> bool:
        try:
            return bool(self._redis.set(KEY_PREFIX + delivery_id, b"1", nx=True, ex=self._ttl_s))
        except redis.RedisError as error:
            raise Transient(f"delivery log unreachable: {error}") from error

    def forget(self, delivery_id: str) -> None:
        try:
            self._redis.delete(KEY_PREFIX + delivery_id)
        except redis.RedisError as error:
            raise Transient(f"delivery log unreachable: {error}") from error


class MemoryDeliveryLog:
    """The same contract in a set guarded by a lock; entries are never evicted (single-process use only)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def first_seen(self, delivery_id: str) -> bool:
        with self._lock:
            if delivery_id in self._seen:
                return False
            self._seen.add(delivery_id)
            return True

    def forget(self, delivery_id: str) -> None:
        with self._lock:
            self._seen.discard(delivery_id)
