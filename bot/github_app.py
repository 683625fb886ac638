"""GitHub App credentials and per-installation PyGithub clients. An adapter: it reads the key file it is told to
read and talks to GitHub's App endpoints; the environment comes in as a mapping.

Installation tokens live one hour (``expires_at`` in the ``POST /app/installations/{id}/access_tokens`` answer,
https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app). Each is cached and
reused until five minutes before it expires. An installation has one client for the life of the process, which
asks for the current token on every request: a client held through a long review (the model's deadline plus the
waits for its peers) never sends an expired token. Each installation mints its own token under its own lock:
threads that want the same installation wait for one exchange, and threads that want another are not held by
it. The App's private key is parsed once; each JWT is then signed with the parsed key (PyJWT would otherwise parse the
PEM for every token, about 30 ms of CPU).

``GithubIntegration`` defaults to ``retry=None`` and so do the clients built from it, so every client here gets
an explicit ``GithubRetry``. When GitHub answers an installation's request with 403 or 429 and ``retry-after``
(a secondary rate limit), the retry waits it out in that thread and ``on_rate_limited`` hears of it, so that the
installation's other writes wait too (``bot.github_writes``). PyGithub's per-client request spacing is off: the
callers take a slot from the installation's write budget before each request that creates content.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from github import Auth, Github, GithubException, GithubIntegration, GithubRetry
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import InvalidHeader
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry

from bot.errors import ConfigError
from bot.github import DEFAULT_API_URL, translate

REFRESH_MARGIN_S = 5 * 60
# keep-alive connections one installation's client keeps open: a worker's threads share the client, and
# requests keeps only 10 by default, so the others would open (and TLS-handshake) a connection per request
POOL_SIZE = 128


@dataclass(frozen=True, slots=True)
class AppCredentials:
    app_id: int
    private_key: str = field(repr=False)


def load_credentials(environ: Mapping[str, str]) -> AppCredentials:
    """``GITHUB_APP_ID`` plus ``GITHUB_PRIVATE_KEY`` (the PEM text) or ``GITHUB_PRIVATE_KEY_PATH`` (a PEM file)."""
    raw_id = environ.get("GITHUB_APP_ID", "").strip()
    key = environ.get("GITHUB_PRIVATE_KEY", "").strip()
    key_path = environ.get("GITHUB_PRIVATE_KEY_PATH", "").strip()
    missing = [] if raw_id else ["GITHUB_APP_ID"]
    if not key and not key_path:
        missing.append("GITHUB_PRIVATE_KEY (or GITHUB_PRIVATE_KEY_PATH)")
    if missing:
        raise ConfigError(f"the GitHub App needs {' and '.join(missing)} to be set")
    if not raw_id.isdigit():
        raise ConfigError(f"GITHUB_APP_ID must be the App's numeric id, not {raw_id!r}")
    if not key:
        try:
            key = Path(key_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"GITHUB_PRIVATE_KEY_PATH: cannot read {key_path}: {exc.strerror}") from exc
    # Probot-style deployments often store the PEM with literal "\n" in one line.
    key = key.replace("\\n", "\n").strip()
    if "PRIVATE KEY-----" not in key:
        raise ConfigError("GITHUB_PRIVATE_KEY is not a PEM private key (expected '-----BEGIN ... PRIVATE KEY-----')")
    return AppCredentials(app_id=int(raw_id), private_key=key)


def jwt_signer(private_key: str) -> Callable[[dict[str, Any]], str]:
    """Signs an App JWT (RS256, as GitHub requires) with ``private_key``, parsed here once; a key that is not an
    RSA private key in PEM is a ``ConfigError``."""
    try:
        key = load_pem_private_key(private_key.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"GITHUB_PRIVATE_KEY: cannot read the App's private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("GITHUB_PRIVATE_KEY: GitHub App private keys are RSA keys; this one is not")

    def sign(payload: dict[str, Any]) -> str:
        return jwt.encode(payload, key, algorithm="RS256")

    return sign


class ReportingRetry(GithubRetry):
    """``GithubRetry`` that also tells ``on_limited`` how long GitHub asked to wait, whenever a 403 or 429 answer
    carries ``retry-after``."""

    def __init__(self, on_limited: Callable[[float], None], **kwargs: Any) -> None:
        self.on_limited = on_limited
        super().__init__(**kwargs)

    def new(self, **kwargs: Any) -> ReportingRetry:
        kwargs["on_limited"] = self.on_limited  # urllib3 makes a new Retry for every attempt
        return super().new(**kwargs)

    def increment(  # type: ignore[override]  # the same signature as GithubRetry's, which narrows urllib3's
        self,
        method: str | None = None,
        url: str | None = None,
        response: HTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        header = response.headers.get("Retry-After") if response is not None else None
        if response is not None and response.status in (403, 429) and header:
            with contextlib.suppress(InvalidHeader):  # GithubRetry and urllib3 handle (or refuse) it as before
                self.on_limited(self.parse_retry_after(header))
        return super().increment(method, url, response, error, _pool, _stacktrace)


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    refresh_at: float


class _CurrentToken(Auth.Auth):
    """The installation's current token, asked for on every request: a client held through a long review (a
    model's deadline plus the waits for its peers) never sends one that expired meanwhile."""

    def __init__(self, clients: InstallationClients, installation_id: int) -> None:
        self._clients = clients
        self._installation_id = installation_id

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self._clients.token_for(self._installation_id)


class InstallationClients:
    """One PyGithub client per installation, authenticated with the installation's current token."""

    def __init__(
        self,
        credentials: AppCredentials,
        *,
        api_url: str = DEFAULT_API_URL,
        clock: Callable[[], float] = time.time,
        pool_size: int = POOL_SIZE,
        on_rate_limited: Callable[[int, float], None] | None = None,
    ) -> None:
        """``on_rate_limited(installation_id, seconds)`` hears of each ``retry-after`` GitHub sends."""
        self._api_url = api_url.rstrip("/")
        self._clock = clock
        self._pool_size = pool_size
        self._on_rate_limited = on_rate_limited
        self._integration = GithubIntegration(
            auth=Auth.AppAuth(credentials.app_id, sign_func=jwt_signer(credentials.private_key)),
            base_url=self._api_url,
            retry=GithubRetry(),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self._clients: dict[int, Github] = {}
        self._tokens: dict[int, _Token] = {}
        self._minting: dict[int, threading.Lock] = {}  # one per installation, held while its token is minted
        self._lock = threading.Lock()  # guards the dicts, never held across a request

    def client_for(self, installation_id: int) -> Github:
        """The installation's client, with a token minted now if none is fresh (so that a refused installation
        fails here, with its own message)."""
        self.token_for(installation_id)
        with self._lock:
            client = self._clients.get(installation_id)
            if client is None:
                client = self._clients[installation_id] = self._client(installation_id)
            return client

    def token_for(self, installation_id: int) -> str:
        """The installation's token, minted again when it is within ``REFRESH_MARGIN_S`` of expiring."""
        with self._lock:
            fresh = self._fresh(installation_id)
            if fresh is not None:
                return fresh
            minting = self._minting.setdefault(installation_id, threading.Lock())
        with minting:
            with self._lock:  # another thread may have minted it while this one waited
                fresh = self._fresh(installation_id)
            return fresh if fresh is not None else self._mint(installation_id)

    def _fresh(self, installation_id: int) -> str | None:
        token = self._tokens.get(installation_id)
        return token.value if token is not None and self._clock() < token.refresh_at else None

    def _mint(self, installation_id: int) -> str:
        try:
            token = self._integration.get_access_token(installation_id)
        except GithubException as exc:
            raise translate(exc, what=f"an access token for installation {installation_id}") from exc
        expires = token.expires_at.timestamp() if token.expires_at else self._clock() + 3600
        with self._lock:
            self._tokens[installation_id] = _Token(token.token, expires - REFRESH_MARGIN_S)
        return token.token

    def _client(self, installation_id: int) -> Github:
        report = self._on_rate_limited
        return Github(
            auth=_CurrentToken(self, installation_id),
            base_url=self._api_url,
            retry=GithubRetry() if report is None else ReportingRetry(functools.partial(report, installation_id)),
            # no per-client spacing: the installation's write budget (bot.github_writes) is kept across
            # every thread and worker, and GithubRetry waits out GitHub's own rate-limit answers
            seconds_between_requests=None,
            seconds_between_writes=None,
            per_page=100,
            pool_size=self._pool_size,
            lazy=True,  # get_repo/get_pull cost no request until an attribute is read
        )

    def installation_for_repo(self, owner: str, repo: str) -> int:
        """The id of the installation that covers ``owner/repo``."""
        try:
            return int(self._integration.get_repo_installation(owner, repo).id)
        except GithubException as exc:
            raise translate(exc, what=f"the App's installation on {owner}/{repo}") from exc

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            self._tokens.clear()
        self._integration.close()
