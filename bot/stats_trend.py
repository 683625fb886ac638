"""Reads acceptance over time out of SQL: accepted and decided comments per contender and day (UTC), under the
same filters as the report. An adapter; the weeks are bucketed by ``bot.core.trend``.

Without a comment filter the runs' own verdict counts are summed; with one (severity, category, language) the
matching line comments are counted instead, as ``bot.stats_queries`` does for the report.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Date, Engine, and_, cast, func, select
from sqlalchemy.sql import Select

from bot.core.trend import DayTally, WeekTally, weekly
from bot.stats_queries import DECIDED, StatsFilter, comment_conditions, count_where, run_conditions
from bot.storage_schema import Comment, Run


def _day(connection: Connection) -> Any:
    """The run's UTC day: SQLite keeps UTC wall-clock text, PostgreSQL a timestamptz read in its session zone."""
    if connection.dialect.name == "postgresql":
        return cast(func.timezone("UTC", Run.created_at), Date)
    return func.date(Run.created_at)


def _daily(connection: Connection, f: StatsFilter) -> Select[Any]:
    day = _day(connection).label("day")
    if not f.on_comments:
        decided = Run.n_accepted + Run.n_addressed + Run.n_rejected + Run.n_ignored
        counts = (func.sum(Run.n_accepted), func.sum(decided))
        return select(Run.contender, day, *counts).where(*run_conditions(f)).group_by(Run.contender, day)
    joined = Run.__table__.join(Comment, and_(Comment.run_pk == Run.id, *comment_conditions(f)))
    counts = (count_where(Comment.verdict == "accepted"), count_where(Comment.verdict.in_(DECIDED)))
    query = select(Run.contender, day, *counts).select_from(joined).where(*run_conditions(f))
    return query.group_by(Run.contender, day)


def load_trend(engine: Engine, f: StatsFilter) -> tuple[WeekTally, ...]:
    with engine.connect() as connection:
        rows = connection.execute(_daily(connection, f)).all()
    days = (DayTally(str(c), _as_date(d), int(a or 0), int(n or 0)) for c, d, a, n in rows)
    return weekly(days)


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
