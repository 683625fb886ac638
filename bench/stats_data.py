"""A generator of realistic statistics data: repositories, pull requests, runs, comments, verdicts and
agreements, inserted in bulk through SQLAlchemy Core. Seeded, so every run builds the same database.

Shape: each pull request is reviewed by every contender at one head; each run posts a few comments (Poisson
around ``comments_per_run``); verdicts follow per-contender acceptance rates; about one comment in ten is shared
with another contender.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from bot.core.languages import language_of
from bot.storage_schema import Agreement, Comment, PullRequest, Repository, Run, Verdict

SEVERITIES = ("critical", "high", "medium", "low")
CATEGORIES = ("bug", "security", "performance", "maintainability", "style")
PATHS = ("src/app.py", "src/db.py", "web/index.ts", "cmd/main.go", "lib/util.rs", "docs/guide.md")
VERDICTS = ("accepted", "addressed", "rejected", "ignored", "pending")
BATCH = 20_000
COUNT_COLUMNS = (*(f"n_{v}" for v in VERDICTS), "n_shared_accepted", "n_shared_decided")


def _verdict_weights(contender_index: int) -> tuple[float, ...]:
    # the first contender is accepted a little more often, so the comparisons have something to find
    return (0.30 - 0.05 * contender_index, 0.15, 0.20, 0.25 + 0.05 * contender_index, 0.10)


def generate(
    engine: Engine,
    *,
    comments: int,
    contenders: Sequence[str] = ("deepseek", "openai"),
    comments_per_run: int = 5,
    repositories: int = 10,
    seed: int = 7,
) -> dict[str, int]:
    """Fill an empty, migrated database with about ``comments`` comments; returns the row counts."""
    rng = random.Random(seed)
    pulls = max(1, comments // (comments_per_run * len(contenders)))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    counts = {"repositories": repositories, "pull_requests": pulls}
    with engine.begin() as connection:
        connection.execute(
            insert(Repository), [{"id": i + 1, "owner": "acme", "name": f"repo{i}"} for i in range(repositories)]
        )
        for chunk in _chunks(_pull_rows(pulls, repositories, start)):
            connection.execute(insert(PullRequest), chunk)
    runs, comment_rows, verdict_rows, agreements = _review_rows(rng, pulls, contenders, comments_per_run, start)
    counts.update(runs=len(runs), comments=len(comment_rows), agreements=len(agreements))
    with engine.begin() as connection:
        for table, rows in ((Run, runs), (Agreement, agreements), (Comment, comment_rows), (Verdict, verdict_rows)):
            for chunk in _chunks(iter(rows)):
                connection.execute(insert(table), chunk)
    return counts


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _pull_rows(pulls: int, repositories: int, start: datetime) -> Iterator[dict[str, Any]]:
    for i in range(pulls):
        created = start + timedelta(minutes=7 * i)
        yield {
            "id": i + 1,
            "repository_id": i % repositories + 1,
            "number": i + 1,
            "seed": i,
            "created_at": created,
            "author": f"dev{i % 97}",
            "state": "merged",
            "closed_at": created + timedelta(days=2),
        }


def _review_rows(
    rng: random.Random, pulls: int, contenders: Sequence[str], per_run: int, start: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    runs: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    agreements: list[dict[str, Any]] = []
    for pull in range(1, pulls + 1):
        created = start + timedelta(minutes=7 * pull)
        head = f"{pull:040x}"
        order = list(contenders)
        rng.shuffle(order)
        firsts: dict[str, int] = {}
        for index, name in enumerate(contenders):
            run_id = len(runs) + 1
            runs.append(_run_row(run_id, pull, head, name, order.index(name), created, rng))
            for k in range(max(0, int(rng.gauss(per_run, 2)))):
                comment_id = len(comments) + 1
                comments.append(_comment_row(comment_id, run_id, name, k, created, rng))
                comments[-1]["pull_request_id"] = pull
                verdict = rng.choices(VERDICTS, _verdict_weights(index))[0]
                comments[-1]["verdict"] = verdict
                verdicts.append(
                    {
                        "comment_id": comment_id,
                        "verdict": verdict,
                        "rule": "generated",
                        "computed_at": created,
                        "definition": "acceptance-v1",
                    }
                )
                runs[-1]["n_" + verdict] += 1
                if k == 0:
                    firsts[name] = comment_id
        if len(firsts) >= 2 and rng.random() < 0.5:
            (a, ca), (b, cb) = sorted(firsts.items())[:2]
            agreement_id = len(agreements) + 1
            agreements.append(
                {
                    "id": agreement_id,
                    "pull_request_id": pull,
                    "head_sha": head,
                    "contender_a": a,
                    "fingerprint_a": f"{ca:016x}",
                    "contender_b": b,
                    "fingerprint_b": f"{cb:016x}",
                }
            )
            for comment in (comments[ca - 1], comments[cb - 1]):
                comment["agreement_id"] = agreement_id
                run = runs[comment["run_pk"] - 1]
                run["n_shared_accepted"] += comment["verdict"] == "accepted"
                run["n_shared_decided"] += comment["verdict"] != "pending"
    return runs, comments, verdicts, agreements


def _run_row(
    run_id: int, pull: int, head: str, name: str, position: int, created: datetime, rng: random.Random
) -> dict[str, Any]:
    output = rng.randint(800, 6000)
    return {
        "id": run_id,
        "run_id": f"{run_id:032x}",
        "pull_request_id": pull,
        "head_sha": head,
        "contender": name,
        "requested_model": f"{name}-model",
        "model": f"{name}-model",
        "prompt_version": "review-v1",
        "position": position,
        "seed": pull,
        "status": "posted",
        "input_tokens": rng.randint(2000, 40000),
        "cached_input_tokens": 0,
        "output_tokens": output,
        "reasoning_tokens": output // 2,
        "cost_usd": output * (0.87 if name == "deepseek" else 30.0) / 1e6,
        "latency_s": rng.uniform(20, 240),
        "files_reviewed": rng.randint(1, 12),
        "created_at": created,
        "updated_at": created,
        **dict.fromkeys(COUNT_COLUMNS, 0),
    }


def _comment_row(
    comment_id: int, run_id: int, name: str, k: int, created: datetime, rng: random.Random
) -> dict[str, Any]:
    path = rng.choice(PATHS)
    return {
        "id": comment_id,
        "run_pk": run_id,
        "github_id": None,
        "contender": name,
        "fingerprint": f"{comment_id:016x}",
        "path": path,
        "line": 10 + k,
        "start_line": None,
        "side": "RIGHT",
        "severity": rng.choice(SEVERITIES),
        "category": rng.choice(CATEGORIES),
        "placement": "inline",
        "created_at": created,
        "marker": "",
        "suggestion": None,
        "agreement_id": None,
        "language": language_of(path),
        "verdict": "pending",
    }
