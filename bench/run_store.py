"""The run store's cost per review: CPU of one worker thread for the store calls one contender's task makes.

One review's calls, in the order ``bot.pr_review`` makes them for one of a pull request's two contenders: claim
the head's fetch, save (first contender) or read (second) the head's files, open the run, save the review, read
the head's runs three times (the peer and turn waits), claim posting, mark the review posted with one comment
and the agreement it is part of. Each pull request gets both contenders, one after the other, so the second finds the
rows the first made, as on a worker. 20 pull requests warm up, then 300 (600 reviews) are measured with
``time.thread_time`` (the calling thread's CPU, the database's own work in SQLite included; PostgreSQL's
server-side work is outside it and shown by the wall time).

Goal: store CPU ≤ 15 ms per review on SQLite, so that at 100 reviews in flight the store takes a small part of
one core.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from typing import Any

from bot.database import make_engine
from bot.migrate import upgrade
from bot.runs import PostedComment, RunKey, RunSummary, Spot
from bot.storage import SqlStore
from tests.databases import fresh_postgres_database

WARMUP, PULLS = 20, 300
GOAL_MS = 15.0
SUMMARY = RunSummary(
    status="reviewed",
    model="bench-model",
    input_tokens=1200,
    cached_input_tokens=0,
    output_tokens=300,
    reasoning_tokens=100,
    cost_usd=0.01,
    latency_s=2.0,
    error="",
    files_reviewed=1,
)
SPOT = Spot("f1e2d3c4b5a69788", "src/app.py", 10, 12, "Unchecked None: the lookup may return None")
COMMENT = PostedComment(
    fingerprint=SPOT.fingerprint,
    path=SPOT.path,
    line=12,
    start_line=10,
    side="RIGHT",
    severity="high",
    category="bug",
    placement="inline",
    suggestion=None,
    marker="<!-- review-arena:finding -->",
)


def _review(store: SqlStore, number: int, contender: str, position: int) -> None:
    key = RunKey("octo", "hello", number, f"{number:040x}", contender)
    if store.claim_snapshot(key, stale_after_s=120):
        store.save_snapshot(key, '{"files": []}')
    else:
        store.load_snapshot(key)
    run = store.open_run(
        key,
        run_id=f"{number:030x}{position:02x}",
        requested_model="bench-model",
        prompt_version="review-v1",
        contenders=["alpha", "beta"],
        seed=number,
        installation_id=1,
    )
    store.save_review(run.run_id, SUMMARY, [SPOT])
    for _ in range(3):
        store.runs_for(key)
    store.claim_posting(run.run_id, stale_after_s=120)
    pair = ("alpha", SPOT.fingerprint, "beta", SPOT.fingerprint)
    store.mark_posted(run.run_id, review_id=number * 10 + position, comments=[COMMENT], agreements=[pair])


def _measure(url: str) -> dict[str, float]:
    upgrade(url)
    engine = make_engine(url)
    store = SqlStore(engine)
    try:
        for number in range(1, WARMUP + 1):
            for position, contender in enumerate(("alpha", "beta")):
                _review(store, number, contender, position)
        cpu, wall = time.thread_time(), time.perf_counter()
        for number in range(WARMUP + 1, WARMUP + PULLS + 1):
            for position, contender in enumerate(("alpha", "beta")):
                _review(store, number, contender, position)
        reviews = 2 * PULLS
        return {
            "cpu_ms_per_review": (time.thread_time() - cpu) / reviews * 1000,
            "wall_ms_per_review": (time.perf_counter() - wall) / reviews * 1000,
        }
    finally:
        engine.dispose()


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = _measure(f"sqlite:///{tmp}/arena.db")
    with contextlib.ExitStack() as scope:
        postgres = _measure(scope.enter_context(fresh_postgres_database("ra_bench")))
    return {"goal_ms": GOAL_MS, "reviews": 2 * PULLS, "sqlite": sqlite, "postgresql": postgres}


def report(result: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {name} | {result[key]['cpu_ms_per_review']:.1f} | {result[key]['wall_ms_per_review']:.1f} |"
        for name, key in (("SQLite", "sqlite"), ("PostgreSQL", "postgresql"))
    )
    measured = result["sqlite"]["cpu_ms_per_review"]
    verdict = "met" if measured <= result["goal_ms"] else "missed"
    return (
        f"{result['reviews']} reviews, each one contender's store calls.\n\n"
        "| database | store CPU ms/review | wall ms/review |\n|---|---:|---:|\n"
        f"{rows}\n\n"
        f"Goal: SQLite store CPU ≤ {result['goal_ms']:.0f} ms per review; measured {measured:.1f} ÷ "
        f"{result['goal_ms']:.0f} = **{measured / result['goal_ms']:.2f}** ({verdict})."
    )
