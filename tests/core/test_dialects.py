"""How each provider family is asked, and how its answer is read without ever keeping reasoning in the answer."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.config import ContenderConfig
from bot.core.dialects import ModelAnswer, build_request, read_answer
from bot.core.prompts import Prompt

PROMPT = Prompt(version="review-v1", system="RULES", user="DIFF")


def contender(dialect: str, **extra: Any) -> ContenderConfig:
    return ContenderConfig.model_validate(
        {"name": "c", "label": "C", "dialect": dialect, "model": "m-1", "api_key_env": "KEY", **extra}
    )


def every_key(request: Any) -> set[str]:
    return set(request.params) | set(request.extra_body)


# --- openai ----------------------------------------------------------------------------------------------------


def test_openai_puts_the_rules_in_the_developer_role() -> None:
    request = build_request(contender("openai"), PROMPT)
    assert request.messages == ({"role": "developer", "content": "RULES"}, {"role": "user", "content": "DIFF"})


def test_openai_uses_max_completion_tokens() -> None:
    request = build_request(contender("openai", max_output_tokens=9000), PROMPT)
    assert request.params["max_completion_tokens"] == 9000
    assert "max_tokens" not in every_key(request)


def test_openai_passes_reasoning_effort() -> None:
    assert build_request(contender("openai", reasoning_effort="high"), PROMPT).params["reasoning_effort"] == "high"


@pytest.mark.parametrize("effort", [None, "low"])
def test_openai_never_sends_temperature(effort: str | None) -> None:
    request = build_request(contender("openai", reasoning_effort=effort), PROMPT)
    assert not {k for k in every_key(request) if "temperature" in k or k == "top_p"}


def test_openai_sends_no_thinking_switch() -> None:
    assert build_request(contender("openai", thinking=True), PROMPT).extra_body == {}


# --- deepseek --------------------------------------------------------------------------------------------------


def test_deepseek_puts_the_rules_in_the_system_role() -> None:
    request = build_request(contender("deepseek"), PROMPT)
    assert request.messages == ({"role": "system", "content": "RULES"}, {"role": "user", "content": "DIFF"})


def test_deepseek_uses_max_tokens() -> None:
    request = build_request(contender("deepseek", max_output_tokens=8000), PROMPT)
    assert request.params == {"max_tokens": 8000}
    assert request.model == "m-1"


@pytest.mark.parametrize(
    ("thinking", "extra_body"),
    [
        pytest.param(True, {"thinking": {"type": "enabled"}}, id="on"),
        pytest.param(False, {"thinking": {"type": "disabled"}}, id="off"),
        pytest.param(None, {}, id="provider-default"),
    ],
)
def test_deepseek_switches_thinking_in_extra_body(thinking: bool | None, extra_body: dict[str, Any]) -> None:
    assert build_request(contender("deepseek", thinking=thinking), PROMPT).extra_body == extra_body


def test_deepseek_never_sends_temperature() -> None:
    assert "temperature" not in every_key(build_request(contender("deepseek", thinking=True), PROMPT))


# --- openai-compatible -----------------------------------------------------------------------------------------


def test_openai_compatible_uses_system_role_and_max_tokens_without_thinking_switch() -> None:
    request = build_request(contender("openai-compatible", thinking=True, max_output_tokens=4096), PROMPT)
    assert request.messages[0]["role"] == "system"
    assert request.params == {"max_tokens": 4096}
    assert request.extra_body == {}


# --- reading the answer ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "reasoning"),
    [
        pytest.param({"content": "ANSWER", "reasoning_content": "WHY"}, "WHY", id="deepseek-reasoning_content"),
        pytest.param({"content": "ANSWER", "reasoning": "WHY"}, "WHY", id="vllm-reasoning"),
        pytest.param({"content": "ANSWER", "thinking": "WHY"}, "WHY", id="ollama-thinking"),
        pytest.param({"content": "<think>WHY</think>\nANSWER"}, "WHY", id="inline-tags"),
        pytest.param({"content": "WHY\n</think>\n\nANSWER"}, "WHY", id="inline-closing-tag-only"),
        pytest.param({"content": "ANSWER"}, "", id="no-reasoning"),
        pytest.param({"content": "ANSWER", "reasoning_content": None}, "", id="null-reasoning"),
    ],
)
def test_read_answer_finds_the_reasoning_wherever_it_is(message: dict[str, Any], reasoning: str) -> None:
    answer = read_answer(message, "stop")
    assert answer == ModelAnswer(content="ANSWER", reasoning=reasoning, finish_reason="stop")


def test_reasoning_from_a_field_and_inline_tags_is_kept_together() -> None:
    answer = read_answer({"content": "<think>INLINE</think>ANSWER", "reasoning": "FIELD"}, None)
    assert (answer.content, answer.reasoning) == ("ANSWER", "FIELD\nINLINE")


@pytest.mark.parametrize(
    "content",
    [
        "<think>secret plan</think>[]",
        "<THINKING>secret plan</THINKING>[]",
        "secret plan</think>[]",
        "<think>secret</think> <think>plan</think>[]",
    ],
)
def test_the_answer_never_contains_the_reasoning(content: str) -> None:
    answer = read_answer({"content": content}, "stop")
    assert answer.content == "[]"
    assert "secret" not in answer.content
    assert "think" not in answer.content.lower()


def test_missing_content_reads_as_empty() -> None:
    assert read_answer({"content": None, "reasoning_content": "WHY"}, "length") == ModelAnswer("", "WHY", "length")
