"""Token usage as each provider reports it, and its price worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.config import Pricing
from bot.core.usage import Usage, cost_usd, total_usage, usage_from

# https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage
OPENAI_USAGE = {
    "prompt_tokens": 12_000,
    "completion_tokens": 3_000,
    "total_tokens": 15_000,
    "prompt_tokens_details": {"cached_tokens": 4_000, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 2_200, "audio_tokens": 0},
}
# https://api-docs.deepseek.com/api/create-chat-completion (usage)
DEEPSEEK_USAGE = {
    "prompt_tokens": 9_000,
    "completion_tokens": 5_000,
    "total_tokens": 14_000,
    "prompt_cache_hit_tokens": 6_000,
    "prompt_cache_miss_tokens": 3_000,
    "completion_tokens_details": {"reasoning_tokens": 4_100},
}
OPENAI_PRICE = Pricing(input=5.0, cached_input=0.5, output=30.0)
DEEPSEEK_PRICE = Pricing(input=0.435, cached_input=0.003625, output=0.87)


@pytest.mark.parametrize(
    ("raw", "usage"),
    [
        pytest.param(OPENAI_USAGE, Usage(12_000, 4_000, 3_000, 2_200), id="openai"),
        pytest.param(DEEPSEEK_USAGE, Usage(9_000, 6_000, 5_000, 4_100), id="deepseek"),
        pytest.param({"prompt_tokens": 10, "completion_tokens": 2}, Usage(10, 0, 2, 0), id="bare"),
        pytest.param(
            {
                "prompt_tokens": 10,
                "completion_tokens": 2,
                "prompt_tokens_details": None,
                "completion_tokens_details": None,
            },
            Usage(10, 0, 2, 0),
            id="null-details",
        ),
        pytest.param({}, Usage(), id="empty"),
        pytest.param(None, Usage(), id="absent"),
    ],
)
def test_usage_from_each_provider(raw: dict[str, Any] | None, usage: Usage) -> None:
    assert usage_from(raw) == usage


def test_openai_cost_by_hand() -> None:
    # 8,000 fresh input at $5, 4,000 cached at $0.50, 3,000 output (reasoning included) at $30, per million.
    expected = (8_000 * 5.0 + 4_000 * 0.5 + 3_000 * 30.0) / 1_000_000
    assert expected == pytest.approx(0.132)
    assert cost_usd(usage_from(OPENAI_USAGE), OPENAI_PRICE) == pytest.approx(expected)


def test_deepseek_cost_by_hand() -> None:
    expected = (3_000 * 0.435 + 6_000 * 0.003625 + 5_000 * 0.87) / 1_000_000
    assert expected == pytest.approx(0.00567675)
    assert cost_usd(usage_from(DEEPSEEK_USAGE), DEEPSEEK_PRICE) == pytest.approx(expected)


def test_reasoning_tokens_are_not_billed_twice() -> None:
    with_reasoning = Usage(input_tokens=0, output_tokens=1_000, reasoning_tokens=900)
    assert cost_usd(with_reasoning, OPENAI_PRICE) == cost_usd(Usage(output_tokens=1_000), OPENAI_PRICE)


def test_cached_tokens_beyond_the_input_are_capped() -> None:
    assert cost_usd(Usage(input_tokens=100, cached_input_tokens=500), OPENAI_PRICE) == pytest.approx(100 * 0.5 / 1e6)


def test_free_contender_costs_nothing() -> None:
    assert cost_usd(usage_from(OPENAI_USAGE), Pricing()) == 0.0


def test_cost_is_rounded_to_eight_places() -> None:
    assert cost_usd(Usage(input_tokens=1), Pricing(input=0.123456789)) == 0.00000012


def test_usages_add_up() -> None:
    total = total_usage([usage_from(OPENAI_USAGE), usage_from(DEEPSEEK_USAGE), Usage()])
    assert total == Usage(21_000, 10_000, 8_000, 6_300)


def test_no_usages_is_zero() -> None:
    assert total_usage([]) == Usage()


def test_usage_as_dict_has_stable_keys() -> None:
    assert Usage(1, 2, 3, 4).as_dict() == {"input": 1, "cached_input": 2, "output": 3, "reasoning": 4}
