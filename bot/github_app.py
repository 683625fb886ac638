"""GitHub App credentials and per-installation PyGithub clients. An adapter: it reads the key file it is told to
read and talks to GitHub's App endpoints; the environment comes in as a mapping.

Installation tokens live one hour (``expires_at`` in the ``POST /app/installations/{id}/access_tokens`` answer,
https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app). Each is cached and
reused until five minutes before it expires. ``GithubIntegration`` defaults to ``retry=None`` and so do the
clients built from it, so every client here gets an explicit ``GithubRetry``. PyGithub's per-client request
spacing is off: the callers take a slot from the installation's write budget (``bot.github_writes``) before
each request that creates content.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from github import Auth, Github, GithubException, GithubIntegration, GithubRetry

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


@dataclass(slots=True)
class _Cached:
    client: Github
    refresh_at: float


class InstallationClients:
    """One PyGithub client per installation, each authenticated with a cached installation token."""

    def __init__(
        self,
        credentials: AppCredentials,
        *,
        api_url: str = DEFAULT_API_URL,
        clock: Callable[[], float] = time.time,
        pool_size: int = POOL_SIZE,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._clock = clock
        self._pool_size = pool_size
        self._integration = GithubIntegration(
            auth=Auth.AppAuth(credentials.app_id, credentials.private_key),
            base_url=self._api_url,
            retry=GithubRetry(),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self._cache: dict[int, _Cached] = {}
        self._lock = threading.Lock()

    def client_for(self, installation_id: int) -> Github:
        """A client for the installation, minting a new token only when the cached one is near expiry."""
        with self._lock:
            cached = self._cache.get(installation_id)
            if cached is not None and self._clock() < cached.refresh_at:
                return cached.client
            try:
                token = self._integration.get_access_token(installation_id)
            except GithubException as exc:
                raise translate(exc, what=f"an access token for installation {installation_id}") from exc
            client = Github(
                auth=Auth.Token(token.token),
                base_url=self._api_url,
                retry=GithubRetry(),
                # no per-client spacing: the installation's write budget (bot.github_writes) is kept across
                # every thread and worker, and GithubRetry waits out GitHub's own rate-limit answers
                seconds_between_requests=None,
                seconds_between_writes=None,
                per_page=100,
                pool_size=self._pool_size,
                lazy=True,  # get_repo/get_pull cost no request until an attribute is read
            )
            expires = token.expires_at.timestamp() if token.expires_at else self._clock() + 3600
            self._cache[installation_id] = _Cached(client, expires - REFRESH_MARGIN_S)
            if cached is not None:
                cached.client.close()
            return client

    def installation_for_repo(self, owner: str, repo: str) -> int:
        """The id of the installation that covers ``owner/repo``."""
        try:
            return int(self._integration.get_repo_installation(owner, repo).id)
        except GithubException as exc:
            raise translate(exc, what=f"the App's installation on {owner}/{repo}") from exc

    def close(self) -> None:
        with self._lock:
            for cached in self._cache.values():
                cached.client.close()
            self._cache.clear()
        self._integration.close()
