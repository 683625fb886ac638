"""The OpenAI-client adapter: what each dialect puts on the wire, checked on the fake server's recordings."""

from __future__ import annotations

import asyncio
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.core.config import ContenderConfig
from bot.core.dialects import build_request
from bot.core.prompts import Prompt
from bot.errors import ModelError
from bot.llm import Completion, MissingKey, OpenAIModel, _tls_context, tls_context
from tests.conftest import TEST_KEY, contenders_for
from tests.fakes.openai_server import Behaviour, FakeModelServer

PROMPT = Prompt(version="review-v1", system="rules", user="## File: 'a.py'\n\n@@ -1 +1 @@\n__new hunk__\n1 +x = 1")


def _contender(server: FakeModelServer, index: int, **extra: object) -> ContenderConfig:
    data = contenders_for(server.base_url)[index]
    return ContenderConfig.model_validate({**data, **extra})


def _complete(contender: ContenderConfig, key: str = TEST_KEY) -> Completion:
    async def go() -> Completion:
        async with OpenAIModel(contender, api_key=key) as model:
            return await model.complete(build_request(contender, PROMPT))

    return asyncio.run(go())


def test_openai_dialect_uses_developer_role_and_max_completion_tokens(model_server: FakeModelServer) -> None:
    _complete(_contender(model_server, 1))
    body = model_server.requests_for("gpt-5.6-sol")[0].json
    assert body is not None
    assert [m["role"] for m in body["messages"]] == ["developer", "user"]
    assert "max_completion_tokens" in body and "max_tokens" not in body
    assert body["reasoning_effort"] == "medium"
    assert "temperature" not in body


def test_deepseek_dialect_switches_thinking_on_and_never_sends_reasoning_back(model_server: FakeModelServer) -> None:
    completion = _complete(_contender(model_server, 0))
    body = model_server.requests_for("deepseek-v4-pro")[0].json
    assert body is not None
    assert body["thinking"] == {"type": "enabled"}
    assert "temperature" not in body
    assert all(set(m) == {"role", "content"} for m in body["messages"])
    assert completion.answer.reasoning and completion.answer.reasoning not in completion.answer.content


def test_the_exact_served_model_string_is_returned(model_server: FakeModelServer) -> None:
    model_server.set_behaviour("deepseek-v4-pro", Behaviour(served_model="deepseek-v4-pro-0813"))
    assert _complete(_contender(model_server, 0)).served_model == "deepseek-v4-pro-0813"


def test_a_bad_key_is_a_final_error_naming_the_variable(model_server: FakeModelServer) -> None:
    with pytest.raises(ModelError, match="DEEPSEEK_API_KEY") as caught:
        _complete(_contender(model_server, 0), key="wrong")
    assert caught.value.kind == "auth"


def test_a_page_instead_of_json_is_a_final_garbage_error(model_server: FakeModelServer) -> None:
    model_server.set_behaviour("deepseek-v4-pro", Behaviour(fault="html_page"))
    with pytest.raises(ModelError, match="not JSON") as caught:
        _complete(_contender(model_server, 0))
    assert caught.value.kind == "garbage" and "sign in" in str(caught.value)


def test_usage_and_reasoning_are_read_from_the_answer(model_server: FakeModelServer) -> None:
    completion = _complete(_contender(model_server, 1))
    assert completion.usage.input_tokens > 0 and completion.usage.output_tokens > 0
    assert completion.answer.content.startswith("{") and completion.latency_s >= 0


def test_openai_compatible_servers_get_a_system_role(model_server: FakeModelServer) -> None:
    contender = _contender(model_server, 0, dialect="openai-compatible", model="deepseek-r1", thinking=None)
    model_server.set_behaviour("deepseek-r1", Behaviour(dialect="think_no_open"))
    completion = _complete(contender)
    body = model_server.requests_for("deepseek-r1")[0].json
    assert body is not None and body["messages"][0]["role"] == "system" and "thinking" not in body
    assert completion.answer.content.startswith("{") and "step by step" in completion.answer.reasoning


def test_a_burst_of_threads_shares_one_tls_context() -> None:
    _tls_context.cache_clear()
    start = threading.Barrier(8)

    def first_use() -> ssl.SSLContext:
        start.wait()
        return tls_context()

    with ThreadPoolExecutor(8) as pool:
        contexts = list(pool.map(lambda _: first_use(), range(8)))
    assert all(context is contexts[0] for context in contexts)


def test_a_contender_without_its_key_fails_for_good_naming_the_variable(model_server: FakeModelServer) -> None:
    contender = _contender(model_server, 1)
    with pytest.raises(ModelError) as raised:
        asyncio.run(MissingKey(contender, where="the worker").complete(build_request(contender, PROMPT)))
    assert raised.value.kind == "auth" and contender.api_key_env in str(raised.value)
    assert "the worker" in str(raised.value) and model_server.requests == []
