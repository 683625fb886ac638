"""Talks to the contenders' models through the ``openai`` client. An adapter: it sends, times and translates
errors; what to send is decided by :mod:`bot.core.dialects`.

Each call has a per-request timeout and the client's own retries with backoff (honouring ``Retry-After``) for
429 and 5xx. The caller bounds the whole review with a deadline (``asyncio.timeout``) that cancels the request,
so a server that keeps a connection alive with blank lines forever cannot hold a worker.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from dataclasses import dataclass

import certifi
import openai

from bot.core.config import ContenderConfig
from bot.core.dialects import ModelAnswer, ModelRequest, read_answer
from bot.core.usage import Usage, usage_from
from bot.errors import ModelError, TransientModelError

_TLS_LOCK = threading.Lock()


def tls_context() -> ssl.SSLContext:
    """One certificate store for every client: building it costs ~50 ms, which a worker would pay per review.
    Built once under a lock: a fresh worker's burst of threads would otherwise each build their own."""
    with _TLS_LOCK:
        return _tls_context()


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


@dataclass(frozen=True, slots=True)
class Completion:
    answer: ModelAnswer
    usage: Usage
    served_model: str
    latency_s: float


class OpenAIModel:
    """One contender's endpoint. Use as an async context manager so its connections close."""

    def __init__(self, contender: ContenderConfig, *, api_key: str, config_path: str = "contenders") -> None:
        self.contender = contender
        self._where = config_path
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=contender.base_url,
            timeout=openai.Timeout(contender.request_timeout_s, connect=10.0),
            max_retries=contender.max_retries,
            http_client=openai.DefaultAsyncHttpx2Client(verify=tls_context()),
        )

    async def __aenter__(self) -> OpenAIModel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.close()

    async def complete(self, request: ModelRequest) -> Completion:
        started = time.monotonic()
        body = {"model": request.model, "messages": list(request.messages), **request.params, **request.extra_body}
        try:
            # the client's own request path (auth, retries with backoff, Retry-After, typed errors) without its
            # request transform and response models: the dialect built the body, and the answer is read as JSON
            raw: object = await self._client.post("/chat/completions", body=body, cast_to=object)
        except openai.APIError as exc:
            raise self._translate(exc) from exc
        except ValueError as exc:  # a JSON content type over a body that is not JSON
            raise self._not_json(str(exc)) from exc
        if not isinstance(raw, dict):
            raise self._not_json(repr(raw)[:200])
        choice = (raw.get("choices") or [{}])[0]
        answer = read_answer(choice.get("message") or {}, choice.get("finish_reason"))
        return Completion(
            answer=answer,
            usage=usage_from(raw.get("usage")),
            served_model=str(raw.get("model") or request.model),
            latency_s=time.monotonic() - started,
        )

    def _not_json(self, detail: str) -> ModelError:
        name = self.contender.name
        return ModelError(
            f"contender '{name}': the API answered with a body that is not JSON ({detail})",
            contender=name,
            kind="garbage",
        )

    def _translate(self, exc: openai.APIError) -> Exception:
        c = self.contender
        if isinstance(exc, openai.NotFoundError):
            return ModelError(
                f"contender '{c.name}': the API at {c.base_url or 'the default URL'} does not serve model "
                f"{c.model!r} ({_message(exc)}). Change the key 'model' of contender '{c.name}' in "
                f"{self._where}, or its 'base_url'.",
                contender=c.name,
                kind="model_not_found",
            )
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return ModelError(
                f"contender '{c.name}': the API refused the key in {c.api_key_env} ({_message(exc)})",
                contender=c.name,
                kind="auth",
            )
        if isinstance(exc, openai.RateLimitError):
            return TransientModelError(f"contender '{c.name}': still rate limited after {c.max_retries} retries")
        if isinstance(exc, openai.APITimeoutError):
            return TransientModelError(f"contender '{c.name}': a request timed out after {c.request_timeout_s} s")
        if isinstance(exc, openai.APIConnectionError):
            return TransientModelError(f"contender '{c.name}': cannot connect to {c.base_url} ({exc})")
        if isinstance(exc, openai.InternalServerError):
            return TransientModelError(f"contender '{c.name}': server error {exc.status_code} after retries")
        return ModelError(
            f"contender '{c.name}': the API rejected the request ({_message(exc)})",
            contender=c.name,
            kind="bad_request",
        )


class MissingKey:
    """The model client of a contender whose API key is not set where the review runs: every call fails for
    good, so the review records the failure and posts its note at once, and the other contenders do not wait for
    a review that cannot come."""

    def __init__(self, contender: ContenderConfig, *, where: str = "the environment") -> None:
        self.contender = contender
        self._where = where

    async def complete(self, request: ModelRequest) -> Completion:
        c = self.contender
        raise ModelError(
            f"contender '{c.name}' needs its API key in the variable {c.api_key_env} of {self._where}",
            contender=c.name,
            kind="auth",
        )


def _message(exc: openai.APIError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message
