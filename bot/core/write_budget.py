"""GitHub's limits on creating content, as arithmetic: when one more content-generating request may go.

GitHub's secondary rate limits allow, in general, no more than 80 content-generating requests a minute and no
more than 500 an hour (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits);
a review, an issue comment and a reaction each count. The App's installation token is one identity, however
many workers use it, so the budget is per installation. Pure: the limiters in ``bot.github_writes`` keep the
reservations (in the process, or in Redis for every worker) and do the waiting.

A reservation is the time at which a request may be sent. Reservations are kept in ascending order, and each
new one is the earliest moment, not before ``now`` nor before the previous one, at which every sliding window
ending then holds fewer than its cap.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

MINUTE_S = 60.0
HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class WriteLimits:
    """Caps per sliding window; 0 turns a window off (GitHub Enterprise Server sets its own, or none)."""

    per_minute: int = 80
    per_hour: int = 500

    def __post_init__(self) -> None:
        if self.per_minute < 0 or self.per_hour < 0:
            raise ValueError(f"write limits cannot be negative: {self.per_minute}/minute, {self.per_hour}/hour")

    @property
    def windows(self) -> tuple[tuple[float, int], ...]:
        """(window seconds, cap) for each window that is on."""
        return tuple((w, cap) for w, cap in ((MINUTE_S, self.per_minute), (HOUR_S, self.per_hour)) if cap > 0)

    @property
    def horizon_s(self) -> float:
        """How long a reservation matters: the longest window on."""
        return max((w for w, _ in self.windows), default=0.0)


def next_slot(reserved: Sequence[float], now: float, limits: WriteLimits, *, not_before: float = 0.0) -> float:
    """The time at which one more request may go, given the ascending ``reserved`` times of the window, and not
    before ``not_before`` (GitHub's ``retry-after``: it asked the installation to pause until then).

    Every window ending at the returned time ``t`` holds at most ``cap - 1`` earlier reservations, since the
    ``cap``-th latest is at least a window's length before ``t``.
    """
    slot = max(now, not_before, reserved[-1]) if reserved else max(now, not_before)
    for window, cap in limits.windows:
        if len(reserved) >= cap:
            slot = max(slot, reserved[-cap] + window)
    return slot


def still_counted(reserved: Sequence[float], now: float, limits: WriteLimits) -> Sequence[float]:
    """The reservations that can still hold back a later one: those within the longest window of ``now``."""
    return reserved[bisect.bisect_right(reserved, now - limits.horizon_s) :]
