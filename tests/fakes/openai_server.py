"""A fake OpenAI-shaped model server on a real loopback socket, for tests.

This module owns the stand-in for every model provider the bot talks to through the ``openai``
client: DeepSeek, OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp). It serves
``POST /v1/chat/completions`` (non-streaming JSON only) and ``GET /v1/models`` with response and
error shapes faithful to the real APIs, and it can be told, per requested model id, where to put the
reasoning text (the "dialect"), how long to wait, and which fault to inject (rate limits, server
errors, DeepSeek's endless keep-alive newlines, empty / broken / truncated / prose-wrapped answers,
findings outside the diff, unknown models).

Unless a behaviour gives explicit findings, the fake "reviews" the diff in the last user message: it
returns one finding per file on that file's first added line (at most three).

Only the standard library is used; the server listens on 127.0.0.1 on an ephemeral port and serves
each connection in a daemon thread. Every request is recorded for assertions.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, cast

__all__ = [
    "Behaviour",
    "Dialect",
    "FakeModelServer",
    "Fault",
    "RecordedRequest",
    "default_findings",
    "estimate_tokens",
]

Dialect = Literal["reasoning_content", "reasoning", "thinking", "think_inline", "think_no_open", "none"]
Fault = Literal[
    None,
    "429",
    "500",
    "keepalive",
    "empty",
    "invalid_json",
    "out_of_diff",
    "not_found",
    "truncated",
    "prose_wrapped",
    "html_page",
]

KEEPALIVE_INTERVAL_S = 0.2
MAX_DEFAULT_FINDINGS = 3
INVALID_JSON_CONTENT = "I think this looks fine overall, but {broken"
TRUNCATE_FRACTION = 0.6


@dataclass
class Behaviour:
    """How the fake answers requests for one model id."""

    dialect: Dialect = "reasoning_content"
    latency_s: float = 0.0
    """Seconds to sleep before answering (cut short when the server stops)."""
    fault: Fault = None
    fault_times: int | None = None
    """None: every request faults; k: the first k requests for this model fault, then it behaves."""
    retry_after_s: float = 1.0
    """``Retry-After`` value for the "429" fault."""
    served_model: str | None = None
    """The ``model`` string in the response; default: the requested id + "-fake-2026"."""
    findings: list[dict[str, Any]] | None = None
    """Explicit findings to return instead of the default reviewer's."""
    reasoning_text: str = "Let me think about this diff step by step."
    cached_tokens: int = 0
    """Prompt tokens reported as served from cache (capped at the prompt's token count)."""


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the fake received, in arrival order."""

    method: str
    path: str
    headers: dict[str, str]
    """Header names lower-cased."""
    json: Any | None
    """The decoded JSON body, or None when there was no body or it was not JSON."""
    model: str | None
    """The ``model`` field of the JSON body, when it is a string."""
    received_at: float
    """``time.monotonic()`` when the request line and headers had been read."""
    client_port: int = 0
    """The client's source port: requests on one kept-alive connection share it."""


# --------------------------------------------------------------------------------------------------
# The default reviewer


_FILE_HEADER = re.compile(r"^## File: (?:'(?P<sq>.+)'|\"(?P<dq>.+)\"|(?P<bare>\S.*?))\s*$")
_NEW_HUNK_LINE = re.compile(r"^(?P<num>\d+)(?: (?P<marker>[ +])(?P<text>.*))?$")


def estimate_tokens(text: str) -> int:
    """A deterministic, rough token count: one token per four characters, plus one."""
    return len(text) // 4 + 1


def _message_text(content: Any) -> str:
    """The text of a chat message's ``content``: a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return ""


def _last_user_text(body: dict[str, Any]) -> str:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _message_text(message.get("content"))
    return ""


def _prompt_text(body: dict[str, Any]) -> str:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return ""
    return "\n".join(_message_text(m.get("content")) for m in messages if isinstance(m, dict))


def default_findings(prompt: str) -> list[dict[str, Any]]:
    """One finding per file on its first added line under a ``__new hunk__`` (at most three)."""
    findings: list[dict[str, Any]] = []
    seen: set[str] = set()
    path: str | None = None
    in_new_hunk = False
    for raw in prompt.splitlines():
        header = _FILE_HEADER.match(raw)
        if header:
            path = header.group("sq") or header.group("dq") or header.group("bare")
            in_new_hunk = False
            continue
        stripped = raw.strip()
        if stripped == "__new hunk__":
            in_new_hunk = True
            continue
        if stripped == "__old hunk__" or raw.startswith("@@"):
            in_new_hunk = False
            continue
        if not in_new_hunk or path is None or path in seen:
            continue
        line = _NEW_HUNK_LINE.match(raw)
        if line is None or line.group("marker") != "+":
            continue
        seen.add(path)
        findings.append(
            {
                "path": path,
                "line": int(line.group("num")),
                "side": "RIGHT",
                "severity": "medium",
                "category": "bug",
                "title": "Possible issue",
                "body": f"Check this added line: {line.group('text').strip()[:80]}",
            }
        )
        if len(findings) >= MAX_DEFAULT_FINDINGS:
            break
    return findings


# --------------------------------------------------------------------------------------------------
# Response bodies


def _error_body(message: str, type_: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _retry_after_header(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def _answer(behaviour: Behaviour, fault: Fault, body: dict[str, Any]) -> tuple[str, str]:
    """The answer text (without any inline reasoning) and the finish reason."""
    if behaviour.findings is not None:
        findings = [dict(f) for f in behaviour.findings]
    else:
        findings = default_findings(_last_user_text(body))
    if fault == "out_of_diff":
        for finding in findings:
            if isinstance(finding.get("line"), int):
                finding["line"] = 10_000 + finding["line"]
    answer = json.dumps({"findings": findings})
    if fault == "empty":
        return "", "stop"
    if fault == "invalid_json":
        return INVALID_JSON_CONTENT, "stop"
    if fault == "truncated":
        return answer[: int(len(answer) * TRUNCATE_FRACTION)], "length"
    if fault == "prose_wrapped":
        return "Here is my review:\n```json\n" + answer + "\n```\nHope this helps!", "stop"
    return answer, "stop"


def completion_body(requested_model: str, behaviour: Behaviour, fault: Fault, body: dict[str, Any]) -> dict[str, Any]:
    """A successful ``chat.completion`` object for ``body`` under ``behaviour``."""
    answer, finish_reason = _answer(behaviour, fault, body)
    reasoning = behaviour.reasoning_text
    message: dict[str, Any] = {"role": "assistant", "content": answer}
    dialect = behaviour.dialect
    if dialect in ("reasoning_content", "reasoning", "thinking"):
        message[dialect] = reasoning
    elif dialect == "think_inline":
        message["content"] = "<think>" + reasoning + "</think>\n" + answer
    elif dialect == "think_no_open":
        message["content"] = reasoning + "</think>\n" + answer
    message["refusal"] = None

    prompt_tokens = estimate_tokens(_prompt_text(body))
    reasoning_tokens = estimate_tokens(reasoning) if dialect != "none" else 0
    completion_tokens = estimate_tokens(answer) + reasoning_tokens
    cached = max(0, min(behaviour.cached_tokens, prompt_tokens))
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
    }
    if dialect == "reasoning_content":
        usage["prompt_cache_hit_tokens"] = cached
        usage["prompt_cache_miss_tokens"] = prompt_tokens - cached
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex[:24],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": behaviour.served_model or requested_model + "-fake-2026",
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": usage,
    }


# --------------------------------------------------------------------------------------------------
# The HTTP server


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # a real API accepts a burst of new connections; socketserver's default backlog of 5 drops some of them,
    # and their clients wait a SYN retransmission (a second or more)
    request_queue_size = 1024
    block_on_close = False

    def __init__(self, fake: FakeModelServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-answer are part of the tests; keep stderr quiet for them.
        if self.fake.stopping.is_set():
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"
    sys_version = ""

    @property
    def fake(self) -> FakeModelServer:
        return cast(_HTTPServer, self.server).fake

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()
        self.fake._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.fake._untrack(self.connection)

    # -- plumbing ----------------------------------------------------------------------------------

    def _send_json(self, status: int, payload: dict[str, Any], extra_headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _read_json(self) -> tuple[bool, Any | None]:
        """Read the body; return (had a body, decoded JSON or None)."""
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0:
            return False, None
        raw = self.rfile.read(length)
        try:
            return True, json.loads(raw)
        except ValueError:
            return True, None

    def _record(self, body: Any | None) -> None:
        model = body.get("model") if isinstance(body, dict) else None
        self.fake._record(
            RecordedRequest(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                json=body,
                model=model if isinstance(model, str) else None,
                received_at=time.monotonic(),
                client_port=int(self.client_address[1]),
            )
        )

    def _authorized(self) -> bool:
        expected = self.fake.api_key
        if expected is None:
            return True
        header = self.headers.get("Authorization") or ""
        given = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        if given == expected:
            return True
        shown = given[:3] + "*" * max(0, len(given) - 7) + given[-4:] if len(given) > 7 else given
        self._send_json(
            401,
            _error_body(
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            ),
        )
        return False

    def _invalid_url(self) -> None:
        self._send_json(404, _error_body(f"Invalid URL ({self.command} {self.path})", "invalid_request_error", None))

    # -- routes ------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._record(None)
        if not self._authorized():
            return
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [_model_entry(m) for m in self.fake.model_ids()]})
        elif path.startswith("/v1/models/"):
            model = path[len("/v1/models/") :]
            if self.fake.behaviour_for(model).fault == "not_found":
                self._send_json(404, _model_not_found(model))
            else:
                self._send_json(200, _model_entry(model))
        else:
            self._invalid_url()

    def do_POST(self) -> None:
        had_body, body = self._read_json()
        self._record(body)
        if not self._authorized():
            return
        if self.path.split("?", 1)[0].rstrip("/") != "/v1/chat/completions":
            self._invalid_url()
            return
        if not isinstance(body, dict):
            message = "We could not parse the JSON body of your request." if had_body else "Missing body."
            self._send_json(400, _error_body(message, "invalid_request_error", None))
            return
        model = body.get("model")
        if not isinstance(model, str) or not model:
            self._send_json(400, _error_body("you must provide a model parameter", "invalid_request_error", None))
            return
        if body.get("stream"):
            self._send_json(
                400,
                _error_body(
                    "This fake server does not support streaming; send stream=false.",
                    "invalid_request_error",
                    "unsupported_value",
                ),
            )
            return
        behaviour, fault = self.fake._take(model)
        if behaviour.latency_s > 0 and self.fake.stopping.wait(behaviour.latency_s):
            self.close_connection = True
            return
        if fault == "not_found":
            self._send_json(404, _model_not_found(model))
        elif fault == "429":
            self._send_json(
                429,
                _error_body(
                    f"Rate limit reached for {model} on requests per min (RPM). Please try again later.",
                    "requests",
                    "rate_limit_exceeded",
                ),
                {"Retry-After": _retry_after_header(behaviour.retry_after_s)},
            )
        elif fault == "500":
            self._send_json(
                500,
                _error_body(
                    "The server had an error while processing your request. Sorry about that!",
                    "server_error",
                    "server_error",
                ),
            )
        elif fault == "keepalive":
            self._keepalive_forever()
        elif fault == "html_page":  # a proxy or gateway in the way answers 200 with a page of its own
            page = b"<html><body><h1>Please sign in to continue</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
        else:
            self._send_json(200, completion_body(model, behaviour, fault, body))

    def _keepalive_forever(self) -> None:
        """200, chunked, then a blank line every 0.2 s until the client leaves or the server stops."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            while not self.fake.stopping.is_set():
                self.wfile.write(b"1\r\n\n\r\n")
                self.wfile.flush()
                if self.fake.stopping.wait(KEEPALIVE_INTERVAL_S):
                    break
        except OSError:
            return


def _model_entry(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1_767_225_600, "owned_by": "fake"}


def _model_not_found(model: str) -> dict[str, Any]:
    return _error_body(
        f"The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    )


class FakeModelServer:
    """An OpenAI-compatible HTTP server on 127.0.0.1 with per-model behaviours.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. Point an ``openai.OpenAI``
    client at :attr:`base_url`.
    """

    def __init__(self, api_key: str | None = "test-key") -> None:
        self.api_key = api_key
        """The key required as ``Authorization: Bearer <key>``; None accepts any key (or none)."""
        self.default_behaviour = Behaviour()
        """The behaviour for models without one of their own."""
        self.requests: list[RecordedRequest] = []
        """Every request received, in order (appended under a lock)."""
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._behaviours: dict[str, Behaviour] = {}
        self._counts: dict[str, int] = {}
        self._connections: set[socket.socket] = set()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeModelServer:
        if self._server is not None:
            raise RuntimeError("FakeModelServer is already running")
        self.stopping.clear()
        self._server = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; ends keep-alive loops and drops open connections within a fraction of a second."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            with self._lock:
                if not self._connections:
                    break
            time.sleep(0.01)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeModelServer:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeModelServer is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- configuration and inspection -------------------------------------------------------------

    def set_behaviour(self, model: str, behaviour: Behaviour) -> None:
        """Answer requests for ``model`` with ``behaviour``; restarts its ``fault_times`` count."""
        with self._lock:
            self._behaviours[model] = behaviour
            self._counts.pop(model, None)

    def behaviour_for(self, model: str) -> Behaviour:
        with self._lock:
            return self._behaviours.get(model, self.default_behaviour)

    def model_ids(self) -> list[str]:
        """The models listed by ``GET /v1/models``: those with a behaviour, not faulting "not_found"."""
        with self._lock:
            return [m for m, b in self._behaviours.items() if b.fault != "not_found"]

    def requests_for(self, model: str) -> list[RecordedRequest]:
        """The recorded requests whose JSON body named ``model``."""
        with self._lock:
            return [r for r in self.requests if r.model == model]

    # -- used by the handler -----------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _take(self, model: str) -> tuple[Behaviour, Fault]:
        """The behaviour for one chat request to ``model`` and the fault it gets, if any."""
        with self._lock:
            behaviour = self._behaviours.get(model, self.default_behaviour)
            count = self._counts.get(model, 0)
            self._counts[model] = count + 1
        faults = behaviour.fault_times is None or count < behaviour.fault_times
        return behaviour, behaviour.fault if faults else None

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)
