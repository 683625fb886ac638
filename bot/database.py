"""The SQL database itself: engines for SQLite and PostgreSQL, the session base every store builds on, portable
insert-or-ignore, and the planner maintenance SQLite needs. An adapter; the stores (``bot.storage``,
``bot.acceptance_store``, ``bot.harvest_store``) and the statistics queries use it.

SQLite is the embedded default and runs in WAL mode with a busy timeout, so the receiver and the workers can
share one file; PostgreSQL comes from ``DATABASE_URL``.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Insert, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from bot.storage_schema import Base

DEFAULT_DATABASE_URL = "sqlite:///review-arena.db"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys on every connection."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        # a file cannot drop the connection: no pre-ping round trip per checkout; writers queue on the write gate
        # holding a connection, so the pool must leave enough for the readers
        engine = create_engine(url, pool_size=10, max_overflow=150) if ":memory:" not in url else create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # a worker runs dozens of reviews in threads, each touching the store now and then: size the pool for that
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=90)


_GATES: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_GATES_LOCK = threading.Lock()


def write_gate(engine: Engine) -> AbstractContextManager[object]:
    """What a write transaction on ``engine`` holds: one lock per SQLite engine, nothing for PostgreSQL.

    SQLite has one writer. Without the lock, the threads of a worker that write at once meet on SQLite's lock,
    and its busy handler makes the losers sleep in steps of up to 100 ms, however soon the lock frees; the
    lock queues them in the process instead, each woken as soon as the writer before it commits. Reads (WAL)
    do not take it. Writers in other processes still meet on SQLite's lock and its busy timeout.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _GATES_LOCK:
        gate = _GATES.get(engine)
        if gate is None:
            gate = _GATES[engine] = threading.RLock()
        return gate


def maintain(engine: Engine) -> str:
    """Keep the query planner's statistics fresh. SQLite has no autovacuum: without ``ANALYZE`` it plans the
    statistics' aggregations by guesswork (about 1.5 x slower on a million comments); ``PRAGMA optimize`` then
    re-analyzes only what changed. PostgreSQL's autovacuum does this itself."""
    if engine.dialect.name != "sqlite":
        return "nothing to do: autovacuum keeps PostgreSQL's statistics"
    with engine.connect() as connection:
        analyzed = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
        connection.exec_driver_sql("PRAGMA optimize" if analyzed else "ANALYZE")
        connection.commit()
    return "optimized" if analyzed else "analyzed"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # reads through a memory map and a 64 MiB page cache: the statistics scan a million-comment file in one go
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


class SqlAdapter:
    """An engine, a clock and one write transaction per ``_session()`` or ``_begin()``, behind the engine's
    ``write_gate``: what every SQL store here starts from."""

    def __init__(self, engine: Engine, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._now = now
        self._gate = write_gate(engine)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions() as session:
            session.connection()  # from the pool before the gate: its holder must not wait for a connection
            with self._gate:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()  # inside the gate: a failed write lets go of SQLite's lock first
                    raise

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        # the connection from the pool before the gate, as above
        with self.engine.connect() as connection, self._gate, connection.begin():
            yield connection


@functools.lru_cache(maxsize=64)
def _ignoring(dialect: str, table: type[Base]) -> Insert:
    made = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    return made.on_conflict_do_nothing()


def ignoring_duplicates(s: Session | Connection, table: type[Base]) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``table`` in the dialect of the session or connection (SQLite and
    PostgreSQL both have it), made once: execute it with the rows as parameters, and its compiled form is
    cached (a statement with the rows in it is compiled again on every call)."""
    bind = s.get_bind() if isinstance(s, Session) else s
    return _ignoring(bind.dialect.name, table)


def insert_ignoring_duplicates(s: Session | Connection, table: type[Base], rows: list[dict[str, Any]]) -> Any:
    """The same with ``rows`` in the statement, for a multi-row ``RETURNING`` through an ORM session."""
    return ignoring_duplicates(s, table).values(rows)
