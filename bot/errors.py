"""The one exception tree of Review Arena.

``Transient`` marks failures that are worth retrying (a worker retries them with backoff); everything else is
final and is reported, never retried.
"""


class ReviewArenaError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(ReviewArenaError):
    """A configuration file or environment value is invalid; the message names the key (and line)."""


class DiffError(ReviewArenaError):
    """A diff could not be parsed."""


class ModelError(ReviewArenaError):
    """A contender's model call failed for good (bad key, unknown model, garbage reply)."""

    def __init__(self, message: str, *, contender: str, kind: str) -> None:
        super().__init__(message)
        self.contender = contender
        self.kind = kind


class GitHubError(ReviewArenaError):
    """GitHub refused a request for good (404, 422 that cannot be repaired, 401 after refresh)."""


class WebhookError(ReviewArenaError):
    """A webhook delivery was refused; ``status`` is the HTTP status to answer with (400, 401 or 413)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class Transient(ReviewArenaError):
    """A failure that may pass: 429, 5xx, timeouts, an unreachable broker. Retried with backoff."""


class TransientModelError(Transient):
    """A model call failed in a way that may pass on retry."""


class TransientGitHubError(Transient):
    """GitHub answered 5xx or a rate limit; retry later."""
