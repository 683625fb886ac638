"""The statistics dashboard on the receiver: ``GET /dashboard`` and its stylesheet. An adapter: it checks the
token, reads the query string through ``bot.core.dashboard_page``, queries the database in a worker thread and
answers the page the core builds. Read-only: the routes take GET (and HEAD) only.

Off unless ``REVIEW_ARENA_DASHBOARD_TOKEN`` is set: then :func:`routes_from_env` mounts nothing and both paths
are 404. The bootstrap is seeded, so reloading the page shows the same intervals.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.dashboard_page import TOKEN_PARAMETER, QueryError, parse_filters, render_page
from bot.errors import ConfigError
from bot.stats_queries import StatsFilter, report_for
from bot.stats_trend import load_trend

TOKEN_ENV = "REVIEW_ARENA_DASHBOARD_TOKEN"  # noqa: S105 - the variable's name, not a secret
PATH = "/dashboard"
STYLESHEET_PATH = "/dashboard/static/dashboard.css"
SEED = 0
STYLESHEET = Path(__file__).resolve().parent / "static" / "dashboard.css"
# the page loads nothing but its own stylesheet; the token may be in its URL, so no Referer leaves it either
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def routes_from_env(environ: Mapping[str, str], engine: Engine) -> list[BaseRoute]:
    """The dashboard's routes when ``REVIEW_ARENA_DASHBOARD_TOKEN`` is set, else none."""
    token = environ.get(TOKEN_ENV, "").strip()
    return dashboard_routes(token=token, engine=engine) if token else []


def dashboard_routes(*, token: str, engine: Engine, seed: int = SEED) -> list[BaseRoute]:
    if not token:
        raise ConfigError(f"{TOKEN_ENV} is empty: the dashboard would be open to anyone")
    css = STYLESHEET.read_bytes()

    async def page(request: Request) -> Response:
        presented, in_query = _presented_token(request)
        if not hmac.compare_digest(presented.encode(), token.encode()):
            return PlainTextResponse(
                "dashboard token missing or wrong", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        try:
            f = stats_filter(parse_filters(request.query_params.multi_items()))
        except QueryError as error:
            return PlainTextResponse(str(error), status_code=400)
        try:
            html = await run_in_threadpool(render, engine, f, seed=seed, token=token if in_query else None)
        except OperationalError:
            return PlainTextResponse("the statistics database is unavailable; try again", status_code=503)
        return HTMLResponse(html, headers=PAGE_HEADERS)

    async def stylesheet(request: Request) -> Response:
        # no data in it, so no token: a browser fetches it without the page's Authorization header
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    return [Route(PATH, page, methods=["GET"]), Route(STYLESHEET_PATH, stylesheet, methods=["GET"])]


def _presented_token(request: Request) -> tuple[str, bool]:
    """The token the request presents, and whether it came in the query string (``Authorization`` wins)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip(), False
    given = request.query_params.get(TOKEN_PARAMETER, "")
    return given, bool(given)


def stats_filter(parsed: Mapping[str, str | datetime]) -> StatsFilter:
    def moment(name: str) -> datetime | None:
        value = parsed.get(name)
        return value if isinstance(value, datetime) else None

    def word(name: str) -> str | None:
        value = parsed.get(name)
        return value if isinstance(value, str) else None

    return StatsFilter(
        repo=word("repo"),
        since=moment("since"),
        until=moment("until"),
        contender=word("contender"),
        severity=word("severity"),
        category=word("category"),
        language=word("language"),
        prompt_version=word("prompt_version"),
        model=word("model"),
    )


def render(engine: Engine, f: StatsFilter, *, seed: int, token: str | None) -> str:
    """Query and render (blocking: run it in a thread)."""
    report = report_for(engine, f, seed=seed)
    return render_page(report, load_trend(engine, f), token=token, stylesheet=STYLESHEET_PATH)
