"""Wake-ups in one process: a notify wakes the watchers of its topic and no other, a notify that lands between
a store read and the wait is not lost, and finished watches leave nothing behind."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.offload import Offload, in_place
from bot.runs import RunKey
from bot.wakeups import LocalWakeups, PollOnly, topic_of

LONG = 30.0


def test_a_topic_is_one_pull_request_head_whatever_the_contender() -> None:
    deepseek = RunKey("octo", "hello", 7, "a" * 40, "deepseek")
    openai = RunKey("octo", "hello", 7, "a" * 40, "openai")
    assert topic_of(deepseek) == topic_of(openai) == f"octo/hello#7@{'a' * 40}"
    assert topic_of(RunKey("octo", "hello", 7, "b" * 40, "deepseek")) != topic_of(deepseek)


@pytest.mark.parametrize("offload", [asyncio.to_thread, in_place], ids=["in-a-thread", "in-place"])
def test_a_notify_wakes_a_waiter_long_before_its_timeout(offload: Offload) -> None:
    wakeups = LocalWakeups(offload=offload)

    async def wait() -> float:
        with wakeups.watching("t") as watch:
            threading.Timer(0.1, wakeups.notify, args=("t",)).start()
            return await watch.wait(LONG)

    waited = asyncio.run(wait())
    assert 0.05 < waited < LONG / 10


def test_a_notify_before_the_wait_is_not_lost() -> None:
    wakeups = LocalWakeups()

    async def wait() -> float:
        with wakeups.watching("t") as watch:
            wakeups.notify("t")  # as if the peer wrote the store just after this task read it
            return await watch.wait(LONG)

    assert asyncio.run(wait()) < 1.0


def test_each_notify_wakes_one_more_wait() -> None:
    wakeups = LocalWakeups()

    async def waits() -> list[float]:
        with wakeups.watching("t") as watch:
            wakeups.notify("t")
            first = await watch.wait(LONG)
            second = await watch.wait(0.2)  # nothing new since the first woke
            return [first, second]

    first, second = asyncio.run(waits())
    assert first < 1.0
    assert second >= 0.2


def test_another_topic_sleeps_through_the_notify() -> None:
    wakeups = LocalWakeups()

    async def wait() -> float:
        with wakeups.watching("mine") as watch:
            wakeups.notify("theirs")
            return await watch.wait(0.3)

    assert asyncio.run(wait()) >= 0.3


def test_a_notify_nobody_waits_for_is_dropped_and_watches_clean_up() -> None:
    wakeups = LocalWakeups()
    wakeups.notify("t")
    with wakeups.watching("t"), wakeups.watching("t"):
        assert wakeups.watched() == 1
    assert wakeups.watched() == 0


def test_every_watcher_of_a_topic_wakes() -> None:
    wakeups = LocalWakeups()
    woken: list[float] = []

    def watcher(ready: threading.Barrier) -> None:
        async def wait() -> None:
            with wakeups.watching("t") as watch:
                ready.wait()
                woken.append(await watch.wait(LONG))

        asyncio.run(wait())

    ready = threading.Barrier(4)
    threads = [threading.Thread(target=watcher, args=(ready,)) for _ in range(3)]
    for t in threads:
        t.start()
    ready.wait()
    wakeups.notify("t")
    for t in threads:
        t.join(timeout=10)
    assert len(woken) == 3 and max(woken) < LONG / 10


def test_poll_only_sleeps_the_whole_pause() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def wait() -> float:
        with PollOnly(sleep).watching("t") as watch:
            return await watch.wait(0.7)

    started = time.monotonic()
    assert asyncio.run(wait()) == 0.7
    assert slept == [0.7] and time.monotonic() - started < 0.5
