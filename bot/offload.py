"""How the async use cases run a blocking call (a store read or write, a GitHub request, a wait on a lock):
``Offload``, and ``in_place`` for a thread that runs one review at a time.

``asyncio.to_thread`` is the default everywhere, so that other coroutines on the loop go on. A worker thread
runs one review on its own loop, which has nothing else to do meanwhile; ``in_place`` runs the call right there,
without ``to_thread``'s future, self-pipe write and read and three passes of the loop, each of which gives up
the GIL to the other reviews' threads and waits to get it back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Offload(Protocol):
    def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]: ...


async def in_place(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` in the calling thread, without a trip through the loop."""
    return fn(*args, **kwargs)
