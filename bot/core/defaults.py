"""The built-in configuration: the two default contenders and their list prices. Pure data.

DeepSeek retired ``deepseek-reasoner`` (R1) on 2026-07-24 and OpenAI shut down ``o1`` on 2026-10-23, naming
``gpt-5.6-sol`` its replacement; the defaults are their successors. Prices are USD per million tokens as the
providers published them (DeepSeek V4 Pro 0813: cache miss 0.435, cache hit 0.003625, output 0.87; GPT-5.6 Sol
list price: 5.00, cached 0.50, output 30.00). Prices change: override ``pricing`` in the server config.
"""

from __future__ import annotations

from typing import Any

DEFAULT_SETTINGS: dict[str, Any] = {
    "contenders": [
        {
            "name": "deepseek",
            "label": "DeepSeek V4 Pro",
            "dialect": "deepseek",
            "model": "deepseek-v4-pro",
            "base_url": "https://api.deepseek.com",
            "api_key_env": "DEEPSEEK_API_KEY",
            "thinking": True,
            "pricing": {"input": 0.435, "cached_input": 0.003625, "output": 0.87},
        },
        {
            "name": "openai",
            "label": "OpenAI GPT-5.6 Sol",
            "dialect": "openai",
            "model": "gpt-5.6-sol",
            "base_url": "https://api.openai.com/v1",
            "api_key_env": "OPENAI_API_KEY",
            "reasoning_effort": "medium",
            "pricing": {"input": 5.0, "cached_input": 0.5, "output": 30.0},
        },
    ],
}
