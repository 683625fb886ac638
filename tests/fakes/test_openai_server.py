"""Tests for the fake OpenAI-shaped model server, driven through the real ``openai`` client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from .openai_server import Behaviour, Dialect, FakeModelServer, default_findings

PROMPT = """Review this pull request.

## File: 'src/app.py'

@@ -10,7 +10,8 @@ def func():
__new hunk__
10  unchanged line
11 +    return compute(x)  # added
12  unchanged line
13 +second added line
__old hunk__
 unchanged line
-removed line
 unchanged line

## File: 'docs/readme.md'

@@ -1,2 +1,1 @@
__new hunk__
1  kept
__old hunk__
 kept
-gone
"""


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as fake:
        yield fake


@pytest.fixture
def client(server: FakeModelServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0, timeout=5) as c:
        yield c


def _ask(client: openai.OpenAI, model: str, prompt: str = PROMPT) -> Any:
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}])


@pytest.mark.parametrize(
    ("dialect", "field"),
    [("reasoning_content", "reasoning_content"), ("reasoning", "reasoning"), ("thinking", "thinking")],
)
def test_reasoning_field_dialects(server: FakeModelServer, client: openai.OpenAI, dialect: Dialect, field: str) -> None:
    server.set_behaviour("m", Behaviour(dialect=dialect, reasoning_text="hmm"))
    reply = _ask(client, "m")
    message = reply.choices[0].message
    assert getattr(message, field) == "hmm"
    assert json.loads(message.content)["findings"][0]["line"] == 11
    assert reply.model == "m-fake-2026"
    usage = reply.usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.completion_tokens_details.reasoning_tokens > 0
    assert (usage.model_extra or {}).get("prompt_cache_miss_tokens") == (
        usage.prompt_tokens if dialect == "reasoning_content" else None
    )


@pytest.mark.parametrize(
    ("dialect", "prefix"),
    [("think_inline", "<think>hmm</think>\n"), ("think_no_open", "hmm</think>\n"), ("none", "")],
)
def test_inline_and_no_reasoning_dialects(
    server: FakeModelServer, client: openai.OpenAI, dialect: Dialect, prefix: str
) -> None:
    server.set_behaviour("m", Behaviour(dialect=dialect, reasoning_text="hmm"))
    message = _ask(client, "m").choices[0].message
    assert message.content is not None
    assert message.content.startswith(prefix + '{"findings"')
    extra = message.model_extra or {}
    assert not {"reasoning_content", "reasoning", "thinking"} & set(extra)


def test_429_carries_retry_after(server: FakeModelServer, client: openai.OpenAI) -> None:
    server.set_behaviour("m", Behaviour(fault="429", retry_after_s=2))
    with pytest.raises(openai.RateLimitError) as caught:
        _ask(client, "m")
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.code == "rate_limit_exceeded"


def test_not_found(server: FakeModelServer, client: openai.OpenAI) -> None:
    server.set_behaviour("ghost", Behaviour(fault="not_found"))
    with pytest.raises(openai.NotFoundError) as caught:
        _ask(client, "ghost")
    assert caught.value.code == "model_not_found"
    assert "The model `ghost` does not exist" in caught.value.message


def test_bad_key_is_401(server: FakeModelServer) -> None:
    with (
        openai.OpenAI(base_url=server.base_url, api_key="wrong", max_retries=0) as bad,
        pytest.raises(openai.AuthenticationError),
    ):
        _ask(bad, "m")


def test_fault_times_faults_once_then_succeeds(server: FakeModelServer, client: openai.OpenAI) -> None:
    server.set_behaviour("m", Behaviour(fault="500", fault_times=1))
    with pytest.raises(openai.InternalServerError):
        _ask(client, "m")
    assert _ask(client, "m").choices[0].finish_reason == "stop"


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("empty", lambda c: c == ""),
        ("invalid_json", lambda c: c.startswith("I think")),
        ("prose_wrapped", lambda c: c.startswith("Here is my review:\n```json\n{")),
    ],
)
def test_content_faults(server: FakeModelServer, client: openai.OpenAI, fault: Any, check: Any) -> None:
    server.set_behaviour("m", Behaviour(fault=fault, dialect="none"))
    assert check(_ask(client, "m").choices[0].message.content)


def test_truncated_and_out_of_diff(server: FakeModelServer, client: openai.OpenAI) -> None:
    server.set_behaviour("t", Behaviour(fault="truncated", dialect="none"))
    choice = _ask(client, "t").choices[0]
    assert choice.finish_reason == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice.message.content or "")
    server.set_behaviour("o", Behaviour(fault="out_of_diff"))
    findings = json.loads(_ask(client, "o").choices[0].message.content or "")["findings"]
    assert findings[0]["line"] == 10_011


def test_streaming_is_refused(server: FakeModelServer, client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}], stream=True)


def test_keepalive_never_completes_and_stop_is_quick(server: FakeModelServer) -> None:
    server.set_behaviour("slow", Behaviour(fault="keepalive"))
    body = {"model": "slow", "messages": [{"role": "user", "content": "x"}]}
    headers = {"Authorization": "Bearer test-key"}
    received = b""
    completed = False
    # A read timeout shorter than the test: it never fires because a newline arrives every 0.2 s.
    with (
        httpx.Client(timeout=httpx.Timeout(0.5)) as http,
        http.stream("POST", server.base_url + "/chat/completions", json=body, headers=headers) as response,
    ):
        assert response.status_code == 200
        deadline = time.monotonic() + 1.0
        for chunk in response.iter_raw():
            received += chunk
            if time.monotonic() > deadline:
                break
        else:
            completed = True
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0
    assert not completed
    assert received
    assert set(received) == {ord("\n")}


def test_requests_are_recorded(server: FakeModelServer, client: openai.OpenAI) -> None:
    _ask(client, "a", "first")
    _ask(client, "b", "second")
    assert [r.model for r in server.requests] == ["a", "b"]
    (recorded,) = server.requests_for("b")
    assert recorded.method == "POST"
    assert recorded.path == "/v1/chat/completions"
    assert recorded.headers["authorization"] == "Bearer test-key"
    assert recorded.json is not None
    assert recorded.json["messages"] == [{"role": "user", "content": "second"}]
    assert [m.id for m in client.models.list()] == []


def test_default_reviewer_finds_first_added_line() -> None:
    assert default_findings(PROMPT) == [
        {
            "path": "src/app.py",
            "line": 11,
            "side": "RIGHT",
            "severity": "medium",
            "category": "bug",
            "title": "Possible issue",
            "body": "Check this added line: return compute(x)  # added",
        }
    ]
    assert default_findings("## File: 'a.py'\n__new hunk__\n1  same\n") == []


def test_explicit_findings_and_served_model(server: FakeModelServer, client: openai.OpenAI) -> None:
    mine = [{"path": "x.py", "line": 3}]
    server.default_behaviour = Behaviour(findings=mine, served_model="deepseek-v4", cached_tokens=2)
    reply = _ask(client, "anything")
    assert reply.model == "deepseek-v4"
    assert json.loads(reply.choices[0].message.content or "") == {"findings": mine}
    assert reply.usage is not None
    assert reply.usage.prompt_tokens_details is not None
    assert reply.usage.prompt_tokens_details.cached_tokens == 2
