"""Loads versioned prompt templates from disk: the wheel's ``bot/_prompts`` or the source tree's ``prompts/``."""

from __future__ import annotations

from pathlib import Path

from bot.core.prompts import PromptTemplate
from bot.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent


def prompt_dirs() -> tuple[Path, ...]:
    return (_PACKAGE / "_prompts", _PACKAGE.parent / "prompts")


def load_template(version: str) -> PromptTemplate:
    for root in prompt_dirs():
        folder = root / version
        if (folder / "system.md").is_file() and (folder / "user.md").is_file():
            return PromptTemplate(
                version=version,
                system=(folder / "system.md").read_text(encoding="utf-8"),
                user=(folder / "user.md").read_text(encoding="utf-8"),
            )
    known = sorted({p.name for root in prompt_dirs() if root.is_dir() for p in root.iterdir() if p.is_dir()})
    raise ConfigError(f"key 'review.prompt_version': no prompt {version!r}; known versions: {known}")
