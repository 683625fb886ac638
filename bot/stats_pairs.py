"""Head-to-head inputs out of SQL: paired wins, shared findings and the file cells of Cohen's κ. An adapter.

Everything here reads the temporary per-(contender, pull request) table that ``bot.stats_queries`` fills for
one report, and the comments through their (pull request, path) index.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, and_, case, func, insert, select
from sqlalchemy.sql import ColumnElement

from bot.core.head_to_head import FileCells, PairInput
from bot.storage_schema import Comment, Run

PER_PULL = Table(
    "stats_per_pull",
    MetaData(),
    Column("contender", String(40)),
    Column("pull", Integer),
    Column("comments", Integer),
    Column("accepted", Integer),
    Column("decided", Integer),
    prefixes=["TEMPORARY"],
)
# built after the rows are in, and on SQLite only: its joins probe it, PostgreSQL hashes instead
PER_PULL_INDEX = "CREATE INDEX ix_stats_per_pull ON stats_per_pull (pull, contender)"


PAIRED = Table("stats_paired", MetaData(), Column("pull", Integer, primary_key=True), prefixes=["TEMPORARY"])


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _paired_pulls(a: str, b: str) -> Any:
    """The pull requests both contenders reviewed."""
    pa, pb = PER_PULL.alias("pa"), PER_PULL.alias("pb")
    return select(pa.c.pull).join(pb, and_(pa.c.pull == pb.c.pull, pa.c.contender == a, pb.c.contender == b))


def _materialized(connection: Connection, paired: Any) -> Any:
    """On SQLite, the paired pull requests in a keyed temporary table, so later filters probe rather than join;
    PostgreSQL hashes the join itself, and filling a table would only cost time."""
    if connection.dialect.name != "sqlite":
        return paired
    fresh(connection, PAIRED)
    connection.execute(insert(PAIRED).from_select(["pull"], paired))
    return select(PAIRED.c.pull)


def pairs_input(
    connection: Connection,
    names: Sequence[str],
    *,
    comment_filter: Sequence[ColumnElement[bool]],
    run_filter: Sequence[ColumnElement[bool]] = (Run.status == "posted",),
) -> list[PairInput]:
    return [_pair(connection, a, b, comment_filter, run_filter) for a, b in combinations(sorted(names), 2)]


def _pair(
    connection: Connection,
    a: str,
    b: str,
    comment_filter: Sequence[ColumnElement[bool]],
    run_filter: Sequence[ColumnElement[bool]],
) -> PairInput:
    pa, pb = PER_PULL.alias("pa"), PER_PULL.alias("pb")
    outcome = select(
        _count(pa.c.accepted > pb.c.accepted),
        _count(pa.c.accepted == pb.c.accepted),
        _count(pa.c.accepted < pb.c.accepted),
        func.coalesce(func.sum(pa.c.comments), 0),
        func.coalesce(func.sum(pb.c.comments), 0),
        func.coalesce(func.sum(pa.c.accepted), 0),
        func.coalesce(func.sum(pb.c.accepted), 0),
    ).select_from(pa.join(pb, and_(pa.c.pull == pb.c.pull, pa.c.contender == a, pb.c.contender == b)))
    wins, ties, losses, ca, cb, aa, ab = (int(x) for x in connection.execute(outcome).one())
    paired = _materialized(connection, _paired_pulls(a, b))
    try:
        shared, both = _agreements(connection, a, b, paired, comment_filter)
        cells = _cells(connection, a, b, paired, comment_filter, run_filter)
    finally:
        PAIRED.drop(connection, checkfirst=True)
    return PairInput(a, b, wins, ties, losses, ca, cb, aa, ab, shared, both, cells)


def _agreements(
    connection: Connection, a: str, b: str, paired: Any, comment_filter: Sequence[ColumnElement[bool]]
) -> tuple[int, int]:
    """Agreement pairs between a and b on the paired pull requests whose two comments pass the filters, and
    those where both were accepted."""
    sides = (
        select(func.count().label("n"), _count(Comment.verdict == "accepted").label("acc"))
        .where(
            Comment.agreement_id.is_not(None),
            Comment.contender.in_((a, b)),
            # "+ 0" keeps SQLite from driving this by the (pull, path) index: the agreement index is far narrower
            (Comment.pull_request_id + 0).in_(paired),
            *comment_filter,
        )
        .group_by(Comment.agreement_id)
        .subquery()
    )
    query = select(_count(sides.c.n == 2), _count(and_(sides.c.n == 2, sides.c.acc == 2)))
    shared, both = connection.execute(query).one()
    return int(shared), int(both)


def _cells(
    connection: Connection,
    a: str,
    b: str,
    paired: Any,
    comment_filter: Sequence[ColumnElement[bool]],
    run_filter: Sequence[ColumnElement[bool]],
) -> FileCells:
    """Files of the paired pull requests by who commented on them, read in the (pull, path) index order; the
    files reviewed are the most either contender was shown in one of the filtered runs."""
    flags = (
        select(_count(Comment.contender == a).label("na"), _count(Comment.contender == b).label("nb"))
        .where(Comment.pull_request_id.in_(paired), Comment.contender.in_((a, b)), *comment_filter)
        .group_by(Comment.pull_request_id, Comment.path)
        .subquery()
    )
    counted = select(
        _count(and_(flags.c.na > 0, flags.c.nb > 0)),
        _count(and_(flags.c.na > 0, flags.c.nb == 0)),
        _count(and_(flags.c.na == 0, flags.c.nb > 0)),
    )
    both, only_a, only_b = (int(x) for x in _sorted_aggregate(connection, counted))
    files = (
        select(func.max(Run.files_reviewed).label("n"))
        .where(Run.pull_request_id.in_(paired), Run.contender.in_((a, b)), *run_filter)
        .group_by(Run.pull_request_id)
        .subquery()
    )
    total = int(connection.execute(select(func.coalesce(func.sum(files.c.n), 0))).scalar_one())
    return FileCells(both, only_a, only_b, max(0, total - both - only_a - only_b))


def _sorted_aggregate(connection: Connection, query: Any) -> Any:
    """Run ``query`` with PostgreSQL grouping in index order: hashing the (pull, path) groups spills to disk and
    takes twice as long as walking the (pull, path) index that already holds them in order."""
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.exec_driver_sql("SET LOCAL enable_hashagg = off")
    try:
        return connection.execute(query).one()
    finally:
        if postgres:
            connection.exec_driver_sql("SET LOCAL enable_hashagg = on")


def fresh(connection: Connection, table: Table) -> None:
    """Create a temporary table, replacing one a failed report may have left on this pooled connection."""
    table.drop(connection, checkfirst=True)
    table.create(connection)


def vectors(connection: Connection, names: Sequence[str]) -> dict[tuple[int, ...], int]:
    """Pull requests every contender reviewed, counted by their accepted comments per contender."""
    p = PER_PULL.c
    per = (
        select(
            *(func.sum(case((p.contender == n, p.accepted), else_=0)).label(f"c{i}") for i, n in enumerate(names)),
            func.count().label("k"),
        )
        .group_by(p.pull)
        .subquery()
    )
    columns = [per.c[f"c{i}"] for i in range(len(names))]
    query = select(*columns, func.count()).where(per.c.k == len(names)).group_by(*columns)
    return {tuple(int(v) for v in row[:-1]): int(row[-1]) for row in connection.execute(query)}
