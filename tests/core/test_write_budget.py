"""GitHub's content-creation budget: at most ``per_minute`` requests in any 60 s and ``per_hour`` in any hour."""

from __future__ import annotations

import pytest

from bot.core.write_budget import WriteLimits, next_slot, still_counted

LIMITS = WriteLimits(per_minute=3, per_hour=5)


def _reserve_many(count: int, now: float, limits: WriteLimits) -> list[float]:
    reserved: list[float] = []
    for _ in range(count):
        reserved.append(next_slot(reserved, now, limits))
    return reserved


def test_github_documents_80_a_minute_and_500_an_hour_by_default() -> None:
    assert (WriteLimits().per_minute, WriteLimits().per_hour) == (80, 500)


def test_a_request_under_every_cap_goes_at_once() -> None:
    assert next_slot([], 100.0, LIMITS) == 100.0
    assert next_slot([99.0, 99.5], 100.0, LIMITS) == 100.0


def test_the_request_past_the_minute_cap_waits_until_the_oldest_leaves_the_window() -> None:
    assert next_slot([90.0, 95.0, 99.0], 100.0, LIMITS) == 150.0


def test_a_burst_goes_out_in_minute_sized_steps_until_the_hour_cap_holds_it() -> None:
    assert _reserve_many(6, 0.0, LIMITS) == [0.0, 0.0, 0.0, 60.0, 60.0, 3600.0]


def test_no_sliding_window_ever_holds_more_than_its_cap() -> None:
    limits = WriteLimits(per_minute=4, per_hour=9)
    reserved: list[float] = []
    for now in [0.0, 1.0, 1.5, 2.0, 30.0, 31.0, 59.0, 61.0, 62.0, 200.0, 201.0, 202.0, 203.0, 204.0]:
        reserved.append(next_slot(reserved, now, limits))
    for end in reserved:
        assert sum(1 for t in reserved if end - 60.0 < t <= end) <= limits.per_minute
        assert sum(1 for t in reserved if end - 3600.0 < t <= end) <= limits.per_hour


def test_a_slot_is_never_before_one_already_reserved() -> None:
    assert next_slot([160.0], 100.0, LIMITS) == 160.0


def test_a_cap_of_zero_turns_its_window_off() -> None:
    assert _reserve_many(4, 0.0, WriteLimits(per_minute=0, per_hour=3)) == [0.0, 0.0, 0.0, 3600.0]
    assert WriteLimits(per_minute=0, per_hour=0).windows == ()
    assert _reserve_many(100, 5.0, WriteLimits(per_minute=0, per_hour=0))[-1] == 5.0


def test_reservations_older_than_the_longest_window_no_longer_count() -> None:
    assert list(still_counted([0.0, 10.0, 3000.0, 3700.0], 3610.0, LIMITS)) == [3000.0, 3700.0]
    assert list(still_counted([0.0, 50.0, 100.0], 120.0, WriteLimits(per_minute=3, per_hour=0))) == [100.0]


def test_negative_caps_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        WriteLimits(per_minute=-1)


def test_after_a_retry_after_no_request_goes_before_the_pause_ends() -> None:
    assert next_slot([], 100.0, LIMITS, not_before=130.0) == 130.0
    assert next_slot([], 100.0, LIMITS, not_before=90.0) == 100.0  # a pause already over holds nothing
    assert next_slot([90.0, 95.0, 99.0], 100.0, LIMITS, not_before=130.0) == 150.0  # nor lifts a cap
    assert next_slot([], 100.0, WriteLimits(per_minute=0, per_hour=0), not_before=130.0) == 130.0
