"""Shared by the dashboard's tests: a statistics database (``bench.stats_data`` with its runs spread over ten
weeks), the receiver serving it, and the chart data both read back from the page and expected from the report.

The generator posts every review within a day or two; the trend chart needs weeks, so each pull request's runs
are moved to eight hours after the previous pull request's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import uvicorn
from sqlalchemy import Engine, bindparam, select, update
from starlette.applications import Starlette

from bench.stats_data import generate
from bot.core.stats_report import StatsReport
from bot.core.trend import WeekTally
from bot.database import make_engine
from bot.migrate import upgrade
from bot.storage_schema import Run

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
SPACING = timedelta(hours=8)
COMMENTS = 2000
TOKEN = "dashboard-test-token-0123456789"
Row = tuple[object, ...]


def seeded_engine(url: str, *, comments: int = COMMENTS) -> Engine:
    upgrade(url)
    engine = make_engine(url)
    generate(engine, comments=comments)
    runs = Run.__table__
    with engine.begin() as connection:
        moved = [
            {"run": run, "at": START + SPACING * pull}
            for run, pull in connection.execute(select(runs.c.id, runs.c.pull_request_id))
        ]
        connection.execute(update(runs).where(runs.c.id == bindparam("run")).values(created_at=bindparam("at")), moved)
    return engine


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port in a background thread; yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not (server.started and server.servers):
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def receiver_env(database_url: str, tmp: str, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_WEBHOOK_SECRET": "webhook-secret",
        "DATABASE_URL": database_url,
        "REVIEW_ARENA_BROKER_URL": f"sqla+sqlite:///{tmp}/broker.db",  # never reached: nothing is queued
        **extra,
    }


class _Marks(HTMLParser):
    """Every element with the class ``mark`` inside an ``<svg data-chart>``: its chart and ``data-*`` attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.chart = ""
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "svg":
            self.chart = values.get("data-chart", "")
        elif self.chart and "mark" in values.get("class", "").split():
            data = {name.removeprefix("data-"): value for name, value in values.items() if name.startswith("data-")}
            self.found.append({"chart": self.chart, **data})

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.chart = ""


def marks_in(html: str) -> list[dict[str, str]]:
    parser = _Marks()
    parser.feed(html)
    return parser.found


def _n(text: str) -> float | None:
    return None if text == "" else float(text)


def chart_rows(marks: Iterable[Mapping[str, str]]) -> dict[str, list[Row]]:
    """The marks as typed rows per chart, in page order: what the charts say, comparable with :func:`expected`."""
    found: dict[str, list[Row]] = {}
    for m in marks:
        keys: Sequence[str] = {
            "acceptance": ("contender", "value", "wilson-low", "wilson-high", "bootstrap-low", "bootstrap-high"),
            "strength": ("contender", "value", "bootstrap-low", "bootstrap-high"),
            "cost": ("contender", "metric", "value"),
            "cost-per-pr": ("contender", "metric", "value"),
            "head-to-head": ("a", "b", "wins", "ties", "losses", "win-rate", "sign-p"),
            "trend": ("contender", "week", "value", "accepted", "decided"),
        }[m["chart"]]
        textual = {"contender", "metric", "a", "b", "week"}
        found.setdefault(m["chart"], []).append(tuple(m[k] if k in textual else _n(m[k]) for k in keys))
    return found


def _bounds(interval: tuple[float, float] | None) -> tuple[float | None, float | None]:
    return interval if interval is not None else (None, None)


def expected(report: StatsReport, weeks: Sequence[WeekTally]) -> dict[str, list[Row]]:
    """What the charts must show for ``report`` and ``weeks``, straight from their numbers."""
    found: dict[str, list[Row]] = {
        "acceptance": [
            (c.contender, c.acceptance.value, *_bounds(c.acceptance.wilson), *_bounds(c.acceptance.bootstrap))
            for c in report.contenders
        ],
        "cost": [(c.contender, "usd_per_accepted", c.usd_per_accepted) for c in report.contenders],
        "cost-per-pr": [(c.contender, "usd_per_pr", c.usd_per_pr) for c in report.contenders],
        "head-to-head": [
            (p.a, p.b, float(p.wins), float(p.ties), float(p.losses), p.win_rate.value, p.sign_p)
            for p in report.pairings
        ],
        "trend": [
            (w.contender, w.week.isoformat(), w.acceptance, float(w.accepted), float(w.decided))
            for w in weeks
            if w.decided
        ],
    }
    if report.strengths:
        found["strength"] = [(name, value, *_bounds(i)) for name, (value, i) in report.strengths.items()]
    return {chart: rows for chart, rows in found.items() if rows}
