"""Prompt templates ship with the package and are found by version."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.prompt_library import load_template

ROOT = Path(__file__).resolve().parents[1]


def test_the_default_prompt_version_loads_with_its_placeholders() -> None:
    template = load_template("review-v1")
    assert "$max_findings" in template.system and "$diff" in template.user


def test_an_unknown_version_names_the_key_and_the_known_versions() -> None:
    with pytest.raises(ConfigError, match=r"review\.prompt_version.*review-v1"):
        load_template("review-v999")


@pytest.mark.slow
def test_the_wheel_ships_the_prompts(tmp_path: Path) -> None:
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)], check=True
    )
    wheel = next(tmp_path.glob("review_arena-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "bot/_prompts/review-v1/system.md" in names
