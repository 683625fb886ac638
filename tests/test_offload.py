"""Specification of ``bot.offload``: a blocking call run in place costs no trip through the event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.offload import in_place


def test_a_worker_runs_its_blocking_calls_in_place_without_a_trip_through_the_loop() -> None:
    async def go() -> list[str]:
        order: list[str] = []

        async def other() -> None:
            order.append("another coroutine")

        waiting = asyncio.ensure_future(other())
        assert await in_place(threading.get_ident) == threading.get_ident()
        await in_place(order.append, "the call")
        order.append("after it")
        await waiting
        return order

    assert asyncio.run(go()) == ["the call", "after it", "another coroutine"]


def test_an_error_in_place_reaches_the_awaiting_coroutine() -> None:
    async def go() -> None:
        await in_place(int, "not a number")

    with pytest.raises(ValueError, match="not a number"):
        asyncio.run(go())
