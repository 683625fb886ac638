"""Wake-ups between worker processes and hosts over Redis publish/subscribe: an adapter around
``bot.wakeups.LocalWakeups``.

A notify wakes this process's watchers directly and publishes the topic on ``review-arena:wake:<db>:<topic>``
with this process's id (channels are server-wide, so the database number keeps deployments that share a server
apart). One listener thread per process, started by the first watch, subscribes to the pattern and
wakes the local watchers of every topic another process published. Redis being away loses wake-ups, never
work: the waiters fall back to their poll interval and the listener reconnects.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from bot.wakeups import LocalWakeups, Watch

CHANNEL_PREFIX = "review-arena:wake:"
SUBSCRIBED_WAIT_S = 2.0
RECONNECT_S = 1.0

log = logging.getLogger(__name__)


class RedisWakeups:
    def __init__(self, client: redis.Redis, *, local: LocalWakeups | None = None) -> None:
        self._redis = client
        self._prefix = f"{CHANNEL_PREFIX}{client.connection_pool.connection_kwargs.get('db', 0)}:"
        self._local = local or LocalWakeups()
        self._me = uuid.uuid4().hex.encode()
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._subscribed = threading.Event()
        self._stop = threading.Event()

    @contextmanager
    def watching(self, topic: str) -> Iterator[Watch]:
        self._listen_once()
        with self._local.watching(topic) as watch:
            yield watch

    def notify(self, topic: str) -> None:
        self._local.notify(topic)
        try:
            self._redis.publish(self._prefix + topic, self._me)
        except redis.RedisError as exc:  # the other processes' watchers poll instead
            log.warning("wake-up for %s not published: %s", topic, exc)

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
