"""Specification of ``bot.acceptance_store``: signals, verdicts, pull request state and the poll schedule, on
SQLite and on PostgreSQL, seeded the way the review task leaves a posted run."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from bot.acceptance_store import SqlAcceptanceStore
from bot.acceptance_tracking import Observed, PullKey
from bot.core.acceptance import Kind, Policy, Signal
from bot.database import make_engine
from bot.migrate import upgrade
from bot.runs import RunKey
from bot.storage import SqlStore
from bot.storage_schema import Agreement, Comment, Verdict
from bot.storage_schema import Signal as SignalRow
from tests.acceptance_seed import (
    HEAD,
    OWNER,
    PULL,
    REPO,
    RUN_ID,
    T0,
    Clock,
    comment_ids,
    finding,
    insert_revision_0002_rows,
    post_run,
    pull_row,
    signals,
    utc,
    verdicts,
)

POLICY = Policy()
NOW = T0 + timedelta(hours=3)
LEASE = timedelta(minutes=30)
MAINTAINER = "maint"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runs(engine: Engine, clock: Clock) -> SqlStore:
    return SqlStore(engine, now=clock)


@pytest.fixture
def store(engine: Engine, clock: Clock) -> SqlAcceptanceStore:
    return SqlAcceptanceStore(engine, now=clock)


@pytest.fixture
def pks(runs: SqlStore, engine: Engine) -> dict[str, int]:
    """A posted run: two inline findings (one with a suggestion) and a note in the review body."""
    post_run(
        runs,
        [
            finding("a" * 16, suggestion="    return total\n"),
            finding("b" * 16, line=9, start_line=7),
            finding("c" * 16, line=None, placement="body"),
        ],
    )
    return comment_ids(engine)


def seen(pk: int, kind: Kind, source_id: str, *, actor: str = MAINTAINER, at_minutes: int = 1) -> Observed:
    signal = Signal(kind, actor, "MEMBER", T0 + timedelta(minutes=at_minutes))
    return Observed(pk, signal, "poll", source_id)


# ---- posting ----------------------------------------------------------------------------------------------------
def test_posted_inline_findings_are_tracked_with_their_suggestion(
    store: SqlAcceptanceStore, pks: dict[str, int]
) -> None:
    tracked = store.tracked_comments(PULL)

    assert [(c.fingerprint, c.github_id, c.run_id, c.head_sha) for c in tracked] == [
        ("a" * 16, None, RUN_ID, HEAD),
        ("b" * 16, None, RUN_ID, HEAD),
    ]
    assert [(c.path, c.side, c.start_line, c.line, c.suggestion) for c in tracked] == [
        ("app.py", "RIGHT", None, 4, "    return total\n"),
        ("app.py", "RIGHT", 7, 9, None),
    ]
    assert tracked[0].posted_at == T0


def test_posting_schedules_the_first_poll_fifteen_minutes_later(
    runs: SqlStore, engine: Engine, clock: Clock, pks: dict[str, int]
) -> None:
    assert pull_row(engine)["next_poll_at"] == T0 + timedelta(minutes=15)
    clock.at = T0 + timedelta(minutes=5)
    post_run(runs, [finding("d" * 16, contender="openai", run_id="2" * 32)], run_id="2" * 32, contender="openai")

    assert pull_row(engine)["next_poll_at"] == T0 + timedelta(minutes=15)


def test_posting_links_a_finding_to_the_agreement_recorded_before_it(runs: SqlStore, engine: Engine) -> None:
    key = RunKey(OWNER, REPO, PULL.number, HEAD, "deepseek")
    runs.record_agreements(key, [("deepseek", "a" * 16, "openai", "e" * 16)])
    post_run(runs, [finding("a" * 16), finding("b" * 16)])
    post_run(runs, [finding("e" * 16, contender="openai")], run_id="2" * 32, contender="openai")

    with engine.connect() as conn:
        agreement = conn.scalar(select(Agreement.id))
        linked = {fp: a for fp, a in conn.execute(select(Comment.fingerprint, Comment.agreement_id))}
    assert linked == {"a" * 16: agreement, "b" * 16: None, "e" * 16: agreement}


# ---- linking ----------------------------------------------------------------------------------------------------
def test_a_comment_is_linked_to_its_github_id_once(store: SqlAcceptanceStore, pks: dict[str, int]) -> None:
    assert store.link_comment(PULL, run_id=RUN_ID, fingerprint="a" * 16, github_id=501) == pks["a" * 16]
    assert store.link_comment(PULL, run_id=RUN_ID, fingerprint="a" * 16, github_id=501) == pks["a" * 16]
    assert store.link_comment(PULL, run_id=RUN_ID, fingerprint="a" * 16, github_id=502) is None
    assert [c.github_id for c in store.tracked_comments(PULL)] == [501, None]


@pytest.mark.parametrize(
    ("pull", "run_id", "fingerprint"),
    [(PULL, "9" * 32, "a" * 16), (PULL, RUN_ID, "f" * 16), (PullKey(OWNER, REPO, 8), RUN_ID, "a" * 16)],
    ids=["unknown-run", "unknown-fingerprint", "other-pull-request"],
)
def test_an_unknown_comment_is_not_linked(
    store: SqlAcceptanceStore, pks: dict[str, int], pull: PullKey, run_id: str, fingerprint: str
) -> None:
    assert store.link_comment(pull, run_id=run_id, fingerprint=fingerprint, github_id=501) is None
    assert [c.github_id for c in store.tracked_comments(PULL)] == [None, None]


# ---- signals ----------------------------------------------------------------------------------------------------
def test_recording_is_idempotent_and_counts_new_rows(store: SqlAcceptanceStore, pks: dict[str, int]) -> None:
    up = seen(pks["a" * 16], Kind.THUMBS_UP, "reaction:1")
    down = seen(pks["a" * 16], Kind.THUMBS_DOWN, "reaction:2")

    assert store.record([up]) == 1
    assert store.record([up]) == 0
    assert store.record([up, down]) == 1
    assert store.record([]) == 0
    assert len(signals(store.engine)) == 2


def test_a_thread_resolves_unresolves_and_resolves_again_in_one_row(
    store: SqlAcceptanceStore, engine: Engine, pks: dict[str, int]
) -> None:
    pk = pks["a" * 16]
    store.set_live(seen(pk, Kind.RESOLVED, "thread:T1", at_minutes=1), live=True, at=T0 + timedelta(minutes=1))
    store.set_live(seen(pk, Kind.RESOLVED, "thread:T1", at_minutes=2), live=False, at=T0 + timedelta(minutes=2))
    with engine.connect() as conn:
        assert utc(conn.scalar(select(SignalRow.retracted_at))) == T0 + timedelta(minutes=2)
    store.set_live(seen(pk, Kind.RESOLVED, "thread:T1", actor="other", at_minutes=3), live=True, at=T0)

    with engine.connect() as conn:
        (row,) = conn.execute(select(SignalRow.actor, SignalRow.at, SignalRow.retracted_at)).all()
    assert (row.actor, utc(row.at), row.retracted_at) == ("other", T0 + timedelta(minutes=3), None)


def test_an_unresolve_first_leaves_a_retracted_row(store: SqlAcceptanceStore, pks: dict[str, int]) -> None:
    store.set_live(seen(pks["a" * 16], Kind.RESOLVED, "thread:T1"), live=False, at=T0)

    assert signals(store.engine) == [("a" * 16, "resolved", MAINTAINER, "MEMBER", "", True)]


def test_reactions_no_longer_present_are_retracted_and_revived_when_back(
    store: SqlAcceptanceStore, pks: dict[str, int]
) -> None:
    pk = pks["a" * 16]
    store.record(
        [
            seen(pk, Kind.THUMBS_UP, "reaction:1"),
            seen(pk, Kind.THUMBS_UP, "reaction:2", actor="other"),
            seen(pk, Kind.REPLY, "comment:9"),
        ]
    )
    kinds = (Kind.THUMBS_UP, Kind.THUMBS_DOWN)

    store.retract_missing(pk, kinds=kinds, keep={"reaction:1"}, at=T0)
    assert [(kind, actor, gone) for _, kind, actor, _, _, gone in signals(store.engine)] == [
        ("reply", MAINTAINER, False),
        ("thumbs_up", MAINTAINER, False),
        ("thumbs_up", "other", True),
    ]
    store.retract_missing(pk, kinds=kinds, keep={"reaction:1", "reaction:2"}, at=T0)
    assert not any(gone for *_, gone in signals(store.engine))
    store.retract_missing(pk, kinds=kinds, keep=set(), at=T0)
    assert [kind for _, kind, *_, gone in signals(store.engine) if not gone] == ["reply"]


# ---- pull request state -----------------------------------------------------------------------------------------
def test_pull_state_push_and_times_are_stored(store: SqlAcceptanceStore, engine: Engine, pks: dict[str, int]) -> None:
    assert store.pull_times(PULL) == (T0, None)
    closed = T0 + timedelta(days=2)
    store.record_push(PULL, at=T0 + timedelta(days=1))
    store.set_pull_state(PULL, state="merged", closed_at=closed, author="someone")

    assert store.pull_times(PULL) == (T0, closed)
    row = pull_row(engine)
    assert (row["state"], row["author"], row["last_pushed_at"]) == ("merged", "someone", T0 + timedelta(days=1))
    store.set_pull_state(PULL, state="open", closed_at=None)
    assert store.pull_times(PULL) == (T0, None) and pull_row(engine)["author"] == "someone"


def test_a_pull_request_never_reviewed_here_has_no_state(store: SqlAcceptanceStore, pks: dict[str, int]) -> None:
    other = PullKey(OWNER, REPO, 99)
    store.set_pull_state(other, state="closed", closed_at=T0)
    store.record_push(other, at=T0)

    assert store.tracked_comments(other) == [] and store.recompute(other, policy=POLICY, now=T0) == {}
    with pytest.raises(KeyError):
        store.pull_times(other)


@pytest.fixture
def scheduled(runs: SqlStore, store: SqlAcceptanceStore) -> list[PullKey]:
    """Four reviewed pull requests: polls due an hour ago, a minute ago, in a minute, and none."""
    pulls = [PullKey(OWNER, REPO, n) for n in (1, 2, 3, 4)]
    nexts = [NOW - timedelta(hours=1), NOW - timedelta(minutes=1), NOW + timedelta(minutes=1), None]
    for n, (pull, next_at) in enumerate(zip(pulls, nexts, strict=True)):
        post_run(runs, [finding("a" * 16, run_id=f"{n + 1}" * 32)], pull=pull, run_id=f"{n + 1}" * 32)
        store.schedule_poll(pull, polled_at=T0, next_at=next_at)
    return pulls


def test_due_polls_are_listed_oldest_first_with_their_installation(
    store: SqlAcceptanceStore, scheduled: list[PullKey]
) -> None:
    assert store.due_polls(now=NOW, lease_until=NOW + LEASE) == [(scheduled[0], 5), (scheduled[1], 5)]


def test_due_polls_stop_at_the_limit_oldest_first(store: SqlAcceptanceStore, scheduled: list[PullKey]) -> None:
    assert store.due_polls(now=NOW, lease_until=NOW + LEASE, limit=1) == [(scheduled[0], 5)]
    assert store.due_polls(now=NOW, lease_until=NOW + LEASE, limit=1) == [(scheduled[1], 5)]


def test_a_listed_poll_is_leased_until_the_lease_ends(store: SqlAcceptanceStore, scheduled: list[PullKey]) -> None:
    store.due_polls(now=NOW, lease_until=NOW + LEASE)

    assert store.due_polls(now=NOW, lease_until=NOW + LEASE) == []
    assert store.due_polls(now=NOW + timedelta(minutes=2), lease_until=NOW + 2 * LEASE) == [(scheduled[2], 5)]
    again = store.due_polls(now=NOW + LEASE, lease_until=NOW + 2 * LEASE)
    assert sorted(pull.number for pull, _ in again) == [1, 2]


# ---- verdicts ---------------------------------------------------------------------------------------------------
def test_recompute_writes_one_verdict_per_inline_finding(store: SqlAcceptanceStore, pks: dict[str, int]) -> None:
    store.record(
        [
            seen(pks["a" * 16], Kind.THUMBS_DOWN, "reaction:1"),
            Observed(pks["b" * 16], Signal(Kind.LINES_CHANGED, "", "", T0), "push", "lines"),
        ]
    )

    assert store.recompute(PULL, policy=POLICY, now=T0) == {"rejected": 1, "addressed": 1}
    assert store.recompute(PULL, policy=POLICY, now=T0) == {"rejected": 1, "addressed": 1}
    assert verdicts(store.engine) == {"a" * 16: ("rejected", "reaction"), "b" * 16: ("addressed", "lines")}
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Verdict)) == 2


def test_recompute_follows_a_retraction(store: SqlAcceptanceStore, pks: dict[str, int]) -> None:
    store.record([seen(pks["a" * 16], Kind.THUMBS_UP, "reaction:1")])
    store.recompute(PULL, policy=POLICY, now=T0)
    store.retract_missing(pks["a" * 16], kinds=(Kind.THUMBS_UP,), keep=set(), at=T0)

    store.recompute(PULL, policy=POLICY, now=T0)

    assert verdicts(store.engine)["a" * 16] == ("pending", "open")


def test_concurrent_records_and_recomputes_end_with_every_signal_counted(
    runs: SqlStore, store: SqlAcceptanceStore, engine: Engine
) -> None:
    fingerprints = [f"{n:016x}" for n in range(32)]
    post_run(runs, [finding(fp, line=n + 1) for n, fp in enumerate(fingerprints)])
    pks = comment_ids(engine)
    store.recompute(PULL, policy=POLICY, now=T0)

    def react(fp: str) -> None:
        store.record([seen(pks[fp], Kind.THUMBS_UP, f"reaction:{fp}")])
        store.recompute(PULL, policy=POLICY, now=T0)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(react, fingerprints))

    assert verdicts(engine) == {fp: ("accepted", "reaction") for fp in fingerprints}


# ---- migrations -------------------------------------------------------------------------------------------------
def test_upgrading_a_database_with_earlier_data_keeps_it_and_fills_the_new_columns(database_url: str) -> None:
    upgrade(database_url, "0002")
    engine = make_engine(database_url)
    insert_revision_0002_rows(engine)

    upgrade(database_url)

    row = pull_row(engine)
    assert (row["author"], row["state"], row["closed_at"], row["next_poll_at"]) == ("", "open", None, None)
    with engine.connect() as conn:
        assert conn.execute(select(Comment.marker, Comment.suggestion, Comment.agreement_id)).one() == ("", None, None)
    store = SqlAcceptanceStore(engine)
    assert [(c.github_id, c.fingerprint) for c in store.tracked_comments(PULL)] == [(501, "a" * 16)]
    assert store.recompute(PULL, policy=POLICY, now=T0) == {"pending": 1}
    engine.dispose()
