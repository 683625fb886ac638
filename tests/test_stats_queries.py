"""The statistics' SQL aggregation on SQLite and PostgreSQL: a small database where every number is counted by
hand, each filter on it, and a generated database of ~5,000 comments recounted in plain Python from its rows."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.orm import Session

from bench.stats_data import generate
from bot.core.estimates import percentile
from bot.core.head_to_head import FileCells, PairInput
from bot.core.stats import ContenderInput, Tally
from bot.core.stats_report import StatsInput, build_report
from bot.database import make_engine
from bot.migrate import upgrade
from bot.run_statements import recount_runs
from bot.stats_pairs import PER_PULL
from bot.stats_queries import DECIDED, StatsFilter, load_input
from bot.storage_schema import Agreement, Comment, PullRequest, Repository, Run
from tests.databases import fresh_postgres_database

JAN, FEB, FEB_10, MAR = (datetime(2026, m, d, tzinfo=UTC) for m, d in ((1, 1), (2, 1), (2, 10), (3, 1)))
TOKENS = {"input": 1000, "cached_input": 100, "output": 200, "reasoning": 50}


def _database_url(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'stats.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


def _engine(url: str) -> Iterator[Engine]:
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    for url in _database_url(request.param, tmp_path):
        yield from _engine(url)


# The hand-built database. Three pull requests (1 and 2 in acme/one, 3 in acme/two); pull request 2 was
# reviewed at two heads; openai's run on pull request 3 failed. Runs: (id, pull, head, contender, position,
# created, latency, model, requested model, prompt version, files reviewed, cost, status).
RUNS = [
    (1, 1, "a", "deepseek", 0, JAN, 10.0, "ds-v4", "ds", "v1", 4, 0.125, "posted"),
    (2, 1, "a", "openai", 1, JAN, 30.0, None, "gpt-req", "v1", 5, 0.25, "posted"),
    (3, 2, "a", "deepseek", 1, FEB, 20.0, "ds-v4", "ds", "v1", 3, 0.125, "posted"),
    (4, 2, "a", "openai", 0, FEB, 40.0, "gpt-5", "gpt-req", "v1", 3, 0.25, "posted"),
    (5, 2, "b", "deepseek", 0, FEB_10, 60.0, "ds-v4", "ds", "v1", 6, 0.125, "posted"),
    (6, 2, "b", "openai", 1, FEB_10, 80.0, "gpt-5", "gpt-req", "v1", 2, 0.25, "posted"),
    (7, 3, "a", "deepseek", 0, MAR, 50.0, "ds-v4", "ds", "v2", 2, 0.125, "posted"),
    (8, 3, "a", "openai", 1, MAR, 0.0, "gpt-5", "gpt-req", "v2", 2, 0.25, "failed"),
]
# (id, run, path, severity, category, placement, verdict, agreement)
COMMENTS = [
    (1, 1, "a.py", "high", "bug", "inline", "accepted", 1),
    (2, 1, "a.py", "low", "style", "inline", "rejected", None),
    (3, 1, "b.go", "high", "bug", "inline", "addressed", None),
    (4, 1, "a.py", "high", "bug", "body", "ignored", None),  # moved into the review body: counted nowhere
    (5, 2, "a.py", "high", "bug", "inline", "accepted", 1),
    (6, 2, "c.ts", "medium", "style", "inline", "addressed", None),
    (7, 3, "a.py", "medium", "bug", "inline", "ignored", 2),
    (8, 4, "a.py", "high", "bug", "inline", "accepted", 2),
    (9, 4, "d.rs", "high", "performance", "inline", "accepted", None),
    (10, 5, "e.py", "high", "bug", "inline", "accepted", 3),
    (11, 6, "e.py", "high", "bug", "inline", "accepted", 3),
    (12, 7, "a.py", "high", "bug", "inline", "accepted", None),
    (13, 7, "a.py", "low", "style", "inline", "pending", None),
]
LANGUAGES = {".py": "Python", ".go": "Go", ".ts": "TypeScript", ".rs": "Rust"}
AGREEMENTS = [(1, 1, "a", 1, 5), (2, 2, "a", 7, 8), (3, 2, "b", 10, 11)]  # (id, pull, head, comment a, comment b)


def fill(engine: Engine) -> None:
    runs = {r[0]: r for r in RUNS}
    with engine.begin() as c:
        c.execute(
            insert(Repository), [{"id": 1, "owner": "acme", "name": "one"}, {"id": 2, "owner": "acme", "name": "two"}]
        )
        c.execute(
            insert(PullRequest),
            [
                {"id": n, "repository_id": 1 if n < 3 else 2, "number": n, "seed": n, "created_at": JAN}
                for n in (1, 2, 3)
            ],
        )
        c.execute(insert(Run), [_run(*r) for r in RUNS])
        c.execute(
            insert(Agreement),
            [
                {
                    "id": i,
                    "pull_request_id": pull,
                    "head_sha": head,
                    "contender_a": "deepseek",
                    "fingerprint_a": f"{a:016x}",
                    "contender_b": "openai",
                    "fingerprint_b": f"{b:016x}",
                }
                for i, pull, head, a, b in AGREEMENTS
            ],
        )
        c.execute(insert(Comment), [_comment(*row, run=runs[row[1]]) for row in COMMENTS])
    with Session(engine) as s, s.begin():
        recount_runs(s, list(runs))


def _run(
    id: int, pull: int, head: str, contender: str, position: int, created: datetime, latency: float,
    model: str | None, requested: str, prompt: str, files: int, usd: float, status: str,
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": id,
        "run_id": f"{id:032x}",
        "pull_request_id": pull,
        "head_sha": head * 40,
        "contender": contender,
        "requested_model": requested,
        "model": model,
        "prompt_version": prompt,
        "position": position,
        "seed": pull,
        "status": status,
        "input_tokens": TOKENS["input"],
        "cached_input_tokens": TOKENS["cached_input"],
        "output_tokens": TOKENS["output"],
        "reasoning_tokens": TOKENS["reasoning"],
        "cost_usd": usd,
        "latency_s": latency,
        "files_reviewed": files,
        "created_at": created,
        "updated_at": created,
    }


def _comment(
    id: int, run_pk: int, path: str, severity: str, category: str, placement: str, verdict: str,
    agreement: int | None, *, run: tuple[Any, ...],
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": id,
        "run_pk": run_pk,
        "contender": run[3],
        "fingerprint": f"{id:016x}",
        "path": path,
        "line": 10,
        "side": "RIGHT",
        "severity": severity,
        "category": category,
        "placement": placement,
        "created_at": run[5],
        "agreement_id": agreement,
        "language": LANGUAGES[path[path.rindex(".") :]],
        "verdict": verdict,
        "pull_request_id": run[1],
    }


@pytest.fixture
def hand_built(engine: Engine) -> Engine:
    fill(engine)
    return engine


def tokens(runs: int) -> dict[str, int]:
    return {name: runs * value for name, value in TOKENS.items()}


DEEPSEEK = ContenderInput(
    contender="deepseek",
    prs=3,
    tally=Tally(accepted=3, addressed=1, rejected=1, ignored=1, pending=1),
    unique_accepted=1,  # comment 12; comments 1 and 10 were shared
    unique_decided=3,  # comments 2, 3 and 12
    first=Tally(accepted=3, addressed=1, rejected=1, pending=1),  # runs 1, 5 and 7
    later=Tally(ignored=1),  # run 3
    models=("ds-v4",),
    latency_p50_s=35.0,  # of 10, 20, 50, 60
    latency_p90_s=57.0,  # 50 + 0.7 × 10
    tokens=tokens(4),
    usd=0.5,
    clusters={(1, 3): 1, (1, 2): 1, (1, 1): 1},  # pull requests 1, 2 (both heads) and 3
)
OPENAI = ContenderInput(
    contender="openai",
    prs=2,  # the failed run on pull request 3 does not count
    tally=Tally(accepted=4, addressed=1),
    unique_accepted=1,  # comment 9
    unique_decided=2,  # comments 6 and 9
    first=Tally(accepted=2),  # run 4
    later=Tally(accepted=2, addressed=1),  # runs 2 and 6
    models=("gpt-5", "gpt-req"),  # run 2 has no reported model: the requested one stands in
    latency_p50_s=40.0,  # of 30, 40, 80
    latency_p90_s=72.0,  # 40 + 0.8 × 40
    tokens=tokens(3),
    usd=0.75,
    clusters={(1, 2): 1, (3, 3): 1},
)
PAIR = PairInput(
    "deepseek",
    "openai",
    wins=0,
    ties=1,  # pull request 1: one accepted each
    losses=1,  # pull request 2: one against three
    comments_a=5,
    comments_b=5,
    accepted_a=2,
    accepted_b=4,
    shared=3,  # agreements 1, 2, 3
    both_accepted=2,  # agreements 1 and 3
    # files: pull request 1 a.py both, b.go deepseek, c.ts openai; pull request 2 a.py and e.py both, d.rs
    # openai; 5 + 6 files reviewed (the most either contender was shown on each pull request)
    cells=FileCells(both=3, only_a=1, only_b=2, neither=5),
)


def test_the_default_report_by_hand(hand_built: Engine) -> None:
    assert load_input(hand_built, StatsFilter()) == StatsInput(contenders=[DEEPSEEK, OPENAI], pairs=[PAIR])


def only_deepseek_on_pull_3() -> StatsInput:
    return StatsInput(
        contenders=[
            ContenderInput(
                contender="deepseek",
                prs=1,
                tally=Tally(accepted=1, pending=1),
                unique_accepted=1,
                unique_decided=1,
                first=Tally(accepted=1, pending=1),
                models=("ds-v4",),
                latency_p50_s=50.0,
                latency_p90_s=50.0,
                tokens=tokens(1),
                usd=0.125,
                clusters={(1, 1): 1},
            )
        ],
        pairs=[],
    )


@pytest.mark.parametrize(
    "f",
    [
        pytest.param(StatsFilter(repo="acme/two"), id="repo"),
        pytest.param(StatsFilter(prompt_version="v2"), id="prompt-version"),
        pytest.param(StatsFilter(since=MAR), id="since"),
        pytest.param(
            StatsFilter(repo="acme/two", severity="high", category="bug", language="Python"), id="repo-and-comments"
        ),
    ],
)
def test_run_filters_down_to_pull_request_3(hand_built: Engine, f: StatsFilter) -> None:
    expected = only_deepseek_on_pull_3()
    if f.on_comments:  # the pending comment is low-severity style
        (c,) = expected.contenders
        expected = StatsInput([dataclasses.replace(c, tally=Tally(accepted=1), first=Tally(accepted=1))], pairs=[])
    assert load_input(hand_built, f) == expected


def test_a_repository_without_posted_runs_has_no_contenders(hand_built: Engine) -> None:
    assert load_input(hand_built, StatsFilter(repo="acme/nothing")) == StatsInput(contenders=[], pairs=[])


def test_the_contender_filter_keeps_that_contender_alone(hand_built: Engine) -> None:
    assert load_input(hand_built, StatsFilter(contender="openai")) == StatsInput(contenders=[OPENAI], pairs=[])


def test_the_model_filter_uses_the_requested_model_where_none_was_reported(hand_built: Engine) -> None:
    (found,) = load_input(hand_built, StatsFilter(model="gpt-req")).contenders
    assert (found.contender, found.prs, found.tally, found.models) == (
        "openai",
        1,
        Tally(accepted=1, addressed=1),
        ("gpt-req",),
    )


def test_since_keeps_the_later_head_only(hand_built: Engine) -> None:
    # runs 5, 6 (pull request 2 at head b) and 7 (pull request 3)
    found = load_input(hand_built, StatsFilter(since=FEB_10))
    deepseek, openai = found.contenders
    assert (deepseek.prs, deepseek.tally, deepseek.clusters) == (2, Tally(accepted=2, pending=1), {(1, 1): 2})
    assert (openai.prs, openai.tally, openai.clusters) == (1, Tally(accepted=1), {(1, 1): 1})
    # only pull request 2 is paired, and only its head b counts: agreement 3, e.py flagged by both of 6 files
    assert found.pairs == [PairInput("deepseek", "openai", 0, 1, 0, 1, 1, 1, 1, 1, 1, FileCells(1, 0, 0, 5))]


def test_until_keeps_the_earlier_heads_only(hand_built: Engine) -> None:
    # runs 1 to 4: pull request 1 and pull request 2 at head a; until is exclusive
    found = load_input(hand_built, StatsFilter(until=FEB_10))
    deepseek, openai = found.contenders
    assert (deepseek.prs, deepseek.tally) == (2, Tally(accepted=1, addressed=1, rejected=1, ignored=1))
    assert (openai.prs, openai.tally) == (2, Tally(accepted=3, addressed=1))
    # pull request 1 a tie, 2 a loss (none against two); agreements 1 and 2; files 5 + 3
    assert found.pairs == [PairInput("deepseek", "openai", 0, 1, 1, 4, 4, 1, 3, 2, 1, FileCells(2, 1, 2, 3))]


def test_a_severity_filter_counts_the_matching_comments(hand_built: Engine) -> None:
    high = load_input(hand_built, StatsFilter(severity="high"))
    deepseek = dataclasses.replace(
        DEEPSEEK,
        tally=Tally(accepted=3, addressed=1),  # comments 1, 3, 10, 12 (comment 4 is in the review body)
        unique_accepted=1,
        unique_decided=2,
        first=Tally(accepted=3, addressed=1),
        later=Tally(),
        clusters={(1, 2): 1, (1, 1): 2},  # every reviewed pull request stays, with what matched
    )
    openai = dataclasses.replace(
        OPENAI,
        tally=Tally(accepted=4),
        unique_decided=1,
        first=Tally(accepted=2),
        later=Tally(accepted=2),
        clusters={(1, 1): 1, (3, 3): 1},
    )
    # agreement 2 drops out (comment 7 is medium); files: a.py both, b.go deepseek; a.py, d.rs openai, e.py both
    pair = PairInput("deepseek", "openai", 0, 1, 1, 3, 4, 2, 4, 2, 2, FileCells(2, 1, 2, 6))
    assert high == StatsInput(contenders=[deepseek, openai], pairs=[pair])


@pytest.mark.parametrize(
    ("f", "deepseek", "openai"),
    [
        pytest.param(StatsFilter(category="style"), Tally(rejected=1, pending=1), Tally(addressed=1), id="category"),
        pytest.param(StatsFilter(language="Go"), Tally(addressed=1), Tally(), id="language"),
        pytest.param(StatsFilter(severity="critical"), Tally(), Tally(), id="nothing-matches"),
        pytest.param(
            StatsFilter(repo="acme/one", severity="high"),
            Tally(accepted=2, addressed=1),
            Tally(accepted=4),
            id="with-repo",
        ),
    ],
)
def test_comment_filters_count_the_matching_comments(
    hand_built: Engine, f: StatsFilter, deepseek: Tally, openai: Tally
) -> None:
    found = load_input(hand_built, f)
    assert [(c.contender, c.tally) for c in found.contenders] == [("deepseek", deepseek), ("openai", openai)]


def test_both_code_paths_agree_when_every_comment_matches(hand_built: Engine) -> None:
    with hand_built.begin() as c:
        c.execute(update(Comment).values(severity="high"))
    for run_filter in (
        StatsFilter(),
        StatsFilter(since=FEB_10),
        StatsFilter(until=FEB_10),
        StatsFilter(repo="acme/one"),
    ):
        by_comments = dataclasses.replace(run_filter, severity="high")
        assert load_input(hand_built, by_comments) == load_input(hand_built, run_filter)


def test_a_contender_added_part_way_is_paired_on_the_pull_requests_it_reviewed(hand_built: Engine) -> None:
    # claude joins for pull request 2's second head only, with one accepted comment on e.py
    claude = (9, 2, "b", "claude", 2, FEB_10, 5.0, "claude-x", "claude-x", "v1", 6, 0.5, "posted")
    with hand_built.begin() as c:
        c.execute(insert(Run), [_run(*claude)])
        c.execute(insert(Comment), [_comment(14, 9, "e.py", "high", "bug", "inline", "accepted", None, run=claude)])
    with Session(hand_built) as s, s.begin():
        recount_runs(s, [9])
    found = load_input(hand_built, StatsFilter())
    assert [c.contender for c in found.contenders] == ["claude", "deepseek", "openai"]
    assert found.contenders[1:] == [DEEPSEEK, OPENAI]
    claude_deepseek, claude_openai, deepseek_openai = found.pairs
    # pull request 2 only: one accepted each (comment 10), then one against three
    assert (claude_deepseek.a, claude_deepseek.b, claude_deepseek.ties, claude_deepseek.comments_b) == (
        "claude",
        "deepseek",
        1,
        2,
    )
    assert (claude_openai.wins + claude_openai.ties + claude_openai.losses, claude_openai.losses) == (1, 1)
    assert claude_deepseek.cells == FileCells(both=1, only_a=0, only_b=1, neither=4)  # e.py; a.py; of 6 files
    assert deepseek_openai == PAIR
    assert found.vectors == {(1, 1, 3): 1}  # the one pull request all three reviewed
    report = build_report(found, seed=1)
    assert sum(value for value, _ in report.strengths.values()) == pytest.approx(1.0)
    assert {p.paired for p in report.pairings} == {1, 2}


def temporary_tables(engine: Engine) -> list[str]:
    query = (
        "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
        if engine.dialect.name == "sqlite"
        else "SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relkind = 'r'"
    )
    with engine.connect() as c:
        return [name for (name,) in c.execute(text(query))]


@pytest.mark.parametrize(
    "f", [pytest.param(StatsFilter(), id="runs"), pytest.param(StatsFilter(severity="high"), id="comments")]
)
def test_a_report_leaves_no_temporary_table_on_the_pooled_connection(hand_built: Engine, f: StatsFilter) -> None:
    first = load_input(hand_built, f)
    assert temporary_tables(hand_built) == []
    assert load_input(hand_built, f) == first


def test_a_temporary_table_left_by_a_failed_report_is_replaced(hand_built: Engine) -> None:
    with hand_built.begin() as c:
        PER_PULL.create(c)
        c.execute(insert(PER_PULL).values(contender="deepseek", pull=99, comments=1, accepted=1, decided=1))
    assert load_input(hand_built, StatsFilter()) == StatsInput(contenders=[DEEPSEEK, OPENAI], pairs=[PAIR])


# The generated database, recounted in plain Python from its rows.

GENERATED_FILTERS = [
    pytest.param(StatsFilter(), id="default"),
    pytest.param(StatsFilter(severity="high"), id="severity"),
    pytest.param(StatsFilter(category="bug", language="Python"), id="category-and-language"),
    pytest.param(StatsFilter(repo="acme/repo3"), id="repo"),
    pytest.param(StatsFilter(since=datetime(2026, 1, 2, tzinfo=UTC)), id="since"),
    pytest.param(StatsFilter(repo="acme/repo3", severity="low"), id="repo-and-severity"),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    for url in _database_url(request.param, tmp_path_factory.mktemp("generated")):
        for engine in _engine(url):
            counts = generate(engine, comments=5_000, contenders=("alpha", "beta", "gamma"), seed=3)
            assert 4_500 < counts["comments"] < 5_500
            yield engine


@dataclasses.dataclass
class Rows:
    runs: list[Any]
    comments: list[Any]
    repo_of_pull: dict[int, str]


def read_rows(engine: Engine) -> Rows:
    with engine.connect() as c:
        runs = list(c.execute(select(Run)))
        comments = list(c.execute(select(Comment)))
        repos = {r.id: f"{r.owner}/{r.name}" for r in c.execute(select(Repository))}
        pulls = {p.id: repos[p.repository_id] for p in c.execute(select(PullRequest))}
    return Rows(runs, comments, pulls)


def recount(rows: Rows, f: StatsFilter) -> StatsInput:
    """Every figure of ``load_input``, counted comment by comment."""
    runs = {
        r.id: r
        for r in rows.runs
        if r.status == "posted"
        and (f.repo is None or rows.repo_of_pull[r.pull_request_id] == f.repo)
        and (f.since is None or _aware(r.created_at) >= f.since)
        and (f.until is None or _aware(r.created_at) < f.until)
        and (f.contender is None or r.contender == f.contender)
        and (f.prompt_version is None or r.prompt_version == f.prompt_version)
        and (f.model is None or (r.model or r.requested_model) == f.model)
    }
    comments = [
        c
        for c in rows.comments
        if c.run_pk in runs
        and c.placement != "body"
        and all(
            want is None or getattr(c, name) == want
            for name, want in (("severity", f.severity), ("category", f.category), ("language", f.language))
        )
    ]
    by_run: dict[int, list[Any]] = defaultdict(list)
    for c in comments:
        by_run[c.run_pk].append(c)
    names = sorted({r.contender for r in runs.values()})
    per_pull: dict[str, dict[int, Tally]] = {n: defaultdict(Tally) for n in names}
    for r in runs.values():
        per_pull[r.contender][r.pull_request_id] += tally_of(by_run[r.id])
    contenders = [
        contender_input(n, [r for r in runs.values() if r.contender == n], by_run, per_pull[n]) for n in names
    ]
    pairs = [pair_input(a, b, runs, comments, per_pull) for i, a in enumerate(names) for b in names[i + 1 :]]
    vectors: Counter[tuple[int, ...]] = Counter()
    if len(names) >= 3:
        for pull in set.intersection(*(set(per_pull[n]) for n in names)):
            vectors[tuple(per_pull[n][pull].accepted for n in names)] += 1
    return StatsInput(contenders=contenders, pairs=pairs, vectors=dict(vectors))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def tally_of(comments: list[Any]) -> Tally:
    found = Tally()
    for c in comments:
        found = found.add(c.verdict)
    return found


def contender_input(
    name: str, runs: list[Any], by_run: dict[int, list[Any]], pulls: dict[int, Tally]
) -> ContenderInput:
    mine = [c for r in runs for c in by_run[r.id]]
    shared = [c for c in mine if c.agreement_id is not None]
    latencies = sorted(r.latency_s for r in runs)
    return ContenderInput(
        contender=name,
        prs=len(pulls),
        tally=tally_of(mine),
        unique_accepted=tally_of(mine).accepted - sum(c.verdict == "accepted" for c in shared),
        unique_decided=tally_of(mine).decided - sum(c.verdict in DECIDED for c in shared),
        first=tally_of([c for r in runs if r.position == 0 for c in by_run[r.id]]),
        later=tally_of([c for r in runs if r.position != 0 for c in by_run[r.id]]),
        models=tuple(sorted({r.model or r.requested_model for r in runs})),
        latency_p50_s=percentile(latencies, 0.5),
        latency_p90_s=percentile(latencies, 0.9),
        tokens={
            "input": sum(r.input_tokens for r in runs),
            "cached_input": sum(r.cached_input_tokens for r in runs),
            "output": sum(r.output_tokens for r in runs),
            "reasoning": sum(r.reasoning_tokens for r in runs),
        },
        usd=round(sum(r.cost_usd for r in runs), 9),
        clusters=dict(Counter((t.accepted, t.decided) for t in pulls.values())),
    )


def pair_input(
    a: str, b: str, runs: dict[int, Any], comments: list[Any], per_pull: dict[str, dict[int, Tally]]
) -> PairInput:
    paired = set(per_pull[a]) & set(per_pull[b])
    outcomes = [(per_pull[a][p].accepted, per_pull[b][p].accepted) for p in paired]
    mine = [c for c in comments if c.contender in (a, b) and c.pull_request_id in paired]
    agreements: dict[int, list[Any]] = defaultdict(list)
    for c in mine:
        if c.agreement_id is not None:
            agreements[c.agreement_id].append(c)
    files: dict[tuple[int, str], set[str]] = defaultdict(set)
    for c in mine:
        files[(c.pull_request_id, c.path)].add(c.contender)
    reviewed = sum(
        max(r.files_reviewed for r in runs.values() if r.pull_request_id == p and r.contender in (a, b)) for p in paired
    )
    both = sum(who == {a, b} for who in files.values())
    only_a, only_b = sum(who == {a} for who in files.values()), sum(who == {b} for who in files.values())
    return PairInput(
        a,
        b,
        wins=sum(x > y for x, y in outcomes),
        ties=sum(x == y for x, y in outcomes),
        losses=sum(x < y for x, y in outcomes),
        comments_a=sum(per_pull[a][p].total for p in paired),
        comments_b=sum(per_pull[b][p].total for p in paired),
        accepted_a=sum(x for x, _ in outcomes),
        accepted_b=sum(y for _, y in outcomes),
        shared=sum(len(pair) == 2 for pair in agreements.values()),
        both_accepted=sum(
            len(pair) == 2 and all(c.verdict == "accepted" for c in pair) for pair in agreements.values()
        ),
        cells=FileCells(both, only_a, only_b, reviewed - both - only_a - only_b),
    )


def rounded(found: StatsInput) -> StatsInput:
    """Dollars summed in another order differ in the last bits."""
    return dataclasses.replace(
        found, contenders=[dataclasses.replace(c, usd=round(c.usd, 9)) for c in found.contenders]
    )


@pytest.mark.parametrize("f", GENERATED_FILTERS)
def test_sql_aggregates_equal_a_recount_of_the_rows(generated: Engine, f: StatsFilter) -> None:
    expected = recount(read_rows(generated), f)
    assert len(expected.contenders) == 3 and sum(c.tally.total for c in expected.contenders) > 0
    assert rounded(load_input(generated, f)) == expected
