"""Shared fixtures: the fake model server on a real socket, config files pointing at it, the shared data, and a
migrated database on SQLite and on PostgreSQL (``engine``, parametrised over both)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from bot.database import make_engine
from bot.migrate import upgrade
from tests.databases import fresh_postgres_database
from tests.fakes.openai_server import FakeModelServer

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DIFFS = SHARED_DATA / "diffs"
WEBHOOKS = SHARED_DATA / "webhooks" / "payload-examples"
TEST_KEY = "test-key"


def pytest_configure(config: pytest.Config) -> None:
    if not SHARED_DATA.is_dir():
        raise pytest.UsageError(f"the shared reference data is missing: {SHARED_DATA}")


@pytest.fixture
def model_server() -> Iterator[FakeModelServer]:
    with FakeModelServer(api_key=TEST_KEY) as server:
        yield server


def contenders_for(base_url: str, **overrides: dict[str, object]) -> list[dict[str, object]]:
    """The two default contenders, pointed at the fake server, with list prices."""
    deepseek: dict[str, object] = {
        "name": "deepseek",
        "label": "DeepSeek V4 Pro",
        "dialect": "deepseek",
        "model": "deepseek-v4-pro",
        "base_url": base_url,
        "api_key_env": "DEEPSEEK_API_KEY",
        "thinking": True,
        "max_retries": 2,
        "pricing": {"input": 0.435, "cached_input": 0.003625, "output": 0.87},
    }
    openai: dict[str, object] = {
        "name": "openai",
        "label": "OpenAI GPT-5.6 Sol",
        "dialect": "openai",
        "model": "gpt-5.6-sol",
        "base_url": base_url,
        "api_key_env": "OPENAI_API_KEY",
        "reasoning_effort": "medium",
        "max_retries": 2,
        "pricing": {"input": 5.0, "cached_input": 0.5, "output": 30.0},
    }
    deepseek.update(overrides.get("deepseek", {}))
    openai.update(overrides.get("openai", {}))
    return [deepseek, openai]


@pytest.fixture
def config_file(tmp_path: Path, model_server: FakeModelServer) -> Path:
    path = tmp_path / "review-arena.yml"
    path.write_text(yaml.safe_dump({"contenders": contenders_for(model_server.base_url)}), encoding="utf-8")
    return path


@pytest.fixture
def model_env() -> dict[str, str]:
    return {"DEEPSEEK_API_KEY": TEST_KEY, "OPENAI_API_KEY": TEST_KEY}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'arena.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
