"""Specification of the statistics dashboard: the real receiver (``bot.service.build_receiver``) under uvicorn on
a real socket, over a SQLite database of about 2,000 generated comments, and once over PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from bot.core.stats_report import build_report
from bot.core.trend import week_of
from bot.core.webhooks import Decision
from bot.dashboard import dashboard_routes
from bot.deliveries import MemoryDeliveryLog
from bot.service import build_receiver
from bot.stats_queries import StatsFilter, load_input
from bot.stats_trend import load_trend
from bot.storage_schema import Run
from bot.webhook import create_app
from tests.dashboard_data import TOKEN, chart_rows, expected, marks_in, receiver_env, seeded_engine, serving
from tests.databases import fresh_postgres_database


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard')}/stats.db"
    engine = seeded_engine(url)
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(database: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = receiver_env(database[0], str(tmp_path_factory.mktemp("broker")), REVIEW_ARENA_DASHBOARD_TOKEN=TOKEN)
    with serving(build_receiver(env)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c


def page(client: httpx.Client, **params: str) -> httpx.Response:
    return client.get("/dashboard", params={"token": TOKEN, **params})


def report_charts(engine: Engine, f: StatsFilter) -> dict[str, list[tuple[object, ...]]]:
    return expected(build_report(load_input(engine, f), seed=0, filters=f.described()), load_trend(engine, f))


def test_without_a_token_configured_the_dashboard_is_not_mounted(database: tuple[str, Engine], tmp_path: Path) -> None:
    with serving(build_receiver(receiver_env(database[0], str(tmp_path)))) as url:
        for path in ("/dashboard", f"/dashboard?token={TOKEN}", "/dashboard/static/dashboard.css"):
            assert httpx.get(url + path).status_code == 404
        assert httpx.get(url + "/healthz").status_code == 200


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        pytest.param({}, {}, id="none"),
        pytest.param({"token": "wrong"}, {}, id="wrong-query"),
        pytest.param({}, {"Authorization": "Bearer wrong"}, id="wrong-bearer"),
        pytest.param({}, {"Authorization": f"Basic {TOKEN}"}, id="other-scheme"),
        pytest.param({"token": TOKEN[:-1]}, {}, id="prefix"),
        pytest.param({"token": TOKEN}, {"Authorization": "Bearer wrong"}, id="header-wins"),
    ],
)
def test_a_missing_or_wrong_token_is_401(client: httpx.Client, params: dict[str, str], headers: dict[str, str]) -> None:
    response = client.get("/dashboard", params=params, headers=headers)
    assert response.status_code == 401
    assert response.text == "dashboard token missing or wrong"
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_token_in_the_query_string_opens_the_page(client: httpx.Client) -> None:
    response = page(client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert f'name="token" value="{TOKEN}"' in response.text  # the filter form keeps the page reachable


def test_a_bearer_token_opens_the_page_and_stays_out_of_it(client: httpx.Client) -> None:
    response = client.get("/dashboard", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert TOKEN not in response.text


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_dashboard_is_read_only(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/dashboard", params={"token": TOKEN})
    assert response.status_code == 405


def test_the_stylesheet_is_served_by_the_app(client: httpx.Client) -> None:
    response = client.get("/dashboard/static/dashboard.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "figure.chart" in response.text


def test_the_page_is_self_contained(client: httpx.Client) -> None:
    text = page(client).text
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert '<link rel="stylesheet" href="/dashboard/static/dashboard.css">' in text


def test_the_charts_show_the_reports_numbers(client: httpx.Client, database: tuple[str, Engine]) -> None:
    shown = chart_rows(marks_in(page(client).text))
    assert shown == report_charts(database[1], StatsFilter())
    assert {c for c, *_ in shown["acceptance"]} == {"deepseek", "openai"}
    assert len(shown["trend"]) >= 2 * 9  # both contenders over about ten weeks


def test_reloading_shows_the_same_intervals(client: httpx.Client) -> None:
    assert chart_rows(marks_in(page(client).text)) == chart_rows(marks_in(page(client).text))


@pytest.mark.parametrize(
    ("params", "f"),
    [
        pytest.param({"contender": "deepseek"}, StatsFilter(contender="deepseek"), id="contender"),
        pytest.param({"repo": "acme/repo3"}, StatsFilter(repo="acme/repo3"), id="repo"),
        pytest.param({"severity": "critical"}, StatsFilter(severity="critical"), id="severity"),
        pytest.param(
            {"since": "2026-01-19", "until": "2026-02-02", "model": ""},
            StatsFilter(since=datetime(2026, 1, 19, tzinfo=UTC), until=datetime(2026, 2, 2, tzinfo=UTC)),
            id="dates",
        ),
    ],
)
def test_filters_narrow_the_charts(
    client: httpx.Client, database: tuple[str, Engine], params: dict[str, str], f: StatsFilter
) -> None:
    response = page(client, **params)
    assert response.status_code == 200
    assert chart_rows(marks_in(response.text)) == report_charts(database[1], f)
    for name, value in f.described().items():
        assert f"{name} = {value}" in response.text


def test_a_date_filter_keeps_the_trend_inside_it(client: httpx.Client) -> None:
    rows = chart_rows(marks_in(page(client, since="2026-01-19", until="2026-02-02").text))
    assert {week for _, week, *_ in rows["trend"]} == {"2026-01-19", "2026-01-26"}


def test_a_filter_matching_nothing_says_so(client: httpx.Client) -> None:
    response = page(client, contender="nobody")
    assert response.status_code == 200
    assert "No posted reviews match these filters." in response.text
    assert marks_in(response.text) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param("since=yesterday", "since is not a date", id="bad-date"),
        pytest.param("until=2026-13-01", "until is not a date", id="bad-month"),
        pytest.param("repo=acme", "repo must be owner/name", id="bad-repo"),
        pytest.param("colour=red", "unknown filter 'colour'", id="unknown"),
        pytest.param("contender=a&contender=b", "contender is given more than once", id="twice"),
    ],
)
def test_a_bad_filter_is_400_with_a_message(client: httpx.Client, query: str, message: str) -> None:
    response = client.get(f"/dashboard?token={TOKEN}&{query}")
    assert response.status_code == 400
    assert message in response.text


def test_the_trend_is_counted_per_monday_week_from_the_runs(database: tuple[str, Engine]) -> None:
    engine = database[1]
    query = select(Run.contender, Run.created_at, Run.n_accepted, Run.n_addressed, Run.n_rejected, Run.n_ignored)
    sums: dict[tuple[str, date], list[int]] = {}
    with engine.connect() as connection:
        for contender, created, accepted, *others in connection.execute(query.where(Run.status == "posted")):
            counts = sums.setdefault((contender, week_of(created.date())), [0, 0])
            counts[0] += accepted
            counts[1] += accepted + sum(others)
    trend = load_trend(engine, StatsFilter())
    assert {(w.contender, w.week): [w.accepted, w.decided] for w in trend} == sums
    assert all(w.week.weekday() == 0 for w in trend)


class NoQueue:
    def enqueue(self, decision: Decision) -> None:
        raise AssertionError("the dashboard queues nothing")


def test_postgresql_gives_the_same_page_as_sqlite(client: httpx.Client) -> None:
    exact = ("acceptance", "head-to-head", "trend")  # counts only; dollar sums may differ in the last bit
    with fresh_postgres_database("dash") as url:
        engine = seeded_engine(url)
        routes = dashboard_routes(token=TOKEN, engine=engine)
        app = create_app(secret="s", queue=NoQueue(), deliveries=MemoryDeliveryLog(), extra_routes=routes)
        try:
            with serving(app) as base, httpx.Client(base_url=base, timeout=30) as pg:
                for params, f in (
                    ({}, StatsFilter()),
                    ({"severity": "high"}, StatsFilter(severity="high")),
                    ({"since": "2026-01-19"}, StatsFilter(since=datetime(2026, 1, 19, tzinfo=UTC))),
                ):
                    on_postgres = chart_rows(marks_in(page(pg, **params).text))
                    on_sqlite = chart_rows(marks_in(page(client, **params).text))
                    assert on_postgres == report_charts(engine, f)
                    assert {k: on_postgres[k] for k in exact} == {k: on_sqlite[k] for k in exact}
                    assert [v for *_, v in on_postgres["cost"]] == pytest.approx([v for *_, v in on_sqlite["cost"]])
                assert pg.get("/dashboard", params={"since": "x", "token": TOKEN}).status_code == 400
        finally:
            engine.dispose()
