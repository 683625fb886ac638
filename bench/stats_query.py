"""Statistics on a large database: ``load_input`` (the SQL aggregation) plus ``build_report`` (the pure core,
bootstrap intervals included) over 1,000,000 comments, on SQLite and on PostgreSQL.

``bench.stats_data`` generates the database once per engine (seeded: two contenders, ~110,000 pull requests in 10
repositories, one head each; a temporary SQLite file, and a throwaway PostgreSQL database dropped afterwards).
PostgreSQL gets ``VACUUM ANALYZE`` after loading, as autovacuum would in steady state; SQLite gets ``ANALYZE``, as
the App's daily maintenance task and ``review-arena db upgrade`` give it. Each case is timed three times in this
process, wall and this process's CPU (the PostgreSQL server's CPU is not in it), and the median is reported: the
default report, one comment-level filter (``severity=high``, which counts the comments instead of reading the
runs' stored counts) and one run-level filter (a repository). The whole ``review-arena stats --format json``
process, start-up and imports included, is timed once per database.

Goal: ``review-arena stats`` takes ≤ 2 s on 1 M comments, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from bench.stats_data import generate
from bot.core.stats_report import build_report
from bot.database import maintain, make_engine
from bot.migrate import upgrade
from bot.stats_queries import StatsFilter, load_input
from tests.databases import fresh_postgres_database

# the generator's runs post int(gauss(5, 2)) comments, 4.53 on average rather than 5: ask for enough to get 1 M
COMMENTS = 1_115_000
REPEATS = 3
GOAL_S = 2.0
CASES = {
    "default": StatsFilter(),
    "severity=high (comment filter)": StatsFilter(severity="high"),
    "repo=acme/repo3 (run filter)": StatsFilter(repo="acme/repo3"),
}


@contextmanager
def _database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="stats-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'stats.db'}"
        return
    with fresh_postgres_database("ra_bench") as url:
        yield url


def _load(url: str) -> dict[str, Any]:
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    counts = generate(engine, comments=COMMENTS)
    loaded = time.perf_counter() - started
    maintain(engine)  # SQLite: ANALYZE, as the daily maintenance task and `db upgrade` do in production
    engine.dispose()
    if url.startswith("postgresql"):
        maintenance = create_engine(url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
        with maintenance.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        maintenance.dispose()
    return {"rows": counts, "load_s": loaded}


def _time_case(engine: Engine, f: StatsFilter) -> dict[str, Any]:
    runs = []
    for _ in range(REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        found = load_input(engine, f)
        queried = time.perf_counter()
        report = build_report(found, seed=0, filters=f.described())
        runs.append(
            {
                "wall_s": time.perf_counter() - wall,
                "cpu_s": time.process_time() - cpu,
                "sql_s": queried - wall,
                "core_s": time.perf_counter() - queried,
                "comments": sum(c.comments for c in report.contenders),
            }
        )
    median = {key: statistics.median(r[key] for r in runs) for key in ("wall_s", "cpu_s", "sql_s", "core_s")}
    return {**median, "walls_s": [r["wall_s"] for r in runs], "comments": runs[0]["comments"]}


def _cli(url: str) -> dict[str, Any]:
    """The whole ``review-arena stats --format json`` process, once; skipped when the command is missing."""
    script = Path(sys.executable).with_name("review-arena")
    environ = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run(
        [str(script), "stats", "--format", "json"], env=environ, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        return {"skipped": f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}"}
    try:
        json.loads(done.stdout)
    except ValueError:
        return {"skipped": "the output was not JSON"}
    return {"wall_s": wall}


def _measure(kind: str) -> dict[str, Any]:
    with _database(kind) as url:
        result = _load(url)
        engine = make_engine(url)
        try:
            result["cases"] = {name: _time_case(engine, f) for name, f in CASES.items()}
        finally:
            engine.dispose()
        result["cli"] = _cli(url)
    return result


def run() -> dict[str, Any]:
    results = {kind: _measure(kind) for kind in ("sqlite", "postgresql")}
    slowest = max(case["wall_s"] for r in results.values() for case in r["cases"].values())
    return {"goal_s": GOAL_S, "databases": results, "slowest_s": slowest, "slowest_ratio": slowest / GOAL_S}


def report(result: dict[str, Any]) -> str:
    goal = result["goal_s"]
    lines = [
        f"Median of {REPEATS} in-process runs of `load_input` + `build_report`; ratio = median wall ÷ the {goal:g} s "
        "goal.",
        "",
        "| database | case | comments counted | wall s | CPU s (here) | SQL s | core s | ratio | runs (wall s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind, r in result["databases"].items():
        for name, c in r["cases"].items():
            walls = ", ".join(f"{w:.2f}" for w in c["walls_s"])
            lines.append(
                f"| {kind} | {name} | {c['comments']:,} | {c['wall_s']:.2f} | {c['cpu_s']:.2f} | {c['sql_s']:.2f} "
                f"| {c['core_s']:.2f} | {c['wall_s'] / goal:.2f} | {walls} |"
            )
    lines += ["", "| database | whole `review-arena stats --format json` process, wall s | ratio |", "|---|---:|---:|"]
    for kind, r in result["databases"].items():
        cli = r["cli"]
        if "wall_s" in cli:
            lines.append(f"| {kind} | {cli['wall_s']:.2f} | {cli['wall_s'] / goal:.2f} |")
        else:
            lines.append(f"| {kind} | skipped ({cli['skipped']}) | — |")
    lines.append("")
    for kind, r in result["databases"].items():
        rows = ", ".join(f"{n:,} {table}" for table, n in r["rows"].items())
        lines.append(f"{kind}: {rows}; generated and inserted in {r['load_s']:.0f} s.")
    verdict = "met" if result["slowest_ratio"] <= 1.0 else "missed"
    lines += [
        "",
        f"Slowest in-process case: {result['slowest_s']:.2f} s = **{result['slowest_ratio']:.2f}** × goal ({verdict}).",
    ]
    return "\n".join(lines)
