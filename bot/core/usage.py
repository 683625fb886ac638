"""Token usage and its price. Pure.

Providers report usage differently: OpenAI puts cached input in ``prompt_tokens_details.cached_tokens`` and
reasoning in ``completion_tokens_details.reasoning_tokens``; DeepSeek adds ``prompt_cache_hit_tokens``. In all
of them ``completion_tokens`` already includes the reasoning tokens, which are billed as output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.config import Pricing

PER_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "input": self.input_tokens,
            "cached_input": self.cached_input_tokens,
            "output": self.output_tokens,
            "reasoning": self.reasoning_tokens,
        }


def total_usage(usages: Iterable[Usage]) -> Usage:
    return sum(usages, Usage())


def usage_from(raw: Mapping[str, Any] | None) -> Usage:
    """Read a chat completion's ``usage`` object, whichever provider sent it."""
    if not raw:
        return Usage()
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    cached = prompt_details.get("cached_tokens") or raw.get("prompt_cache_hit_tokens") or 0
    return Usage(
        input_tokens=int(raw.get("prompt_tokens") or 0),
        cached_input_tokens=int(cached),
        output_tokens=int(raw.get("completion_tokens") or 0),
        reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
    )


def cost_usd(usage: Usage, pricing: Pricing) -> float:
    cached = min(usage.cached_input_tokens, usage.input_tokens)
    fresh = usage.input_tokens - cached
    total = fresh * pricing.input + cached * pricing.cached_input + usage.output_tokens * pricing.output
    return round(total / PER_MILLION, 8)
