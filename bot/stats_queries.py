"""Reads the statistics' inputs out of SQL: the database aggregates, Python only sees small tables. An adapter.

Each posted run carries its line comments counted by verdict (kept by every reclassification), so the usual
report reads the runs alone. A filter on the comments themselves (severity, category, language) counts them
instead, run by run in index order, into a temporary table of the same shape. Per-contender totals, latency
percentiles, and the bootstrap's clusters are GROUP BYs over that source; the head-to-head figures are in
``bot.stats_pairs``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.sql import ColumnElement, FromClause, Select

from bot.core.estimates import percentile
from bot.core.stats import ContenderInput, ContenderStats, Tally
from bot.core.stats_report import StatsInput, StatsReport, build_report, every_contender
from bot.stats_pairs import PER_PULL, PER_PULL_INDEX, fresh, pairs_input, vectors
from bot.storage_schema import Comment, PullRequest, Repository, Run

BREAKDOWNS = ("repo", "contender", "severity", "category", "language", "prompt_version", "model")
DECIDED = ("accepted", "addressed", "rejected", "ignored")
TOKENS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens")
COUNTS = (*(f"n_{v}" for v in (*DECIDED, "pending")), "n_shared_accepted", "n_shared_decided")
_FILTERED_RUNS = Table(
    "stats_filtered_runs",
    MetaData(),
    Column("contender", String(40)),
    Column("pull", Integer),
    Column("position", Integer),
    Column("latency", Float),
    Column("model", String(200)),
    *(Column(name, Integer) for name in (*TOKENS, *COUNTS)),
    Column("usd", Float),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True, slots=True)
class StatsFilter:
    repo: str | None = None  # owner/name
    since: datetime | None = None
    until: datetime | None = None
    contender: str | None = None
    severity: str | None = None
    category: str | None = None
    language: str | None = None
    prompt_version: str | None = None
    model: str | None = None

    def described(self) -> dict[str, str]:
        return {f.name: str(v) for f in fields(self) if (v := getattr(self, f.name)) is not None}

    @property
    def on_comments(self) -> bool:
        return any(v is not None for v in (self.severity, self.category, self.language))


def run_conditions(f: StatsFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [Run.status == "posted"]
    if f.repo is not None:
        owner, _, name = f.repo.partition("/")
        repo_ids = select(Repository.id).where(Repository.owner == owner, Repository.name == name)
        found.append(Run.pull_request_id.in_(select(PullRequest.id).where(PullRequest.repository_id.in_(repo_ids))))
    if f.since is not None:
        found.append(Run.created_at >= f.since)
    if f.until is not None:
        found.append(Run.created_at < f.until)
    for column, value in ((Run.contender, f.contender), (Run.prompt_version, f.prompt_version)):
        if value is not None:
            found.append(column == value)
    if f.model is not None:
        found.append(func.coalesce(Run.model, Run.requested_model) == f.model)
    return found


def comment_conditions(f: StatsFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [Comment.placement != "body"]
    for column, value in (
        (Comment.severity, f.severity),
        (Comment.category, f.category),
        (Comment.language, f.language),
    ):
        if value is not None:
            found.append(column == value)
    return found


def paired_comments(f: StatsFilter) -> list[ColumnElement[bool]]:
    """The comments the head-to-head figures read: those of the filtered runs. A filter on time, prompt or model
    can keep some of a pull request's runs (heads) and not others; the paired figures must not count the rest."""
    if all(v is None for v in (f.since, f.until, f.prompt_version, f.model)):
        return comment_conditions(f)
    return [*comment_conditions(f), Comment.run_pk.in_(select(Run.id).where(*run_conditions(f)))]


def count_where(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _run_columns(counts: list[Any]) -> list[Any]:
    return [
        Run.contender.label("contender"),
        Run.pull_request_id.label("pull"),
        Run.position.label("position"),
        Run.latency_s.label("latency"),
        func.coalesce(Run.model, Run.requested_model).label("model"),
        *(Run.__table__.c[name].label(name) for name in TOKENS),
        *counts,
        Run.cost_usd.label("usd"),
    ]


def runs_source(connection: Connection, f: StatsFilter) -> FromClause:
    """The filtered runs with their comment counts: the runs table itself, or counted into a temporary table."""
    if not f.on_comments:
        counts = [Run.__table__.c[name].label(name) for name in COUNTS]
        return select(*_run_columns(counts)).where(*run_conditions(f)).subquery("source")
    shared = Comment.agreement_id.is_not(None)
    counts = [
        *(count_where(Comment.verdict == v).label(f"n_{v}") for v in (*DECIDED, "pending")),
        count_where(and_(shared, Comment.verdict == "accepted")).label("n_shared_accepted"),
        count_where(and_(shared, Comment.verdict.in_(DECIDED))).label("n_shared_decided"),
    ]
    joined = Run.__table__.outerjoin(Comment, and_(Comment.run_pk == Run.id, *comment_conditions(f)))
    rows = select(*_run_columns(counts)).select_from(joined).where(*run_conditions(f)).group_by(Run.id)
    fresh(connection, _FILTERED_RUNS)
    connection.execute(insert(_FILTERED_RUNS).from_select([c.name for c in _FILTERED_RUNS.c], rows))
    return _FILTERED_RUNS


def fill_per_pull(connection: Connection, source: FromClause) -> None:
    """One row per (contender, pull request): a pull request reviewed at several heads adds its runs up."""
    r = source.c
    decided = r.n_accepted + r.n_addressed + r.n_rejected + r.n_ignored
    per_pull = select(
        r.contender, r.pull, func.sum(decided + r.n_pending), func.sum(r.n_accepted), func.sum(decided)
    ).group_by(r.contender, r.pull)
    fresh(connection, PER_PULL)
    connection.execute(insert(PER_PULL).from_select(["contender", "pull", "comments", "accepted", "decided"], per_pull))
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(PER_PULL_INDEX)
    analyze_temporary(connection, PER_PULL)


def analyze_temporary(connection: Connection, table: Table) -> None:
    """PostgreSQL's autovacuum never analyzes temporary tables: without statistics it plans joins on them badly."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {table.name}")


@dataclass
class _Totals:
    first: Tally = field(default_factory=Tally)
    later: Tally = field(default_factory=Tally)
    shared_accepted: int = 0
    shared_decided: int = 0
    tokens: list[int] = field(default_factory=lambda: [0] * len(TOKENS))
    usd: float = 0.0
    models: set[str] = field(default_factory=set)


def _totals(connection: Connection, source: FromClause) -> dict[str, _Totals]:
    """Per contender, in one pass over the runs: tallies by posting position, shared counts, tokens, dollars,
    model strings."""
    r = source.c
    first = r.position == 0
    query = select(
        r.contender,
        r.model,
        first,
        *(func.sum(r[name]) for name in (*COUNTS, *TOKENS)),
        func.sum(r.usd),
    ).group_by(r.model, first, r.contender)  # not led by contender: SQLite would walk that index, row by row
    found: dict[str, _Totals] = {}
    for contender, model, is_first, *values in connection.execute(query):
        n = [int(v or 0) for v in values[:-1]]
        t = found.setdefault(contender, _Totals())
        tally = Tally(*n[:5])
        if is_first:
            t.first = t.first + tally
        else:
            t.later = t.later + tally
        t.shared_accepted += n[5]
        t.shared_decided += n[6]
        t.tokens = [a + b for a, b in zip(t.tokens, n[7:], strict=True)]
        t.usd += float(values[-1] or 0.0)
        t.models.add(str(model))
    return found


def _latencies(connection: Connection, source: FromClause, contender: str) -> tuple[float | None, float | None]:
    """Median and 90th percentile of the contender's review latencies."""
    query = select(source.c.latency).where(source.c.contender == contender)
    values = sorted(float(v) for (v,) in connection.execute(query))
    return percentile(values, 0.5), percentile(values, 0.9)


def _pull_counts(connection: Connection) -> dict[str, int]:
    p = PER_PULL.c
    return {c: int(n) for c, n in connection.execute(select(p.contender, func.count()).group_by(p.contender))}


def _clusters(connection: Connection) -> dict[str, dict[tuple[int, int], int]]:
    p = PER_PULL.c
    query = select(p.contender, p.accepted, p.decided, func.count()).group_by(p.contender, p.accepted, p.decided)
    found: dict[str, dict[tuple[int, int], int]] = {}
    for contender, accepted, decided, count in connection.execute(query):
        found.setdefault(contender, {})[(int(accepted), int(decided))] = int(count)
    return found


def contenders_input(connection: Connection, source: FromClause) -> list[ContenderInput]:
    totals, clusters, prs = _totals(connection, source), _clusters(connection), _pull_counts(connection)
    found = []
    for name, t in sorted(totals.items()):
        every = t.first + t.later
        p50, p90 = _latencies(connection, source, name)
        found.append(
            ContenderInput(
                contender=name,
                prs=prs.get(name, 0),
                tally=every,
                unique_accepted=every.accepted - t.shared_accepted,
                unique_decided=every.decided - t.shared_decided,
                first=t.first,
                later=t.later,
                models=tuple(sorted(t.models)),
                latency_p50_s=p50,
                latency_p90_s=p90,
                tokens=dict(zip(("input", "cached_input", "output", "reasoning"), t.tokens, strict=True)),
                usd=t.usd,
                clusters=clusters.get(name, {}),
            )
        )
    return found


def report_for(engine: Engine, f: StatsFilter, *, seed: int) -> StatsReport:
    """Load and compute one report. The per-contender bootstrap (pure Python) runs in a second thread while the
    database answers the head-to-head queries: the driver releases the GIL while it waits, so both cores work."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        started: list[Future[tuple[ContenderStats, ...]]] = []
        data = load_input(engine, f, early=lambda found: started.append(pool.submit(every_contender, found, seed=seed)))
        precomputed = started[0].result() if started else None
    return build_report(data, seed=seed, filters=f.described(), contenders=precomputed)


def load_input(
    engine: Engine, f: StatsFilter, *, early: Callable[[list[ContenderInput]], None] | None = None
) -> StatsInput:
    """The report's inputs; ``early`` receives the per-contender inputs as soon as they are known."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # the per-pull-request aggregates hash a few hundred thousand groups: keep them in memory
            connection.exec_driver_sql("SET LOCAL work_mem = '128MB'")
        source = runs_source(connection, f)
        fill_per_pull(connection, source)
        try:
            contenders = contenders_input(connection, source)
            if early is not None:
                early(contenders)
            names = [c.contender for c in contenders]
            pairs = pairs_input(connection, names, comment_filter=paired_comments(f), run_filter=run_conditions(f))
            found = vectors(connection, names) if len(names) >= 3 else {}
        finally:
            PER_PULL.drop(connection)
            if f.on_comments:
                _FILTERED_RUNS.drop(connection)
    return StatsInput(contenders=contenders, pairs=pairs, vectors=found)


def breakdown_values(engine: Engine, f: StatsFilter, by: str) -> list[str]:
    """The values a breakdown splits on, among the filtered runs' line comments."""
    column: Any = {
        "repo": Repository.owner + literal("/") + Repository.name,
        "contender": Run.contender,
        "severity": Comment.severity,
        "category": Comment.category,
        "language": Comment.language,
        "prompt_version": Run.prompt_version,
        "model": func.coalesce(Run.model, Run.requested_model),
    }[by]
    query: Select[Any] = select(column).distinct().select_from(Comment).join(Run, Comment.run_pk == Run.id)
    query = query.where(*run_conditions(f), *comment_conditions(f))
    if by == "repo":
        query = query.join(PullRequest, Run.pull_request_id == PullRequest.id).join(
            Repository, PullRequest.repository_id == Repository.id
        )
    with engine.connect() as connection:
        return sorted(str(v) for (v,) in connection.execute(query) if v is not None)
