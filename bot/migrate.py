"""Applies the Alembic migrations shipped in ``bot/migrations`` to a database URL."""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


HEAD = "0005"  # the newest revision in bot/migrations (a test keeps the two equal)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


_ALEMBIC = threading.Lock()  # alembic keeps its migration context in module globals: one run at a time


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate ``url``. For a SQLite file, a lock file next to it serialises processes (prefork workers, ``up``)."""
    from alembic import command

    with _ALEMBIC, _file_lock(url):
        command.upgrade(alembic_config(url), revision)


def ensure_current(url: str) -> None:
    """Migrate ``url`` unless it is already at :data:`HEAD`: one query, where importing Alembic costs 0.2 s."""
    from sqlalchemy import create_engine, exc, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except exc.SQLAlchemyError:
        found = None
    finally:
        engine.dispose()
    if found != HEAD:
        upgrade(url)


@contextlib.contextmanager
def _file_lock(url: str) -> Iterator[None]:
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    return head or ""
