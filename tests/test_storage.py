"""SQL storage on SQLite (the embedded default) and on PostgreSQL: migrations, idempotent writes, races."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select, text

from bot.database import maintain, make_engine
from bot.migrate import HEAD, current_head, ensure_current, upgrade
from bot.runs import PostedComment, RunKey, RunSummary, Spot
from bot.storage import SqlStore
from bot.storage_schema import Agreement, Base, PullRequest, Repository, Run

KEY = RunKey("octo", "hello", 1, "a" * 40, "deepseek")


@pytest.fixture
def store(engine: Engine) -> SqlStore:
    return SqlStore(engine)


def _open(store: SqlStore, key: RunKey = KEY, run_id: str = "1" * 32, seed: int = 11, **extra: Any) -> object:
    return store.open_run(
        key,
        run_id=run_id,
        requested_model="m",
        prompt_version="review-v1",
        contenders=["deepseek", "openai"],
        seed=seed,
        installation_id=5,
        **extra,
    )


def test_migrations_create_exactly_the_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == current_head()
        assert compare_metadata(context, Base.metadata) == []


def test_upgrading_twice_is_a_no_op(database_url: str, engine: Engine) -> None:
    upgrade(database_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == current_head()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_opening_a_run_twice_returns_the_first(store: SqlStore) -> None:
    first = _open(store, run_id="1" * 32)
    again = _open(store, run_id="2" * 32, seed=99)
    assert first == again
    assert again.run_id == "1" * 32 and again.seed == 11  # type: ignore[attr-defined]


def test_concurrent_tasks_create_one_pull_request_and_one_run_each(store: SqlStore, engine: Engine) -> None:
    keys = [RunKey("octo", "hello", 1, "a" * 40, name) for name in ("deepseek", "openai")] * 5
    with ThreadPoolExecutor(max_workers=10) as pool:
        records = list(pool.map(lambda k: _open(store, k, run_id=uuid.uuid4().hex), keys))
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(PullRequest)) == 1
        assert conn.scalar(select(func.count()).select_from(Repository)) == 1
        assert conn.scalar(select(func.count()).select_from(Run)) == 2
    positions = {r.contender: r.position for r in records}  # type: ignore[attr-defined]
    assert sorted(positions.values()) == [0, 1]


def test_a_saved_review_and_its_posting_are_recorded(store: SqlStore, engine: Engine) -> None:
    run = _open(store)
    summary = RunSummary("reviewed", "deepseek-v4-pro-0813", 100, 10, 50, 20, 0.0123, 2.5, None)
    spot = Spot("f" * 16, "a.py", 3, 4, "Null check missing")
    store.save_review(run.run_id, summary, [spot])  # type: ignore[attr-defined]
    [record] = store.runs_for(KEY)
    assert record.status == "reviewed" and record.spots == (spot,)
    comment = PostedComment("f" * 16, "a.py", 4, 3, "RIGHT", "high", "bug", "inline")
    store.mark_posted(record.run_id, review_id=77, comments=[comment])
    store.mark_posted(record.run_id, review_id=77, comments=[comment])
    [posted] = store.runs_for(KEY)
    assert posted.status == "posted" and posted.review_id == 77
    with engine.connect() as conn:
        row = conn.execute(select(Run.model, Run.cost_usd, Run.reasoning_tokens)).one()
        assert tuple(row) == ("deepseek-v4-pro-0813", 0.0123, 20)
        assert conn.scalar(text("SELECT count(*) FROM comments")) == 1


def test_agreements_are_recorded_once_even_when_repeated(store: SqlStore, engine: Engine) -> None:
    _open(store)
    pair = ("deepseek", "a" * 16, "openai", "b" * 16)
    store.record_agreements(KEY, [pair, pair])
    store.record_agreements(KEY, [pair])
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Agreement)) == 1


def test_a_posting_records_its_agreements_and_links_each_shared_comment(store: SqlStore, engine: Engine) -> None:
    other = RunKey(KEY.owner, KEY.repo, KEY.number, KEY.head_sha, "openai")
    mine, theirs = _open(store), _open(store, other, run_id="2" * 32)
    pair = ("deepseek", "a" * 16, "openai", "b" * 16)
    shared = PostedComment("a" * 16, "a.py", 4, 3, "RIGHT", "high", "bug", "inline")
    alone = PostedComment("c" * 16, "a.py", 9, None, "RIGHT", "low", "style", "inline")
    for _ in range(2):  # a retried task records nothing twice
        store.mark_posted(mine.run_id, review_id=1, comments=[shared, alone], agreements=[pair])  # type: ignore[attr-defined]
    their = PostedComment("b" * 16, "a.py", 5, None, "RIGHT", "high", "bug", "inline")
    store.mark_posted(theirs.run_id, review_id=2, comments=[their], agreements=[pair])  # type: ignore[attr-defined]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Agreement)) == 1
        links = dict(conn.execute(text("SELECT fingerprint, agreement_id FROM comments")).all())
    agreement = links["a" * 16]
    assert agreement is not None and links == {"a" * 16: agreement, "b" * 16: agreement, "c" * 16: None}


def test_installations_and_their_repositories_are_recorded(store: SqlStore, engine: Engine) -> None:
    store.record_installation(
        installation_id=9, account="octo", account_type="Organization", status="active", added=["octo/a", "octo/b"]
    )
    store.record_installation(
        installation_id=9, account="octo", account_type="Organization", status="active", removed=["octo/b"]
    )
    with engine.connect() as conn:
        rows = {name: active for name, active in conn.execute(select(Repository.name, Repository.active))}
    assert rows == {"a": True, "b": False}


def test_the_fetcher_shares_the_head_in_the_write_that_opens_its_run(store: SqlStore) -> None:
    _open(store, snapshot='{"head_sha": "a"}')
    assert store.load_snapshot(KEY) == '{"head_sha": "a"}'
    assert store.claim_snapshot(KEY, stale_after_s=120) is False


def test_the_fetcher_opens_every_contenders_run_and_the_others_find_theirs(store: SqlStore) -> None:
    mine = _open(store, snapshot='{"head_sha": "a"}', peers={"deepseek": "m", "openai": "o1"})
    other = RunKey(KEY.owner, KEY.repo, KEY.number, KEY.head_sha, "openai")
    theirs = _open(store, other, run_id="2" * 32)
    assert theirs.run_id != "2" * 32  # type: ignore[attr-defined]  # opened by the fetcher, found by a read
    runs = {r.contender: r for r in store.runs_for(KEY)}
    assert set(runs) == {"deepseek", "openai"} and runs["deepseek"].run_id == mine.run_id  # type: ignore[attr-defined]
    assert sorted(r.position for r in runs.values()) == [0, 1]


def test_a_head_shared_after_a_claim_fills_the_claimed_row(store: SqlStore) -> None:
    assert store.claim_snapshot(KEY, stale_after_s=120) is True
    store.save_snapshot(KEY, '{"head_sha": "a"}')
    assert store.load_snapshot(KEY) == '{"head_sha": "a"}'


def test_one_task_claims_the_fetch_of_a_head_and_the_others_read_it(store: SqlStore) -> None:
    claims = [store.claim_snapshot(KEY, stale_after_s=120) for _ in range(3)]
    assert claims == [True, False, False]
    assert store.load_snapshot(KEY) is None
    store.save_snapshot(KEY, '{"head_sha": "a"}')
    assert store.load_snapshot(KEY) == '{"head_sha": "a"}'


def test_an_abandoned_fetch_claim_is_taken_over_when_stale(store: SqlStore) -> None:
    assert store.claim_snapshot(KEY, stale_after_s=120)
    assert store.claim_snapshot(KEY, stale_after_s=0)


def test_only_one_execution_of_a_run_may_post(store: SqlStore) -> None:
    run = _open(store)
    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(lambda _: store.claim_posting(run.run_id, stale_after_s=120), range(8)))  # type: ignore[attr-defined]
    assert wins.count("unlisted") == 1 and wins.count(None) == 7
    assert store.claim_posting(run.run_id, stale_after_s=0) == "taken-over"  # type: ignore[attr-defined]


def test_a_retried_execution_cannot_make_a_run_being_posted_claimable_again(store: SqlStore) -> None:
    run = _open(store)
    assert store.claim_posting(run.run_id, stale_after_s=120) == "unlisted"  # type: ignore[attr-defined]
    summary = RunSummary("reviewed", "m", 1, 0, 1, 0, 0.0, 1.0, None)
    store.save_review(run.run_id, summary, [])  # type: ignore[attr-defined]  # a second execution, late
    store.set_status(run.run_id, "pending")  # type: ignore[attr-defined]
    assert [r.status for r in store.runs_for(KEY)] == ["posting"]
    assert store.claim_posting(run.run_id, stale_after_s=120) is None  # type: ignore[attr-defined]
    with pytest.raises(KeyError):
        store.save_review("f" * 32, summary, [])


def test_a_poster_that_listed_the_heads_reviews_spares_the_next_one_the_look(store: SqlStore) -> None:
    store.save_snapshot(KEY, '{"head_sha": "a"}')
    other = RunKey(KEY.owner, KEY.repo, KEY.number, KEY.head_sha, "openai")
    first, second = _open(store), _open(store, other, run_id="2" * 32)
    assert store.claim_posting(first.run_id, stale_after_s=120) == "unlisted"  # type: ignore[attr-defined]
    store.mark_posted(first.run_id, review_id=10, comments=[], listed={})  # type: ignore[attr-defined]
    assert store.claim_posting(second.run_id, stale_after_s=120) == "listed"  # type: ignore[attr-defined]


def test_reviews_a_listing_finds_for_other_contenders_are_recorded_as_posted(store: SqlStore) -> None:
    store.save_snapshot(KEY, '{"head_sha": "a"}')
    other = RunKey(KEY.owner, KEY.repo, KEY.number, KEY.head_sha, "openai")
    first, second = _open(store), _open(store, other, run_id="2" * 32)
    store.claim_posting(first.run_id, stale_after_s=120)  # type: ignore[attr-defined]
    store.mark_posted(first.run_id, review_id=10, comments=[], listed={"openai": 7, "deepseek": 10})  # type: ignore[attr-defined]
    runs = {r.contender: (r.status, r.review_id) for r in store.runs_for(KEY)}
    assert runs == {"deepseek": ("posted", 10), "openai": ("posted", 7)}
    assert store.claim_posting(second.run_id, stale_after_s=0) is None  # type: ignore[attr-defined]


def test_the_head_the_commands_check_for_is_the_newest_migration() -> None:
    assert current_head() == HEAD


def test_a_database_already_at_head_is_left_alone_and_an_old_one_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'arena.db'}"
    upgrade(url, "0002")
    ensure_current(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
    engine.dispose()
    ensure_current(url)  # a no-op: nothing to migrate


def test_maintenance_gives_sqlite_planner_statistics_and_then_only_refreshes_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'arena.db'}"
    upgrade(url)
    engine = make_engine(url)

    assert maintain(engine) == "analyzed"
    assert maintain(engine) == "optimized"
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
    engine.dispose()
