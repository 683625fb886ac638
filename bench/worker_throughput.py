"""Worker throughput: many pull requests, two contenders each, fake models that take 2 s, one worker host.

Each run starts a fresh ``ArenaStack`` (Redis db 7, ``REVIEW_ARENA_PEER_WAIT_S=60``), seeds the fake GitHub with
N pull requests of a one-line corpus diff (distinct numbers and head shas, ten installations), starts the
``review-arena worker`` processes under test (one, or one per core sharing the concurrency), reviews one warm-up
pull request (worker start-up, imports, database migration, the installation token), then queues all N at once
with the receiver's producer (``CeleryQueue.review``, two ``review_contender`` tasks per PR, with the title, body
and default branch the webhook gives, as the receiver's ``review_pull`` passes them on) and times until all
2 × N reviews are on the fake GitHub. The ideal wall time counts the model latency only: 2 s × ceil(2N ÷
concurrency); a PR's two tasks wait for each other, so concurrencies are even.

The pull requests belong to 10 organisations, each with its own installation of the App (20 PRs each). The
workers keep each installation's GitHub write budget (80 content-generating requests a minute, shared through
Redis, ``bot.github_writes``); GitHub holds one installation to it, so 400 reviews in about 10 s need several
installations on real GitHub too. Each installation posts 40 reviews here, within its minute's budget, so the
budget never makes a review wait: a run that hit it would take more than a minute, far past the ideal.

Goal: the threads pool at concurrency 100 (200 PRs, 400 reviews) finishes within 1.3 × its ideal. The other rows
(one worker process per core, PostgreSQL, prefork with 4 processes and fewer PRs, threads at 32) are reported
against their own ideals.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import config
from bot.celery_queue import CeleryQueue
from bot.core.comments import parse_marker
from bot.migrate import upgrade
from tests.conftest import DIFFS
from tests.databases import fresh_postgres_database
from tests.fakes.openai_server import Behaviour
from tests.stack import ArenaStack, wait_until
from workers.celery_app import make_celery

LATENCY_S = 2.0
REDIS_DB = 7
PEER_WAIT_S = 60.0
GOAL_RATIO = 1.3
REPO = "Hello-World"
INSTALLATIONS = 10
DIFF = (DIFFS / "py-requests-oneline-fix-88fda942.diff").read_text(encoding="utf-8")
TICKS = os.sysconf("SC_CLK_TCK")
CONTENDERS = frozenset({"deepseek", "openai"})
WARMUP_NUMBER = 1
FIRST_NUMBER = 1000


@dataclass(frozen=True, slots=True)
class Setup:
    pool: str
    concurrency: int
    pulls: int
    processes: int = 1
    database: str = "sqlite"

    @property
    def label(self) -> str:
        parts = [self.pool, *([f"{self.processes} processes"] if self.processes > 1 else [])]
        return ", ".join([*parts, *(["PostgreSQL"] if self.database != "sqlite" else [])])


# the first is the one the goal is about
RUNS = (
    Setup("threads", 100, 200),
    Setup("threads", 100, 200, processes=2),
    Setup("threads", 100, 200, database="postgresql"),
    Setup("prefork", 4, 20),
    Setup("threads", 32, 200),
)


def _installation(number: int) -> int:
    return 1 + number % INSTALLATIONS


def _owner(number: int) -> str:
    """The organisation of pull request ``number``; each has its own installation."""
    return f"org-{_installation(number)}"


def _head(number: int) -> str:
    return hashlib.sha1(f"bench-head-{number}".encode()).hexdigest()


def _title(number: int) -> str:
    return f"One-line fix #{number}"


def _context(number: int) -> dict[str, str | bool]:
    """What the receiver passes on from the ``pull_request`` webhook, so the worker need not fetch the PR."""
    return {"title": _title(number), "body": "", "default_branch": "main", "draft": False}


def _posted(stack: ArenaStack) -> int:
    with stack.github.state.lock:
        return sum(1 for review in stack.github.state.reviews if parse_marker(review.body) is not None)


def _complete(stack: ArenaStack, numbers: range) -> bool:
    """Every pull request has exactly one review per contender."""
    for number in numbers:
        found = stack.reviews_by_contender(_owner(number), REPO, number)
        if set(found) != CONTENDERS or any(len(bodies) != 1 for bodies in found.values()):
            return False
    return True


def _tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of process ``root`` and its live descendants, from /proc."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _) in stats.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(stats[pid][1] for pid in tree if pid in stats)


def _workers_cpu_s(workers: list[subprocess.Popen[bytes]]) -> float:
    return sum(_tree_cpu_s(worker.pid) for worker in workers)


def _host_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole host since boot, from /proc/stat."""
    values = [int(v) / TICKS for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _one(setup: Setup) -> dict[str, Any]:
    """One run; ``setup.processes`` worker processes share ``setup.concurrency``."""
    pool, concurrency, pulls, processes = setup.pool, setup.concurrency, setup.pulls, setup.processes
    with contextlib.ExitStack() as scope:
        tmp = scope.enter_context(tempfile.TemporaryDirectory())
        stack = scope.enter_context(ArenaStack(Path(tmp), redis_db=REDIS_DB, peer_wait_s=PEER_WAIT_S))
        if setup.database == "postgresql":
            stack.env["DATABASE_URL"] = scope.enter_context(fresh_postgres_database("ra_bench"))
        stack.github.validate = False  # the fake's OpenAPI checks cost CPU on this 2-core host; not the system
        stack.models.default_behaviour = Behaviour(latency_s=LATENCY_S)
        for installation in range(1, INSTALLATIONS + 1):
            stack.github.add_installation(f"org-{installation}", installation_id=installation)
        numbers = range(FIRST_NUMBER, FIRST_NUMBER + pulls)
        for number in [WARMUP_NUMBER, *numbers]:
            owner = _owner(number)
            stack.github.add_pull_request(owner, REPO, number, DIFF, head_sha=_head(number), title=_title(number))
        queue = CeleryQueue(make_celery(stack.env), settings=config.load(stack.env))
        # as `review-arena db upgrade` would: prefork children each migrate a fresh SQLite file on first use, and
        # two of them racing fail with "table ... already exists"
        upgrade(stack.env["DATABASE_URL"])
        workers = [stack.start_worker(pool=pool, concurrency=concurrency // processes) for _ in range(processes)]
        warm_started = time.perf_counter()
        warmup = WARMUP_NUMBER
        queue.review(_installation(warmup), _owner(warmup), REPO, warmup, _head(warmup), context=_context(warmup))
        wait_until(lambda: _posted(stack) >= 2, seconds=90, what="the warm-up reviews")
        warmup_s = time.perf_counter() - warm_started
        reviews = 2 * pulls
        cpu, worker_cpu, host = time.process_time(), _workers_cpu_s(workers), _host_busy_s()
        started = time.perf_counter()
        for number in numbers:
            queue.review(_installation(number), _owner(number), REPO, number, _head(number), context=_context(number))
        enqueued_s = time.perf_counter() - started
        wait_until(lambda: _posted(stack) >= reviews + 2, seconds=200, what=f"{reviews} reviews ({pool})")
        wall = time.perf_counter() - started
        harness_cpu, worker_cpu = time.process_time() - cpu, _workers_cpu_s(workers) - worker_cpu
        host_busy, host_total = (after - before for after, before in zip(_host_busy_s(), host, strict=True))
        complete = _complete(stack, numbers)
    ideal = LATENCY_S * math.ceil(reviews / concurrency)
    return {
        "pool": setup.label,
        "processes": processes,
        "concurrency": concurrency,
        "pulls": pulls,
        "reviews": reviews,
        "warmup_s": warmup_s,
        "enqueue_s": enqueued_s,
        "wall_s": wall,
        "ideal_s": ideal,
        "ratio": wall / ideal,
        "reviews_per_s": reviews / wall,
        "ideal_reviews_per_s": reviews / ideal,
        "harness_cpu_s": harness_cpu,
        "worker_cpu_s": worker_cpu,
        "worker_cpu_ms_per_review": worker_cpu / reviews * 1000,
        "host_busy": host_busy / host_total,
        # Redis, PostgreSQL and anything else on the host: a large figure means another load disturbed the run
        "other_cpu_s": host_busy - harness_cpu - worker_cpu,
        "complete": complete,
    }


def run() -> dict[str, Any]:
    runs = [_one(setup) for setup in RUNS]
    return {"latency_s": LATENCY_S, "goal_ratio": GOAL_RATIO, "runs": runs, "goal_ratio_measured": runs[0]["ratio"]}


def report(result: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {r['pool']} | {r['concurrency']} | {r['pulls']} | {r['reviews']} | {r['enqueue_s']:.1f} "
        f"| {r['wall_s']:.1f} | {r['ideal_s']:.0f} "
        f"| **{r['ratio']:.2f}** | {r['reviews_per_s']:.2f} | {r['ideal_reviews_per_s']:.2f} "
        f"| {'yes' if r['complete'] else 'NO'} | {r['worker_cpu_ms_per_review']:.0f} | {r['host_busy']:.0%} "
        f"| {r['other_cpu_s']:.1f} "
        f"| {r['warmup_s']:.1f} |"
        for r in result["runs"]
    )
    first = result["runs"][0]
    verdict = "met" if first["ratio"] <= result["goal_ratio"] else "missed"
    return (
        f"Fake models answer in {result['latency_s']:.0f} s; wall time from queueing the first PR until every review "
        "is posted (queueing included); *complete* = every PR has exactly one review per contender; worker CPU is "
        "the worker process and its children over that window; host CPU busy is both cores over that window (the "
        "fake GitHub and fake models share them, with OpenAPI checks off); *other CPU* is the host's busy CPU seconds "
        "outside the bench process and the workers (Redis, PostgreSQL, and any other load on the host).\n\n"
        "| pool | concurrency | PRs | reviews | queueing s | wall s | ideal s | ÷ ideal | reviews/s | ideal reviews/s "
        "| complete | worker CPU ms/review | host CPU busy | other CPU s | warm-up PR s |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n"
        f"{rows}\n\n"
        f"Goal ({first['pool']} × {first['concurrency']}): wall ≤ {result['goal_ratio']:.1f} × ideal; measured "
        f"**{first['ratio']:.2f}** ÷ {result['goal_ratio']:.1f} = {first['ratio'] / result['goal_ratio']:.2f} "
        f"({verdict})."
    )
