"""The SQL database adapter: SQLite write transactions queue on one lock per engine (PostgreSQL's do not), and
the insert-or-ignore statements are made once."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.database import SqlAdapter, ignoring_duplicates, make_engine, write_gate
from bot.storage_schema import Comment, Run
from tests.databases import fresh_postgres_database


def _second_writer_waits(first: SqlAdapter, second: SqlAdapter) -> bool:
    """True when ``second``'s write transaction could not start while ``first``'s was open."""
    entered = threading.Event()

    def write() -> None:
        with second._begin():
            entered.set()

    with first._begin():
        thread = threading.Thread(target=write)
        thread.start()
        waited = not entered.wait(0.3)
    thread.join(5)
    assert entered.is_set(), "the second writer never ran"
    return waited


def test_sqlite_writers_of_one_engine_queue_in_the_process(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    assert _second_writer_waits(SqlAdapter(engine), SqlAdapter(engine))


def test_the_gate_belongs_to_the_engine_so_every_store_on_it_shares_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    assert write_gate(engine) is write_gate(engine)
    assert write_gate(engine) is not write_gate(other)


def test_one_thread_may_nest_write_transactions_without_deadlock(tmp_path: Path) -> None:
    gate = write_gate(make_engine(f"sqlite:///{tmp_path / 'gate.db'}"))
    with gate, gate:
        pass


def test_postgresql_writers_do_not_queue_in_the_process() -> None:
    with fresh_postgres_database() as url:
        engine = make_engine(url)
        try:
            assert not _second_writer_waits(SqlAdapter(engine), SqlAdapter(engine))
        finally:
            engine.dispose()


def test_insert_ignoring_duplicates_is_made_once_per_table_and_dialect(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'made.db'}")
    with engine.connect() as connection:
        assert ignoring_duplicates(connection, Run) is ignoring_duplicates(connection, Run)
        assert ignoring_duplicates(connection, Run) is not ignoring_duplicates(connection, Comment)
    engine.dispose()
