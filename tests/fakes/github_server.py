"""A GitHub-shaped HTTP server for tests: owns the listening socket, request recording, fault injection and
schema checking, and the public API tests use (`FakeGitHubServer`).

Standard library HTTP (`ThreadingHTTPServer` on 127.0.0.1, port 0, daemon thread); the model lives in
`github_state`/`github_models`, the write rules in `github_rules`, JSON shapes in `github_payloads*`, credentials
and rate limits in `github_auth`, REST endpoints in `github_routes*`, GraphQL in `github_graphql*`, diff parsing
in `github_diff`. Point PyGithub at it with
`Github(base_url=server.api_url, auth=Auth.Token("t"))`; `prefix="/api/v3"` serves it like GitHub Enterprise
(GraphQL then at `/api/graphql`, as PyGithub computes it). With `validate=True` every JSON response (and JSON
request body of an operation with a `requestBody`) is checked against GitHub's OpenAPI description and each
mismatch is appended to `schema_violations`.

    with FakeGitHubServer() as server:
        server.add_pull_request("octo", "repo", 7, diff_text)
        gh = Github(base_url=server.api_url, auth=Auth.Token("t"), seconds_between_requests=0,
                    seconds_between_writes=0)
"""

from __future__ import annotations

import http
import json
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from . import openapi_check
from .github_auth import AuthRegistry, generate_app_key_pair
from .github_graphql import GraphQLExecutor
from .github_models import ApiError, Installation, PullRequest
from .github_payloads_review import Renderer
from .github_routes import Reply, Request
from .github_routes_review import Routes
from .github_state import GitHubState

SECONDARY_RATE_LIMIT_BODY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you "
    "reach out to GitHub Support for help, please include the request ID ABCD:1234:5678:9ABC:DEF0.",
    "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits",
    "status": "403",
}
BAD_CREDENTIALS_BODY = {
    "message": "Bad credentials",
    "documentation_url": "https://docs.github.com/rest",
    "status": "401",
}
DEFAULT_TOKENS = {"t": "reviewer"}


@dataclass
class RecordedRequest:
    """One request the server answered (path without the API prefix and without the query string)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int = 0
    injected: bool = False
    received_at: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the request was recorded."""
    client_port: int = 0
    """The client's source port: requests on one kept-alive connection share it."""


@dataclass
class _Injection:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hold:
    """Requests that match wait, unanswered, until ``release()``: a slow GitHub, without timing."""

    method: str
    pattern: re.Pattern[str]
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # a real API accepts a burst of new connections; socketserver's default backlog of 5 drops some of them,
    # and their clients wait a SYN retransmission (a second or more)
    request_queue_size = 1024
    fake: FakeGitHubServer


class _Handler(BaseHTTPRequestHandler):
    server_version = "GitHub.com"
    sys_version = ""
    protocol_version = "HTTP/1.1"  # as GitHub: connections are kept alive between requests
    disable_nagle_algorithm = True  # headers and body go out in two writes: Nagle would hold the body for an ACK
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _serve(self) -> None:
        cast(_HTTPServer, self.server).fake._handle(self)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve


class FakeGitHubServer:
    """In-process GitHub REST + GraphQL fake. Use as a context manager, or `start()` / `stop()`."""

    def __init__(
        self,
        *,
        prefix: str = "",
        validate: bool = True,
        tokens: Mapping[str, str] | None = None,
        rate_limit: int = 5000,
        web_url: str = "https://github.com",
        host: str = "127.0.0.1",
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.validate = validate
        self.state = GitHubState()
        self.auth = AuthRegistry(self.state, rate_limit=rate_limit)
        for token, login in (DEFAULT_TOKENS if tokens is None else tokens).items():
            self.auth.add_token(token, login)
        self.web_url = web_url
        self.requests: list[RecordedRequest] = []
        self.schema_violations: list[str] = []
        self._injections: list[_Injection] = []
        self._holds: list[Hold] = []
        self._lock = threading.Lock()
        self._httpd = _HTTPServer((host, 0), _Handler)
        self._httpd.fake = self
        self.port: int = self._httpd.server_address[1]
        self.api_url = f"http://{host}:{self.port}{self.prefix}"
        self.graphql_url = f"http://{host}:{self.port}{self.prefix.removesuffix('/v3')}/graphql"
        self.renderer = Renderer(self.state, self.api_url, web_url)
        self.graphql = GraphQLExecutor(self.state, web_url)
        self.routes = Routes(self.state, self.auth, self.renderer, self.graphql)
        self._checker = openapi_check.default_checker() if validate else None  # loaded once per process
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> FakeGitHubServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.05,), name="fake-github", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            for held in self._holds:
                held.release()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeGitHubServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # ---- seeding shortcuts ------------------------------------------------------------------------------------
    def add_pull_request(self, owner: str, repo: str, number: int, diff_text: str, **kwargs: Any) -> PullRequest:
        """See `GitHubState.add_pull_request` (head_sha, base_sha, title, body, user, draft, state, …)."""
        return self.state.add_pull_request(owner, repo, number, diff_text, **kwargs)

    def add_token(self, token: str, login: str = "reviewer") -> None:
        """Accept `token` as a personal access token of `login`."""
        self.auth.add_token(token, login)

    def enable_app(
        self,
        app_id: int = 424242,
        *,
        slug: str = "review-arena",
        private_key_pem: str | None = None,
        public_key_pem: str | None = None,
    ) -> str:
        """Configure the GitHub App (generating a key pair unless given); returns the private key PEM."""
        if private_key_pem is None or public_key_pem is None:
            private_key_pem, public_key_pem = generate_app_key_pair()
        self.auth.configure_app(app_id, public_key_pem, slug=slug)
        return private_key_pem

    def add_installation(self, account: str, **kwargs: Any) -> Installation:
        """Install the App on `account` (kwargs: repositories, installation_id, permissions)."""
        return self.state.add_installation(account, **kwargs)

    def installation_token(self, installation_id: int) -> str:
        """Mint an installation token directly (skipping the JWT exchange)."""
        return self.auth.mint_installation_token(installation_id)[0]

    # ---- faults and recording ---------------------------------------------------------------------------------
    def inject(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` requests with this method whose path matches `path_regex` (re.search, path without
        prefix/query) get this answer instead of the real one."""
        injection = _Injection(method.upper(), re.compile(path_regex), status, times, body, dict(headers or {}))
        with self._lock:
            self._injections.append(injection)

    def inject_secondary_rate_limit(
        self, method: str, path_regex: str, *, times: int = 1, retry_after: int = 1
    ) -> None:
        """403 secondary rate limit with `Retry-After`, as GitHub sends when a bot posts too fast."""
        self.inject(
            method,
            path_regex,
            403,
            times=times,
            body=SECONDARY_RATE_LIMIT_BODY,
            headers={"Retry-After": str(retry_after)},
        )

    def hold(self, method: str, path_regex: str) -> Hold:
        """Hold every request with this method whose path matches ``path_regex`` until the hold is released;
        ``arrived`` is set when the first one comes. ``stop()`` releases every hold."""
        held = Hold(method.upper(), re.compile(path_regex))
        with self._lock:
            self._holds.append(held)
        return held

    def count_requests(self, method: str | None = None, path_regex: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_regex is None or re.search(path_regex, r.path))
            )

    def requests_to(self, method: str | None = None, path_regex: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_regex is None or re.search(path_regex, r.path))
            ]

    # ---- request handling --------------------------------------------------------------------------------------
    def _take_injection(self, method: str, path: str) -> _Injection | None:
        with self._lock:
            for injection in self._injections:
                if injection.remaining > 0 and injection.method == method and injection.pattern.search(path):
                    injection.remaining -= 1
                    return injection
        return None

    def _wait_for_holds(self, method: str, path: str) -> None:
        with self._lock:
            holds = [h for h in self._holds if h.method == method and h.pattern.search(path)]
        for held in holds:
            held.arrived.set()
            held.released.wait()

    def _normalize(self, raw_path: str) -> tuple[str, str]:
        """(API path without prefix, the path used in Link headers) for a raw request path."""
        path = unquote(raw_path)
        if self.prefix and path.startswith(self.prefix + "/"):
            path = path[len(self.prefix) :]
        match = re.match(r"^/repositories/(\d+)(/.*)?$", path)
        with self.state.lock:
            if match:
                repo = next((r for r in self.state.repos.values() if r.id == int(match[1])), None)
                if repo is not None:
                    path = f"/repos/{repo.full_name}{match[2] or ''}"
            link_path = path
            found = re.match(r"^/repos/([^/]+)/([^/]+)(/.*)?$", path)
            if found:
                repo = self.state.repos.get(f"{found[1]}/{found[2]}".lower())
                if repo is not None:
                    link_path = f"/repositories/{repo.id}{found[3] or ''}"
        return path, self.prefix + link_path

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command.upper()
        parts = urlsplit(handler.path)
        path, link_path = self._normalize(parts.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        length = int(headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        record = RecordedRequest(
            method, path, parse_qs(parts.query), headers, body, client_port=handler.client_address[1]
        )
        req = Request(method, path, record.query, headers, body, link_path=link_path)
        self._wait_for_holds(method, path)
        injection = self._take_injection(method, path)
        if injection is not None:
            reply = Reply(
                injection.status,
                _default_body(injection.status) if injection.body is None else injection.body,
                dict(injection.headers),
            )
            record.injected = True
        else:
            reply = self._dispatch(req, handler.client_address[0])
            if self.validate and reply.raw is None:
                self._check(req, reply)
        record.status = reply.status
        with self._lock:
            self.requests.append(record)
        self._send(handler, reply)

    def _dispatch(self, req: Request, client: str) -> Reply:
        found = self.routes.match(req.method, req.path)
        rate_headers: dict[str, str] = {}
        try:
            if found is None:
                raise ApiError(
                    404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
                )
            route, match = found
            principal = self.auth.authenticate(
                req.headers.get("authorization"), wants_jwt=route.credential == "jwt", client=client
            )
            req.principal = principal
            rate_headers = self.auth.spend(principal, route.resource, count=route.counted)
            with self.state.lock:
                reply = route.handler(req, match)
        except ApiError as error:
            reply = Reply(error.status, error.body, dict(error.headers))
        reply.headers = {**rate_headers, **reply.headers}
        return reply

    def _check(self, req: Request, reply: Reply) -> None:
        if self._checker is None:
            self._checker = openapi_check.default_checker()
        if req.path.endswith("/graphql"):
            return
        problems = self._checker.check_response(req.method, req.path, reply.status, reply.body)
        if req.method in ("POST", "PATCH", "PUT") and req.body is not None:
            problems += self._checker.check_request_body(req.method, req.path, req.body)
        if problems:
            with self._lock:
                self.schema_violations.extend(problems)

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.raw is not None:
            payload = reply.raw
        elif reply.body is None and reply.status in (204, 304):
            payload = b""
        else:
            payload = json.dumps(reply.body).encode()
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        handler.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
        handler.send_header("X-GitHub-Request-Id", uuid.uuid4().hex[:20].upper())
        handler.send_header("Cache-Control", "private, max-age=60, s-maxage=60")
        if "X-RateLimit-Limit" not in reply.headers:
            reset = str(int(time.time()) + 3600)
            reply.headers.update(
                {
                    "X-RateLimit-Limit": "5000",
                    "X-RateLimit-Remaining": "4999",
                    "X-RateLimit-Reset": reset,
                    "X-RateLimit-Used": "1",
                    "X-RateLimit-Resource": "core",
                }
            )
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)


def _default_body(status: int) -> dict[str, Any] | None:
    """GitHub-style error body for an injected status given without a body."""
    if status in (204, 304):
        return None
    return {
        "message": http.HTTPStatus(status).phrase,
        "documentation_url": "https://docs.github.com/rest",
        "status": str(status),
    }
