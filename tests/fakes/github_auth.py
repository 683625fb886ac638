"""Authentication and rate limits of the fake GitHub: owns who a request acts as and how many calls it has left.

Accepted credentials: configured personal tokens (`Authorization: token X` or `Bearer X`), installation tokens
(`ghs_…`, minted by `POST /app/installations/{id}/access_tokens`, valid one hour), and App JWTs (RS256, signed by
the configured App key, `iss` = App id as int or string, not expired, at most 10 minutes long) — JWTs only on the
App endpoints, tokens only elsewhere, as on GitHub. Failures raise `ApiError(401, …)` with GitHub's messages.
Each principal has a core and a graphql budget; every counted call uses one and the `X-RateLimit-*` headers
report it.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .github_models import ApiError, Installation, User
from .github_state import GitHubState

DOCS = "https://docs.github.com/rest"
RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
MAX_JWT_SECONDS = 600
CLOCK_SKEW = 60


def generate_app_key_pair(bits: int = 2048) -> tuple[str, str]:
    """A fresh RSA key pair for a test App: (private key PEM, public key PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def bad_credentials() -> ApiError:
    return ApiError(401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"})


@dataclass
class Principal:
    """Who a request acts as."""

    kind: str  # "token" (personal), "installation", "app" (JWT) or "anonymous"
    key: str  # rate-limit bucket
    user: User | None = None
    installation: Installation | None = None


@dataclass
class _Bucket:
    limit: int
    reset: int
    used: dict[str, int] = field(default_factory=lambda: {"core": 0, "graphql": 0})


class AuthRegistry:
    """Credentials the fake accepts and the rate-limit budget of each principal."""

    def __init__(self, state: GitHubState, *, rate_limit: int = 5000) -> None:
        self.state = state
        self.rate_limit = rate_limit
        self._lock = threading.Lock()
        self.personal_tokens: dict[str, str] = {}  # token -> login
        self.installation_tokens: dict[str, tuple[int, datetime]] = {}  # token -> (installation id, expiry)
        self.app_public_key: str | None = None
        self._buckets: dict[str, _Bucket] = {}

    def add_token(self, token: str, login: str) -> None:
        with self._lock:
            self.personal_tokens[token] = login

    def configure_app(self, app_id: int, public_key_pem: str, *, slug: str | None = None) -> None:
        with self.state.lock:
            self.state.app_id = app_id
            if slug is not None:
                self.state.app_slug = slug
            for inst in self.state.installations.values():
                inst.app_id, inst.app_slug = app_id, self.state.app_slug
        self.app_public_key = public_key_pem

    def mint_installation_token(
        self, installation_id: int, lifetime: timedelta = timedelta(hours=1)
    ) -> tuple[str, str]:
        """A new `ghs_…` token for the installation: (token, expires_at as GitHub writes it)."""
        token = "ghs_" + secrets.token_urlsafe(27).replace("-", "A").replace("_", "B")[:36]
        expires = datetime.now(UTC) + lifetime
        with self._lock:
            self.installation_tokens[token] = (installation_id, expires)
        return token, expires.strftime("%Y-%m-%dT%H:%M:%SZ")

    def expire_installation_tokens(self) -> None:
        """Test helper: every installation token minted so far expires now."""
        with self._lock:
            past = datetime.now(UTC) - timedelta(seconds=1)
            self.installation_tokens = {t: (i, past) for t, (i, _) in self.installation_tokens.items()}

    def verify_jwt(self, token: str) -> None:
        """Raise 401 unless `token` is a valid App JWT for the configured App."""
        if self.app_public_key is None or self.state.app_id is None:
            raise ApiError(
                401, {"message": "A JSON web token could not be decoded", "documentation_url": DOCS, "status": "401"}
            )
        try:
            claims = jwt.decode(
                token,
                self.app_public_key,
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_iss": False},
            )
        except jwt.PyJWTError as exc:
            raise ApiError(
                401, {"message": "A JSON web token could not be decoded", "documentation_url": DOCS, "status": "401"}
            ) from exc
        current = int(time.time())
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int) or exp < current:
            raise ApiError(
                401,
                {
                    "message": "'Expiration time' claim ('exp') must be a numeric value representing "
                    "the future time at which the assertion expires",
                    "documentation_url": DOCS,
                    "status": "401",
                },
            )
        if not isinstance(iat, int) or iat > current + CLOCK_SKEW:
            raise ApiError(
                401,
                {
                    "message": "'Issued at' claim ('iat') must be an Integer representing the time "
                    "that the assertion was issued",
                    "documentation_url": DOCS,
                    "status": "401",
                },
            )
        if exp - iat > MAX_JWT_SECONDS + CLOCK_SKEW:
            raise ApiError(
                401,
                {
                    "message": "'Expiration time' claim ('exp') is too far in the future",
                    "documentation_url": DOCS,
                    "status": "401",
                },
            )
        if str(claims.get("iss")) != str(self.state.app_id):
            raise ApiError(401, {"message": "Integration not found", "documentation_url": DOCS, "status": "401"})

    def authenticate(self, header: str | None, *, wants_jwt: bool, client: str = "anonymous") -> Principal:
        """The principal behind an Authorization header (401 on unknown, expired or misplaced credentials)."""
        if not header:
            return Principal("anonymous", f"ip:{client}")
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() not in ("token", "bearer") or not credential:
            raise bad_credentials()
        if credential.count(".") == 2 and not credential.startswith(("ghs_", "ghp_")):
            if not wants_jwt:
                raise ApiError(401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"})
            self.verify_jwt(credential)
            return Principal("app", f"app:{self.state.app_id}", user=None)
        if wants_jwt:
            raise ApiError(
                401, {"message": "A JSON web token could not be decoded", "documentation_url": DOCS, "status": "401"}
            )
        with self._lock:
            login = self.personal_tokens.get(credential)
            installation = self.installation_tokens.get(credential)
        if login is not None:
            # GitHub Actions' GITHUB_TOKEN acts as the github-actions[bot] account, whose type is Bot
            kind = "Bot" if login.endswith("[bot]") else "User"
            return Principal("token", f"token:{credential}", user=self.state.user(login, kind))
        if installation is not None:
            installation_id, expires = installation
            inst = self.state.installations.get(installation_id)
            if expires <= datetime.now(UTC) or inst is None:
                raise bad_credentials()
            return Principal(
                "installation", f"installation:{installation_id}", user=self.state.bot_user(), installation=inst
            )
        raise bad_credentials()

    def _bucket(self, principal: Principal) -> _Bucket:
        now = int(time.time())
        bucket = self._buckets.get(principal.key)
        if bucket is None or bucket.reset <= now:
            limit = 60 if principal.kind == "anonymous" else self.rate_limit
            bucket = self._buckets[principal.key] = _Bucket(limit, now + 3600)
        return bucket

    def spend(self, principal: Principal, resource: str, *, count: bool = True) -> dict[str, str]:
        """Use one call of `resource` (unless `count` is False) and return the X-RateLimit-* headers.

        Raises 403 "API rate limit exceeded" when the budget is already gone."""
        with self._lock:
            bucket = self._bucket(principal)
            used = bucket.used.setdefault(resource, 0)
            exhausted = used >= bucket.limit
            if count and not exhausted:
                bucket.used[resource] = used = used + 1
            headers = {
                "X-RateLimit-Limit": str(bucket.limit),
                "X-RateLimit-Remaining": str(max(bucket.limit - used, 0)),
                "X-RateLimit-Reset": str(bucket.reset),
                "X-RateLimit-Used": str(used),
                "X-RateLimit-Resource": resource,
            }
        if count and exhausted:
            who = principal.user.id if principal.user else principal.key
            raise ApiError(
                403,
                {
                    "message": f"API rate limit exceeded for user ID {who}.",
                    "documentation_url": RATE_DOCS,
                    "status": "403",
                },
                headers,
            )
        return headers

    def usage(self, principal: Principal) -> tuple[int, dict[str, int], int]:
        """(limit, used per resource, reset epoch) of a principal, for `GET /rate_limit`."""
        with self._lock:
            bucket = self._bucket(principal)
            return bucket.limit, dict(bucket.used), bucket.reset

    def set_remaining(self, remaining: int, *, resource: str = "core") -> None:
        """Test helper: every principal seen so far has `remaining` calls of `resource` left in this window."""
        with self._lock:
            for bucket in self._buckets.values():
                bucket.used[resource] = bucket.limit - remaining
