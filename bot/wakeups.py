"""Wake-ups between the tasks of one pull request: a task that changed the run store says so on the pull
request's topic, and its peers waiting on that topic look at the store again at once instead of at their next
poll.

The store stays the only truth. A wake-up carries nothing but "look again", so a lost one costs at most one
poll interval; the waits in ``bot.pr_review`` keep polling on a bounded pause either way. ``LocalWakeups``
wakes the threads of one process; ``bot.redis_wakeups`` carries the same wake-ups between worker processes and
hosts. ``PollOnly`` is the wait with no wake-ups at all.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

from bot.offload import Offload
from bot.runs import RunKey


class Watch(Protocol):
    async def wait(self, timeout: float) -> float:
        """Wait until the topic is notified or ``timeout`` seconds pass; return the seconds waited."""
        ...


class Wakeups(Protocol):
    def watching(self, topic: str) -> AbstractContextManager[Watch]: ...
    def notify(self, topic: str) -> None: ...


def topic_of(key: RunKey) -> str:
    """One topic per pull request head: every contender's task of that head waits and notifies on it."""
    return f"{key.owner}/{key.repo}#{key.number}@{key.head_sha}"


@dataclass(frozen=True, slots=True)
class _Sleep:
    sleep: Callable[[float], Awaitable[None]]

    async def wait(self, timeout: float) -> float:
        await self.sleep(timeout)
        return timeout


class PollOnly:
    """No wake-ups: every wait sleeps its whole pause."""

    def __init__(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._watch = _Sleep(sleep)

    @contextmanager
    def watching(self, topic: str) -> Iterator[Watch]:
        yield self._watch

    def notify(self, topic: str) -> None:
        return None


@dataclass(slots=True)
class _Topic:
    changed: threading.Condition
    watchers: int = 0
    generation: int = 0


class _LocalWatch:
    def __init__(self, wakeups: LocalWakeups, topic: str, seen: int) -> None:
        self._wakeups, self._topic, self._seen = wakeups, topic, seen

    async def wait(self, timeout: float) -> float:
        started = time.monotonic()
        self._seen = await self._wakeups.offload(self._wakeups.wait_past, self._topic, self._seen, timeout)
        return time.monotonic() - started


class LocalWakeups:
    """Wakes the watchers of a topic in this process. A watch remembers the topic's generation when it starts
    and after each wait, so a notification that lands between a store read and the wait is not missed. A wait
    blocks on a condition through ``offload`` (``bot.offload``): in a thread of its own by default, in place in a
    worker thread that runs one review."""

    def __init__(self, offload: Offload = asyncio.to_thread) -> None:
        self.offload = offload
        self._lock = threading.Lock()  # one lock; a condition per topic, so a notify wakes only that topic's waiters
        self._topics: dict[str, _Topic] = {}

    @contextmanager
    def watching(self, topic: str) -> Iterator[Watch]:
        with self._lock:
            state = self._topics.get(topic) or self._topics.setdefault(topic, _Topic(threading.Condition(self._lock)))
            state.watchers += 1
            seen = state.generation
        try:
            yield _LocalWatch(self, topic, seen)
        finally:
            with self._lock:
                state.watchers -= 1
                if state.watchers == 0:
                    del self._topics[topic]

    def notify(self, topic: str) -> None:
        with self._lock:
            state = self._topics.get(topic)
            if state is None:  # nobody waits: whoever starts waiting reads the store first
                return
            state.generation += 1
            state.changed.notify_all()

    def wait_past(self, topic: str, seen: int, timeout: float) -> int:
        """Block until ``topic``'s generation passes ``seen`` or ``timeout`` passes; return the generation."""
        with self._lock:
            state = self._topics[topic]
            state.changed.wait_for(lambda: state.generation != seen, timeout=timeout)
            return state.generation

    def watched(self) -> int:
        """How many topics have a watcher now (zero once every watch has ended)."""
        with self._lock:
            return len(self._topics)
