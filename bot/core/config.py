"""The configuration schema, shared by the server-level file and the per-repo file. Pure: text in, models out.

One YAML schema serves both levels. The server level defines contenders (with base URLs, key variables and
prices); a repository's ``.github/review-arena.yml`` may only choose among them and tune the review, never set
URLs, keys or prices. Errors name the key and, where YAML gives one, the line.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import ConfigError

Dialect = Literal["deepseek", "openai", "openai-compatible"]
NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,39}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pricing(_Strict):
    """USD per one million tokens. Reasoning tokens are billed as output."""

    input: float = Field(0.0, ge=0)
    cached_input: float = Field(0.0, ge=0)
    output: float = Field(0.0, ge=0)


class ContenderConfig(_Strict):
    name: str = Field(pattern=NAME_PATTERN, description="Stable id used in statistics and markers.")
    label: str = Field(min_length=1, max_length=60, description="Shown on every posted comment.")
    dialect: Dialect
    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    thinking: bool | None = Field(None, description="deepseek: switch thinking mode on or off.")
    reasoning_effort: str | None = None
    max_output_tokens: int = Field(16000, ge=256)
    request_timeout_s: float = Field(300.0, gt=0, description="Per HTTP request.")
    deadline_s: float = Field(900.0, gt=0, description="Whole review by this contender, retries included.")
    max_retries: int = Field(3, ge=0, le=10)
    pricing: Pricing = Pricing()


class ReviewConfig(_Strict):
    prompt_version: str = Field("review-v1", pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    max_findings: int = Field(10, ge=1, le=50)
    nits: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    skip_lockfiles: bool = True
    skip_generated: bool = True
    skip_vendored: bool = True
    skip_deletions_only: bool = True
    max_chunk_tokens: int = Field(24000, ge=500)
    max_chunks: int = Field(8, ge=1, le=64)
    snap_distance: int = Field(3, ge=0, le=20)
    parallel_chunks: int = Field(4, ge=1, le=32, description="Model calls in flight per contender.")


class AcceptanceConfig(_Strict):
    """Who counts as a maintainer, and how long signals are collected (see the README's acceptance rules)."""

    trusted_associations: tuple[str, ...] = Field(
        ("OWNER", "MEMBER", "COLLABORATOR"), min_length=1, description="Author associations whose signals count."
    )
    count_pr_author: bool = Field(False, description="Count the pull request author's own reactions and replies.")
    ignore_after_days: float = Field(7.0, ge=0, description="After close, a comment with no signal is 'ignored'.")
    poll_stop_after_days: float = Field(14.0, ge=0, description="Stop polling reactions this long after close.")
    bot_logins: tuple[str, ...] = Field(
        (), description="The bot accounts that post reviews (e.g. 'my-arena[bot]'); empty: any bot account."
    )

    @model_validator(mode="after")
    def _poll_outlasts_window(self) -> AcceptanceConfig:
        if self.poll_stop_after_days < self.ignore_after_days:
            raise ValueError("poll_stop_after_days must be at least ignore_after_days, or late signals are missed")
        return self


class Settings(_Strict):
    """The server-level (or CLI) configuration."""

    contenders: tuple[ContenderConfig, ...] = ()
    enabled: tuple[str, ...] = Field((), description="Contender names to run; empty means all.")
    review: ReviewConfig = ReviewConfig()
    drafts: bool = Field(False, description="Review draft pull requests too.")
    review_on: tuple[Literal["opened", "reopened", "ready_for_review", "synchronize", "edited"], ...] = Field(
        ("opened", "reopened", "ready_for_review", "synchronize"),
        description="The pull_request actions that start a review (server level).",
    )
    acceptance: AcceptanceConfig = AcceptanceConfig()

    @model_validator(mode="after")
    def _names_are_known(self) -> Settings:
        names = [c.name for c in self.contenders]
        if len(set(names)) != len(names):
            raise ValueError(f"contender names repeat: {names}")
        unknown = [n for n in self.enabled if n not in names]
        if unknown:
            raise ValueError(f"enabled names unknown contenders {unknown}; known: {names}")
        return self

    def active(self) -> tuple[ContenderConfig, ...]:
        if not self.enabled:
            return self.contenders
        return tuple(c for c in self.contenders if c.name in self.enabled)


class RepoConfig(_Strict):
    """``.github/review-arena.yml``: chooses contenders and tunes the review; cannot add endpoints or keys."""

    enabled: tuple[str, ...] = ()
    review: dict[str, Any] = Field(default_factory=dict)
    drafts: bool = False

    @field_validator("review")
    @classmethod
    def _review_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        """Check the keys and values, and keep the values in ReviewConfig's types: merging does not validate."""
        return ReviewConfig.model_validate(value).model_dump(include=set(value))


def parse_yaml(text: str, *, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping, not {type(data).__name__}")
    return data


def settings_from(data: dict[str, Any], *, source: str, text: str = "") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, source=source, text=text)) from None


def repo_config_from(data: dict[str, Any], *, source: str, text: str = "") -> RepoConfig:
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, source=source, text=text)) from None


def merge_repo(settings: Settings, repo: RepoConfig, *, source: str) -> Settings:
    """Apply a repository's choices on top of the server settings."""
    names = {c.name for c in settings.contenders}
    unknown = [n for n in repo.enabled if n not in names]
    if unknown:
        raise ConfigError(f"{source}: key 'enabled' names unknown contenders {unknown}; known: {sorted(names)}")
    review = settings.review.model_copy(update=repo.review)
    update = {"enabled": repo.enabled or settings.enabled, "review": review, "drafts": repo.drafts or settings.drafts}
    return settings.model_copy(update=update)


def describe_errors(exc: ValidationError, *, source: str, text: str) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        line = _line_of(text, err["loc"])
        where = f" (line {line})" if line else ""
        lines.append(f"{source}: key '{key}'{where}: {err['msg']}")
    return "\n".join(lines)


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest named key of ``loc`` in ``text``, found with YAML's own node marks."""
    if not text:
        return None
    try:
        node: Any = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        node, found = _child(node, part)
        if node is None:
            break
        line = found
    return line


def _child(node: Any, part: Any) -> tuple[Any, int | None]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return value, key.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item, item.start_mark.line + 1
    return None, None
