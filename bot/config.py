"""Reads configuration once, at the edge: the server-level YAML file and the environment.

Roots call :func:`load` with ``os.environ`` (or a test's mapping) and pass the result down; nothing else in the
project reads the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.core.config import ContenderConfig, Settings, parse_yaml, settings_from
from bot.core.defaults import DEFAULT_SETTINGS
from bot.errors import ConfigError

CONFIG_ENV = "REVIEW_ARENA_CONFIG"


def load(environ: Mapping[str, str], *, path: str | None = None) -> Settings:
    """The settings from ``path`` (or ``$REVIEW_ARENA_CONFIG``), on top of the built-in contenders."""
    chosen = path or environ.get(CONFIG_ENV)
    if not chosen:
        return settings_from(DEFAULT_SETTINGS, source="built-in defaults")
    file = Path(chosen)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {chosen}: {exc.strerror or exc}") from None
    data = parse_yaml(text, source=chosen)
    merged = {**DEFAULT_SETTINGS, **data}
    return settings_from(merged, source=chosen, text=text)


def select_contenders(settings: Settings, names: str | None) -> Settings:
    """Narrow to a comma-separated list of contender names (the CLI's ``--contenders``)."""
    if not names:
        return settings
    wanted = tuple(n.strip() for n in names.split(",") if n.strip())
    known = [c.name for c in settings.contenders]
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ConfigError(f"--contenders names unknown contenders {unknown}; known: {known}")
    return settings.model_copy(update={"enabled": wanted})


def missing_keys(contenders: tuple[ContenderConfig, ...], environ: Mapping[str, str]) -> list[str]:
    """One message per contender whose API key variable is unset or empty."""
    return [
        f"contender '{c.name}' needs its API key in the environment variable {c.api_key_env}"
        for c in contenders
        if not environ.get(c.api_key_env)
    ]
