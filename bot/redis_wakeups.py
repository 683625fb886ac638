"""Wake-ups between worker processes and hosts over Redis publish/subscribe: an adapter around
``bot.wakeups.LocalWakeups``.

A notify wakes this process's watchers directly and publishes the topic on ``review-arena:wake:<db>:<topic>``
with this process's id (channels are server-wide, so the database number keeps deployments that share a server
apart). One listener thread per process, started by the first watch, subscribes to the pattern and
wakes the local watchers of every topic another process published. Redis being away loses wake-ups, never
work: the waiters fall back to their poll interval and the listener reconnects.

A worker alone on the Redis server would only hear its own publishes come back. Redis says how many subscribers
got each one; when none but this process's own listener did, the worker stops publishing for ``ALONE_S`` and
then asks again. A worker that starts meanwhile misses at most that long of wake-ups, and its waiters poll.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import redis

from bot.wakeups import LocalWakeups, Watch

CHANNEL_PREFIX = "review-arena:wake:"
SUBSCRIBED_WAIT_S = 2.0
RECONNECT_S = 1.0
ALONE_S = 1.0

log = logging.getLogger(__name__)


class RedisWakeups:
    def __init__(
        self,
        client: redis.Redis,
        *,
        local: LocalWakeups | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = client
        self._prefix = f"{CHANNEL_PREFIX}{client.connection_pool.connection_kwargs.get('db', 0)}:"
        self._local = local or LocalWakeups()
        self._me = uuid.uuid4().hex.encode()
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._subscribed = threading.Event()
        self._stop = threading.Event()
        self._clock = clock
        self._alone_until = 0.0  # no other process listened at the last publish: none needed before this

    @contextmanager
    def watching(self, topic: str) -> Iterator[Watch]:
        self._listen_once()
        with self._local.watching(topic) as watch:
            yield watch

    def notify(self, topic: str) -> None:
        self._local.notify(topic)
        if self._clock() < self._alone_until:
            return
        own = 1 if self._subscribed.is_set() else 0  # read before publishing: the listener counts once it is on
        try:
            heard = cast(int, self._redis.publish(self._prefix + topic, self._me))  # subscribers that got it
        except redis.RedisError as exc:  # the other processes' watchers poll instead
            log.warning("wake-up for %s not published: %s", topic, exc)
            return
        if heard <= own:
            self._alone_until = self._clock() + ALONE_S

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)

    def _listen_once(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            self._listener = threading.Thread(target=self._listen, name="review-arena-wakeups", daemon=True)
            self._listener.start()
        # the first watch waits (bounded) for the subscription: a wake-up published before it would be lost
        self._subscribed.wait(SUBSCRIBED_WAIT_S)

    def _listen(self) -> None:
        while not self._stop.is_set():
            pubsub = self._redis.pubsub()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            try:
                pubsub.psubscribe(self._prefix + "*")
                self._deliver(pubsub)
            except redis.RedisError as exc:
                self._subscribed.clear()
                log.warning("wake-up listener lost Redis (%s); waiters poll until it is back", exc)
                self._stop.wait(RECONNECT_S)
            finally:
                pubsub.close()

    def _deliver(self, pubsub: Any) -> None:
        while not self._stop.is_set():
            message = pubsub.get_message(timeout=1.0)
            kind = None if message is None else message.get("type")
            if kind == "psubscribe":  # Redis has the subscription: from here on no publish is missed
                self._subscribed.set()
            if message is None or kind != "pmessage" or message["data"] == self._me:
                continue
            channel = message["channel"]
            topic = (channel.decode() if isinstance(channel, bytes) else str(channel)).removeprefix(self._prefix)
            self._local.notify(topic)
