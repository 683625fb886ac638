"""How each provider family is spoken to through the OpenAI chat API, and how its answer is read. Pure.

- ``openai`` (o-series, GPT-5): rules go in the ``developer`` role; ``max_completion_tokens`` (``max_tokens``
  answers 400); ``reasoning_effort``; no ``temperature``.
- ``deepseek``: ``max_tokens``; thinking switched with ``{"thinking": {"type": "enabled"}}``; reasoning comes
  back in ``reasoning_content`` and is never sent back or posted.
- ``openai-compatible`` (vLLM, SGLang, llama.cpp, Ollama, Azure, OpenRouter): a ``system`` role and
  ``max_tokens``; reasoning may come as ``reasoning``, ``thinking`` or inline ``<think>`` tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.config import ContenderConfig
from bot.core.findings import split_reasoning
from bot.core.prompts import Prompt

REASONING_FIELDS = ("reasoning_content", "reasoning", "thinking")


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """The body of ``POST /chat/completions``: the model, the messages and the dialect's parameters, plus
    ``extra_body``, the provider-only fields."""

    model: str
    messages: tuple[dict[str, str], ...]
    params: dict[str, Any]
    extra_body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ModelAnswer:
    content: str
    reasoning: str
    finish_reason: str | None


def build_request(contender: ContenderConfig, prompt: Prompt) -> ModelRequest:
    if contender.dialect == "openai":
        params: dict[str, Any] = {"max_completion_tokens": contender.max_output_tokens}
        if contender.reasoning_effort:
            params["reasoning_effort"] = contender.reasoning_effort
        messages = ({"role": "developer", "content": prompt.system}, {"role": "user", "content": prompt.user})
        return ModelRequest(contender.model, messages, params, {})
    params = {"max_tokens": contender.max_output_tokens}
    if contender.reasoning_effort:
        params["reasoning_effort"] = contender.reasoning_effort
    extra: dict[str, Any] = {}
    if contender.dialect == "deepseek" and contender.thinking is not None:
        extra["thinking"] = {"type": "enabled" if contender.thinking else "disabled"}
    messages = ({"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user})
    return ModelRequest(contender.model, messages, params, extra)


def read_answer(message: Mapping[str, Any], finish_reason: str | None) -> ModelAnswer:
    """Split a reply message into the answer and the reasoning, whatever field or tag carries it."""
    content = message.get("content") or ""
    answer, inline = split_reasoning(str(content))
    fields = [str(message[k]) for k in REASONING_FIELDS if message.get(k)]
    reasoning = "\n".join([*fields, inline]).strip()
    return ModelAnswer(content=answer, reasoning=reasoning, finish_reason=finish_reason)
